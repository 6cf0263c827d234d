/**
 * The TypeScript emitter: one module per target `.proto` file (plus the well-known-type modules the
 * targets reach, since TS has no other source for them), each type-checked before it is returned.
 */
import type { GeneratedFile, Model, ProtoFile } from "../../model/types";
import { allMessages } from "./context";
import { emitFile } from "./file";
import { checkerFor, reportProblems, type ParsedModules } from "./typecheck";
import { TypeCheckPool, threadsFor } from "./typecheck-pool";

export interface EmitTypeScriptOptions {
  /** Module specifier generated code imports the runtime from. Default `"protozmq"`. */
  readonly runtimeImport?: string;
  /** Type-check the output in memory (default true). Only tests that check output themselves turn it off. */
  readonly typeCheck?: boolean;
  /**
   * Threads for the type check: 1 checks in this thread, more use that many worker threads.
   * Default: from the size of the output (`threadsFor`), or `PROTOZMQ_TYPECHECK_THREADS`.
   */
  readonly typeCheckThreads?: number;
  /**
   * Kept by a caller that generates again and again in one process (`protozmq generate --watch`):
   * each run then type-checks only the modules whose text changed since the last run that passed,
   * and those that import them, directly or not. The others passed with the same text against the
   * same runtime, and their dependencies did not change, so checking them again could only agree.
   */
  readonly memo?: TypeCheckMemo;
}

/**
 * What {@link emitTypeScript} remembers between runs for {@link EmitTypeScriptOptions.memo}.
 *
 * @example
 * ```ts
 * const memo = new TypeCheckMemo();
 * emitTypeScript(model, { memo });          // checks every module
 * emitTypeScript(changedModel, { memo });   // checks only what changed, and its importers
 * ```
 */
export class TypeCheckMemo {
  /** The text of every module of the last run that passed the check, by path. */
  readonly passed = new Map<string, string>();
  /** Their parsed source files, so that unchanged modules are not parsed again. */
  readonly parsed: ParsedModules = new Map();
  /** Modules the last run type-checked (tests, and the watcher's report). */
  lastChecked = 0;
}

/** Files declaring the message and enum types a file's fields (and service methods) refer to. */
function referencedFiles(model: Model, file: ProtoFile): Set<string> {
  const out = new Set<string>();
  for (const m of allMessages(file)) {
    for (const f of m.fields) {
      for (const v of [f.type, ...(f.map !== undefined ? [f.map.value] : [])]) {
        if (v.kind !== "scalar") out.add(model.lookup(v.typeName)?.file ?? file.name);
      }
    }
  }
  // Service method types too: the RPC emitters generate code that imports them.
  for (const svc of file.services) {
    for (const m of svc.methods) for (const t of [m.inputType, m.outputType]) out.add(model.lookup(t)?.file ?? file.name);
  }
  out.delete(file.name);
  return out;
}

/**
 * Targets, then the well-known-type files whose types they use (and those use in turn): TS has
 * no other source for them. An import whose types are not used (protozmq/options.proto pulling in
 * descriptor.proto) emits nothing.
 */
export function filesToEmit(model: Model): ProtoFile[] {
  const targets = model.targets.map((t) => model.file(t));
  const out = new Map<string, ProtoFile>(targets.map((f) => [f.name, f]));
  const visit = (f: ProtoFile): void => {
    for (const name of referencedFiles(model, f)) {
      const dep = model.file(name);
      if (!dep.wellKnown || out.has(dep.name)) continue;
      out.set(dep.name, dep);
      visit(dep);
    }
  };
  targets.forEach(visit);
  return [...out.values()];
}

/** Every file whose types the given ones use, transitively, that is not among them. */
function dependencies(model: Model, files: readonly ProtoFile[]): ProtoFile[] {
  const have = new Set(files.map((f) => f.name));
  const out: ProtoFile[] = [];
  const visit = (f: ProtoFile): void => {
    for (const name of referencedFiles(model, f)) {
      if (have.has(name)) continue;
      have.add(name);
      const dep = model.file(name);
      out.push(dep);
      visit(dep);
    }
  };
  files.forEach(visit);
  return out;
}

