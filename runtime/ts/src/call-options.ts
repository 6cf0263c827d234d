/**
 * Per-call options of the client (`Channel`) and the method descriptor that generated code
 * passes to it: the seam between generated clients/servers and the transport.
 */
import type { PartialMessage } from "./codec/index.js";
import { Metadata, type MetadataInit } from "./metadata.js";

/**
 * Encodes and decodes one message type. Structural on purpose: generated `MessageType<T>` codecs
 * fit, and so does a hand-written `{ encode, decode }` in tests.
 *
 * @example
 * ```ts
 * const bytesCodec: Codec<Uint8Array> = { encode: (b) => b, decode: (b) => b };
 * ```
 */
export interface Codec<T> {
  encode(message: T): Uint8Array;
  /** Throws on bytes that are not a valid message (the server answers INVALID_ARGUMENT). */
  decode(bytes: Uint8Array): T;
}

/**
 * The four call shapes of gRPC.
 *
 * @example
 * ```ts
 * const streaming = (k: MethodKind) => k !== "unary";
 * ```
 */
export type MethodKind = "unary" | "server_streaming" | "client_streaming" | "bidi_streaming";

/**
 * Everything the runtime needs to know about one RPC method. Generated code emits one constant
 * per method; hand-written code can build one in a line.
 *
 * @example
 * ```ts
 * const Evaluate: MethodDescriptor<EvalRequest, EvalReply> = {
 *   path: "game.Analysis/Evaluate",
 *   kind: "unary",
 *   requestType: EvalRequest,
 *   responseType: EvalReply,
 * };
 * ```
 */
export interface MethodDescriptor<I, O> {
  /** `"<package>.<Service>/<Method>"`, the name sent in every REQUEST. */
  readonly path: string;
  readonly kind: MethodKind;
  readonly requestType: Codec<I>;
  readonly responseType: Codec<O>;
  /** Fire-and-forget: call it with `Channel.oneway`; the server never answers. Unary only. */
  readonly oneway?: boolean;
}

/**
 * Options of one call.
 *
 * @example
 * ```ts
 * const ac = new AbortController();
 * const reply = await channel.unary(Evaluate, req, {
 *   timeoutMs: 50,
 *   signal: ac.signal,
 *   metadata: { "x-request-id": "r-17" },
 *   onHeader: (h) => console.log("server", h.get("x-server")),
 *   onTrailer: (t) => console.log("cost", t.get("x-cost")),
 * });
 * ```
 */
export interface CallOptions {
  /**
   * Time budget of the call in milliseconds, from now. Sent as the remaining time (so clocks need
   * not agree); the client fails with DEADLINE_EXCEEDED when it runs out, and the server aborts the
   * handler's signal. Defaults to the channel's `defaultTimeoutMs` (none if unset).
   */
  timeoutMs?: number;
  /** Aborting it fails the call locally with CANCELLED and sends CANCEL to the server. */
  signal?: AbortSignal;
  /**
   * Request headers: a `Metadata`, or anything it is built from (`{ "x-trace": "1" }`, entry pairs).
   * Keys lower-case; `-bin` keys carry bytes.
   */
  metadata?: MetadataInit;
  /** Called once with the server's response headers (possibly empty), before the first message. */
  onHeader?: (headers: Metadata) => void;
  /** Called once with the trailers when the call ends with a status from the server (OK or not). */
  onTrailer?: (trailers: Metadata) => void;
}

/**
 * Completes each message of a request stream with `type.create()`, so a stream of partial messages
 * can be sent: missing fields get their defaults. Generated clients pass client- and bidi-streaming
 * requests through it. Stopping the returned stream (the call ended) stops reading `partials`.
 *
 * @example
 * ```ts
 * await channel.clientStream(Upload, createEach(Chunk, [{ data }, { data, last: true }]));
 * ```
 */
export async function* createEach<T>(
  type: { create(partial?: PartialMessage<T>): T },
  partials: AsyncIterable<PartialMessage<T>> | Iterable<PartialMessage<T>>,
): AsyncGenerator<T, void, undefined> {
  for await (const p of partials) yield type.create(p);
}
