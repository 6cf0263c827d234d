/**
 * The generator's self-check: type-check emitted modules in memory against the runtime's sources
 * (or, in a built package, its declarations) before anything is written. A failure here is a
 * protozmq bug, never a user error, so the message says so and lists the compiler's complaints.
 */
import * as fs from "fs";
import * as path from "path";
import { Project, ts, type Diagnostic } from "ts-morph";
import type { GeneratedFile } from "../../model/types";

/** Where the runtime lives relative to this module, in the source tree and in `dist/`. */
function runtimeDir(): string {
  const dir = path.resolve(__dirname, "../../../runtime/ts/src");
  if (!fs.existsSync(path.join(dir, "index.ts")) && !fs.existsSync(path.join(dir, "index.d.ts"))) {
    throw new Error(`emit/ts: cannot find the protozmq runtime at ${dir} for the type check`);
  }
  return dir;
}

function runtimeFiles(dir: string, rel = ""): { rel: string; text: string }[] {
  const out: { rel: string; text: string }[] = [];
  for (const e of fs.readdirSync(path.join(dir, rel), { withFileTypes: true })) {
    const r = rel === "" ? e.name : `${rel}/${e.name}`;
    if (e.isDirectory()) out.push(...runtimeFiles(dir, r));
    else if (e.name.endsWith(".d.ts") || (e.name.endsWith(".ts") && !fs.existsSync(path.join(dir, r.replace(/\.ts$/, ".d.ts"))))) {
      out.push({ rel: r, text: fs.readFileSync(path.join(dir, r), "utf8") });
    }
  }
  return out;
}

/** Compiler options of the self-check: the strictest settings the generated code promises to pass. */
export const CHECK_OPTIONS: ts.CompilerOptions = {
  target: ts.ScriptTarget.ES2022,
  lib: ["lib.es2022.d.ts"],
  // No package.json in the in-memory tree, so every file is CommonJS under NodeNext, and relative
  // imports must carry the `.js` suffix, as generated code does.
  module: ts.ModuleKind.NodeNext,
  moduleResolution: ts.ModuleResolutionKind.NodeNext,
  strict: true,
  exactOptionalPropertyTypes: true,
  noImplicitOverride: true,
  noImplicitReturns: true,
  noFallthroughCasesInSwitch: true,
  noUncheckedIndexedAccess: true,
  noPropertyAccessFromIndexSignature: false,
  skipLibCheck: true,
  types: [],
  noEmit: true,
};

const projects = new Map<string, Project>();

/** A project holding the runtime under `/runtime`, reused between checks (lib and runtime are parsed once). */
function checkProject(runtimeImport: string): Project {
  let p = projects.get(runtimeImport);
  if (p === undefined) {
    p = new Project({
      useInMemoryFileSystem: true,
      compilerOptions: { ...CHECK_OPTIONS },
    });
    const files = runtimeFiles(runtimeDir());
    for (const f of files) p.createSourceFile(`/runtime/${f.rel}`, f.text, { overwrite: true });
    const index = files.some((f) => f.rel === "index.ts") ? "/runtime/index.ts" : "/runtime/index.d.ts";
    p.compilerOptions.set({ paths: { [runtimeImport]: [index] } });
    projects.set(runtimeImport, p);
  }
  return p;
}

function format(d: Diagnostic): string {
  const sf = d.getSourceFile();
  const where = sf === undefined ? "" : `${sf.getFilePath().replace(/^\/gen\//, "")}:${d.getLineNumber() ?? "?"}: `;
  return `${where}${ts.flattenDiagnosticMessageText(d.compilerObject.messageText, "\n")}`;
}

/** Type-check generated modules; throws listing every diagnostic if any. */
export function typeCheck(files: readonly GeneratedFile[], runtimeImport: string): void {
  const project = checkProject(runtimeImport);
  for (const old of project.getSourceFiles("/gen/**")) project.removeSourceFile(old);
  const added = files.map((f) => project.createSourceFile(`/gen/${f.path}`, f.content, { overwrite: true }));
  const problems = added.flatMap((sf) => sf.getPreEmitDiagnostics()).map(format);
  for (const sf of added) project.removeSourceFile(sf);
  if (problems.length > 0) {
    const shown = problems.slice(0, 20).join("\n  ");
    throw new Error(
      `protozmq generated TypeScript that does not compile (a protozmq bug, please report it with the schema):\n  ${shown}`
        + (problems.length > 20 ? `\n  ... and ${problems.length - 20} more` : ""),
    );
  }
}
