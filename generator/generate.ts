/**
 * One generator run: load the model, run the emitters, then write, check or report the output.
 * The CLI (`cli.ts`) is only argument wiring around this module, so tests drive it directly.
 */
import * as fs from "fs";
import * as path from "path";
import type { TypeCheckMemo } from "./emit/ts";
import { BANNER_TEXT, type GeneratedFile } from "./model/types";
import { loadModel } from "./parse";
import { expandInputs } from "./inputs";

/** What a run generates; the CLI fills it from arguments and the config file. */
export interface GenerateOptions {
  /** `.proto` files or directories (searched recursively for `*.proto`). */
  readonly inputs: readonly string[];
  /** Include directories (`-I`). Defaults to the input directories. */
  readonly includeDirs: readonly string[];
  /** Output directory for TypeScript, or undefined to skip TS. */
  readonly tsOut?: string;
  /** Output directory for Python, or undefined to skip Python. */
  readonly pyOut?: string;
  /** Module specifier generated TS uses to import the runtime. Default `protozmq`. */
  readonly runtimeImport?: string;
  /**
   * Type-check the generated TS in memory before returning it (default true). The check guards
   * against protozmq bugs; the user's own `tsc` build checks the same code later.
   */
  readonly typeCheck?: boolean;
  /**
   * Kept across runs in one process (the CLI's `--watch`): each run type-checks only the TS modules
   * that changed and their importers. Create it with `newTypeCheckMemo()`.
   */
  readonly typeCheckMemo?: TypeCheckMemo;
}

/**
 * A memo for {@link GenerateOptions.typeCheckMemo}. It loads the TS emitter (ts-morph), so a
 * caller creates one only when it generates TypeScript.
 *
 * @example
 * ```ts
 * const typeCheckMemo = newTypeCheckMemo();
 * for (;;) { await changed(); writeOutput(generate({ ...options, typeCheckMemo }), outDirs); }
 * ```
 */
export function newTypeCheckMemo(): TypeCheckMemo {
  const { TypeCheckMemo } = require("./emit/ts") as typeof import("./emit/ts");
  return new TypeCheckMemo();
}

export interface OutputFile {
  /** Path on disk (joined with the output directory). */
  readonly path: string;
  readonly content: string;
}

export interface CheckResult {
  readonly stale: readonly string[];
  readonly missing: readonly string[];
  /** Files carrying our banner in an output directory that this run would not produce. */
  readonly orphaned: readonly string[];
}

/** Run the stages and return every output file with its destination path. Throws SchemaError on bad input. */
export function generate(options: GenerateOptions): OutputFile[] {
  const files = expandInputs(options.inputs);
  const includeDirs = options.includeDirs.length > 0
    ? options.includeDirs
    : [...new Set(options.inputs.map((i) => (fs.statSync(i, { throwIfNoEntry: false })?.isDirectory() ? i : path.dirname(i))))];
  const model = loadModel(files, { includeDirs });
  const place = (dir: string, list: readonly GeneratedFile[]): OutputFile[] =>
    list.map((f) => ({ path: path.join(dir, ...f.path.split("/")), content: f.content }));
  const out: OutputFile[] = [];
  if (options.tsOut !== undefined) {
    // Each emitter is loaded only when its language is asked for: the TS one brings in ts-morph
    // and TypeScript, about half a second of start-up a Python-only run need not pay.
    const { emitTypeScript } = require("./emit/ts") as typeof import("./emit/ts");
    const memo = options.typeCheckMemo;
    const tsOpts = {
      ...(options.runtimeImport !== undefined ? { runtimeImport: options.runtimeImport } : {}),
      ...(memo !== undefined ? { memo } : {}),
      ...(options.typeCheck === false ? { typeCheck: false } : {}),
    };
    out.push(...place(options.tsOut, emitTypeScript(model, tsOpts)));
  }
  if (options.pyOut !== undefined) {
    const { emitPython } = require("./emit/python") as typeof import("./emit/python");
    out.push(...place(options.pyOut, emitPython(model)));
  }
  return out;
}

/** True when a file on disk was written by protozmq (its banner is in the first three lines). */
function isGenerated(file: string): boolean {
  try {
    const head = fs.readFileSync(file, "utf8").slice(0, 400).split("\n").slice(0, 3).join("\n");
    return head.includes(BANNER_TEXT);
  } catch {
    return false;
  }
}

function listFiles(dir: string): string[] {
  if (!fs.existsSync(dir)) return [];
  const out: string[] = [];
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) {
      if (e.name !== "__pycache__") out.push(...listFiles(p));
    } else out.push(p);
  }
  return out;
}

/** Generated files in the output directories that `files` no longer contains (e.g. a deleted schema). */
function orphans(files: readonly OutputFile[], outDirs: readonly string[]): string[] {
  const wanted = new Set(files.map((f) => path.resolve(f.path)));
  return outDirs.flatMap(listFiles).filter((p) => !wanted.has(path.resolve(p)) && isGenerated(p)).sort();
}

/** Compare output with what is on disk, writing nothing. */
export function checkOutput(files: readonly OutputFile[], outDirs: readonly string[]): CheckResult {
  const stale: string[] = [];
  const missing: string[] = [];
  for (const f of files) {
    if (!fs.existsSync(f.path)) missing.push(f.path);
    else if (fs.readFileSync(f.path, "utf8") !== f.content) stale.push(f.path);
  }
  return { stale, missing, orphaned: orphans(files, outDirs) };
}

/**
 * Write output files, touching only those whose content changed (so watchers and build tools see
 * real changes only), and delete generated files that no schema produces any more.
 * Returns the paths written and removed.
 */
export function writeOutput(files: readonly OutputFile[], outDirs: readonly string[]): { written: string[]; removed: string[] } {
  const written: string[] = [];
  for (const f of files) {
    if (fs.existsSync(f.path) && fs.readFileSync(f.path, "utf8") === f.content) continue;
    fs.mkdirSync(path.dirname(f.path), { recursive: true });
    fs.writeFileSync(f.path, f.content);
    written.push(f.path);
  }
  const removed = orphans(files, outDirs);
  removed.forEach((p) => fs.rmSync(p));
  return { written, removed };
}
