/**
 * The generator's self-check: type-check emitted modules in memory against the runtime's sources
 * (or, in a built package, its declarations) before anything is written. A failure here is a
 * protozmq bug, never a user error, so the message says so and lists the compiler's complaints.
 *
 * One `ts.Program` holds every module of a run; only the emitted modules get semantic
 * diagnostics. The lib `.d.ts` files and the runtime are parsed once per process and shared by
 * every program after that. Large runs are split over worker threads (typecheck-pool.ts), each
 * checking its share of the modules in a program of its own.
 */
import * as fs from "fs";
import * as path from "path";
import { Project, ts } from "ts-morph";
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

/** Parsed emitted modules with their texts, by path in the in-memory tree, kept between checks. */
export type ParsedModules = Map<string, { text: string; sf: ts.SourceFile }>;

/** Folder of the lib `.d.ts` files; ts-morph serves them from memory (its bundled TypeScript's). */
const LIB_DIR = "/node_modules/typescript/lib";
const GEN_DIR = "/gen/";

/**
 * Everything about a check that does not depend on the emitted modules: options, the runtime's
 * texts, and the parsed lib and runtime files, which every program of this checker reuses.
 */
export class Checker {
  readonly options: ts.CompilerOptions;
  private readonly fixedTexts = new Map<string, string>();
  private readonly fixedParsed = new Map<string, ts.SourceFile>();
  private readonly readLib: (file: string) => string | undefined;
  /** Emitted modules parsed ahead of `check` (by `preparse`), by path under /gen/. */
  private readonly preparsed = new Map<string, { text: string; sf: ts.SourceFile }>();
  /** The parse options programs ask for (the same for every .ts file of the in-memory tree). */
  private parseOptions: ts.CreateSourceFileOptions | undefined;

  constructor(readonly runtimeImport: string) {
    const files = runtimeFiles(runtimeDir());
    for (const f of files) this.fixedTexts.set(`/runtime/${f.rel}`, f.text);
    const index = files.some((f) => f.rel === "index.ts") ? "/runtime/index.ts" : "/runtime/index.d.ts";
    this.options = { ...CHECK_OPTIONS, paths: { [runtimeImport]: [index] } };
    const libHost = new Project({ useInMemoryFileSystem: true }).getModuleResolutionHost();
    this.readLib = (file) => (file.startsWith(`${LIB_DIR}/`) ? libHost.readFile(file) : undefined);
  }

  private fixedText(file: string): string | undefined {
    return this.fixedTexts.get(file) ?? this.readLib(file);
  }

  private host(gen: ReadonlyMap<string, string>): ts.CompilerHost {
    const text = (file: string): string | undefined => gen.get(file) ?? this.fixedText(file);
    return {
      getSourceFile: (file, languageVersion) => {
        const opts: ts.CreateSourceFileOptions = typeof languageVersion === "object" ? languageVersion : { languageVersion };
        const content = gen.get(file);
        if (content !== undefined) {
          this.parseOptions ??= opts;
          const pre = this.preparsed.get(file);
          if (pre !== undefined && pre.text === content && sameParse(pre.sf, opts)) return pre.sf;
          return ts.createSourceFile(file, content, opts);
        }
        let sf = this.fixedParsed.get(file);
        if (sf === undefined || !sameParse(sf, opts)) {
          const t = this.fixedText(file);
          if (t === undefined) return undefined;
          sf = ts.createSourceFile(file, t, opts);
          this.fixedParsed.set(file, sf);
          if (file.startsWith("/runtime/") && file.endsWith(".ts")) this.parseOptions ??= opts;
        }
        return sf;
      },
      getDefaultLibFileName: (o) => `${LIB_DIR}/${ts.getDefaultLibFileName(o)}`,
      getDefaultLibLocation: () => LIB_DIR,
      writeFile: () => undefined,
      getCurrentDirectory: () => "/",
      getCanonicalFileName: (f) => f,
      useCaseSensitiveFileNames: () => true,
      getNewLine: () => "\n",
      fileExists: (f) => text(f) !== undefined,
      readFile: (f) => text(f),
    };
  }

