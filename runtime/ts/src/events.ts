/**
 * Events over PUB/SUB (PZMQ/1 section 7).
 *
 * ```
 * Publisher (XPUB) ── topic | header(EVENT, seq) | payload ──▶ Subscriber (SUB), prefix-filtered
 *                  ◀── subscribe/unsubscribe (XPUB reads them: waitForSubscriber) ──
 * ```
 *
 * The topic is the first frame so that ZeroMQ's own prefix matching does the filtering (on the
 * publisher side for tcp/ipc, so unwanted events never cross the wire). The header's call id is a
 * per-topic sequence number: subscribers count gaps, which happen when a subscriber is slower than
 * the publisher and ZeroMQ's high-water mark drops events (PUB never blocks).
 */
import * as zmq from "zeromq";
import { decodeHeader, EMPTY_FRAME, encodeSimple, Flag, HEADER_SIZE, Kind, MAX_U32, PROTOCOL_VERSION } from "./protocol.js";

/** A topic of a {@link Publisher}: its frame, encoded once, and its next sequence number. */
interface TopicState {
  readonly frame: Buffer;
  seq: number;
}

const ignore = (): void => undefined;

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
  /** ZMQ_XPUB_NODROP: block (`publish` waits) instead of dropping at the high-water mark. Default false. */
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
   * or less, and hands the message to libzmq). `publish` then sends at once, with one header
   * frame and one frames array reused for every event: nothing is queued, nothing awaited.
   */
  private readonly direct: boolean;
  private readonly header: Buffer;
  private readonly frames: [Buffer, Buffer, Uint8Array];
  /**
   * Most events of one topic per ZeroMQ message (the `batch` option); 1: no batching. May be
   * changed at any time; a batch being filled is sent when the next event finds it full.
   */
  batch: number;
  /** The batch being filled: topic frame, then header and payload per event. */
  private filling: Uint8Array[] | undefined;
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
    this.header = encodeSimple(Kind.EVENT, Flag.HAS_MESSAGE, 0);
    this.frames = [this.header, this.header, EMPTY_FRAME];
    // Pass every subscribe and unsubscribe, so the counts below are exact.
    this.socket.verbosity = "allSubsUnsubs";
    void this.readSubscriptions();
  }

  /** Binds to an endpoint (`ipc://`, `tcp://`, `inproc://`); may be called several times. */
  async bind(endpoint: string): Promise<void> {
    await this.socket.bind(endpoint);
    this.endpoints.push(this.socket.lastEndpoint ?? endpoint);
  }

  /** Connects to a subscriber (or proxy) that binds. */
  connect(endpoint: string): void {
    this.socket.connect(endpoint);
  }

  /**
   * Sends one event (queues it, with `noDrop`). Never blocks: events go out in order; a
   * subscriber that falls behind its high-water mark loses events (it sees a sequence gap).
   *
   * @param topic `"<package>.<Service>/<Method>"`, optionally followed by `"/" suffix`.
   * @param payload the serialized event message. One over 128 bytes is handed to ZeroMQ without a
   *   copy (zeromq.js), so do not modify it after publishing (an `encode()` result never is).
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
      filling.push(encodeSimple(Kind.EVENT, Flag.HAS_MESSAGE, seq), payload);
      if (filling.length >= 1 + 2 * this.batch) this.sendBatch();
      else if (!this.batchScheduled) {
        this.batchScheduled = true;
        queueMicrotask(this.endOfTick);
      }
      return;
    }
    if (this.filling !== undefined) this.sendBatch(); // `batch` was lowered to 1 meanwhile
    if (this.direct) {
      // The header's call id is the sequence number (PZMQ/1 7); bytes 0..3 never change.
      const h = this.header;
      h[4] = seq;
      h[5] = seq >>> 8;
      h[6] = seq >>> 16;
      h[7] = seq >>> 24;
      const frames = this.frames;
      frames[0] = t.frame;
      frames[2] = payload;
      // Settled inside send() (ZMQ_SNDTIMEO 0); a PUB that does not block does not fail either,
      // but a rejection must not go unhandled.
      this.socket.send(frames).catch(ignore);
      frames[2] = EMPTY_FRAME; // do not keep the caller's payload alive
      return;
    }
    this.queue.push([t.frame, encodeSimple(Kind.EVENT, Flag.HAS_MESSAGE, seq), payload]);
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

  private async writeLoop(): Promise<void> {
    this.writing = true;
    while (this.queue.length > 0 && !this.closed) {
      const batch = this.queue;
      this.queue = [];
      for (const msg of batch) {
        try {
          await this.socket.send(msg);
        } catch {
          // Only with noDrop and a send timeout, or after close: the event is lost, like a drop.
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

/**
 * One received event.
 *
 * @example
 * ```ts
 * const ev: EventMessage = await sub.receive();
 * if (ev.topic.startsWith("game.Events/UnitMoved")) onMoved(UnitMoved.decode(ev.payload));
 * ```
 */
