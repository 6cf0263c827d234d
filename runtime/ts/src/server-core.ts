/**
 * The server's internals: the reader loop and dispatch of one ROUTER socket, running handlers,
 * deadlines, cancellation, liveness probes and shutdown. {@link Server} (server.ts) is the public
 * face; nothing here is exported from the package.
 */
import { performance } from "perf_hooks";
import * as zmq from "zeromq";
import { RpcError } from "./errors.js";
import { Metadata } from "./metadata.js";
import {
  DEFAULT_HEARTBEAT_IVL_MS,
  DEFAULT_HEARTBEAT_TIMEOUT_MS,
  DEFAULT_HEARTBEAT_TTL_MS,
  DEFAULT_MAX_MESSAGE_BYTES,
  EMPTY_FRAME,
  encodeSimple,
  MAX_TIMER_MS,
  Flag,
  Kind,
  PacketHeader,
  ProtocolError,
} from "./protocol.js";
import * as protocol from "./protocol.js";
import type { ServerOptions, ServerStreamingHandler, UnaryHandler } from "./server.js";
import { DeadlineQueue } from "./deadlines.js";
import { CallOwner, Peer, Registered, ServerCall } from "./server-call.js";
import { PeerWriter } from "./server-writer.js";
import { Status, statusFromCode } from "./status.js";
import { MessageStream } from "./stream.js";
import { decodeAt, encodeToSend, tooLarge } from "./util.js";

// Hot-path protocol numbers as module constants: an imported `Flag.END` is a read through the
// importing module's binding of protocol.ts (a getter call once transpiled to CommonJS) per use.
const K_REQUEST = Kind.REQUEST;
const K_MESSAGE = Kind.MESSAGE;
const K_CANCEL = Kind.CANCEL;
const F_END = Flag.END;
const F_HAS_MESSAGE = Flag.HAS_MESSAGE;
const F_ONEWAY = Flag.ONEWAY;
const F_INLINE = Flag.INLINE;
const OK = Status.OK;
// Likewise the functions of the per-call path, read once: under tsx (esbuild's CommonJS) each use
// of an imported name is a getter call through a megamorphic `module[key]` load.
const { checkFraming, decodeHeaderInto, encodeTrailers, inlineFlags } = protocol;
const ServerCallClass = ServerCall;
/** The reader's rejection handler: a receive fails only when the socket is closed. */
const NOTHING = (): void => undefined;

/** Linger of the final close: time libzmq gets to write what was already handed to it. */
const FINAL_FLUSH_MS = 100;
/** Pause between the last responses of a shutdown and the close, so clients can read them. */
const CLOSE_GRACE_MS = 50;

function isThenable(v: unknown): v is PromiseLike<unknown> {
  return typeof (v as { then?: unknown } | null)?.then === "function";
}

/** Internal state and loops of a server; {@link Server} is its public face. */
export class ServerCore implements CallOwner {
  readonly socket: zmq.Router;
  readonly methods = new Map<string, Registered>();
  readonly peers = new Map<string | number, Peer>();
  readonly endpoints: string[] = [];
  /** Running oneway calls: not in any peer's map (they have no call id to answer), aborted on close. */
  readonly oneways = new Set<ServerCall>();
  readonly maxMessageBytes: number;
  readonly onProtocolError: (error: ProtocolError, peer: Peer) => void;
  readonly onOnewayError: (error: unknown, method: string) => void;
  readonly writer: PeerWriter;
  /** Deadlines of the calls whose handlers are still running, on one timer. */
  readonly deadlines = new DeadlineQueue();
  closing = false;
  closed = false;
  /** Every received packet is decoded into this one header, read before the next is decoded. */
  private readonly header = new PacketHeader(0, 0, 0);
  running = 0; // handlers in flight, oneway included
  droppedMessages = 0;
  private idleWaiters: Array<() => void> = [];
  private probeTimer: NodeJS.Timeout | undefined = undefined;

