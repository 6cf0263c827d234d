/**
 * The error every failed call rejects with (PZMQ/1 section 6).
 *
 * Shaped like grpc-js's `ServiceError`: a {@link Status} code, the status message exactly as the
 * server wrote it, optional binary details (typically a serialized `google.rpc.Status`) and the
 * trailers. A handler throws the same class to choose the status its caller sees.
 */
import { Metadata, MetadataInit } from "./metadata.js";
import { Status, statusName } from "./status.js";

/**
 * Optional parts of an {@link RpcError}.
 *
 * @example
 * ```ts
 * throw new RpcError(Status.FAILED_PRECONDITION, "game over", { details: statusBytes, metadata: { "x-turn": "40" } });
 * ```
 */
export interface RpcErrorOptions {
  /** Status details bytes, sent as-is in TRAILERS. */
  details?: Uint8Array;
  /** Trailers to send with (server) or received with (client) the status. */
  metadata?: MetadataInit;
  /** The underlying error, for local diagnostics only (never sent). */
  cause?: unknown;
}

/**
 * A call that ended with a status other than OK.
 *
 * `message` is the status message byte for byte (no prefix is added, so what the server wrote is
 * what the client reads, including non-BMP characters and whitespace); `toString()` adds the code
 * name for logs.
 *
 * @example
 * ```ts
 * // Server: choose the status the caller sees.
 * server.addMethod(GetUnit, async (req) => {
 *   const unit = units.get(req.id);
 *   if (!unit) throw new RpcError(Status.NOT_FOUND, `no unit ${req.id}`, { metadata: { "x-known": "12" } });
 *   return unit;
 * });
 * // Client: branch on the code.
 * try { await channel.unary(GetUnit, { id: 7 }); }
 * catch (e) { if (e instanceof RpcError && e.code === Status.NOT_FOUND) console.log(e.metadata.get("x-known")); }
 * ```
 */
export class RpcError extends Error {
  /** The status code (never `OK`). */
  readonly code: Status;
  /** Status details, when the server sent any. */
  readonly details?: Uint8Array;
  /** Trailers received with the status (client side) or to send with it (server side). */
  readonly metadata: Metadata;

  constructor(code: Status, message: string, options?: RpcErrorOptions) {
    super(message, options?.cause !== undefined ? { cause: options.cause } : undefined);
    this.name = "RpcError";
    this.code = code;
    if (options?.details !== undefined && options.details.length > 0) this.details = options.details;
    this.metadata = options?.metadata instanceof Metadata ? options.metadata : new Metadata(options?.metadata);
  }

  override toString(): string {
    return `RpcError: ${statusName(this.code)}: ${this.message}`;
  }
}

/**
 * True if `err` is an {@link RpcError}, optionally with the given code. Works across copies of
 * the runtime (checks the shape, not only `instanceof`).
 *
 * @example
 * ```ts
 * if (isRpcError(e, Status.UNAVAILABLE)) scheduleRetry();
 * ```
 */
export function isRpcError(err: unknown, code?: Status): err is RpcError {
  if (err instanceof RpcError) return code === undefined || err.code === code;
  const e = err as { name?: unknown; code?: unknown } | null;
  return (
    typeof e === "object" && e !== null && e.name === "RpcError" && typeof e.code === "number" && (code === undefined || e.code === code)
  );
}
