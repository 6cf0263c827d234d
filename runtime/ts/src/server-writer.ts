/**
 * The server's writer loop: one per ROUTER. Packets are queued per client; whenever the socket
 * can send, each client's queued packets go out as one multipart message (batching), clients one
 * after the other. Internal: nothing here is exported from the package.
 *
 * The ROUTER's ZMQ_SNDTIMEO is 0, so a send never waits inside libzmq: a client whose high-water
 * mark is reached (or whose connection is being torn down) gets EAGAIN, its packets are kept in
 * order and retried with a growing delay, and the other clients are not held up.
 *
 * Like the client's writer (channel-writer.ts), this is a chain of promise reactions bound once,
 * not an `async` loop, and each client's frame array is reused once its send succeeded.
 */
import * as zmq from "zeromq";
import * as protocol from "./protocol.js";
import type { Peer } from "./server-call.js";
import * as util from "./util.js";

// Read once: under tsx (esbuild's CommonJS) each use of an imported name is a getter call.
const { EARLY_FLUSH_PACKETS, EMPTY_FRAME } = protocol;
const { afterThisTask, truncate } = util;
const F_INLINE = protocol.Flag.INLINE;
const EMPTY: Uint8Array[] = [];

// Stream handlers wait for the writer when more packets than this are queued (back-pressure).
const STREAM_HIGH_WATER = 1024;

/** Sends queued packets to clients; reports clients that turn out to be gone. */
export class PeerWriter {
  /** Set once the socket is closed: nothing more is sent. */
  closed = false;
  /** Set when shutdown begins; `sentWhileClosing` then records whether anything went out. */
  closing = false;
  sentWhileClosing = false;
  /**
   * Set by the reader while it handles a received message: it calls {@link flushNow} right after,
   * so packets queued meanwhile need no flush of their own at the end of the tick.
   */
  holding = false;
  private dirty: Peer[] = [];
  /** The peers of the round being sent (a former `dirty` list), from `pendingAt` on. */
  private pending: Peer[] = [];
  private pendingAt = 0;
  /** The batch in flight: its peer, frames and packet count. */
  private current: Peer | null = null;
  private currentFrames: Uint8Array[] = EMPTY;
  private currentPackets = 0;
  private queuedPackets = 0;
  private writing = false;
  private flushQueued = false;
  private readonly flush = (): void => {
    this.flushQueued = false;
    if (!this.writing) this.next();
  };
  private readonly onSent = (): void => {
    const peer = this.current!;
    const frames = this.currentFrames;
    if (this.closing) this.sentWhileClosing = true;
    if (peer.blockedSince !== 0) {
      peer.blockedSince = 0;
      this.retryDelayMs = 1;
    }
    // zeromq.js read the array during send(): keep it, down to the routing id, for the next batch.
    truncate(frames, 1);
    peer.spare = frames;
    this.next();
  };
  private readonly onFailed = (err: unknown): void => {
    const peer = this.current!;
    if (!this.closed) {
      const code = (err as { code?: string }).code;
      if (code === "EAGAIN") this.sendBlocked(peer, this.currentFrames, this.currentPackets);
      else if (code === "EHOSTUNREACH") this.peerGone(peer, "client disconnected");
      else this.peerGone(peer, `client not reachable: ${(err as Error).message}`);
    }
    this.next();
  };
  private blocked: Peer[] = [];
  private retryTimer: NodeJS.Timeout | undefined = undefined;
  private retryDelayMs = 1;
  private drainWaiters: Array<() => void> = [];

  constructor(
    private readonly socket: zmq.Router,
    private readonly sendTimeoutMs: number,
    private readonly peerGone: (peer: Peer, why: string) => void,
  ) {}

  /** True while anything is queued, being sent, or waiting for a retry. */
  get busy(): boolean {
    return this.writing || this.dirty.length > 0 || this.blocked.length > 0;
  }

  /**
   * Queues one packet for `peer`: `header` and its `payload` frame, or, when the header says
   * INLINE, the header frame alone (it holds the message; `payload` is not sent). The writer starts at the end of the current
   * microtask, so the replies to every request of one received message (and anything else
   * answered in the same tick) leave as one ZeroMQ message per client.
   */
  enqueue(peer: Peer, header: Uint8Array, payload: Uint8Array | undefined): void {
    let out = peer.out;
    if (out === null) {
      out = peer.spare ?? [peer.id];
      peer.spare = null;
      peer.out = out;
      this.dirty.push(peer);
    }
    // One frame or two, read from the header itself (see ChannelCore.enqueue).
    if (header[2]! & F_INLINE) out.push(header);
    else out.push(header, payload ?? EMPTY_FRAME);
    peer.outPackets++;
    this.queuedPackets++;
    if (this.writing) return;
    // Many replies in one tick (a big batch of requests) start the writer early, so the client
    // works on the first replies while the rest are being computed (see EARLY_FLUSH_PACKETS).
    if (this.queuedPackets >= EARLY_FLUSH_PACKETS) this.next();
    else if (!this.flushQueued && !this.holding) {
      this.flushQueued = true;
      afterThisTask(this.flush);
    }
  }

