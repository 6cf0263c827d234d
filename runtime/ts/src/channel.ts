/**
 * The RPC client: one ZeroMQ DEALER socket that multiplexes any number of concurrent calls.
 *
 * ```
 * caller ──unary()──▶ outgoing queue ──writer loop──▶ DEALER ══ZMTP══▶ server ROUTER
 *   ▲                 (all queued packets                │
 *   │                  go out as ONE message)            │
 *   └── resolve/reject ◀── calls: CallTable (by id) ◀── reader loop ◀─┘
 * ```
 *
 * zeromq.js allows one pending `send()` and one pending `receive()` per socket, so there is
 * exactly one writer loop and one reader loop. Whenever the writer can send, it takes every
 * packet queued since its last send and sends them as one multipart message: under load, calls
 * batch up by themselves (PZMQ/1 section 3), which is where the throughput comes from.
 *
 * Liveness (PZMQ/1 8 and 9): ZMQ_IMMEDIATE keeps libzmq from queueing requests for a server that
 * is not connected; ZMTP heartbeats and the socket's `disconnect` event fail every open call with
 * UNAVAILABLE. Calls are never resent: whether the server ran them is unknown.
 *
 * Files: channel.ts (this public API), channel-core.ts (calls, reader loop), channel-writer.ts
 * (the writer), call-table.ts (open calls by id).
 */
import { toMetadata } from "./metadata.js";
import { CallOptions, Codec, MethodDescriptor } from "./call-options.js";
import { ChannelCore, ClientCall, OnewaySend, PUMP_HIGH_WATER } from "./channel-core.js";
import { encodeToSend, tooLarge } from "./util.js";
import { RpcError } from "./errors.js";
import { EMPTY_FRAME, Flag, Kind, ProtocolError } from "./protocol.js";
import { encodeRequest, encodeSimple, inlineFlags, methodBytes } from "./packet-encode.js";
import { Status } from "./status.js";
import { MessageStream } from "./stream.js";

// The error class tested on every call, read once: under tsx (esbuild's CommonJS) each use of an
// imported name is a getter call through a megamorphic `module[key]` load (~30 ns).
const RpcErrorClass = RpcError;

// `unary()` makes its promise with this module-level executor, which hands the resolving functions
// over through two slots, rather than with a closure: a closure and its context per call are
// garbage, and in one thread garbage sets how often the collector pauses (docs/BENCHMARKS.md).
let capturedResolve: (value: unknown) => void = () => undefined;
let capturedReject: (reason: unknown) => void = () => undefined;
function captureResolvers(resolve: (value: unknown) => void, reject: (reason: unknown) => void): void {
  capturedResolve = resolve;
  capturedReject = reject;
}

// The flags of a unary or server-streaming REQUEST, as a module constant (no import read per call).
const SINGLE_REQUEST_FLAGS = Flag.HAS_MESSAGE | Flag.END;

/**
 * Options of a {@link Channel}. Socket options carry their libzmq name first, as in zeromq.js.
 *
 * @example
 * ```ts
 * const channel = new Channel("ipc:///tmp/analysis.sock", {
 *   defaultTimeoutMs: 500,
 *   heartbeatIvlMs: 200, heartbeatTimeoutMs: 600, // notice a dead server within ~0.6 s
 * });
 * ```
 */