export interface EventMessage {
  /** The full topic frame, e.g. `"game.Events/UnitMoved/red"`. */
  topic: string;
  /** The publisher's per-topic sequence number (u32, wrapping). */
  seq: number;
  /** The serialized event message. */
  payload: Uint8Array;
}

/**
 * Options of a {@link Subscriber}.
 *
 * @example
 * ```ts
 * const sub = new Subscriber({ receiveHighWaterMark: 100_000 });
 * ```
 */
export interface SubscriberOptions {
  /** ZMQ_RCVHWM: events queued before ZeroMQ drops new ones. Default 1000. */
  receiveHighWaterMark?: number;
}

/**
 * Receives events: a ZeroMQ SUB socket, filtered by topic prefix. Iterate it with `for await`;
 * a single consumer at a time.
 *
 * @example
 * ```ts
 * const sub = new Subscriber();
 * sub.connect("ipc:///tmp/game-events.sock");
 * sub.subscribe("game.Events/UnitMoved"); // that method, any suffix
 * for await (const ev of sub) {
 *   const moved = UnitMoved.decode(ev.payload);
 *   if (moved.unit === 0) break;
 * }
 * sub.close();
 * ```
 */
export class Subscriber implements AsyncIterable<EventMessage> {
  private readonly socket: zmq.Subscriber;
  /** Per topic received: the last sequence number. */
  private readonly topics = new Map<string, TopicSeen>();
  /** The topic of the previous event: events of one topic often come in runs. */
  private prevTopic: TopicSeen | undefined;
  /** Events of a batch not handed out yet: `pending[pendingAt..]`. */
  private pending: EventMessage[] = [];
  private pendingAt = 0;
  private closed = false;
  /** Events known to be lost: the sum of sequence gaps seen per topic (PUB dropped them). */
  gaps = 0;
  /** Messages dropped because they are not PZMQ/1 events. */
  droppedMessages = 0;

  constructor(options: SubscriberOptions = {}) {
    this.socket = new zmq.Subscriber({
      linger: 0,
      ...(options.receiveHighWaterMark !== undefined ? { receiveHighWaterMark: options.receiveHighWaterMark } : {}),
    });
  }

  /** Connects to a publisher; may be called for several publishers. */
  connect(endpoint: string): void {
    this.socket.connect(endpoint);
  }

  /** Binds, for publishers that connect. */
  async bind(endpoint: string): Promise<void> {
    await this.socket.bind(endpoint);
  }

  /**
   * Receives events whose topic starts with `prefix`: a full method path for one method, the
   * service path with a trailing `/` for all its methods, `""` for everything.
   */
  subscribe(prefix = ""): void {
    this.socket.subscribe(prefix);
  }

  /** Undoes one `subscribe(prefix)`. */
  unsubscribe(prefix = ""): void {
    this.socket.unsubscribe(prefix);
  }