  /**
   * Starts sending what is queued now, instead of at the end of the tick: the reader calls it
   * after each received message, so the replies of synchronous handlers leave before the reader
   * goes back to libzmq for the next message (a round trip's latency does not include that).
   */
  flushNow(): void {
    if (!this.writing && this.dirty.length > 0) this.next();
  }

  /** True when stream handlers should wait for {@link drained} before producing more. */
  get backlogged(): boolean {
    return this.queuedPackets > STREAM_HIGH_WATER;
  }

  /** Resolves once everything queued so far has been handed to libzmq (or dropped with its peer). */
  drained(): Promise<void> {
    if (!this.writing && this.dirty.length === 0 && this.blocked.length === 0) return Promise.resolve();
    return new Promise((resolve) => this.drainWaiters.push(resolve));
  }

  /** Sends the next client's queued packets, or, with none left, stops and wakes drain waiters. */
  private next(): void {
    this.writing = true;
    while (!this.closed) {
      if (this.pendingAt >= this.pending.length) {
        if (this.dirty.length === 0) break;
        // A new round: the clients that got packets since the last one, in the order they did.
        const round = this.dirty;
        this.dirty = this.pending;
        truncate(this.dirty, 0);
        this.pending = round;
        this.pendingAt = 0;
      }
      const peer = this.pending[this.pendingAt++]!;
      const frames = peer.out;
      if (frames === null) continue; // peer gone meanwhile
      const packets = peer.outPackets;
      peer.out = null;
      peer.outPackets = 0;
      this.queuedPackets -= packets;
      this.current = peer;
      this.currentFrames = frames;
      this.currentPackets = packets;
      let sending: Promise<void>;
      try {
        sending = this.socket.send(frames);
      } catch (err) {
        sending = Promise.reject(err); // closed under us: handled like a failed send, after this tick
      }
      sending.then(this.onSent, this.onFailed);
      return;
    }
    truncate(this.pending, 0);
    this.pendingAt = 0;
    this.current = null;
    this.currentFrames = EMPTY;
    this.writing = false;
    if (this.blocked.length === 0) {
      this.queuedPackets = 0;
      if (this.drainWaiters.length > 0) for (const w of this.drainWaiters.splice(0)) w();
    }
  }

  /**
   * A send to `peer` would block: its high-water mark is reached, or its connection is being torn
   * down (libzmq then answers EAGAIN until the pipe is gone, and EHOSTUNREACH after). Keep its
   * packets, in order, and retry with a growing delay; past `sendTimeoutMs` the peer counts as gone.
   */
  private sendBlocked(peer: Peer, frames: Uint8Array[], packets: number): void {
    const now = Date.now();
    if (peer.blockedSince === 0) peer.blockedSince = now;
    else if (now - peer.blockedSince > this.sendTimeoutMs) return this.peerGone(peer, "client not reading");
    this.queuedPackets += packets;
    peer.outPackets += packets;
    if (peer.out !== null) {
      // More packets were queued meanwhile: they go after the blocked ones; the peer is already dirty.
      for (let i = 1; i < peer.out.length; i++) frames.push(peer.out[i]!);
      peer.out = frames;
      return;
    }
    peer.out = frames;
    this.blocked.push(peer);
    if (this.retryTimer === undefined) {
      this.retryTimer = setTimeout(() => {
        this.retryTimer = undefined;
        this.retryDelayMs = Math.min(this.retryDelayMs * 2, 50);
        for (const p of this.blocked.splice(0)) if (p.out !== null) this.dirty.push(p);
        if (!this.writing) this.next();
      }, this.retryDelayMs);
    }
  }

  /** Forgets a peer that is gone (its queued packets are dropped). */
  forget(peer: Peer): void {
    peer.out = null;
    peer.outPackets = 0;
    const i = this.blocked.indexOf(peer);
    if (i >= 0) this.blocked.splice(i, 1);
  }

  /** Stops for good: no more sends or retries. */
  close(): void {
    this.closed = true;
    clearTimeout(this.retryTimer);
  }
}
