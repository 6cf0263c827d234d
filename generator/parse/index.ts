/**
 * The parse stage: `.proto` files on disk -> a resolved, validated {@link Model}. This is the only
 * code in protozmq that imports protobufjs; everything after it works on the IR in `model/`.
 *
 * @example
 *   const model = loadModel(["schemas/game/state.proto"], { includeDirs: ["schemas"] });
 *   model.message("protozmq.fixtures.game.GameState").fields.map((f) => f.name);
 */
import { SchemaError, type Diagnostic } from "../model/diagnostics";
import { createModel } from "../model/model";
import type { Model, ProtoFile } from "../model/types";
import { FileBuilder } from "./build";
import { PROTO_PLACEHOLDER, loadFiles, unmangleProto, type LoadedFile } from "./load";
import { SymbolTable } from "./symbols";
import { validate } from "./validate";

export { BUNDLED_INCLUDE_DIR } from "./load";

export interface LoadOptions {
  /** Directories imports are resolved against (`-I`), in order. Well-known types are always available. */
  readonly includeDirs: readonly string[];
}

/**
 * Parse, resolve and validate `files` and everything they import.
 * @throws SchemaError with every diagnostic of the run when any file has a problem.
 */
export function loadModel(files: readonly string[], options: LoadOptions): Model {
  const loaded = loadFiles(files, options.includeDirs);
  const diagnostics: Diagnostic[] = [...loaded.diagnostics];
  const symbols = new SymbolTable(loaded.files);
  // Restoring `__proto__` copies the whole IR, which costs a tenth of a large run: skip it when no
  // source (nor path) holds the placeholder, so that no string built from them can.
  const restore = loaded.files.some(mayHoldPlaceholder) ? unmangleProto : <T>(value: T): T => value;
  const built: ProtoFile[] = loaded.files.map((f) => restore(new FileBuilder(f, symbols, diagnostics).build()));
  const model = createModel(built, loaded.targets);
  // Unresolvable fields were left out of the model, so it is consistent enough to validate even now.
  const display = new Map(loaded.files.map((f) => [f.name, f.displayPath]));
  validate(model, (name) => display.get(name) ?? name, diagnostics);
  if (diagnostics.length > 0) throw new SchemaError(dedupe(unmangleProto(diagnostics)));
  return model;
}

function mayHoldPlaceholder(f: LoadedFile): boolean {
  return [f.source, f.name, f.absPath, f.displayPath].some((s) => s.includes(PROTO_PLACEHOLDER));
}

/** Drop repeats and order by file (first mention), then line and column, as compilers print them. */
function dedupe(diags: readonly Diagnostic[]): Diagnostic[] {
  const seen = new Set<string>();
  const fileOrder = new Map<string, number>();
  diags.forEach((d) => fileOrder.has(d.file) || fileOrder.set(d.file, fileOrder.size));
  const sorted = [...diags].sort((a, b) => fileOrder.get(a.file)! - fileOrder.get(b.file)! || a.line - b.line || a.col - b.col);
  return sorted.filter((d) => {
    const key = `${d.file}:${d.line}:${d.col}:${d.message}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}
