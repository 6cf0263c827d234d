/**
 * The 17 status codes of a finished call (PZMQ/1 section 6).
 *
 * The numbers are gRPC's, so a status read in a log means the same thing here, in Python, and in
 * any gRPC service the caller already knows. They travel as a u16 in the TRAILERS header.
 */

/**
 * Outcome of a call. `OK` is the only success; everything else arrives as an {@link RpcError}.
 *
 * @example
 * ```ts
 * try {
 *   await client.evaluate(req, { timeoutMs: 50 });
 * } catch (e) {
 *   if (e instanceof RpcError && e.code === Status.DEADLINE_EXCEEDED) useCachedAnswer();
 *   else throw e;
 * }
 * ```
 */
export enum Status {
  /** Not an error; returned on success. */
  OK = 0,
  /** The call was cancelled, typically by the caller (an aborted `AbortSignal`, a closed channel). */
  CANCELLED = 1,
  /** An error without a more precise code, e.g. a handler that threw a plain `Error`. */
  UNKNOWN = 2,
  /** The client sent a bad argument, e.g. a request that does not decode. */
  INVALID_ARGUMENT = 3,
  /** The deadline passed before the call finished. */
  DEADLINE_EXCEEDED = 4,
  /** A requested entity was not found. */
  NOT_FOUND = 5,
  /** The entity the client tried to create already exists. */
  ALREADY_EXISTS = 6,
  /** The caller may not perform this operation. */
  PERMISSION_DENIED = 7,
  /** A resource ran out, e.g. a message over the size limit. */
  RESOURCE_EXHAUSTED = 8,
  /** The system is not in a state required for the operation. */
  FAILED_PRECONDITION = 9,
  /** The operation was aborted, typically because of a concurrency conflict. */
  ABORTED = 10,
  /** The operation was attempted past the valid range. */
  OUT_OF_RANGE = 11,
  /** The method is not implemented (or not known) by the server. */
  UNIMPLEMENTED = 12,
  /** An invariant of the system is broken, e.g. a malformed packet from the server. */
  INTERNAL = 13,
  /** The server cannot be reached: not connected, disconnected, or its heartbeats stopped. */
  UNAVAILABLE = 14,
  /** Unrecoverable data loss or corruption. */
  DATA_LOSS = 15,
  /** The request lacks valid authentication credentials. */
  UNAUTHENTICATED = 16,
}

/**
 * The highest status code PZMQ/1 defines; a received code above it is read as UNKNOWN.
 *
 * @example
 * ```ts
 * const known = code <= MAX_STATUS_CODE;
 * ```
 */
export const MAX_STATUS_CODE = 16;

/**
 * Maps a code received from the wire to a {@link Status}: any number outside 0..16 becomes
 * `UNKNOWN`, as PZMQ/1 section 6 requires (the message is kept by the caller).
 *
 * @example
 * ```ts
 * statusFromCode(14); // Status.UNAVAILABLE
 * statusFromCode(99); // Status.UNKNOWN
 * ```
 */
export function statusFromCode(code: number): Status {
  return Number.isInteger(code) && code >= 0 && code <= MAX_STATUS_CODE ? (code as Status) : Status.UNKNOWN;
}

/**
 * The enum name of a status, e.g. `"DEADLINE_EXCEEDED"`, for messages and logs.
 *
 * @example
 * ```ts
 * statusName(Status.NOT_FOUND); // "NOT_FOUND"
 * ```
 */
export function statusName(code: Status): string {
  return Status[code] ?? `STATUS_${code}`;
}
