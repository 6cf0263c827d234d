/**
 * The client's internals: the call table and the reader loop of one DEALER socket, with its
 * writer (channel-writer.ts). {@link Channel} (channel.ts) is the public face; nothing here is
 * exported from the package.
 */
import * as zmq from "zeromq";
import type { ChannelOptions } from "./channel.js";
import { CallOptions, Codec, MethodDescriptor } from "./call-options.js";
import { DeadlineList, DeadlineQueue, Timed } from "./deadlines.js";
import { RpcError } from "./errors.js";
import { Metadata } from "./metadata.js";
import * as metadata from "./metadata.js";
import {
  DEFAULT_HEARTBEAT_IVL_MS,
  DEFAULT_HEARTBEAT_TIMEOUT_MS,
  DEFAULT_HEARTBEAT_TTL_MS,
  DEFAULT_MAX_MESSAGE_BYTES,
  Flag,
  Kind,
  MAX_TIMER_MS,
  PacketHeader,
  ProtocolError,
} from "./protocol.js";
import * as protocol from "./protocol.js";
import * as packetEncode from "./packet-encode.js";
import * as packetDecode from "./packet-decode.js";
import { CallTable } from "./call-table.js";
import { ChannelWriter, QueueOwner } from "./channel-writer.js";
import { Status, statusFromCode } from "./status.js";
import { MessageStream } from "./stream.js";
import { decodeAt, tooLarge } from "./util.js";

// Hot-path protocol numbers as module constants: an imported `Flag.END` is a read through the
// importing module's binding of protocol.ts (a getter call once transpiled to CommonJS) per use.
const K_MESSAGE = Kind.MESSAGE;
const K_TRAILERS = Kind.TRAILERS;
const F_HAS_MESSAGE = Flag.HAS_MESSAGE;
const F_INLINE = Flag.INLINE;
const OK = Status.OK;
// Likewise the functions of the per-call path, read once: under tsx (esbuild's CommonJS) each use
// of an imported name is a getter call through a megamorphic `module[key]` load.
const { checkFraming, MAX_U32 } = protocol;
const { encodeRequest, encodeSimple, inlineFlags, methodBytes } = packetEncode;
const { decodeHeaderInto } = packetDecode;
const RpcErrorClass = RpcError;
const { toMetadata } = metadata;

// Connection state as seen through the socket's monitor events. inproc sockets produce no events
// and stay CONNECTING (sends simply wait, bounded by ZMQ_SNDTIMEO).
const CONNECTING = 0;
const UP = 1;
const DOWN = 2;
const CLOSED = 3;

// Packets queued beyond this make stream pumps wait for the writer (back-pressure).
export const PUMP_HIGH_WATER = 1024;

export class ClientCall implements QueueOwner, Timed {
  done = false;
  headersSeen = false;
  /** The call's budget in ms, when its deadline is timed (for the DEADLINE_EXCEEDED message). */
  timeoutMs = 0;
  deadlineAt = 0;
  deadlinePrev: Timed | null = null;
  deadlineNext: Timed | null = null;
  deadlineList: DeadlineList | null = null;
  signal: AbortSignal | undefined = undefined;
  resolve: ((value: unknown) => void) | undefined = undefined;
  reject: ((error: unknown) => void) | undefined = undefined;
  stream: MessageStream<unknown> | undefined = undefined;

  constructor(
    readonly core: ChannelCore,
    readonly id: number,
    readonly responseType: Codec<unknown>,
    readonly options: CallOptions | undefined,
  ) {}

  /** AbortSignal listener (an object, so no closure per call). */
  handleEvent(): void {
    this.core.fail(this, new RpcError(Status.CANCELLED, "call cancelled by the client"), true);
  }

  sendFailed(error: RpcError): void {
    this.core.fail(this, error, false);
  }