  constructor(options: ServerOptions) {
    this.maxMessageBytes = options.maxMessageBytes ?? DEFAULT_MAX_MESSAGE_BYTES;
    const userHook = options.onProtocolError;
    this.onProtocolError = (e, peer) => {
      if (userHook !== undefined) return userHook(e, peer.name);
      if (peer.warned) return;
      peer.warned = true; // log once per peer (PZMQ/1 10)
      console.warn(`protozmq: malformed message from client ${peer.name}: ${e.reason}: ${e.message}`);
    };
    this.onOnewayError = options.onOnewayError ?? ((e, m) => console.error(`protozmq: oneway handler ${m} failed:`, e));
    this.socket = new zmq.Router({
      mandatory: true,
      linger: 0,
      // Never wait inside send(): a client whose queue is full (or whose connection is closing)
      // must not hold up the responses to every other client. EAGAIN is retried per peer below.
      sendTimeout: 0,
      heartbeatInterval: options.heartbeatIvlMs ?? DEFAULT_HEARTBEAT_IVL_MS,
      heartbeatTimeout: options.heartbeatTimeoutMs ?? DEFAULT_HEARTBEAT_TIMEOUT_MS,
      heartbeatTimeToLive: options.heartbeatTtlMs ?? DEFAULT_HEARTBEAT_TTL_MS,
      ...(options.sendHighWaterMark !== undefined ? { sendHighWaterMark: options.sendHighWaterMark } : {}),
      ...(options.receiveHighWaterMark !== undefined ? { receiveHighWaterMark: options.receiveHighWaterMark } : {}),
    });
    this.writer = new PeerWriter(this.socket, options.sendTimeoutMs ?? 3000, (peer, why) => this.peerGone(peer, why));
    void this.watchEvents();
    this.receive();
  }

  /** Reads the monitor events (with `receive()`, not `events.on()`: see the channel's note). */
  private async watchEvents(): Promise<void> {
    const events = this.socket.events;
    for (;;) {
      try {
        if ((await events.receive()).type === "disconnect") this.scheduleProbe();
      } catch {
        return; // socket closed
      }
    }
  }

  // ---- liveness

  private scheduleProbe(): void {
    // One probe per burst of disconnects. A send to a connection being torn down gets EAGAIN and
    // is retried (sendBlocked) until libzmq answers EHOSTUNREACH, so one probe suffices.
    if (this.probeTimer !== undefined || this.closed) return;
    this.probeTimer = setTimeout(() => {
      this.probeTimer = undefined;
      this.probe();
    }, 1);
  }

  private probe(): void {
    if (this.closed) return;
    for (const peer of this.peers.values()) this.writer.enqueue(peer, encodeSimple(Kind.MESSAGE, F_INLINE, 0), undefined);
  }

  peerGone(peer: Peer, why: string): void {
    this.peers.delete(peer.key);
    this.writer.forget(peer);
    const reason = new RpcError(Status.UNAVAILABLE, why);
    for (const call of peer.calls.values()) {
      this.end(call);
      call.abort(reason);
    }
  }

  /**
   * inproc lets clients connect before the server binds, and their requests wait in the pipe. The
   * bind attaches those pipes, messages and all, without signalling the socket's file descriptor,
   * so the receive zeromq.js already has pending would not look until something else woke it (a
   * call made before the bind hung). zeromq.js looks again after every send, so when the socket
   * has something to read, send a message that cannot go anywhere: an empty routing id (libzmq
   * never gives a peer one) is refused with EHOSTUNREACH under ROUTER_MANDATORY, and the pending
   * receive then reads what the bind brought in.
   */
  afterInprocBind(): void {
    if (!this.closed && this.socket.readable) this.socket.send([EMPTY_FRAME, EMPTY_FRAME]).catch(() => undefined);
  }

  // ---- reader

  // The reader is a chain of promise reactions bound once, not an `async` loop (no promise of its
  // own, no resume closure pair per `await`), like both writers and the client's reader.
  private receive(): void {
    let next: Promise<Buffer[]>;
    try {
      next = this.socket.receive();
    } catch {
      return; // closed
    }
    next.then(this.onReceived, NOTHING);
  }

