/**
 * Events over PUB/SUB (PZMQ/1 section 7).
 *
 * ```
 * Publisher (XPUB) ── topic | header(EVENT, seq) + event ──▶ Subscriber (SUB), prefix-filtered
 *                  ◀── subscribe/unsubscribe (XPUB reads them: waitForSubscriber) ──
 * ```
 *
 * The topic is the first frame so that ZeroMQ's own prefix matching does the filtering (on the
 * publisher side for tcp/ipc, so unwanted events never cross the wire). The header's call id is a
 * per-topic sequence number: subscribers count gaps, which happen when a subscriber is slower than
 * the publisher and ZeroMQ's high-water mark drops events (PUB never blocks). An event of up to
 * INLINE_MAX_BYTES rides in its header frame (INLINE, two frames per message); a larger one gets a
 * payload frame of its own, so it is not copied (PZMQ/1 3).
 */
import * as zmq from "zeromq";
import { EMPTY_FRAME, Flag, HEADER_SIZE, INLINE_MAX_BYTES, Kind, MAX_U32 } from "./protocol.js";
import { encodeSimple } from "./packet-encode.js";

/** A topic of a {@link Publisher}: its frame, encoded once, and its next sequence number. */
interface TopicState {
  readonly frame: Buffer;
  seq: number;
}

const ignore = (): void => undefined;

const INLINE_EVENT = Flag.HAS_MESSAGE | Flag.INLINE;
/** zeromq.js copies a frame of up to this many bytes inside send(); it keeps a reference to larger ones. */
const ZMQ_COPY_MAX = 128;
/** Largest event written into the publisher's reused scratch frame (header + event <= ZMQ_COPY_MAX). */
const SCRATCH_EVENT_MAX = ZMQ_COPY_MAX - HEADER_SIZE;

/**
 * Options of a {@link Publisher}.
 *
 * @example
 * ```ts
 * const pub = new Publisher({ sendHighWaterMark: 100_000 });
 * ```
 */
export interface PublisherOptions {
  /** ZMQ_SNDHWM: events queued per subscriber before ZeroMQ drops new ones. Default 1000. */
  sendHighWaterMark?: number;
  /**
   * ZMQ_XPUB_NODROP: at the high-water mark, hold events back instead of dropping them. They queue
   * in the publisher (memory grows while a subscriber is slow; `flush()` resolves once all went out)
   * and go out in order. Default false.
   */
  noDrop?: boolean;
  /**
   * Batching (PZMQ/1 7): events of one topic published one after another, in the same synchronous
   * run of code, travel in one ZeroMQ message of up to this many events, sent when it is full, when
   * another topic is published, on `flush()`, or at the end of the current microtask queue.
   * Fewer messages cost less on both sides; the high-water mark then counts batches, and a batch
   * is delivered or dropped whole. Subscribers accept batches whatever this is. Default 1: one
   * message per event.
   */
  batch?: number;
}

/**
 * Publishes events: a ZeroMQ XPUB socket. It can bind (the usual case: one publisher, many
 * subscribers) or connect (to a subscriber that binds, or a proxy).
 *
 * @example
 * ```ts
 * const pub = new Publisher();
 * await pub.bind("ipc:///tmp/game-events.sock");
 * await pub.waitForSubscriber("game.Events/UnitMoved", 2000); // optional: avoid the slow-joiner loss
 * pub.publish("game.Events/UnitMoved/red", UnitMoved.encode({ unit: 7, x: 3, y: 4 }));
 * await pub.close();
 * ```
 */