  /** Receives the next event; rejects once the subscriber is closed. */
  async receive(): Promise<EventMessage> {
    if (this.pendingAt < this.pending.length) return this.nextPending();
    for (;;) {
      const frames = await this.socket.receive();
      const ev = this.parse(frames);
      if (ev !== undefined) return ev;
    }
  }

  async *[Symbol.asyncIterator](): AsyncIterator<EventMessage> {
    while (!this.closed) {
      if (this.pendingAt < this.pending.length) {
        yield this.nextPending();
        continue;
      }
      let frames: Buffer[];
      try {
        frames = await this.socket.receive();
      } catch {
        return; // closed
      }
      const ev = this.parse(frames);
      if (ev !== undefined) yield ev;
    }
  }

  /** Closes with linger 0; a pending iteration ends. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.socket.linger = 0;
    this.socket.close();
  }

  private nextPending(): EventMessage {
    const ev = this.pending[this.pendingAt++]!;
    if (this.pendingAt === this.pending.length) {
      this.pending = [];
      this.pendingAt = 0;
    }
    return ev;
  }

  /**
   * One message: `topic, header, payload`, or a batch `topic, (header, payload) x n` (PZMQ/1 7).
   * Returns its first event and queues the others in `pending`; undefined (and counted) when the
   * message is not PZMQ/1 events, batches being taken or dropped whole.
   */
  private parse(frames: Buffer[]): EventMessage | undefined {
    const n = frames.length;
    if (n < 3 || (n & 1) === 0) {
      this.droppedMessages++;
      return undefined;
    }
    const first = this.seqOf(frames[1]!);
    if (first < 0) {
      this.droppedMessages++;
      return undefined;
    }
    if (n > 3) {
      for (let i = 3; i < n; i += 2) {
        if (this.seqOf(frames[i]!) < 0) {
          this.droppedMessages++;
          return undefined;
        }
      }
    }
    const tf = frames[0]!;
    let topic: TopicSeen;
    const prev = this.prevTopic;
    if (prev !== undefined && tf.equals(prev.frame)) topic = prev;
    else {
      const name = tf.toString("utf8");
      let seen = this.topics.get(name);
      if (seen === undefined) this.topics.set(name, (seen = { frame: tf, name, last: -1 }));
      this.prevTopic = topic = seen;
    }
    const ev = this.event(topic, first, frames[2]!);
    for (let i = 3; i < n; i += 2) this.pending.push(this.event(topic, this.seqOf(frames[i]!), frames[i + 1]!));
    return ev;
  }

  /** The sequence number of an EVENT header frame, or -1 when it is not one. */
  private seqOf(hf: Buffer): number {
    if (hf.length === HEADER_SIZE && hf[0] === PROTOCOL_VERSION && hf[1] === Kind.EVENT) {
      // The usual header, read in place (decodeHeader would build a PacketHeader to throw away).
      return (hf[4]! | (hf[5]! << 8) | (hf[6]! << 16) | (hf[7]! << 24)) >>> 0;
    }
    try {
      const h = decodeHeader(hf);
      return h.kind === Kind.EVENT ? h.callId : -1;
    } catch {
      return -1;
    }
  }

  /** Counts a gap if `seq` does not follow the topic's last one, and makes the event. */
  private event(topic: TopicSeen, seq: number, payload: Buffer): EventMessage {
    const last = topic.last;
    if (last !== -1) {
      const expected = last >= MAX_U32 ? 0 : last + 1;
      if (seq !== expected) this.gaps += (seq - expected + 0x100000000) % 0x100000000;
    }
    topic.last = seq;
    return { topic: topic.name, seq, payload };
  }
}

/** A topic a {@link Subscriber} has received: its name and the last sequence number seen. */
interface TopicSeen {
  /** The topic frame it was first seen in (compared with the next frame, to skip decoding it). */
  readonly frame: Buffer;
  readonly name: string;
  /** -1 until the first event is counted. */
  last: number;
}