  private readonly onReceived = (frames: Buffer[]): void => {
    const writer = this.writer;
    writer.holding = true; // replies of sync handlers leave through flushNow() below
    try {
      this.onMessage(frames);
    } catch (err) {
      console.error("protozmq: error while handling a request:", err);
    }
    writer.holding = false;
    writer.flushNow();
    this.receive();
  };

  private peerOf(id: Buffer): Peer {
    // libzmq's generated routing ids are 5 bytes, 0 then a u32: key them by number, no string.
    // Read by hand, not with `id.readUInt32BE(1)`: see u32 in protocol.ts.
    const key: string | number = id.length === 5 && id[0] === 0 ? id[1]! * 0x1000000 + ((id[2]! << 16) | (id[3]! << 8) | id[4]!) : id.toString("latin1");
    let peer = this.peers.get(key);
    if (peer === undefined) {
      peer = new Peer(key, id);
      this.peers.set(key, peer);
    }
    return peer;
  }

  private onMessage(frames: Buffer[]): void {
    const peer = this.peerOf(frames[0]!);
    const bad = checkFraming(frames, 1);
    if (bad !== undefined) {
      this.droppedMessages++;
      this.onProtocolError(new ProtocolError(bad, `message of ${frames.length - 1} frames dropped`), peer);
      return;
    }
    for (let i = 1; i < frames.length; ) {
      // An inline packet is one frame, its message after the body; any other takes the next frame.
      const hf = frames[i]!;
      const pf = hf[2]! & F_INLINE ? undefined : frames[i + 1]!;
      i += pf === undefined ? 1 : 2;
      let h: PacketHeader;
      try {
        h = decodeHeaderInto(hf, this.header);
      } catch (err) {
        const pe = err as ProtocolError;
        this.onProtocolError(pe, peer);
        const code = pe.reason === "BAD_VERSION" ? Status.UNIMPLEMENTED : Status.INVALID_ARGUMENT;
        this.reply(peer, pe.callId!, code, pe.message);
        continue;
      }
      switch (h.kind) {
        case K_REQUEST:
          // The message: the payload frame, or an inline packet's frame from the body's end.
          this.onRequest(peer, h, pf ?? hf, pf === undefined ? h.bodyEnd : 0);
          break;
        case K_MESSAGE:
          this.onClientMessage(peer, h, pf ?? hf, pf === undefined ? h.bodyEnd : 0);
          break;
        case K_CANCEL: {
          const call = peer.calls.get(h.callId);
          if (call !== undefined) {
            this.end(call); // nothing more is sent for it (PZMQ/1 5.4)
            call.abort(new RpcError(Status.CANCELLED, "cancelled by the client"));
          }
          break;
        }
        default: {
          const pe = new ProtocolError("UNKNOWN_KIND", `unexpected packet kind ${h.kind}`, h.callId);
          this.onProtocolError(pe, peer);
          const call = peer.calls.get(h.callId);
          if (call !== undefined) {
            this.end(call);
            call.abort(new RpcError(Status.INVALID_ARGUMENT, pe.message));
          }
          this.reply(peer, h.callId, Status.INVALID_ARGUMENT, pe.message);
        }
      }
    }
  }

  /** Sends TRAILERS with an error for a call that never started (no handler). */
  private reply(peer: Peer, callId: number, code: Status, message: string): void {
    this.writer.enqueue(peer, encodeTrailers(callId, F_END | F_INLINE, code, message), undefined);
  }

  /** "unknown service X" when no method of the service is registered, else "unknown method X/Y". */
  private unknownMessage(path: string): string {
    const slash = path.lastIndexOf("/");
    const service = slash > 0 ? path.slice(0, slash + 1) : undefined;
    if (service !== undefined) for (const p of this.methods.keys()) if (p.startsWith(service)) return `unknown method ${path}`;
    return `unknown service ${service === undefined ? path : service.slice(0, -1)}`;
  }

  /** Answers a request refused before its handler started; oneway requests never get an answer. */
  private refuse(peer: Peer, h: PacketHeader, oneway: boolean, code: Status, message: string): void {
    if (oneway) this.onOnewayError(new RpcError(code, message), h.method);
    else this.reply(peer, h.callId, code, message);
  }