  /**
   * The deadline passed (DeadlineQueue). No CANCEL is sent: the REQUEST carried the budget, so the
   * server's own timer aborts the handler as DEADLINE_EXCEEDED (a CANCEL racing it would turn that
   * into CANCELLED).
   */
  onDeadline(): void {
    this.core.fail(this, new RpcError(Status.DEADLINE_EXCEEDED, `deadline of ${this.timeoutMs} ms exceeded`), false);
  }
}

export class OnewaySend implements QueueOwner {
  done = false;
  constructor(
    readonly resolve: () => void,
    readonly reject: (e: unknown) => void,
  ) {}
  sent(): void {
    this.done = true;
    this.resolve();
  }
  sendFailed(error: RpcError): void {
    this.done = true;
    this.reject(error);
  }
}

/** Internal state and loops of a channel; {@link Channel} is its public face. */
export class ChannelCore {
  readonly socket: zmq.Dealer;
  /** Sends the queued packets, batching those of one tick. */
  readonly writer: ChannelWriter;
  /** The open calls, by id. */
  readonly calls = new CallTable<ClientCall>();
  /** Deadlines of the open calls, on one timer. */
  readonly deadlines = new DeadlineQueue();
  readonly maxMessageBytes: number;
  readonly defaultTimeoutMs: number | undefined;
  readonly sendTimeoutMs: number;
  readonly onProtocolError: (error: ProtocolError) => void;
  state = CONNECTING;
  private lastId = 0;
  private idsWrapped = false;
  /** Every received packet is decoded into this one header, read before the next is decoded. */
  private readonly header = new PacketHeader(0, 0, 0);
  /** A receive is pending or being handled (see {@link ensureReading}). */
  private reading = false;
  private upWaiters: Array<(up: boolean) => void> = [];
  private warned = false;
  /** Messages from the server dropped as malformed (PZMQ/1 10). */
  droppedMessages = 0;

  constructor(
    readonly endpoint: string,
    options: ChannelOptions,
  ) {
    this.maxMessageBytes = options.maxMessageBytes ?? DEFAULT_MAX_MESSAGE_BYTES;
    this.defaultTimeoutMs = options.defaultTimeoutMs;
    this.sendTimeoutMs = options.sendTimeoutMs ?? 1000;
    this.onProtocolError =
      options.onProtocolError ??
      ((e) => {
        if (this.warned) return;
        this.warned = true; // log once per peer: a channel has one server
        console.warn(`protozmq: malformed message from ${endpoint}: ${e.reason}: ${e.message}`);
      });
    this.socket = new zmq.Dealer({
      immediate: true,
      linger: 0,
      sendTimeout: 0,
      heartbeatInterval: options.heartbeatIvlMs ?? DEFAULT_HEARTBEAT_IVL_MS,
      heartbeatTimeout: options.heartbeatTimeoutMs ?? DEFAULT_HEARTBEAT_TIMEOUT_MS,
      heartbeatTimeToLive: options.heartbeatTtlMs ?? DEFAULT_HEARTBEAT_TTL_MS,
      ...(options.sendHighWaterMark !== undefined ? { sendHighWaterMark: options.sendHighWaterMark } : {}),
      ...(options.receiveHighWaterMark !== undefined ? { receiveHighWaterMark: options.receiveHighWaterMark } : {}),
    });
    this.writer = new ChannelWriter(this.socket, this.sendTimeoutMs, () => this.ensureReading(), (err) =>
      (err as { code?: string }).code === "EAGAIN"
        ? new RpcError(Status.UNAVAILABLE, `no server reachable at ${endpoint} within ${this.sendTimeoutMs} ms`)
        : new RpcError(Status.UNAVAILABLE, `send to ${endpoint} failed: ${(err as Error).message}`),
    );
    if (!endpoint.startsWith("inproc://")) void this.watchEvents();
    this.socket.connect(endpoint);
  }

