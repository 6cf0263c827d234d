/**
 * The server's internals: the reader loop and dispatch of one ROUTER socket, cancellation,
 * liveness probes and shutdown, on top of {@link ServerCalls} (server-calls.ts: running handlers,
 * deadlines, answers). {@link Server} (server.ts) is the public face; nothing here is exported
 * from the package.
 */
import * as zmq from "zeromq";
import { RpcError } from "./errors.js";
import {
  DEFAULT_HEARTBEAT_IVL_MS,
  DEFAULT_HEARTBEAT_TIMEOUT_MS,
  DEFAULT_HEARTBEAT_TTL_MS,
  DEFAULT_MAX_MESSAGE_BYTES,
  EMPTY_FRAME,
  Flag,
  Kind,
  PacketHeader,
  ProtocolError,
} from "./protocol.js";
import * as protocol from "./protocol.js";
import * as packetEncode from "./packet-encode.js";
import * as packetDecode from "./packet-decode.js";
import type { ServerOptions } from "./server.js";
import { Peer, Registered, ServerCall } from "./server-call.js";
import { ServerCalls } from "./server-calls.js";
import { Status } from "./status.js";
import { MessageStream } from "./stream.js";
import { decodeAt, tooLarge } from "./util.js";

// Hot-path protocol numbers as module constants: an imported `Flag.END` is a read through the
// importing module's binding of protocol.ts (a getter call once transpiled to CommonJS) per use.
const K_REQUEST = Kind.REQUEST;
const K_MESSAGE = Kind.MESSAGE;
const K_CANCEL = Kind.CANCEL;
const F_END = Flag.END;
const F_HAS_MESSAGE = Flag.HAS_MESSAGE;
const F_ONEWAY = Flag.ONEWAY;
const F_INLINE = Flag.INLINE;
// Likewise the functions of the per-call path, read once: under tsx (esbuild's CommonJS) each use
// of an imported name is a getter call through a megamorphic `module[key]` load.
const { checkFraming } = protocol;
const { encodeSimple, encodeTrailers } = packetEncode;
const { decodeHeaderInto } = packetDecode;
const ServerCallClass = ServerCall;
/** The reader's rejection handler: a receive fails only when the socket is closed. */
const NOTHING = (): void => undefined;

/** Linger of the final close: time libzmq gets to write what was already handed to it. */
const FINAL_FLUSH_MS = 100;
/** Pause between the last responses of a shutdown and the close, so clients can read them. */
const CLOSE_GRACE_MS = 50;

/** Internal state and loops of a server; {@link Server} is its public face. */
export class ServerCore extends ServerCalls {
  readonly methods = new Map<string, Registered>();
  readonly peers = new Map<string | number, Peer>();
  readonly endpoints: string[] = [];
  readonly onProtocolError: (error: ProtocolError, peer: Peer) => void;
  closing = false;
  closed = false;
  /** Every received packet is decoded into this one header, read before the next is decoded. */
  private readonly header = new PacketHeader(0, 0, 0);
  droppedMessages = 0;
  private probeTimer: NodeJS.Timeout | undefined = undefined;

  constructor(options: ServerOptions) {
    const socket = new zmq.Router({
      mandatory: true,
      linger: 0,
      // Never wait inside send(): a client whose queue is full (or whose connection is closing)
      // must not hold up the responses to every other client. EAGAIN is retried per peer (PeerWriter).
      sendTimeout: 0,
      heartbeatInterval: options.heartbeatIvlMs ?? DEFAULT_HEARTBEAT_IVL_MS,
      heartbeatTimeout: options.heartbeatTimeoutMs ?? DEFAULT_HEARTBEAT_TIMEOUT_MS,
      heartbeatTimeToLive: options.heartbeatTtlMs ?? DEFAULT_HEARTBEAT_TTL_MS,
      ...(options.sendHighWaterMark !== undefined ? { sendHighWaterMark: options.sendHighWaterMark } : {}),
      ...(options.receiveHighWaterMark !== undefined ? { receiveHighWaterMark: options.receiveHighWaterMark } : {}),
    });
    super(
      socket,
      options.sendTimeoutMs ?? 3000,
      options.maxMessageBytes ?? DEFAULT_MAX_MESSAGE_BYTES,
      options.onOnewayError ?? ((e, m) => console.error(`protozmq: oneway handler ${m} failed:`, e)),
    );
    const userHook = options.onProtocolError;
    this.onProtocolError = (e, peer) => {
      if (userHook !== undefined) return userHook(e, peer.name);
      if (peer.warned) return;
      peer.warned = true; // log once per peer (PZMQ/1 10)
      console.warn(`protozmq: malformed message from client ${peer.name}: ${e.reason}: ${e.message}`);
    };
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
    // Read by hand, not with `id.readUInt32BE(1)`: see u32 in packet-decode.ts.
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