  private onRequest(peer: Peer, h: PacketHeader, bytes: Buffer, at: number): void {
    const oneway = (h.flags & F_ONEWAY) !== 0;
    if (this.closing) return this.refuse(peer, h, oneway, Status.UNAVAILABLE, "server shutting down");
    const reg = this.methods.get(h.method);
    if (reg === undefined) return this.refuse(peer, h, oneway, Status.UNIMPLEMENTED, this.unknownMessage(h.method));
    if (!oneway && peer.calls.has(h.callId)) return this.refuse(peer, h, oneway, Status.INVALID_ARGUMENT, `call id ${h.callId} is already open`);
    const hasMessage = (h.flags & F_HAS_MESSAGE) !== 0;
    let request: unknown = undefined;
    if (hasMessage) {
      if (bytes.length - at > this.maxMessageBytes) {
        const e = tooLarge("request", bytes.length - at, this.maxMessageBytes);
        return this.refuse(peer, h, oneway, e.code, e.message);
      }
      try {
        request = decodeAt(reg.descriptor.requestType, bytes, at);
      } catch (err) {
        return this.refuse(peer, h, oneway, Status.INVALID_ARGUMENT, `failed to decode the request: ${(err as Error)?.message ?? String(err)}`);
      }
    }
    const kind = reg.descriptor.kind;
    if (oneway && kind !== "unary") return this.refuse(peer, h, oneway, Status.INVALID_ARGUMENT, "oneway requires a unary method");
    const single = kind === "unary" || kind === "server_streaming";
    if (single && !hasMessage) return this.refuse(peer, h, oneway, Status.INVALID_ARGUMENT, "request message missing");

    const deadline = h.timeoutMs > 0 ? Date.now() + h.timeoutMs : undefined;
    const call = new ServerCallClass(this, peer, h.callId, reg, deadline, h.metadata, oneway);
    this.running++;
    // Unary: the handler runs first; the call is registered (call id, deadline) only if it goes
    // async. A handler that returns synchronously is answered before anything else can happen, so
    // there is nothing to register: no map entry, no timer, no promise.
    if (kind === "unary") return this.runUnary(call, request, h.timeoutMs);
    this.register(call, h.timeoutMs, 0);
    if (!single) {
      call.requests = new MessageStream<unknown>();
      if (hasMessage) call.requests.push(request);
      if (h.flags & Flag.END) call.requests.end();
    }
    if (kind === "client_streaming") void this.runClientStream(call, call.requests);
    else void this.runStream(call, single ? request : call.requests);
  }

  /** Makes a running call reachable: by its id (CANCEL, MESSAGE), by close(), and by its deadline. */
  private register(call: ServerCall, timeoutMs: number, startedAt: number): void {
    call.registered = true;
    if (!call.oneway) call.peerRef.calls.set(call.id, call);
    else this.oneways.add(call);
    // Node timers overflow past 2^31-1 ms (~24.8 days): such a deadline is reported to the handler
    // (ctx.deadline) but not timed.
    if (timeoutMs > 0 && timeoutMs <= MAX_TIMER_MS) {
      if (startedAt === 0) this.deadlines.add(call, timeoutMs);
      else this.deadlines.add(call, timeoutMs, startedAt);
    }
  }

  private onClientMessage(peer: Peer, h: PacketHeader, bytes: Buffer, at: number): void {
    const call = peer.calls.get(h.callId);
    const requests = call?.requests;
    if (call === undefined || requests === undefined) return; // unknown or ended call: ignore
    if (h.flags & Flag.HAS_MESSAGE) {
      if (bytes.length - at > this.maxMessageBytes) return this.failCall(call, tooLarge("request", bytes.length - at, this.maxMessageBytes));
      let msg: unknown;
      try {
        msg = decodeAt(call.reg.descriptor.requestType, bytes, at);
      } catch (err) {
        return this.failCall(call, new RpcError(Status.INVALID_ARGUMENT, `failed to decode the request: ${(err as Error)?.message ?? String(err)}`));
      }
      requests.push(msg);
    }
    if (h.flags & Flag.END) requests.end();
  }