  /**
   * Reads the socket's monitor events. Read with `receive()` rather than `events.on()`: the
   * emitter mode of zeromq.js keeps a `require` from the first module registry that loaded it,
   * which breaks under test runners that reload modules (jest).
   */
  private async watchEvents(): Promise<void> {
    const events = this.socket.events;
    for (;;) {
      let type: string;
      try {
        type = (await events.receive()).type;
      } catch {
        return; // socket closed
      }
      if (type === "handshake" || type === "connect") this.setState(UP);
      else if (type === "connect:retry") this.setState(DOWN);
      else if (type === "disconnect") {
        this.setState(DOWN);
        this.failAfterReading(this.calls.values(), `connection to ${this.endpoint} lost`);
      }
    }
  }

  private setState(s: number): void {
    if (this.state === CLOSED) return;
    this.state = s;
    if (s !== CONNECTING) for (const w of this.upWaiters.splice(0)) w(s === UP);
  }

  /** Resolves true once connected (immediately for inproc), false when a connect attempt failed or on close. */
  waitUp(): Promise<boolean> {
    if (this.endpoint.startsWith("inproc://") || this.state === UP) return Promise.resolve(true);
    if (this.state === CLOSED) return Promise.resolve(false);
    return new Promise((resolve) => this.upWaiters.push(resolve));
  }

  /** An error for a call that cannot start now, or undefined. */
  unavailable(): RpcError | undefined {
    if (this.state === DOWN) return new RpcError(Status.UNAVAILABLE, `not connected to ${this.endpoint}`);
    if (this.state === CLOSED) return new RpcError(Status.CANCELLED, "channel closed");
    return undefined;
  }

  nextId(): number {
    let id = this.lastId;
    // Until the ids wrap, every id handed out is new: no need to look it up.
    if (!this.idsWrapped) {
      if (id < MAX_U32) return (this.lastId = id + 1);
      this.idsWrapped = true;
    }
    // Call id 0 is never used: servers may use it for a no-op liveness probe.
    do id = id >= MAX_U32 ? 1 : id + 1;
    while (this.calls.has(id));
    return (this.lastId = id);
  }

  /**
   * Opens a call: encodes its REQUEST, registers it, arms its deadline and abort listener, queues
   * the REQUEST. Returns the error instead when the header cannot be encoded (a method name or
   * metadata over the wire limits).
   */
  start(
    method: MethodDescriptor<unknown, unknown>,
    flags: number,
    payload: Uint8Array,
    options: CallOptions | undefined,
  ): ClientCall | RpcError {
    const id = this.nextId();
    const timeoutMs = options?.timeoutMs ?? this.defaultTimeoutMs;
    // A budget under 1 ms still goes out as 1 ms: 0 means "no deadline" on the wire.
    const wireTimeout = timeoutMs === undefined ? 0 : Math.max(1, Math.ceil(timeoutMs));
    // Without a message (streams opened by the client) or with a small one, the REQUEST is one frame.
    flags = inlineFlags(flags, flags & F_HAS_MESSAGE ? payload : undefined);
    let header: Buffer;
    try {
      header = encodeRequest(id, flags, wireTimeout, methodBytes(method.path), toMetadata(options?.metadata), payload);
    } catch (err) {
      return new RpcError(Status.INTERNAL, `cannot encode the request header: ${(err as Error).message}`, { cause: err });
    }
    const call = new ClientCall(this, id, method.responseType, options);
    this.calls.add(call);
    // Past MAX_TIMER_MS (~24.8 days) a Node timer would fire at once: such a budget is sent, not timed.
    if (timeoutMs !== undefined && timeoutMs <= MAX_TIMER_MS) {
      call.timeoutMs = timeoutMs;
      this.deadlines.add(call, timeoutMs);
    }
    const signal = options?.signal;
    if (signal !== undefined) {
      call.signal = signal;
      signal.addEventListener("abort", call, { once: true });
    }
    this.writer.enqueue(header, payload, call);
    return call;
  }

  /** Ends a call locally with an error (idempotent). `sendCancel` tells the server to stop too. */
  fail(call: ClientCall, error: RpcError, sendCancel: boolean): void {
    if (call.done) return;
    this.finish(call);
    if (sendCancel && this.state !== CLOSED) this.writer.enqueue(encodeSimple(Kind.CANCEL, F_INLINE, call.id), undefined, null);
    if (call.stream !== undefined) call.stream.fail(error);
    else call.reject!(error);
  }

