/**
 * The RPC server: one ZeroMQ ROUTER socket, bound to any number of endpoints, serving every
 * client's calls concurrently.
 *
 * ```
 * client DEALERs ══ZMTP══▶ ROUTER ── reader loop ──▶ peers: Map<routing id, Peer>
 *                                                      └─ calls: Map<callId, ServerCall> ──▶ handler(req, ctx)
 * client DEALERs ◀══ZMTP══ ROUTER ◀── writer loop ◀── per-peer queue (all packets for a peer go out as one message)
 * ```
 *
 * As on the client, one reader loop and one writer loop own the socket (zeromq.js allows one
 * pending send and one pending receive). Responses queued while a send is in flight are batched
 * per client into one multipart message.
 *
 * ZMQ_ROUTER_MANDATORY makes a send to a vanished client fail (EHOSTUNREACH) instead of being
 * dropped silently: that is how the server learns a client is gone and aborts its handlers. When
 * the socket reports a `disconnect`, the server probes its known clients with a no-op packet
 * (MESSAGE, call id 0, no message; clients ignore packets for call ids they do not have, PZMQ/1
 * 10) so the handlers of a client that disappeared are aborted promptly.
 *
 * Files: server.ts (this public API), server-core.ts (reader loop, dispatch, handlers, shutdown),
 * server-writer.ts (per-client batching writer), server-call.ts (per-client and per-call state).
 */
import { MethodDescriptor, MethodKind } from "./call-options.js";
import { Metadata, MetadataInit } from "./metadata.js";
import { ProtocolError } from "./protocol.js";
import { ServerCore } from "./server-core.js";

/**
 * What a handler knows about its call, and how it shapes the response's headers and trailers.
 *
 * @example
 * ```ts
 * server.addMethod(Evaluate, async (req, ctx) => {
 *   console.log(ctx.method, ctx.peer, ctx.metadata.get("x-request-id"), ctx.timeRemaining());
 *   ctx.setHeader({ "x-server": "node-1" });
 *   const result = await engine.evaluate(req, { signal: ctx.signal }); // stops on cancel/deadline
 *   ctx.setTrailer({ "x-nodes": String(result.nodes) });
 *   return result.reply;
 * });
 * ```
 */
export interface ServerCallContext {
  /** `"pkg.Service/Method"`. */
  readonly method: string;
  /** The call's deadline as epoch milliseconds (`Date.now()` scale), or undefined if none. */
  readonly deadline: number | undefined;
  /** Milliseconds left before the deadline (never negative), or undefined if none. */
  timeRemaining(): number | undefined;
  /**
   * Aborted when the client cancels, the deadline passes, the client disconnects, or the server
   * shuts down before the handler finished. `signal.reason` is an {@link RpcError} saying which.
   */
  readonly signal: AbortSignal;
  /** The request headers. */
  readonly metadata: Metadata;
  /** Adds response headers. They go out with the first response packet; later calls throw. */
  setHeader(headers: MetadataInit): void;
  /** Adds trailers, sent with the final status. */
  setTrailer(trailers: MetadataInit): void;
  /** The client's ZeroMQ routing id in hex: stable for one connection, useful in logs. */
  readonly peer: string;
}

/**
 * Handler of a unary method. Return (or resolve) the response; throw an {@link RpcError} to fail.
 *
 * @example
 * ```ts
 * const getUnit: UnaryHandler<GetUnitRequest, Unit> = async (req, ctx) => db.unit(req.id, ctx.signal);
 * ```
 */
export type UnaryHandler<I, O> = (request: I, ctx: ServerCallContext) => Promise<O> | O;
/**
 * Handler of a server-streaming method: an async generator yielding the responses. When the call
 * is cancelled the runtime stops pulling (the generator's `finally` runs at its next `yield`);
 * watch `ctx.signal` to stop an `await` in between.
 *
 * @example
 * ```ts
 * const watch: ServerStreamingHandler<WatchRequest, Move> = async function* (req, ctx) {
 *   for await (const move of game.moves(req.unit, ctx.signal)) yield move;
 * };
 * ```
 */