  /**
   * Parse the lib and runtime files now (a worker does this while the main thread emits), and
   * learn the parse options later programs use, so `preparse` can parse emitted modules ahead.
   */
  warmUp(): void {
    const root = `${GEN_DIR}$warm-up.ts`;
    ts.createProgram({ rootNames: [root], options: this.options, host: this.host(new Map([[root, `import "${this.runtimeImport}";\n`]])) });
  }

  /** Parse an emitted module ahead of `check` (only once the parse options are known). */
  preparse(file: GeneratedFile): void {
    if (this.parseOptions === undefined) return;
    const p = GEN_DIR + file.path;
    this.preparsed.set(p, { text: file.content, sf: ts.createSourceFile(p, file.content, this.parseOptions) });
  }

  /**
   * Type-check `files` (all of them, or only the paths in `only`; the others are there for their
   * declarations). Returns the compiler's complaints, formatted `path:line: message`.
   *
   * `keep` holds parsed modules from one check to the next (a watcher's {@link ParsedModules}):
   * a module whose text is unchanged is not parsed again.
   */
  check(files: readonly GeneratedFile[], only?: ReadonlySet<string>, keep?: ParsedModules): string[] {
    const gen = new Map(files.map((f) => [GEN_DIR + f.path, f.content]));
    const roots = files.filter((f) => only === undefined || only.has(f.path)).map((f) => GEN_DIR + f.path);
    if (keep !== undefined) {
      for (const [p, pre] of keep) {
        if (gen.get(p) === pre.text) this.preparsed.set(p, pre);
        else keep.delete(p);
      }
    }
    const program = ts.createProgram({ rootNames: roots, options: this.options, host: this.host(gen) });
    if (keep !== undefined) {
      for (const p of gen.keys()) {
        const sf = program.getSourceFile(p);
        if (sf !== undefined) keep.set(p, { text: sf.text, sf });
      }
    }
    const diagnostics: ts.Diagnostic[] = [...program.getOptionsDiagnostics(), ...program.getGlobalDiagnostics()];
    for (const root of roots) {
      const sf = program.getSourceFile(root);
      if (sf === undefined) continue;
      diagnostics.push(...program.getSyntacticDiagnostics(sf), ...program.getSemanticDiagnostics(sf));
    }
    this.preparsed.clear();
    return diagnostics.map(format);
  }
}

/** Whether a parsed file can serve a program that asks for `opts`. */
function sameParse(sf: ts.SourceFile, opts: ts.CreateSourceFileOptions): boolean {
  return sf.languageVersion === opts.languageVersion && sf.impliedNodeFormat === opts.impliedNodeFormat;
}

function format(d: ts.Diagnostic): string {
  const message = ts.flattenDiagnosticMessageText(d.messageText, "\n");
  if (d.file === undefined) return message;
  const line = d.start === undefined ? "?" : String(d.file.getLineAndCharacterOfPosition(d.start).line + 1);
  return `${d.file.fileName.startsWith(GEN_DIR) ? d.file.fileName.slice(GEN_DIR.length) : d.file.fileName}:${line}: ${message}`;
}

const checkers = new Map<string, Checker>();

/** The checker of a runtime import specifier, created once per process (lib and runtime parsed once). */
export function checkerFor(runtimeImport: string): Checker {
  let c = checkers.get(runtimeImport);
  if (c === undefined) checkers.set(runtimeImport, (c = new Checker(runtimeImport)));
  return c;
}

/** Throws the self-check's error if there are problems. */
export function reportProblems(problems: readonly string[]): void {
  if (problems.length === 0) return;
  const shown = problems.slice(0, 20).join("\n  ");
  throw new Error(
    `protozmq generated TypeScript that does not compile (a protozmq bug, please report it with the schema):\n  ${shown}`
      + (problems.length > 20 ? `\n  ... and ${problems.length - 20} more` : ""),
  );
}

/** Type-check generated modules in this thread; throws listing every diagnostic if any. */
export function typeCheck(files: readonly GeneratedFile[], runtimeImport: string): void {
  reportProblems(checkerFor(runtimeImport).check(files));
}