  /** Ends a running call with an error the runtime detected, and aborts its handler. */
  private failCall(call: ServerCall, error: RpcError): void {
    this.finishError(call, error);
    call.abort(error);
  }

  // ---- running handlers

  /** Runs a unary handler: synchronously to the end when it returns a value, else on its promise. */
  private runUnary(call: ServerCall, input: unknown, timeoutMs: number): void {
    // The budget counts from the request's arrival, also when the handler goes async only later.
    const startedAt = timeoutMs > 0 ? performance.now() : 0;
    let result: unknown;
    try {
      result = (call.reg.handler as UnaryHandler<unknown, unknown>)(input, call);
    } catch (err) {
      return this.unaryFailed(call, err);
    }
    if (!isThenable(result)) return this.unaryDone(call, result);
    this.register(call, timeoutMs, startedAt);
    // Promise.resolve: a native promise as is; any other thenable adopted as `await` would (its
    // `then` runs later, and a throwing `then` rejects instead of escaping into the reader).
    Promise.resolve(result).then(
      (value) => this.unaryDone(call, value),
      (err: unknown) => this.unaryFailed(call, err),
    );
  }

  /** A unary (or client-streaming) handler returned `result`: encode it and answer. */
  private unaryDone(call: ServerCall, result: unknown): void {
    try {
      if (call.done) return;
      if (call.oneway) return this.end(call);
      let bytes: Uint8Array;
      try {
        // Copied into the TRAILERS frame by finishOk() below, before anything else encodes.
        bytes = encodeToSend(call.reg.descriptor.responseType, result);
      } catch (err) {
        return this.finishError(call, new RpcError(Status.INTERNAL, `failed to encode the response: ${(err as Error).message}`));
      }
      if (bytes.length > this.maxMessageBytes) return this.finishError(call, tooLarge("response", bytes.length, this.maxMessageBytes));
      this.finishOk(call, bytes);
    } catch (err) {
      this.finishError(call, err);
    } finally {
      this.handlerDone();
    }
  }

  private unaryFailed(call: ServerCall, err: unknown): void {
    try {
      if (call.oneway && !call.done) this.onOnewayError(err, call.method);
      this.finishError(call, err);
    } finally {
      this.handlerDone();
    }
  }

  private async runClientStream(call: ServerCall, input: unknown): Promise<void> {
    let result: unknown;
    try {
      result = (call.reg.handler as UnaryHandler<unknown, unknown>)(input, call);
      if (isThenable(result)) result = await result;
    } catch (err) {
      return this.unaryFailed(call, err);
    }
    this.unaryDone(call, result);
  }

  private async runStream(call: ServerCall, input: unknown): Promise<void> {
    try {
      const out = (call.reg.handler as ServerStreamingHandler<unknown, unknown>)(input, call);
      const encode = call.reg.descriptor.responseType;
      for await (const msg of out) {
        if (call.done) break; // cancelled or past the deadline: `break` runs the generator's finally
        const bytes = encode.encode(msg);
        if (bytes.length > this.maxMessageBytes) {
          this.failCall(call, tooLarge("response", bytes.length, this.maxMessageBytes));
          break;
        }
        let flags = inlineFlags(F_HAS_MESSAGE, bytes);
        let headers: Metadata | undefined;
        if (!call.headersSent) {
          call.headersSent = true;
          headers = call.header;
          if (headers !== undefined) flags |= Flag.HEADERS;
        }
        this.writer.enqueue(call.peerRef, encodeSimple(Kind.MESSAGE, flags, call.id, headers, bytes), bytes);
        if (this.writer.backlogged) await this.writer.drained();
      }
      this.finishOk(call, undefined);
    } catch (err) {
      this.finishError(call, err);
    } finally {
      this.handlerDone();
    }
  }

  private handlerDone(): void {
    if (--this.running === 0) for (const w of this.idleWaiters.splice(0)) w();
  }