export class Publisher {
  private readonly socket: zmq.XPublisher;
  /** Per topic: its frame (encoded once) and the next sequence number. */
  private readonly topics = new Map<string, TopicState>();
  private readonly subs = new Map<string, number>();
  private subWaiters: Array<{ topic: string; resolve: (ok: boolean) => void }> = [];
  /**
   * True unless `noDrop`: the socket's ZMQ_SNDTIMEO is 0 and a PUB never blocks, so zeromq.js
   * completes every send inside `send()` (it converts the frames there, copying those of 128 bytes
   * or less, and hands the message to libzmq). `publish` then sends at once: nothing is queued,
   * nothing awaited. An event of up to SCRATCH_EVENT_MAX bytes is written behind a header in one
   * scratch frame reused for every event, as zeromq.js copies it; a larger one gets a frame of its
   * own. Measured (bench/ts/ab.ts, 100,000 events of 64 B, pinned), publisher CPU per event
   * against the two-frame form: 0.87-0.91x with the scratch, 1.08-1.12x with a frame per event.
   * (The scratch must be carved from Node's pool and filled with set(): one of its own ArrayBuffer,
   * filled by a JS loop, measured 1.9x.)
   */
  private readonly direct: boolean;
  /** The scratch frame (direct only): an EVENT header with INLINE and HAS_MESSAGE, then room for the event. */
  private readonly scratch: Buffer = encodeSimple(Kind.EVENT, INLINE_EVENT, 0, undefined, Buffer.alloc(SCRATCH_EVENT_MAX));
  /** `scratch` viewed at each length, header included: a frame per event size, no view made per event. */
  private readonly scratchViews: Buffer[] = [];
  /** Frames arrays reused by direct sends: topic, then an inline packet or a header and payload. */
  private readonly frames2: [Buffer, Uint8Array] = [EMPTY_FRAME, EMPTY_FRAME];
  private readonly frames3: [Buffer, Uint8Array, Uint8Array] = [EMPTY_FRAME, EMPTY_FRAME, EMPTY_FRAME];
  /**
   * Most events of one topic per ZeroMQ message (the `batch` option); 1: no batching. May be
   * changed at any time; a batch being filled is sent when the next event finds it full.
   */
  batch: number;
  /** The batch being filled: topic frame, then one packet (one or two frames) per event. */
  private filling: Uint8Array[] | undefined;
  private fillingEvents = 0;
  private batchTopic: TopicState | undefined;
  private batchScheduled = false;
  private readonly endOfTick = (): void => {
    this.batchScheduled = false;
    this.sendBatch();
  };
  // noDrop only: events wait here while a send is blocked at the high-water mark.
  private queue: Uint8Array[][] = [];
  private writing = false;
  private drainWaiters: Array<() => void> = [];
  private closed = false;
  private reading = false;
  /** The endpoints bound so far, resolved (`tcp://127.0.0.1:0` becomes the real port). */
  readonly endpoints: string[] = [];

  constructor(options: PublisherOptions = {}) {
    this.direct = !(options.noDrop ?? false);
    this.batch = Math.max(1, Math.floor(options.batch ?? 1));
    this.socket = new zmq.XPublisher({
      linger: 0,
      noDrop: !this.direct,
      ...(this.direct ? { sendTimeout: 0 } : {}),
      ...(options.sendHighWaterMark !== undefined ? { sendHighWaterMark: options.sendHighWaterMark } : {}),
    });
    for (let n = 0; n <= ZMQ_COPY_MAX; n++) this.scratchViews.push(this.scratch.subarray(0, n));
    // Pass every subscribe and unsubscribe, so the counts below are exact.
    this.socket.verbosity = "allSubsUnsubs";
  }

  /**
   * Binds to an endpoint (`ipc://`, `tcp://`, `inproc://`); may be called several times.
   *
   * Subscribers may connect to an `inproc://` endpoint before it is bound. Those of the first
   * bind are counted at once; those waiting on a later bind only when the next subscription
   * message reaches this publisher (zeromq.js gets no wake-up for what a bind brings in, see
   * {@link Publisher.waitForSubscriber}).
   */
  async bind(endpoint: string): Promise<void> {
    await this.socket.bind(endpoint);
    this.endpoints.push(this.socket.lastEndpoint ?? endpoint);
    this.startReading();
  }

  /** Connects to a subscriber (or proxy) that binds. */
  connect(endpoint: string): void {
    this.socket.connect(endpoint);
    this.startReading();
  }