  private finish(call: ClientCall): void {
    call.done = true;
    this.calls.delete(call.id);
    if (call.deadlineList !== null) this.deadlines.remove(call);
    if (call.signal !== undefined) call.signal.removeEventListener("abort", call);
  }

  /**
   * Fails `calls` with UNAVAILABLE once the messages the server sent before the connection dropped
   * have been read. The monitor event and the data travel separately, so the event can come
   * first: a server's last TRAILERS (a graceful close) must still win over the disconnect.
   */
  private failAfterReading(calls: ClientCall[], message: string): void {
    let rounds = 0;
    this.ensureReading();
    const check = (): void => {
      if (this.state === CLOSED) return;
      // ZMQ_EVENTS: still readable means the reader loop has messages to go; look again after it.
      if (this.socket.readable && ++rounds < 1000) return void setImmediate(check);
      for (const call of calls) this.fail(call, new RpcError(Status.UNAVAILABLE, message), false);
    };
    setImmediate(check);
  }

  failAll(code: Status, message: string): void {
    for (const call of this.calls.values()) this.fail(call, new RpcError(code, message), false);
  }

  // ---- reader

  /**
   * Starts the reader unless it runs: the writer calls this after each send. The reader stops
   * whenever no call is open, so the next send finds no receive pending: zeromq.js then skips the
   * ZMQ_EVENTS check (a poll() system call in libzmq) it makes after a send while a receive waits,
   * and a sequential caller's round trip costs the same socket calls as a raw DEALER's.
   * Nothing is lost meanwhile: what the server sends waits in libzmq's queue (only packets for
   * calls that are over, which are ignored anyway).
   */
  ensureReading(): void {
    if (this.reading || this.state === CLOSED) return;
    this.reading = true;
    this.receive();
  }

  // The reader is a chain of promise reactions bound once (like the writer), not an `async` loop:
  // it restarts with nearly every call, and an `async` function costs its own promise and a resume
  // closure pair per `await`.
  private receive(): void {
    let next: Promise<Buffer[]>;
    try {
      next = this.socket.receive();
    } catch {
      this.reading = false; // closed
      return;
    }
    next.then(this.onReceived, this.onReceiveFailed);
  }

  private readonly onReceived = (frames: Buffer[]): void => {
    try {
      this.onMessage(frames);
    } catch (err) {
      // User callbacks (onHeader/onTrailer) run here; their errors must not stop the reader.
      console.error("protozmq: error while handling a response:", err);
    }
    if (this.calls.size === 0) this.reading = false;
    else this.receive();
  };

  private readonly onReceiveFailed = (): void => {
    this.reading = false; // closed
  };

  private onMessage(frames: Buffer[]): void {
    const bad = checkFraming(frames, 0);
    if (bad !== undefined) {
      this.droppedMessages++;
      this.onProtocolError(new ProtocolError(bad, `message of ${frames.length} frames dropped`));
      return;
    }
    for (let i = 0; i < frames.length; ) {
      // An inline packet is one frame, its message after the body; any other takes the next frame.
      const hf = frames[i]!;
      const pf = hf[2]! & F_INLINE ? undefined : frames[i + 1]!;
      i += pf === undefined ? 1 : 2;
      let h: PacketHeader;
      try {
        h = decodeHeaderInto(hf, this.header);
      } catch (err) {
        const pe = err as ProtocolError;
        this.onProtocolError(pe);
        const call = pe.callId === undefined ? undefined : this.calls.get(pe.callId);
        if (call !== undefined) this.fail(call, new RpcError(Status.INTERNAL, `malformed packet from the server: ${pe.message}`), true);
        continue;
      }
      const call = this.calls.get(h.callId);
      if (call === undefined) continue; // the call may have just ended: ignore (PZMQ/1 10)
      // The message: the payload frame, or an inline packet's frame from the body's end (decoded
      // in place, without a view of it).
      const bytes = pf ?? hf;
      const at = pf === undefined ? h.bodyEnd : 0;
      if (h.kind === K_TRAILERS) this.onTrailers(call, h, bytes, at);
      else if (h.kind === K_MESSAGE) this.onStreamMessage(call, h, bytes, at);
      else {
        const pe = new ProtocolError("UNKNOWN_KIND", `unexpected packet kind ${h.kind} from the server`, h.callId);
        this.onProtocolError(pe);
        this.fail(call, new RpcError(Status.INTERNAL, `malformed packet from the server: ${pe.message}`), true);
      }
    }
  }