export type ServerStreamingHandler<I, O> = (request: I, ctx: ServerCallContext) => AsyncIterable<O>;
/**
 * Handler of a client-streaming method: reads the requests, returns the response.
 *
 * @example
 * ```ts
 * const upload: ClientStreamingHandler<Chunk, Summary> = async (chunks) => {
 *   let size = 0;
 *   for await (const c of chunks) size += c.data.length;
 *   return { size };
 * };
 * ```
 */
export type ClientStreamingHandler<I, O> = (requests: AsyncIterable<I>, ctx: ServerCallContext) => Promise<O> | O;
/**
 * Handler of a bidi-streaming method: reads requests and yields responses.
 *
 * @example
 * ```ts
 * const chat: BidiStreamingHandler<Question, Answer> = async function* (questions) {
 *   for await (const q of questions) yield { text: answer(q.text) };
 * };
 * ```
 */
export type BidiStreamingHandler<I, O> = (requests: AsyncIterable<I>, ctx: ServerCallContext) => AsyncIterable<O>;
/**
 * Any handler shape.
 *
 * @example
 * ```ts
 * const handlers: Record<string, Handler<unknown, unknown>> = {};
 * ```
 */
export type Handler<I, O> =
  | UnaryHandler<I, O>
  | ServerStreamingHandler<I, O>
  | ClientStreamingHandler<I, O>
  | BidiStreamingHandler<I, O>;

/**
 * The handler type that fits a method kind: what generated `registerX` functions type each
 * implementation method with.
 *
 * @example
 * ```ts
 * type EvaluateHandler = HandlerFor<"unary", EvalRequest, EvalReply>; // UnaryHandler<EvalRequest, EvalReply>
 * ```
 */
export type HandlerFor<K extends MethodKind, I, O> = K extends "unary"
  ? UnaryHandler<I, O>
  : K extends "server_streaming"
    ? ServerStreamingHandler<I, O>
    : K extends "client_streaming"
      ? ClientStreamingHandler<I, O>
      : BidiStreamingHandler<I, O>;

/**
 * Options of a {@link Server}. Socket options carry their libzmq name first, as in zeromq.js.
 *
 * @example
 * ```ts
 * const server = new Server({ maxMessageBytes: 16 << 20, heartbeatIvlMs: 500, heartbeatTimeoutMs: 1500 });
 * ```
 */
export interface ServerOptions {
  /**
   * Largest serialized message accepted or sent, inline or in a payload frame of its own (headers
   * and metadata not counted); larger fails the call with RESOURCE_EXHAUSTED. Default 4 MiB.
   */
  maxMessageBytes?: number;
  /** ZMQ_HEARTBEAT_IVL: interval between ZMTP PINGs to each client, ms. 0 disables. Default 1000. */
  heartbeatIvlMs?: number;
  /** ZMQ_HEARTBEAT_TIMEOUT: a client silent this long is disconnected, ms. Default 3000. */
  heartbeatTimeoutMs?: number;
  /** ZMQ_HEARTBEAT_TTL: clients drop us after this long without traffic from us, ms. Default 3000. */
  heartbeatTtlMs?: number;
  /**
   * How long responses to one client may stay blocked (its high-water mark reached, or its
   * connection closing) before the client counts as gone and its calls are aborted, ms. Default
   * 3000. The socket's own ZMQ_SNDTIMEO is 0: one slow client never delays the others.
   */
  sendTimeoutMs?: number;
  /** ZMQ_SNDHWM: messages queued in libzmq per client. Default 1000. */
  sendHighWaterMark?: number;
  /** ZMQ_RCVHWM: messages queued in libzmq per client. Default 1000. */
  receiveHighWaterMark?: number;
  /** Called for messages that break PZMQ/1. Default: one `console.warn` per client. */
  onProtocolError?: (error: ProtocolError, peer: string) => void;
  /** Called when a oneway handler throws (nobody else would see it). Default: `console.error`. */
  onOnewayError?: (error: unknown, method: string) => void;
}

/**
 * Options of {@link Server.close}.
 *
 * @example
 * ```ts
 * await server.close({ drainTimeoutMs: 2000 });
 * ```
 */