  /**
   * Starts reading subscriptions, after the first bind or connect rather than at construction: a
   * receive already pending when an inproc bind brings in early subscribers' pipes would not see
   * their subscriptions (no wake-up comes for them), while one started after the bind finds them.
   */
  private startReading(): void {
    if (this.reading) return;
    this.reading = true;
    void this.readSubscriptions();
  }

  /**
   * Sends one event (queues it, with `noDrop`). Never blocks: events go out in order; a
   * subscriber that falls behind its high-water mark loses events (it sees a sequence gap).
   *
   * @param topic `"<package>.<Service>/<Method>"`, optionally followed by `"/" suffix`.
   * @param payload the serialized event message. Up to INLINE_MAX_BYTES it is copied into the
   *   header frame; a larger one is handed to ZeroMQ without a copy (zeromq.js), so do not modify
   *   it after publishing (an `encode()` result never is).
   */
  publish(topic: string, payload: Uint8Array): void {
    if (this.closed) throw new Error("publisher closed");
    let t = this.topics.get(topic);
    if (t === undefined) this.topics.set(topic, (t = { frame: Buffer.from(topic, "utf8"), seq: 0 }));
    const seq = t.seq;
    t.seq = seq >= MAX_U32 ? 0 : seq + 1;
    if (this.batch > 1) {
      if (this.batchTopic !== t) {
        this.sendBatch();
        this.filling = [t.frame];
        this.batchTopic = t;
      }
      const filling = this.filling!;
      pushEvent(filling, seq, payload);
      if (++this.fillingEvents >= this.batch) this.sendBatch();
      else if (!this.batchScheduled) {
        this.batchScheduled = true;
        queueMicrotask(this.endOfTick);
      }
      return;
    }
    if (this.filling !== undefined) this.sendBatch(); // `batch` was lowered to 1 meanwhile
    if (this.direct) {
      const n = payload.length;
      if (n <= SCRATCH_EVENT_MAX) {
        // The usual event, in the scratch frame: bytes 0..3 never change, the call id is the
        // sequence number (PZMQ/1 7), the event follows.
        const s = this.scratch;
        s[4] = seq;
        s[5] = seq >>> 8;
        s[6] = seq >>> 16;
        s[7] = seq >>> 24;
        s.set(payload, HEADER_SIZE);
        const frames = this.frames2;
        frames[0] = t.frame;
        frames[1] = this.scratchViews[HEADER_SIZE + n]!;
        // Settled inside send() (ZMQ_SNDTIMEO 0); a PUB that does not block does not fail either,
        // but a rejection must not go unhandled.
        this.socket.send(frames).catch(ignore);
        return;
      }
      if (n <= INLINE_MAX_BYTES) {
        const frames = this.frames2;
        frames[0] = t.frame;
        frames[1] = encodeSimple(Kind.EVENT, INLINE_EVENT, seq, undefined, payload);
        this.socket.send(frames).catch(ignore);
        frames[1] = EMPTY_FRAME; // zeromq.js holds its own reference while it needs the frame
        return;
      }
      const f3 = this.frames3;
      f3[0] = t.frame;
      f3[1] = encodeSimple(Kind.EVENT, Flag.HAS_MESSAGE, seq);
      f3[2] = payload;
      this.socket.send(f3).catch(ignore);
      f3[2] = EMPTY_FRAME; // do not keep the caller's payload alive
      return;
    }
    const msg: Uint8Array[] = [t.frame];
    pushEvent(msg, seq, payload);
    this.queue.push(msg);
    if (!this.writing) void this.writeLoop();
  }

  /**
   * Resolves once every published event has been handed to ZeroMQ: at once, unless `noDrop` made
   * sends wait at the high-water mark.
   */
  flush(): Promise<void> {
    this.sendBatch();
    if (!this.writing && this.queue.length === 0) return Promise.resolve();
    return new Promise((resolve) => this.drainWaiters.push(resolve));
  }