export interface ChannelOptions {
  /**
   * Largest serialized message sent or accepted, inline or in a payload frame of its own (headers
   * and metadata not counted); larger fails RESOURCE_EXHAUSTED. Default 4 MiB.
   */
  maxMessageBytes?: number;
  /** ZMQ_HEARTBEAT_IVL: interval between ZMTP PINGs, ms. 0 disables heartbeats. Default 1000. */
  heartbeatIvlMs?: number;
  /** ZMQ_HEARTBEAT_TIMEOUT: the connection drops after this long without traffic from the server, ms. Default 3000. */
  heartbeatTimeoutMs?: number;
  /** ZMQ_HEARTBEAT_TTL: the server drops us after this long without traffic from us, ms (rounded to 100 ms). Default 3000. */
  heartbeatTtlMs?: number;
  /** Timeout of calls that set no `timeoutMs`. Default: none. */
  defaultTimeoutMs?: number;
  /**
   * ZMQ_SNDTIMEO: how long a batch may wait for a connected server (ZMQ_IMMEDIATE) or for room
   * under the high-water mark before its calls fail with UNAVAILABLE, ms. Default 1000.
   */
  sendTimeoutMs?: number;
  /** ZMQ_SNDHWM: messages queued in libzmq towards the server. Default 1000 (each message may hold many packets). */
  sendHighWaterMark?: number;
  /** ZMQ_RCVHWM: messages queued in libzmq from the server. Default 1000. */
  receiveHighWaterMark?: number;
  /** Called for messages from the server that break PZMQ/1 (they are dropped or fail one call). Default: one `console.warn`. */
  onProtocolError?: (error: ProtocolError) => void;
}

/**
 * Options of {@link Channel.connect}: the channel's options plus how long to wait for the connection.
 *
 * @example
 * ```ts
 * const channel = await Channel.connect("tcp://10.0.0.5:5555", { connectTimeoutMs: 2000, defaultTimeoutMs: 500 });
 * ```
 */
export interface ConnectOptions extends ChannelOptions {
  /** How long `connect` waits for the ZMTP handshake before failing with UNAVAILABLE, ms. Default 5000. */
  connectTimeoutMs?: number;
}

/**
 * A client connection to one protozmq server: a ZeroMQ DEALER that carries every call to that
 * endpoint, concurrently. Generated `XClient` classes wrap one; it can also be used directly with
 * method descriptors. Create one per server and share it: a channel is cheap to call and costly to
 * create (a socket, a connection, two loops).
 *
 * Moving the server to another machine is a change of endpoint (`ipc://` to `tcp://`), nothing else.
 *
 * @example
 * ```ts
 * const channel = await Channel.connect("ipc:///tmp/analysis.sock", { defaultTimeoutMs: 1000 });
 * const reply = await channel.unary(Evaluate, { position: "..." }, { timeoutMs: 50 });
 * for await (const update of channel.serverStream(Watch, { unit: 7 })) console.log(update);
 * await channel.close();
 * ```
 */
export class Channel {
  private readonly core: ChannelCore;

  /**
   * Creates the DEALER and starts connecting in the background. Calls made before the connection
   * is up wait for it (bounded by `sendTimeoutMs`); use {@link Channel.connect} to wait first.
   */
  constructor(endpoint: string, options: ChannelOptions = {}) {
    this.core = new ChannelCore(endpoint, options);
  }

  /**
   * Creates a channel and waits until it is connected to the server (for `inproc://`, which
   * reports no connection events, it resolves at once). Rejects with UNAVAILABLE when a connect
   * attempt fails or `connectTimeoutMs` passes, closing the channel.
   *
   * @example
   * ```ts
   * const channel = await Channel.connect("tcp://10.0.0.5:5555", { connectTimeoutMs: 2000 });
   * ```
   */
  static async connect(endpoint: string, options: ConnectOptions = {}): Promise<Channel> {
    const channel = new Channel(endpoint, options);
    const ms = options.connectTimeoutMs ?? 5000;
    let timer: NodeJS.Timeout | undefined;
    const up = await Promise.race([
      channel.core.waitUp(),
      new Promise<boolean>((resolve) => (timer = setTimeout(resolve, ms, false))),
    ]);
    clearTimeout(timer);
    if (!up) {
      await channel.close();
      throw new RpcError(Status.UNAVAILABLE, `could not connect to ${endpoint} within ${ms} ms`);
    }
    return channel;
  }

  /** The endpoint this channel connects to. */
  get endpoint(): string {
    return this.core.endpoint;
  }

  /** Number of calls in progress. */
  get openCalls(): number {
    return this.core.calls.size;
  }

  /** Messages from the server dropped because they broke PZMQ/1 (section 10). */
  get droppedMessages(): number {
    return this.core.droppedMessages;
  }

