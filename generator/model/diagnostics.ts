/**
 * Schema diagnostics: every problem found in user schemas is reported as `file:line:col: message`,
 * the format compilers and editors understand. Stages collect all they can find before throwing, so a
 * user fixes a batch of errors per run instead of one.
 */
import type { SourcePos } from "./types";

export interface Diagnostic {
  /** File as the user should see it: the path given on the command line or the import name. */
  readonly file: string;
  readonly line: number;
  readonly col: number;
  readonly message: string;
}

/** Render one diagnostic the way compilers do: `schemas/a.proto:3:5: unknown type "Foo"`. */
export function formatDiagnostic(d: Diagnostic): string {
  return `${d.file}:${d.line}:${d.col}: ${d.message}`;
}

/**
 * Thrown by the parse stage (and the emitters' self-checks) when a schema is wrong. `diagnostics` holds
 * every error found in the run, in file order.
 */
export class SchemaError extends Error {
  readonly diagnostics: readonly Diagnostic[];

  constructor(diagnostics: readonly Diagnostic[]) {
    super(diagnostics.map(formatDiagnostic).join("\n"));
    this.name = "SchemaError";
    this.diagnostics = diagnostics;
  }
}

/** Build a diagnostic at a source position, naming the file by its display path. */
export function diagnosticAt(pos: SourcePos, message: string, displayPath?: string): Diagnostic {
  return { file: displayPath ?? pos.file, line: pos.line, col: pos.col, message };
}
