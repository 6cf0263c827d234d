/**
 * The client's writer: one per channel (DEALER socket). Packets queued in one tick leave as one
 * ZeroMQ message (batching); the server's counterpart is {@link PeerWriter} (server-writer.ts).
 * Internal: nothing here is exported from the package.
 *
 * The DEALER's ZMQ_SNDTIMEO is 0, so zeromq.js sends at once without first asking libzmq whether
 * the socket is writable (ZMQ_EVENTS, a poll() system call per send). Only when a send is refused
 * (EAGAIN: no server connected yet under ZMQ_IMMEDIATE, or the high-water mark reached) is the
 * same batch sent again with ZMQ_SNDTIMEO set to `sendTimeoutMs`, which waits as before.
 *
 * The writer is a chain of promise reactions, not an `async` loop: each send's promise gets two
 * callbacks bound once per channel, and the queue's arrays are swapped and reused rather than
 * replaced (an `async` loop allocated its own promise, a resume closure pair per `await` and two
 * fresh arrays per batch: ~0.6 KB of garbage per call).
 */
import * as zmq from "zeromq";
import { RpcError } from "./errors.js";
import * as protocol from "./protocol.js";
import * as util from "./util.js";

// Read once: under tsx (esbuild's CommonJS) each use of an imported name is a getter call.
const { EARLY_FLUSH_PACKETS, EMPTY_FRAME, isInline } = protocol;
const { afterThisTask, truncate } = util;
const F_INLINE = protocol.Flag.INLINE;
const EMPTY: Uint8Array[] = [];

/** Something that owns a queued packet: told when it was sent or could not be. */
export interface QueueOwner {
  done: boolean;
  sent?: () => void;
  sendFailed(error: RpcError): void;
}

/** Sends a channel's queued packets, in order, batching what is queued in the same tick. */
export class ChannelWriter {
  /** Set when the channel closes: nothing queued after that is sent. */
  closed = false;
  /** Packets waiting for the next send: frames (one or two per packet) and one owner per packet. */
  private frames: Uint8Array[] = [];
  private owners: Array<QueueOwner | null> = [];
  /** The batch being sent; emptied and reused as the next queue once its send settles. */
  private sendingFrames: Uint8Array[] = [];
  private sendingOwners: Array<QueueOwner | null> = [];
  private writing = false;
  /** The batch in flight is being sent again with ZMQ_SNDTIMEO = `waitMs` after an EAGAIN. */
  private waiting = false;
  /** The frames of the batch in flight (`sendingFrames`, or the part of it still worth sending). */
  private inFlight: Uint8Array[] = EMPTY;
  private flushQueued = false;
  private drainWaiters: Array<() => void> = [];
  private readonly flush = (): void => {
    this.flushQueued = false;
    if (!this.writing) this.next();
  };
  private readonly onSent = (): void => {
    const owners = this.sendingOwners;
    for (let i = 0; i < owners.length; i++) {
      const o = owners[i];
      if (o != null && o.sent !== undefined && !o.done) o.sent();
    }
    this.settled();
  };
  private readonly onFailed = (err: unknown): void => {
    if (!this.waiting && (err as { code?: string }).code === "EAGAIN" && this.waitMs > 0 && !this.closed) {
      // Refused at once: now wait for room (or a server) the way ZMQ_SNDTIMEO does.
      this.waiting = true;
      this.socket.sendTimeout = this.waitMs;
      return this.send(this.inFlight);
    }
    const e = this.sendError(err);
    for (const o of this.sendingOwners) if (o != null && !o.done) o.sendFailed(e);
    this.settled();
  };

  /**
   * @param socket the channel's DEALER, created with ZMQ_SNDTIMEO 0.
   * @param waitMs how long a refused batch may wait for room or a server (`sendTimeoutMs`).
   * @param afterSend called right after each batch is handed to zeromq.js (starts the reader).
   * @param sendError turns a failed send (zeromq.js's error, EAGAIN after `waitMs`) into the
   *   error of the calls whose packets it held.
   */
  constructor(
    private readonly socket: zmq.Dealer,
    private readonly waitMs: number,
    private readonly afterSend: () => void,
    private readonly sendError: (err: unknown) => RpcError,
  ) {}