  /**
   * Calls a unary method: one request, one response. Rejects with an {@link RpcError}.
   *
   * @example
   * ```ts
   * const reply = await channel.unary(Evaluate, { position: "e4" }, { timeoutMs: 50 });
   * ```
   */
  unary<I, O>(method: MethodDescriptor<I, O>, request: I, options?: CallOptions): Promise<O> {
    const promise = new Promise<unknown>(captureResolvers) as Promise<O>;
    const resolve = capturedResolve;
    const reject = capturedReject;
    try {
      const payload = this.prepare(method, request, options);
      if (payload instanceof RpcErrorClass) reject(payload);
      else {
        const call = this.core.start(method as MethodDescriptor<unknown, unknown>, SINGLE_REQUEST_FLAGS, payload, options);
        if (call instanceof RpcErrorClass) reject(call);
        else {
          call.resolve = resolve;
          call.reject = reject;
        }
      }
    } catch (err) {
      reject(err); // as an executor's exception would
    }
    return promise;
  }

  /**
   * Calls a server-streaming method: one request, a stream of responses. The call starts at once;
   * iterate the result to read responses (they are buffered until read). Breaking out of the loop
   * cancels the call. An error status is thrown by the iteration, after the messages before it.
   *
   * @example
   * ```ts
   * for await (const move of channel.serverStream(WatchUnit, { id: 7 }, { timeoutMs: 10_000 })) {
   *   render(move);
   * }
   * ```
   */
  serverStream<I, O>(method: MethodDescriptor<I, O>, request: I, options?: CallOptions): AsyncIterable<O> {
    const payload = this.prepare(method, request, options);
    if (payload instanceof RpcError) return failedStream<O>(payload);
    const call = this.core.start(method as MethodDescriptor<unknown, unknown>, SINGLE_REQUEST_FLAGS, payload, options);
    if (call instanceof RpcError) return failedStream<O>(call);
    return this.attachStream<O>(call);
  }

  /**
   * Calls a client-streaming method: a stream of requests (sync or async iterable), one response.
   * Requests are sent as the iterable yields them; the call half-closes when it ends. If the
   * iterable throws, the call is cancelled and the promise rejects with CANCELLED (the error as
   * `cause`).
   *
   * @example
   * ```ts
   * const summary = await channel.clientStream(Upload, chunks(), { timeoutMs: 5000 });
   * ```
   */
  clientStream<I, O>(method: MethodDescriptor<I, O>, requests: AsyncIterable<I> | Iterable<I>, options?: CallOptions): Promise<O> {
    return new Promise<O>((resolve, reject) => {
      const err = this.check(options);
      if (err !== undefined) return reject(err);
      const call = this.core.start(method as MethodDescriptor<unknown, unknown>, 0, EMPTY_FRAME, options);
      if (call instanceof RpcError) return reject(call);
      call.resolve = resolve as (v: unknown) => void;
      call.reject = reject;
      void this.pump(call, method, requests);
    });
  }

  /**
   * Calls a bidirectional-streaming method: requests are sent as the iterable yields them while
   * responses are read from the returned stream, independently.
   *
   * @example
   * ```ts
   * for await (const answer of channel.bidiStream(Chat, questions())) console.log(answer);
   * ```
   */
  bidiStream<I, O>(method: MethodDescriptor<I, O>, requests: AsyncIterable<I> | Iterable<I>, options?: CallOptions): AsyncIterable<O> {
    const err = this.check(options);
    if (err !== undefined) return failedStream<O>(err);
    const call = this.core.start(method as MethodDescriptor<unknown, unknown>, 0, EMPTY_FRAME, options);
    if (call instanceof RpcError) return failedStream<O>(call);
    const stream = this.attachStream<O>(call);
    void this.pump(call, method, requests);
    return stream;
  }

