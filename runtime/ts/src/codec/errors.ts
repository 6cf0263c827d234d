/**
 * Errors thrown by the codec. Decoding untrusted input may only ever fail with {@link DecodeError}
 * (binary or JSON), so a server can catch one class and answer "invalid argument" without
 * guessing whether it hit a bug. Encoding fails with {@link EncodeError} when a message holds a
 * value the wire or JSON format cannot represent (an int64 out of range, a Timestamp after 9999).
 */

/**
 * Input bytes or JSON that do not form a valid message of the expected type.
 *
 * `typeName` and `field` say where decoding stopped, when known, so a log line points at the
 * schema element without a debugger.
 *
 * @example
 * ```ts
 * try {
 *   Person.decode(bytes);
 * } catch (e) {
 *   if (e instanceof DecodeError) console.warn(`bad request: ${e.message}`); // "pkg.Person.name (field 1): invalid UTF-8 ..."
 *   else throw e;
 * }
 * ```
 */
export class DecodeError extends Error {
  /** Full proto name of the message being decoded when the error happened, if known. */
  typeName: string | undefined;
  /** Proto name of the field being decoded, if known. */
  field: string | undefined;
  /** Number of the field being decoded, if known. */
  fieldNumber: number | undefined;
  /** The error message without the location prefix. */
  readonly reason: string;

  constructor(reason: string, typeName?: string, field?: string, fieldNumber?: number) {
    super(DecodeError.format(reason, typeName, field, fieldNumber));
    this.name = "DecodeError";
    this.reason = reason;
    this.typeName = typeName;
    this.field = field;
    this.fieldNumber = fieldNumber;
  }

  private static format(reason: string, typeName?: string, field?: string, no?: number): string {
    if (typeName === undefined) return reason;
    const where = typeName + (field === undefined ? "" : `.${field}`) + (no === undefined ? "" : ` (field ${no})`);
    return `${where}: ${reason}`;
  }

  /** Add a location to an error that has none yet (the innermost message wins, it is the most precise). */
  locate(typeName: string, field: string | undefined, fieldNumber: number | undefined): this {
    if (this.typeName === undefined) {
      this.typeName = typeName;
      this.field = field;
      this.fieldNumber = fieldNumber;
      this.message = DecodeError.format(this.reason, typeName, field, fieldNumber);
    }
    return this;
  }
}

/**
 * A message value that cannot be written: an int64 outside its range, a Timestamp outside
 * 0001-01-01..9999-12-31 in JSON, an `Any` whose type is not registered, ...
 *
 * @example
 * ```ts
 * Timestamp.toJSON({ seconds: 999999999999n, nanos: 0 }); // throws EncodeError
 * ```
 */
export class EncodeError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "EncodeError";
  }
}

/**
 * Convert anything thrown while decoding into a located {@link DecodeError}. Generated decoders call
 * this from their `catch` so that nothing but `DecodeError` escapes (a `TypeError` from a fatal
 * `TextDecoder`, a `RangeError` from a typed array, ...).
 *
 * @param fieldNames number -> proto field name, only built when an error actually happens.
 * @internal used by generated code.
 */
export function decodeFailure(
  e: unknown, typeName: string, tag: number, fieldNames?: { readonly [no: number]: string },
): DecodeError {
  const no = tag >>> 3;
  const err = e instanceof DecodeError ? e : new DecodeError(e instanceof Error ? e.message : String(e));
  return no === 0 ? err.locate(typeName, undefined, undefined) : err.locate(typeName, fieldNames?.[no], no);
}