  /**
   * Queues one packet: `header` and its `payload` frame, or, when the header says INLINE, the
   * header frame alone (it holds the message; `payload` is not sent). The writer starts at the end
   * of the current microtask, so every call made in the same tick (a loop of `unary()` calls, the
   * callers resumed by one batch of replies) goes out in the same ZeroMQ message.
   */
  enqueue(header: Uint8Array, payload: Uint8Array | undefined, owner: QueueOwner | null): void {
    // Whether the packet is one frame or two is read from the header itself, so a caller cannot
    // pair an inline header with a second frame.
    if (header[2]! & F_INLINE) this.frames.push(header);
    else this.frames.push(header, payload ?? EMPTY_FRAME);
    this.owners.push(owner);
    if (this.writing) return;
    // A long run of calls in one tick starts the writer early, so the server works on the first
    // packets while the rest are still being made (both CPUs busy, not taking turns).
    if (this.owners.length >= EARLY_FLUSH_PACKETS) this.next();
    else if (!this.flushQueued) {
      this.flushQueued = true;
      afterThisTask(this.flush);
    }
  }

  /** Packets queued and not yet handed to libzmq. */
  get queued(): number {
    return this.owners.length;
  }

  /** True while anything is queued or being sent. */
  get busy(): boolean {
    return this.writing || this.owners.length > 0;
  }

  /** Resolves when everything queued so far has been handed to libzmq (back-pressure for stream pumps). */
  drained(): Promise<void> {
    if (!this.busy) return Promise.resolve();
    return new Promise((resolve) => this.drainWaiters.push(resolve));
  }

  /** Sends the queued packets as one message, or, with nothing queued, stops and wakes drain waiters. */
  private next(): void {
    while (this.owners.length > 0 && !this.closed) {
      // Swap the queue with the (empty) arrays of the last batch: packets queued from here on go
      // to the next message.
      let frames = this.frames;
      const owners = this.owners;
      this.frames = this.sendingFrames;
      this.owners = this.sendingOwners;
      this.sendingFrames = frames;
      this.sendingOwners = owners;
      // Packets of calls that ended while queued (deadline, cancel) are not sent at all.
      let stale = false;
      for (let i = 0; i < owners.length; i++) if (owners[i]?.done === true && owners[i]!.sent === undefined) stale = true;
      if (stale) {
        frames = [];
        for (let i = 0, f = 0; i < owners.length; i++) {
          const o = owners[i];
          const n = isInline(this.sendingFrames[f]!) ? 1 : 2; // packet i is frames[f..f+n)
          if (!(o != null && o.done && o.sent === undefined)) for (let j = f; j < f + n; j++) frames.push(this.sendingFrames[j]!);
          f += n;
        }
        if (frames.length === 0) {
          this.recycle();
          continue;
        }
      }
      this.writing = true;
      this.inFlight = frames;
      this.send(frames);
      return;
    }
    this.writing = false;
    if (this.drainWaiters.length > 0) for (const w of this.drainWaiters.splice(0)) w();
  }

  private send(frames: Uint8Array[]): void {
    let sending: Promise<void>;
    try {
      // zeromq.js reads the array during this call (each frame is copied or referenced), so the
      // array itself can be reused once the send settles.
      sending = this.socket.send(frames);
    } catch (err) {
      // Thrown, not rejected: the socket was closed under us. Report it after this tick, as a
      // rejection would be, so callers never see their own call fail synchronously.
      sending = Promise.reject(err);
    }
    sending.then(this.onSent, this.onFailed);
    this.afterSend();
  }

  private recycle(): void {
    truncate(this.sendingFrames, 0);
    truncate(this.sendingOwners, 0);
  }

  private settled(): void {
    if (this.waiting) {
      this.waiting = false;
      if (!this.closed) this.socket.sendTimeout = 0;
    }
    this.inFlight = EMPTY;
    this.recycle();
    this.next();
  }
}
