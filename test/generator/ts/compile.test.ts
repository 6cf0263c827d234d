/**
 * Generated TypeScript compiles with the strictest settings we promise, both as CommonJS
 * (`module: commonjs`) and as ESM (`module: nodenext`, `"type": "module"`, `.js` suffixes), using
 * the project's own `typescript` (what users run), in memory. The negative type tests in
 * types/negative.ts are part of the program, so each `@ts-expect-error` must still see an error.
 *
 *   schemas/* + types/negative.proto --emit--> /virtual/{fixtures,types/gen}/...ts
 *   runtime/ts/src/**                  -------> /virtual/runtime/...   ("protozmq" via paths)
 *   tsc (cjs | esm) over all of it: zero diagnostics outside the runtime
 */
import * as fs from "fs";
import * as path from "path";
import * as ts from "typescript";
import { emitTypeScript } from "../../../generator/emit/ts";
import type { GeneratedFile } from "../../../generator/model/types";
import { loadModel } from "../../../generator/parse";
import { REPO } from "./helpers";

const TYPES = path.join(__dirname, "types");
const V = "/virtual";

function walk(dir: string, pred: (f: string) => boolean): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = path.join(dir, e.name);
    return e.isDirectory() ? walk(p, pred) : pred(p) ? [p] : [];
  });
}

/** The committed generated module of types/negative.proto, checked fresh (PZ_UPDATE_GENERATED=1 rewrites it). */
function negativeGen(): GeneratedFile[] {
  return emitTypeScript(loadModel([path.join(TYPES, "negative.proto")], { includeDirs: [TYPES] }));
}

test("types/gen is what the emitter produces now", () => {
  for (const f of negativeGen()) {
    const p = path.join(TYPES, "gen", f.path);
    if (process.env["PZ_UPDATE_GENERATED"] === "1") {
      fs.mkdirSync(path.dirname(p), { recursive: true });
      fs.writeFileSync(p, f.content);
    }
    expect([f.path, fs.existsSync(p) ? fs.readFileSync(p, "utf8") === f.content : "missing"]).toEqual([f.path, true]);
  }
});

describe.each(["commonjs", "esm"] as const)("generated code compiles as %s", (mode) => {
  let diagnostics: string[];

  beforeAll(() => {
    const files = new Map<string, string>();
    for (const p of walk(path.join(REPO, "runtime/ts/src"), (f) => f.endsWith(".ts"))) {
      files.set(`${V}/runtime/${path.relative(path.join(REPO, "runtime/ts/src"), p)}`, fs.readFileSync(p, "utf8"));
    }
    // Every fixture folder in one model (they share the google/protobuf modules).
    const schemas = path.join(REPO, "schemas");
    const model = loadModel(walk(schemas, (f) => f.endsWith(".proto")), { includeDirs: [schemas] });
    for (const f of emitTypeScript(model)) files.set(`${V}/fixtures/${f.path}`, f.content);
    for (const f of negativeGen()) files.set(`${V}/types/gen/${f.path}`, f.content);
    files.set(`${V}/types/negative.ts`, fs.readFileSync(path.join(TYPES, "negative.ts"), "utf8"));
    if (mode === "esm") files.set(`${V}/package.json`, JSON.stringify({ type: "module" }));

    const options: ts.CompilerOptions = {
      target: ts.ScriptTarget.ES2022,
      lib: ["lib.es2022.d.ts"],
      strict: true,
      exactOptionalPropertyTypes: true,
      noImplicitOverride: true,
      noImplicitReturns: true,
      noFallthroughCasesInSwitch: true,
      noUncheckedIndexedAccess: true,
      skipLibCheck: true,
      noEmit: true,
      types: [],
      paths: { protozmq: [`${V}/runtime/index.ts`] },
      ...(mode === "esm"
        ? { module: ts.ModuleKind.NodeNext, moduleResolution: ts.ModuleResolutionKind.NodeNext }
        : { module: ts.ModuleKind.CommonJS, moduleResolution: ts.ModuleResolutionKind.Node10 }),
    };
    const host = ts.createCompilerHost(options);
    const real = { fileExists: host.fileExists, readFile: host.readFile, getSourceFile: host.getSourceFile };
    const dirs = new Set([...files.keys()].flatMap((f) => f.split("/").slice(1, -1).map((_, i, a) => `/${a.slice(0, i + 1).join("/")}`)));
    host.fileExists = (f) => files.has(f) || (!f.startsWith(V) && real.fileExists(f));
    host.readFile = (f) => files.get(f) ?? (f.startsWith(V) ? undefined : real.readFile(f));
    host.directoryExists = (d) => dirs.has(d) || (!d.startsWith(V) && ts.sys.directoryExists(d));
    host.getSourceFile = (f, lang, onError, create) => {
      const text = files.get(f);
      return text !== undefined ? ts.createSourceFile(f, text, lang, true) : real.getSourceFile(f, lang, onError, create);
    };
    const roots = [...files.keys()].filter((f) => f.endsWith(".ts") && !f.startsWith(`${V}/runtime/`));
    const program = ts.createProgram(roots, options, host);
    diagnostics = ts.getPreEmitDiagnostics(program)
      .filter((d) => d.file === undefined || !d.file.fileName.startsWith(`${V}/runtime/`))
      .map((d) => {
        const where = d.file === undefined ? "" : `${d.file.fileName}:${d.file.getLineAndCharacterOfPosition(d.start ?? 0).line + 1}: `;
        return where + ts.flattenDiagnosticMessageText(d.messageText, "\n");
      });
  }, 60000);

  test("no diagnostics in generated modules or in the negative type tests", () => {
    expect(diagnostics).toEqual([]);
  });
});

test("negative.ts has @ts-expect-error lines (a guard against the file being emptied)", () => {
  const text = fs.readFileSync(path.join(TYPES, "negative.ts"), "utf8");
  expect(text.match(/@ts-expect-error/g)!.length).toBeGreaterThanOrEqual(14);
});
