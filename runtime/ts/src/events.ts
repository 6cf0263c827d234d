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
import { decodeHeader, encodeSimple, Flag, Kind, MAX_U32 } from "./protocol.js";

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
  private readonly seqs = new Map<string, number>();
  private readonly subs = new Map<string, number>();
  private subWaiters: Array<{ topic: string; resolve: (ok: boolean) => void }> = [];
  private queue: Uint8Array[][] = [];
  private writing = false;
  private drainWaiters: Array<() => void> = [];
  private closed = false;
  /** The endpoints bound so far, resolved (`tcp://127.0.0.1:0` becomes the real port). */
  readonly endpoints: string[] = [];

  constructor(options: PublisherOptions = {}) {
    this.socket = new zmq.XPublisher({
      linger: 0,
      noDrop: options.noDrop ?? false,
      ...(options.sendHighWaterMark !== undefined ? { sendHighWaterMark: options.sendHighWaterMark } : {}),
    });
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
   * Queues one event. Never blocks: events go out in order, as fast as the socket takes them; a
   * subscriber that falls behind its high-water mark loses events (it sees a sequence gap).
   *
   * @param topic `"<package>.<Service>/<Method>"`, optionally followed by `"/" suffix`.
   * @param payload the serialized event message.
   */
  publish(topic: string, payload: Uint8Array): void {
    if (this.closed) throw new Error("publisher closed");
    const seq = this.seqs.get(topic) ?? 0;
    this.seqs.set(topic, seq >= MAX_U32 ? 0 : seq + 1);
    this.queue.push([Buffer.from(topic, "utf8"), encodeSimple(Kind.EVENT, Flag.HAS_MESSAGE, seq), payload]);
    if (!this.writing) void this.writeLoop();
  }

  /** Resolves once every queued event has been handed to ZeroMQ. */
  flush(): Promise<void> {
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
  private readonly lastSeq = new Map<string, number>();
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
    for (;;) {
      const frames = await this.socket.receive();
      const ev = this.parse(frames);
      if (ev !== undefined) return ev;
    }
  }

  async *[Symbol.asyncIterator](): AsyncIterator<EventMessage> {
    while (!this.closed) {
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

  private parse(frames: Buffer[]): EventMessage | undefined {
    if (frames.length !== 3) {
      this.droppedMessages++;
      return undefined;
    }
    let seq: number;
    try {
      const h = decodeHeader(frames[1]!);
      if (h.kind !== Kind.EVENT) throw new Error("not an event");
      seq = h.callId;
    } catch {
      this.droppedMessages++;
      return undefined;
    }
    const topic = frames[0]!.toString("utf8");
    const last = this.lastSeq.get(topic);
    if (last !== undefined) {
      const expected = last >= MAX_U32 ? 0 : last + 1;
      if (seq !== expected) this.gaps += (seq - expected + 0x100000000) % 0x100000000;
    }
    this.lastSeq.set(topic, seq);
    return { topic, seq, payload: frames[2]! };
  }
}