/**
 * About how many bytes of TS the files emit (fields and services dominate), to decide before
 * emitting whether the type check runs on worker threads, which then start up while we emit.
 */
function estimateSize(files: readonly ProtoFile[]): number {
  let bytes = 0;
  for (const f of files) {
    for (const m of allMessages(f)) bytes += 2_500 + 1_000 * m.fields.length;
    for (const s of f.services) bytes += 2_000 + 1_500 * s.methods.length;
  }
  return bytes;
}

function checkThreads(options: EmitTypeScriptOptions, files: readonly ProtoFile[]): number {
  const env = Number(process.env["PROTOZMQ_TYPECHECK_THREADS"]);
  const threads = options.typeCheckThreads ?? (Number.isInteger(env) && env > 0 ? env : threadsFor(estimateSize(files)));
  return Math.max(1, Math.floor(threads));
}

export function emitTypeScript(model: Model, options: EmitTypeScriptOptions = {}): GeneratedFile[] {
  const runtimeImport = options.runtimeImport ?? "protozmq";
  const protos = filesToEmit(model);
  if (options.typeCheck === false) return sorted(protos.map((f) => emitFile(model, f, runtimeImport)));
  // Imported non-target files are generated by the user's other runs; emit them here only so
  // the targets' imports resolve during the check.
  const deps = dependencies(model, protos);
  const memo = options.memo;
  // A memo's first run checks everything, as a run without one does (on worker threads if large).
  if (memo !== undefined && memo.passed.size > 0) return sorted(emitChecked(model, protos, deps, runtimeImport, memo));
  const threads = checkThreads(options, [...protos, ...deps]);
  const pool = threads > 1 ? new TypeCheckPool(runtimeImport, threads) : undefined;
  try {
    const emit = (f: ProtoFile): GeneratedFile => {
      const out = emitFile(model, f, runtimeImport);
      pool?.add(out);
      return out;
    };
    const files = protos.map(emit);
    const depFiles = deps.map(emit);
    const all = [...files, ...depFiles];
    reportProblems(pool !== undefined ? pool.check() : checkerFor(runtimeImport).check(all, undefined, memo?.parsed));
    if (memo !== undefined) remember(memo, all, all.length);
    return sorted(files);
  } finally {
    pool?.close();
  }
}

/**
 * Emits `protos` and `deps` and type-checks, in this thread, the modules that changed since the
 * memo's last passing run and every module that imports one of them (transitively): a changed
 * declaration can break any module that reaches it. Returns the modules of `protos`.
 */
function emitChecked(model: Model, protos: readonly ProtoFile[], deps: readonly ProtoFile[], runtimeImport: string, memo: TypeCheckMemo): GeneratedFile[] {
  const all = [...protos, ...deps];
  const out = all.map((f) => emitFile(model, f, runtimeImport));
  const pathOf = new Map(all.map((f, i) => [f.name, out[i]!.path]));
  const importers = new Map<string, string[]>();
  for (const f of all) {
    for (const dep of referencedFiles(model, f)) {
      const list = importers.get(dep);
      if (list === undefined) importers.set(dep, [f.name]);
      else list.push(f.name);
    }
  }
  const roots = new Set<string>();
  const visit = (name: string): void => {
    const p = pathOf.get(name);
    if (p === undefined || roots.has(p)) return;
    roots.add(p);
    for (const i of importers.get(name) ?? []) visit(i);
  };
  all.forEach((f, i) => {
    if (memo.passed.get(out[i]!.path) !== out[i]!.content) visit(f.name);
  });
  // A failed check leaves the memo as it was: the next run checks these modules again.
  if (roots.size > 0) reportProblems(checkerFor(runtimeImport).check(out, roots, memo.parsed));
  remember(memo, out, roots.size);
  return out.slice(0, protos.length);
}

/** Records a run that passed: `files` are every module of it, `checked` how many it type-checked. */
function remember(memo: TypeCheckMemo, files: readonly GeneratedFile[], checked: number): void {
  memo.lastChecked = checked;
  memo.passed.clear();
  for (const f of files) memo.passed.set(f.path, f.content);
}

function sorted(files: GeneratedFile[]): GeneratedFile[] {
  return files.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
}