  /**
   * Sends a request to which the server sends nothing back (REQUEST with ONEWAY). Resolves once
   * the request has been handed to ZeroMQ; whether the server ran it is not reported. Deadlines
   * still travel (the handler sees them); `signal` only matters before the send.
   *
   * @example
   * ```ts
   * await channel.oneway(LogLine, { text: "started" });
   * ```
   */
  oneway<I, O>(method: MethodDescriptor<I, O>, request: I, options?: CallOptions): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      const payload = this.prepare(method, request, options);
      if (payload instanceof RpcError) return reject(payload);
      const timeoutMs = options?.timeoutMs ?? this.core.defaultTimeoutMs;
      const wire = timeoutMs === undefined ? 0 : Math.max(1, Math.ceil(timeoutMs));
      const flags = inlineFlags(Flag.HAS_MESSAGE | Flag.END | Flag.ONEWAY, payload);
      let header: Buffer;
      try {
        header = encodeRequest(this.core.nextId(), flags, wire, methodBytes(method.path), toMetadata(options?.metadata), payload);
      } catch (err) {
        return reject(new RpcError(Status.INTERNAL, `cannot encode the request header: ${(err as Error).message}`, { cause: err }));
      }
      this.core.writer.enqueue(header, payload, new OnewaySend(resolve, reject));
    });
  }

  /**
   * Fails every open call with CANCELLED (telling the server with CANCEL, best effort), then
   * closes the socket with a short linger (100 ms). Idempotent.
   *
   * @example
   * ```ts
   * process.on("SIGTERM", () => void channel.close());
   * ```
   */
  close(): Promise<void> {
    return this.core.close();
  }

  // ---- helpers

  private check(options: CallOptions | undefined): RpcError | undefined {
    if (options?.signal?.aborted === true) return new RpcError(Status.CANCELLED, "call cancelled by the client");
    return this.core.unavailable();
  }

  /** Encodes and checks a request: its payload, or the error the call fails with right away. */
  private prepare<I, O>(method: MethodDescriptor<I, O>, request: I, options: CallOptions | undefined): Uint8Array | RpcError {
    const err = this.check(options);
    if (err !== undefined) return err;
    let payload: Uint8Array;
    try {
      // Copied into the REQUEST's frame by start() or oneway() before anything else encodes.
      payload = encodeToSend(method.requestType as Codec<unknown>, request);
    } catch (e) {
      return new RpcError(Status.INTERNAL, `failed to encode the request: ${(e as Error).message}`, { cause: e });
    }
    if (payload.length > this.core.maxMessageBytes) return tooLarge("request", payload.length, this.core.maxMessageBytes);
    return payload;
  }

  private attachStream<O>(call: ClientCall): MessageStream<O> {
    // Leaving the for-await loop early cancels the call on the server too. Nothing can arrive
    // before this runs: responses are handled by the reader loop, on a later turn.
    const stream = new MessageStream<O>(() => this.core.fail(call, new RpcError(Status.CANCELLED, "stream closed by the client"), true));
    call.stream = stream as MessageStream<unknown>;
    return stream;
  }

  /** Sends a request stream as MESSAGE packets, then a half-close; stops when the call ends. */
  private async pump<I>(call: ClientCall, method: MethodDescriptor<I, unknown>, requests: AsyncIterable<I> | Iterable<I>): Promise<void> {
    const core = this.core;
    try {
      for await (const req of requests) {
        if (call.done) return;
        const payload = method.requestType.encode(req);
        if (payload.length > core.maxMessageBytes) {
          core.fail(call, tooLarge("request", payload.length, core.maxMessageBytes), true);
          return;
        }
        const flags = inlineFlags(Flag.HAS_MESSAGE, payload);
        core.writer.enqueue(encodeSimple(Kind.MESSAGE, flags, call.id, undefined, payload), payload, call);
        if (core.writer.queued > PUMP_HIGH_WATER) await core.writer.drained();
      }
      if (!call.done) core.writer.enqueue(encodeSimple(Kind.MESSAGE, Flag.END | Flag.INLINE, call.id), undefined, call);
    } catch (err) {
      core.fail(call, new RpcError(Status.CANCELLED, `request stream failed: ${(err as Error)?.message ?? String(err)}`, { cause: err }), true);
    }
  }
}

function failedStream<O>(error: RpcError): AsyncIterable<O> {
  const s = new MessageStream<O>();
  s.fail(error);
  return s;
}