export interface ServerCloseOptions {
  /** How long running handlers may take to finish before they are aborted, ms. Default 5000. */
  drainTimeoutMs?: number;
}

/**
 * A protozmq RPC server: a ZeroMQ ROUTER serving registered methods. Generated `registerX(server,
 * impl)` functions call {@link Server.addMethod} once per method.
 *
 * Errors never stop the server: a handler that throws fails only its call (UNKNOWN, or the
 * {@link RpcError}'s own code), malformed input is answered or dropped per PZMQ/1 section 10.
 *
 * @example
 * ```ts
 * const server = new Server();
 * server.addMethod(Evaluate, async (req, ctx) => ({ score: await engine.score(req, ctx.signal) }));
 * await server.bind("ipc:///tmp/analysis.sock");
 * await server.bind("tcp://0.0.0.0:5555"); // same server, also reachable from other machines
 * process.on("SIGTERM", () => void server.close({ drainTimeoutMs: 2000 }));
 * ```
 */
export class Server {
  private readonly core: ServerCore;

  constructor(options: ServerOptions = {}) {
    this.core = new ServerCore(options);
  }

  /** The endpoints bound so far, resolved (`tcp://127.0.0.1:0` becomes the real port). */
  get endpoints(): readonly string[] {
    return this.core.endpoints;
  }

  /** Handlers currently running. */
  get runningHandlers(): number {
    return this.core.running;
  }

  /** Messages dropped because they broke PZMQ/1 framing (section 10). */
  get droppedMessages(): number {
    return this.core.droppedMessages;
  }

  /**
   * Registers the handler of one method; the handler's shape follows the method's `kind`.
   * Replaces an earlier registration of the same path. Returns `this` for chaining.
   *
   * @example
   * ```ts
   * server
   *   .addMethod(GetUnit, (req) => units.get(req.id)!)
   *   .addMethod(WatchUnits, async function* (req, ctx) { while (!ctx.signal.aborted) yield await nextMove(); });
   * ```
   */
  addMethod<I, O, K extends MethodKind>(method: MethodDescriptor<I, O> & { readonly kind: K }, handler: HandlerFor<K, I, O>): this {
    const kinds: readonly string[] = ["unary", "server_streaming", "client_streaming", "bidi_streaming"];
    if (!kinds.includes(method.kind)) throw new TypeError(`unknown method kind ${String(method.kind)}`);
    if (typeof handler !== "function") throw new TypeError(`handler of ${method.path} is not a function`);
    this.core.methods.set(method.path, {
      descriptor: method as unknown as MethodDescriptor<unknown, unknown>,
      handler: handler as Handler<unknown, unknown>,
    });
    return this;
  }

  /** Removes a method; later requests for it fail UNIMPLEMENTED. */
  removeMethod(path: string): boolean {
    return this.core.methods.delete(path);
  }

  /**
   * Binds the ROUTER to an endpoint (`ipc://`, `tcp://`, `inproc://`); call it several times to
   * serve several. `tcp://host:0` picks a free port: read it from {@link Server.endpoints}.
   *
   * @example
   * ```ts
   * await server.bind("tcp://127.0.0.1:0");
   * console.log(server.endpoints[0]); // "tcp://127.0.0.1:41237"
   * ```
   */
  async bind(endpoint: string): Promise<void> {
    await this.core.socket.bind(endpoint);
    this.core.endpoints.push(this.core.socket.lastEndpoint ?? endpoint);
    if (endpoint.startsWith("inproc://")) this.core.afterInprocBind();
  }

  /**
   * Graceful shutdown: refuses new calls (UNAVAILABLE), waits up to `drainTimeoutMs` for running
   * handlers, aborts the rest (their callers get UNAVAILABLE), flushes, and closes. The final
   * ZMQ_LINGER is 100 ms rather than 0, so the last responses already handed to libzmq reach the
   * wire; nothing waits for it, and a process exiting afterwards waits at most that long.
   *
   * @example
   * ```ts
   * await server.close({ drainTimeoutMs: 1000 });
   * ```
   */
  close(options: ServerCloseOptions = {}): Promise<void> {
    return this.core.close(options.drainTimeoutMs ?? 5000);
  }
}