  /** Removes a call from its peer and stops its timer; nothing more will be sent for it. */
  end(call: ServerCall): void {
    call.done = true;
    if (!call.registered) return;
    if (!call.oneway) call.peerRef.calls.delete(call.id);
    else this.oneways.delete(call);
    if (call.deadlineList !== null) this.deadlines.remove(call);
  }

  finishOk(call: ServerCall, bytes: Uint8Array | undefined): void {
    if (call.done) return;
    this.end(call);
    if (call.oneway) return;
    const flags = bytes === undefined ? F_END : F_END | F_HAS_MESSAGE;
    this.sendTrailers(call, flags, OK, "", undefined, call.trailer, bytes);
  }

  /** Queues a call's TRAILERS (with the response headers if not sent yet). */
  private sendTrailers(
    call: ServerCall,
    flags: number,
    code: Status,
    message: string,
    details: Uint8Array | undefined,
    trailers: Metadata | undefined,
    bytes: Uint8Array | undefined,
  ): void {
    const headers = call.headersSent ? undefined : call.header;
    call.headersSent = true;
    flags = inlineFlags(flags, bytes);
    let header: Buffer;
    try {
      header = encodeTrailers(call.id, flags, code, message, details, headers, trailers, bytes);
    } catch (err) {
      // Metadata over the wire limits: the caller still gets an answer, without it.
      header = encodeTrailers(call.id, F_END | F_INLINE, Status.INTERNAL, `failed to encode the trailers: ${(err as Error).message}`);
    }
    this.writer.enqueue(call.peerRef, header, bytes);
  }

  finishError(call: ServerCall, err: unknown): void {
    if (call.done) return;
    this.end(call);
    if (call.oneway) return;
    let code = Status.UNKNOWN;
    let message: string;
    let details: Uint8Array | undefined;
    let trailers = call.trailer;
    if (err instanceof RpcError) {
      // The wire carries 0..16 (PZMQ/1 6): any other number a handler chose goes out as UNKNOWN with
      // its message, which is how a receiver would read it, instead of failing to encode. OK is no error.
      code = statusFromCode(err.code);
      if (code === Status.OK) code = Status.UNKNOWN;
      message = err.message;
      details = err.details;
      if (err.metadata.size > 0) trailers = trailers === undefined ? err.metadata : trailers.clone().merge(err.metadata);
    } else message = err instanceof Error ? err.message : String(err);
    this.sendTrailers(call, Flag.END, code, message, details, trailers, undefined);
  }

  // ---- shutdown

  async close(drainTimeoutMs: number): Promise<void> {
    if (this.closing) return;
    this.closing = true;
    this.writer.closing = true;
    if (this.running > 0) {
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([
        new Promise<void>((resolve) => this.idleWaiters.push(resolve)),
        new Promise<void>((resolve) => (timer = setTimeout(resolve, drainTimeoutMs))),
      ]);
      clearTimeout(timer);
    }
    // Handlers still running after the drain are told so, and their callers get UNAVAILABLE.
    const reason = new RpcError(Status.UNAVAILABLE, "server shutting down");
    for (const peer of this.peers.values()) {
      for (const call of [...peer.calls.values()]) {
        this.finishError(call, reason);
        call.abort(reason);
      }
    }
    for (const call of [...this.oneways]) {
      this.end(call);
      call.abort(reason);
    }
    if (this.writer.busy) {
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([this.writer.drained(), new Promise<void>((resolve) => (timer = setTimeout(resolve, 200)))]);
      clearTimeout(timer);
    }
    if (this.writer.sentWhileClosing) {
      // A client's DEALER uses ZMQ_IMMEDIATE, and libzmq drops what such a socket received but
      // its application has not read yet when the connection goes away. So the final responses
      // get a moment to be read before the connection closes.
      await new Promise((resolve) => setTimeout(resolve, CLOSE_GRACE_MS));
    }
    this.closed = true;
    this.deadlines.clear();
    clearTimeout(this.probeTimer);
    this.writer.close();
    // The last TRAILERS are in libzmq's queue, not yet on the wire, and linger 0 would discard
    // them. A short linger lets the I/O thread finish writing them; it never delays this call.
    this.socket.linger = FINAL_FLUSH_MS;
    this.socket.close();
  }
}