  /**
   * Resolves true once some subscriber's prefix matches `topic` (a publish of `topic` would reach
   * it), or false after `timeoutMs`. `""` waits for any subscription.
   */
  waitForSubscriber(topic = "", timeoutMs = 5000): Promise<boolean> {
    if (this.matches(topic)) return Promise.resolve(true);
    return new Promise((resolve) => {
      const waiter = { topic, resolve };
      this.subWaiters.push(waiter);
      setTimeout(() => {
        this.subWaiters = this.subWaiters.filter((w) => w !== waiter);
        resolve(false);
      }, timeoutMs).unref();
    });
  }

  /** Number of active subscriptions (subscribers x prefixes) seen by this publisher. */
  get subscriptions(): number {
    let n = 0;
    for (const c of this.subs.values()) n += c;
    return n;
  }

  /** Flushes queued events (up to 1 s), then closes with linger 0. */
  async close(): Promise<void> {
    if (this.closed) return;
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([this.flush(), new Promise<void>((r) => (timer = setTimeout(r, 1000)))]);
    clearTimeout(timer);
    this.closed = true;
    for (const w of this.subWaiters.splice(0)) w.resolve(false);
    this.socket.linger = 0;
    this.socket.close();
  }

  /** Sends the batch being filled, if any. */
  private sendBatch(): void {
    const frames = this.filling;
    if (frames === undefined) return;
    this.filling = undefined;
    this.fillingEvents = 0;
    this.batchTopic = undefined;
    if (this.closed) return;
    if (this.direct) {
      this.socket.send(frames).catch(ignore);
      return;
    }
    this.queue.push(frames);
    if (!this.writing) void this.writeLoop();
  }

  private matches(topic: string): boolean {
    for (const [prefix, n] of this.subs) if (n > 0 && topic.startsWith(prefix)) return true;
    return false;
  }

  /**
   * noDrop only. An XPUB always reports itself writable, so at the high-water mark zeromq.js's
   * send fails with EAGAIN instead of waiting: retry the same message after a short, growing pause
   * (1 ms up to 50 ms), keeping the order, until it goes or the publisher closes.
   */
  private async writeLoop(): Promise<void> {
    this.writing = true;
    while (this.queue.length > 0 && !this.closed) {
      const msgs = this.queue;
      this.queue = [];
      for (const msg of msgs) {
        for (let pause = 1; !this.closed; pause = Math.min(pause * 2, 50)) {
          try {
            await this.socket.send(msg);
            break;
          } catch (e) {
            if ((e as { code?: string }).code !== "EAGAIN") break; // closed: the event is lost
            await new Promise((r) => setTimeout(r, pause));
          }
        }
      }
    }
    this.writing = false;
    for (const w of this.drainWaiters.splice(0)) w();
  }

  private async readSubscriptions(): Promise<void> {
    for (;;) {
      let frames: Buffer[];
      try {
        frames = await this.socket.receive();
      } catch {
        return; // closed
      }
      const f = frames[0];
      if (f === undefined || f.length === 0 || (f[0] !== 0 && f[0] !== 1)) continue;
      const prefix = f.toString("utf8", 1);
      const n = (this.subs.get(prefix) ?? 0) + (f[0] === 1 ? 1 : -1);
      if (n > 0) this.subs.set(prefix, n);
      else this.subs.delete(prefix);
      if (f[0] === 1 && this.subWaiters.length > 0) {
        const ready = this.subWaiters.filter((w) => w.topic.startsWith(prefix));
        this.subWaiters = this.subWaiters.filter((w) => !w.topic.startsWith(prefix));
        for (const w of ready) w.resolve(true);
      }
    }
  }
}

/** Appends one EVENT packet: inline up to INLINE_MAX_BYTES, else a header and the payload, not copied. */
function pushEvent(frames: Uint8Array[], seq: number, payload: Uint8Array): void {
  if (payload.length <= INLINE_MAX_BYTES) frames.push(encodeSimple(Kind.EVENT, INLINE_EVENT, seq, undefined, payload));
  else frames.push(encodeSimple(Kind.EVENT, Flag.HAS_MESSAGE, seq), payload);
}

export { type EventMessage, Subscriber, type SubscriberOptions } from "./subscriber.js";
