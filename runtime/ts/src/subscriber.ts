/**
 * The receiving side of events over PUB/SUB (PZMQ/1 section 7): {@link Subscriber}. Re-exported by
 * `events.ts`, which has the publisher and the picture of the whole.
 */
import * as zmq from "zeromq";
import { EMPTY_FRAME, Flag, HEADER_SIZE, Kind, MAX_U32, PROTOCOL_VERSION } from "./protocol.js";

const F_INLINE = Flag.INLINE;
const F_HAS_MESSAGE = Flag.HAS_MESSAGE;
const K_EVENT = Kind.EVENT;

/**
 * True if `hf` is a valid EVENT header. Read in place: an EVENT has no body, so version, kind and
 * length are all there is to check (decodeHeader would build a PacketHeader to throw away).
 */
function isEventHeader(hf: Buffer): boolean {
  return hf.length >= HEADER_SIZE && hf[0] === PROTOCOL_VERSION && hf[1] === K_EVENT;
}

/** The call id of an EVENT header: the publisher's per-topic sequence number. */
function seqOf(hf: Buffer): number {
  return (hf[4]! | (hf[5]! << 8) | (hf[6]! << 16) | (hf[7]! << 24)) >>> 0;
}

/** The event message of an inline EVENT packet: the rest of the frame (an EVENT's body is empty). */
function inlineEvent(hf: Buffer): Buffer {
  return hf[2]! & F_HAS_MESSAGE ? hf.subarray(HEADER_SIZE) : EMPTY_FRAME;
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
   * One message: a topic frame, then one or more EVENT packets, each inline (one frame) or a
   * header and a payload frame (PZMQ/1 3, 7). Returns its first event and queues the others in
   * `pending`; undefined (and counted) when the message is not PZMQ/1 events, batches being taken
   * or dropped whole.
   */
  private parse(frames: Buffer[]): EventMessage | undefined {
    const n = frames.length;
    // The usual message, one inline event, is checked and read in place.
    if (n === 2) {
      const hf = frames[1]!;
      if (!isEventHeader(hf) || (hf[2]! & F_INLINE) === 0) return this.drop();
      return this.event(this.topicOf(frames[0]!), seqOf(hf), inlineEvent(hf));
    }
    // Anything else is checked whole first: a batch is delivered or dropped whole.
    if (n < 2) return this.drop();
    for (let i = 1; i < n; ) {
      const hf = frames[i]!;
      if (!isEventHeader(hf)) return this.drop();
      i += hf[2]! & F_INLINE ? 1 : 2;
      if (i > n) return this.drop(); // a header without its payload frame
    }
    const topic = this.topicOf(frames[0]!);
    let first: EventMessage | undefined;
    for (let i = 1; i < n; ) {
      const hf = frames[i]!;
      let payload: Buffer;
      if (hf[2]! & F_INLINE) {
        payload = inlineEvent(hf);
        i += 1;
      } else {
        payload = frames[i + 1]!;
        i += 2;
      }
      const ev = this.event(topic, seqOf(hf), payload);
      if (first === undefined) first = ev;
      else this.pending.push(ev);
    }
    return first;
  }

  private drop(): undefined {
    this.droppedMessages++;
    return undefined;
  }

  private topicOf(tf: Buffer): TopicSeen {
    const prev = this.prevTopic;
    if (prev !== undefined && tf.equals(prev.frame)) return prev;
    const name = tf.toString("utf8");
    let seen = this.topics.get(name);
    if (seen === undefined) this.topics.set(name, (seen = { frame: tf, name, last: -1 }));
    return (this.prevTopic = seen);
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