  /** Decodes a response (`bytes` from `at`), or returns the RpcError to fail the call with. */
  private decodeResponse(call: ClientCall, bytes: Buffer, at: number): unknown {
    const size = bytes.length - at;
    if (size > this.maxMessageBytes) return tooLarge("response", size, this.maxMessageBytes);
    try {
      return decodeAt(call.responseType, bytes, at);
    } catch (err) {
      return new RpcError(Status.INTERNAL, `failed to decode the response: ${(err as Error).message}`, { cause: err });
    }
  }

  private headers(call: ClientCall, h: PacketHeader): void {
    if (call.headersSeen) return;
    call.headersSeen = true;
    const cb = call.options?.onHeader;
    if (cb !== undefined) cb(h.headers ?? new Metadata());
  }

  private onStreamMessage(call: ClientCall, h: PacketHeader, bytes: Buffer, at: number): void {
    if (h.flags & Flag.HEADERS || h.flags & Flag.HAS_MESSAGE) this.headers(call, h);
    if ((h.flags & Flag.HAS_MESSAGE) === 0) return;
    if (call.stream === undefined) {
      this.fail(call, new RpcError(Status.INTERNAL, "stream message on a call with a single response"), true);
      return;
    }
    const v = this.decodeResponse(call, bytes, at);
    if (v instanceof RpcErrorClass) this.fail(call, v, true);
    else call.stream.push(v);
  }

  private onTrailers(call: ClientCall, h: PacketHeader, bytes: Buffer, at: number): void {
    this.finish(call);
    this.headers(call, h);
    const onTrailer = call.options?.onTrailer;
    if (onTrailer !== undefined) onTrailer(h.metadata ?? new Metadata());
    const stream = call.stream;
    if (h.status !== OK) {
      const md = h.metadata ?? new Metadata();
      const e = new RpcError(statusFromCode(h.status), h.statusMessage, { details: h.details, metadata: md });
      if (stream !== undefined) stream.fail(e);
      else call.reject!(e);
      return;
    }
    const hasMessage = (h.flags & F_HAS_MESSAGE) !== 0;
    if (stream !== undefined) {
      if (hasMessage) {
        const v = this.decodeResponse(call, bytes, at);
        if (v instanceof RpcErrorClass) return stream.fail(v);
        stream.push(v);
      }
      stream.end();
      return;
    }
    if (!hasMessage) return call.reject!(new RpcError(Status.INTERNAL, "the server ended the call with OK but no response"));
    const v = this.decodeResponse(call, bytes, at);
    if (v instanceof RpcErrorClass) call.reject!(v);
    else call.resolve!(v);
  }

  async close(): Promise<void> {
    if (this.state === CLOSED) return;
    // Tell the server to stop the handlers of calls still open, then fail them here.
    for (const call of this.calls.values()) this.fail(call, new RpcError(Status.CANCELLED, "channel closed"), true);
    if (this.writer.busy) {
      await Promise.race([this.writer.drained(), new Promise((r) => setTimeout(r, Math.min(this.sendTimeoutMs, 100)).unref())]);
    }
    this.setState(CLOSED);
    this.state = CLOSED;
    this.writer.closed = true;
    for (const w of this.upWaiters.splice(0)) w(false);
    // CANCEL packets just handed to libzmq would be discarded by linger 0: give them 100 ms.
    this.socket.linger = 100;
    this.socket.close();
  }
}
