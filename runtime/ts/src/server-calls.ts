/**
 * A server's calls once dispatched: running their handlers, timing their deadlines and answering
 * them (TRAILERS, stream MESSAGEs) through the {@link PeerWriter}. {@link ServerCore}
 * (server-core.ts) extends it with the ROUTER's reader and dispatch, liveness and shutdown.
 * Internal: nothing here is exported from the package.
 */
import { performance } from "perf_hooks";
import type * as zmq from "zeromq";
import { DeadlineQueue } from "./deadlines.js";
import { RpcError } from "./errors.js";
import { Metadata } from "./metadata.js";
import { Flag, Kind, MAX_TIMER_MS } from "./protocol.js";
import * as packetEncode from "./packet-encode.js";
import type { ServerStreamingHandler, UnaryHandler } from "./server.js";
import { CallOwner, Peer, ServerCall } from "./server-call.js";
import { PeerWriter } from "./server-writer.js";
import { Status, statusFromCode } from "./status.js";
import { encodeToSend, tooLarge } from "./util.js";

// Hot-path protocol numbers and functions as module constants, read once (see server-core.ts).
const F_END = Flag.END;
const F_HAS_MESSAGE = Flag.HAS_MESSAGE;
const F_INLINE = Flag.INLINE;
const OK = Status.OK;
const { encodeSimple, encodeTrailers, inlineFlags } = packetEncode;

function isThenable(v: unknown): v is PromiseLike<unknown> {
  return typeof (v as { then?: unknown } | null)?.then === "function";
}

/** The running calls of a server and the way out for their answers; {@link ServerCore} adds the rest. */
export abstract class ServerCalls implements CallOwner {
  /** Sends the queued answers, batching those of one tick, per client. */
  readonly writer: PeerWriter;
  /** Deadlines of the calls whose handlers are still running, on one timer. */
  readonly deadlines = new DeadlineQueue();
  /** Running oneway calls: not in any peer's map (they have no call id to answer), aborted on close. */
  readonly oneways = new Set<ServerCall>();
  running = 0; // handlers in flight, oneway included
  /** Waiting for `running` to reach 0 (a draining close). */
  protected idleWaiters: Array<() => void> = [];

  constructor(
    readonly socket: zmq.Router,
    sendTimeoutMs: number,
    readonly maxMessageBytes: number,
    readonly onOnewayError: (error: unknown, method: string) => void,
  ) {
    this.writer = new PeerWriter(socket, sendTimeoutMs, (peer, why) => this.peerGone(peer, why));
  }

  /** A client is gone for good (its sends keep failing): its calls end as UNAVAILABLE. */
  abstract peerGone(peer: Peer, why: string): void;

  /** Makes a running call reachable: by its id (CANCEL, MESSAGE), by close(), and by its deadline. */
  protected register(call: ServerCall, timeoutMs: number, startedAt: number): void {
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

  /** Ends a running call with an error the runtime detected, and aborts its handler. */
  protected failCall(call: ServerCall, error: RpcError): void {
    this.finishError(call, error);
    call.abort(error);
  }

  /** Runs a unary handler: synchronously to the end when it returns a value, else on its promise. */
  protected runUnary(call: ServerCall, input: unknown, timeoutMs: number): void {
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

  protected async runClientStream(call: ServerCall, input: unknown): Promise<void> {
    let result: unknown;
    try {
      result = (call.reg.handler as UnaryHandler<unknown, unknown>)(input, call);
      if (isThenable(result)) result = await result;
    } catch (err) {
      return this.unaryFailed(call, err);
    }
    this.unaryDone(call, result);
  }

  protected async runStream(call: ServerCall, input: unknown): Promise<void> {
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
}
