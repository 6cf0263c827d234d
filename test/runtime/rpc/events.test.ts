/**
 * Events over PUB/SUB (PZMQ/1 section 7), over inproc, ipc and tcp.
 *
 * ```
 * Publisher (XPUB) ◀── subscribe "test.Events/Moved" ── Subscriber A (SUB)
 *                  ◀── subscribe "test.Events/"      ── Subscriber B (SUB)
 * Publisher ── topic | EVENT seq | payload ──▶ A: only test.Events/Moved*,  B: every test.Events/* event
 * ```
 * `waitForSubscriber` (the XPUB sees the subscriptions) replaces sleeping for the slow joiner.
 */
import * as zmq from "zeromq";
import { EventMessage, Publisher, Subscriber } from "../../../runtime/ts/src/events";
import { Flag, INLINE_MAX_BYTES, Kind } from "../../../runtime/ts/src/protocol";
import { decodeHeader } from "../../../runtime/ts/src/packet-decode";
import { bindAddress, onlyPacket, packetsOf, Sockets, TRANSPORTS } from "./helpers";

const sockets = new Sockets();
afterEach(() => sockets.closeAll());

async function take(sub: Subscriber, n: number, ms = 10_000): Promise<EventMessage[]> {
  const out: EventMessage[] = [];
  const timer = setTimeout(() => sub.close(), ms); // a timeout, not a hang: closing ends the loop
  for await (const ev of sub) {
    out.push(ev);
    if (out.length === n) break;
  }
  clearTimeout(timer);
  return out;
}

describe.each(TRANSPORTS)("events over %s", (t) => {
  it("delivers 10,000 events in order, filtered by prefix", async () => {
    const pub = sockets.add(new Publisher({ sendHighWaterMark: 100_000 }));
    await pub.bind(bindAddress(t));
    const moved = sockets.add(new Subscriber({ receiveHighWaterMark: 100_000 }));
    const all = sockets.add(new Subscriber({ receiveHighWaterMark: 100_000 }));
    moved.connect(pub.endpoints[0]!);
    all.connect(pub.endpoints[0]!);
    // One at a time, so that each wait can only be satisfied by the subscription just made.
    moved.subscribe("test.Events/Moved");
    expect(await pub.waitForSubscriber("test.Events/Moved/x", 5000)).toBe(true);
    all.subscribe("test.Events/");
    expect(await pub.waitForSubscriber("test.Events/Other", 5000)).toBe(true);
    expect(pub.subscriptions).toBe(2);

    const N = 10_000;
    for (let i = 0; i < N; i++) {
      const topic = i % 2 === 0 ? "test.Events/Moved/red" : "test.Events/Other";
      pub.publish(topic, Buffer.from(String(i)));
    }
    pub.publish("test.Unrelated/Moved", Buffer.from("never"));
    await pub.flush();

    const [m, a] = await Promise.all([take(moved, N / 2), take(all, N)]);
    expect(m.map((e) => Number(Buffer.from(e.payload).toString()))).toEqual(Array.from({ length: N / 2 }, (_, i) => 2 * i));
    expect(m.every((e) => e.topic === "test.Events/Moved/red")).toBe(true);
    expect(m.map((e) => e.seq)).toEqual(Array.from({ length: N / 2 }, (_, i) => i));
    expect(a.map((e) => Number(Buffer.from(e.payload).toString()))).toEqual(Array.from({ length: N }, (_, i) => i));
    expect(moved.gaps).toBe(0);
    expect(all.gaps).toBe(0);
  });

  it("unsubscribe stops delivery; malformed messages are dropped and counted", async () => {
    // A raw XPUB shows when the subscription changes reach the publisher: no sleeping.
    const raw = sockets.add(new zmq.XPublisher({ linger: 0, receiveTimeout: 5000 }));
    await raw.bind(bindAddress(t));
    const ep = raw.lastEndpoint!;
    const sub = sockets.add(new Subscriber());
    sub.connect(ep);
    sub.subscribe("a/");
    sub.subscribe("b/");
    expect((await raw.receive())[0]!.toString("latin1")).toBe("\x01a/");
    expect((await raw.receive())[0]!.toString("latin1")).toBe("\x01b/");
    sub.unsubscribe("a/");
    expect((await raw.receive())[0]!.toString("latin1")).toBe("\x00a/");
    await raw.send(["a/x", Buffer.from("0105020000000000", "hex"), "dropped by the filter"]);
    await raw.send(["b/short", "x", "bad header"]);
    await raw.send(["b/two-frames", "x"]);
    await raw.send(["b/ok", Buffer.from("0105020007000000", "hex"), "fine"]);
    const ev = await sub.receive();
    expect(ev).toMatchObject({ topic: "b/ok", seq: 7 });
    expect(Buffer.from(ev.payload).toString()).toBe("fine");
    expect(sub.droppedMessages).toBe(2);
  });

  it("interleaved topics, long topics and large payloads arrive intact, in order, none lost", async () => {
    // The publisher reuses its frames arrays for every event, and caches each topic's frame: every
    // event must still carry its own topic, sequence number and payload.
    // Topic and payload frames over 128 bytes take zeromq.js's zero-copy path, smaller ones are copied.
    const pub = sockets.add(new Publisher({ sendHighWaterMark: 100_000 }));
    await pub.bind(bindAddress(t));
    const sub = sockets.add(new Subscriber({ receiveHighWaterMark: 100_000 }));
    sub.connect(pub.endpoints[0]!);
    sub.subscribe("t.E/");
    expect(await pub.waitForSubscriber("t.E/", 5000)).toBe(true);
    const topics = ["t.E/A", "t.E/B/" + "x".repeat(200), "t.E/A/ü"];
    const N = 3000;
    for (let i = 0; i < N; i++) {
      const body = Buffer.alloc(i % 3 === 1 ? 1000 + (i % 7) : 8);
      body.writeUInt32LE(i, 0);
      pub.publish(topics[i % 3]!, body);
    }
    await pub.flush();
    const got = await take(sub, N);
    expect(got.map((e) => Buffer.from(e.payload).readUInt32LE(0))).toEqual(Array.from({ length: N }, (_, i) => i));
    expect(got.map((e) => e.topic)).toEqual(Array.from({ length: N }, (_, i) => topics[i % 3]));
    expect(got.map((e) => e.seq)).toEqual(Array.from({ length: N }, (_, i) => Math.floor(i / 3)));
    expect(got.map((e) => e.payload.length)).toEqual(Array.from({ length: N }, (_, i) => (i % 3 === 1 ? 1000 + (i % 7) : 8)));
    expect(sub.gaps).toBe(0);
    expect(sub.droppedMessages).toBe(0);
  });

  it("noDrop: at the high-water mark events wait instead of being lost, and arrive in order", async () => {
    // 2,000 events against high-water marks of 10: the publisher must hold most of them back.
    const pub = sockets.add(new Publisher({ noDrop: true, sendHighWaterMark: 10 }));
    await pub.bind(bindAddress(t));
    const sub = sockets.add(new Subscriber({ receiveHighWaterMark: 10 }));
    sub.connect(pub.endpoints[0]!);
    sub.subscribe("q/");
    expect(await pub.waitForSubscriber("q/", 5000)).toBe(true);
    const N = 2000;
    for (let i = 0; i < N; i++) pub.publish("q/x", Buffer.from(String(i)));
    const [got] = await Promise.all([take(sub, N), pub.flush()]);
    expect(got.map((e) => Number(Buffer.from(e.payload).toString()))).toEqual(Array.from({ length: N }, (_, i) => i));
    expect(got.map((e) => e.seq)).toEqual(Array.from({ length: N }, (_, i) => i));
    expect(sub.gaps).toBe(0);
  });

  it("counts a gap per topic, whichever topic came before", async () => {
    // A raw XPUB forges sequence numbers: topic a 0, 1, (2 lost), 3; topic b 0, (1..4 lost), 5.
    const raw = sockets.add(new zmq.XPublisher({ linger: 0, receiveTimeout: 5000 }));
    await raw.bind(bindAddress(t));
    const sub = sockets.add(new Subscriber());
    sub.connect(raw.lastEndpoint!);
    sub.subscribe("");
    await raw.receive();
    const ev = (seq: number): Buffer => Buffer.from([1, 5, 2, 0, seq, 0, 0, 0]);
    for (const [topic, seq] of [["a", 0], ["b", 0], ["a", 1], ["a", 3], ["b", 5]] as const) await raw.send([topic, ev(seq), "p"]);
    const got = await take(sub, 5);
    expect(got.map((e) => `${e.topic}${e.seq}`)).toEqual(["a0", "b0", "a1", "a3", "b5"]);
    expect(sub.gaps).toBe(1 + 4);
  });

  it("batch: runs of one topic travel as one message of up to `batch` events, in order", async () => {
    // Publisher(batch 16) ── topic | h0 | p0 | h1 | p1 ... ──▶ raw SUB (sees the messages) and Subscriber
    const pub = sockets.add(new Publisher({ sendHighWaterMark: 100_000, batch: 16 }));
    await pub.bind(bindAddress(t));
    const raw = sockets.add(new zmq.Subscriber({ linger: 0, receiveTimeout: 5000, receiveHighWaterMark: 100_000 }));
    const sub = sockets.add(new Subscriber({ receiveHighWaterMark: 100_000 }));
    raw.connect(pub.endpoints[0]!);
    raw.subscribe("b.E/");
    expect(await pub.waitForSubscriber("b.E/", 5000)).toBe(true);
    sub.connect(pub.endpoints[0]!);
    sub.subscribe("b.E/");
    // Wait until both subscriptions are counted (the raw one was counted above).
    for (let i = 0; i < 500 && pub.subscriptions < 2; i++) await new Promise((r) => setTimeout(r, 10));
    expect(pub.subscriptions).toBe(2);
    // Runs of 1, 2, ... 40 events, alternating topics: 820 events.
    const sent: Array<[string, number]> = [];
    for (let run = 1; run <= 40; run++) {
      const topic = run % 2 ? "b.E/odd" : "b.E/even";
      for (let k = 0; k < run; k++) {
        pub.publish(topic, Buffer.from(String(sent.length)));
        sent.push([topic, sent.length]);
      }
    }
    await pub.flush();
    const N = sent.length;
    // The raw view: every message is one topic's run, cut at 16 events, each a one-frame packet.
    const sizes: number[] = [];
    for (let n = 0; n < N; ) {
      const frames = await raw.receive();
      const events = packetsOf(frames, 1);
      expect(events.every((p) => p.frames === 1 && p.header.kind === Kind.EVENT)).toBe(true);
      sizes.push(events.length);
      n += events.length;
    }
    const expectedSizes = Array.from({ length: 40 }, (_, r) => r + 1).flatMap((run) => [...Array(Math.floor(run / 16)).fill(16), ...(run % 16 ? [run % 16] : [])]);
    expect(sizes).toEqual(expectedSizes);
    // The Subscriber hands them out one by one, in order, with per-topic sequence numbers.
    const got = await take(sub, N);
    expect(got.map((e) => [e.topic, Number(Buffer.from(e.payload).toString())])).toEqual(sent);
    const seqs = new Map<string, number>();
    expect(got.every((e) => e.seq === (seqs.set(e.topic, (seqs.get(e.topic) ?? -1) + 1), seqs.get(e.topic)))).toBe(true);
    expect(sub.gaps).toBe(0);
    expect(sub.droppedMessages).toBe(0);
  });

  it("batch: a partial batch goes out at the end of the tick, and receive() returns its events one by one", async () => {
    const pub = sockets.add(new Publisher({ batch: 64 }));
    await pub.bind(bindAddress(t));
    const sub = sockets.add(new Subscriber());
    sub.connect(pub.endpoints[0]!);
    sub.subscribe("p/");
    expect(await pub.waitForSubscriber("p/", 5000)).toBe(true);
    pub.publish("p/x", Buffer.from("a"));
    pub.publish("p/x", Buffer.from("b"));
    pub.publish("p/x", Buffer.from("c"));
    // No flush(): the microtask at the end of this tick sends the batch.
    const got = [await sub.receive(), await sub.receive(), await sub.receive()];
    expect(got.map((e) => `${Buffer.from(e.payload).toString()}${e.seq}`)).toEqual(["a0", "b1", "c2"]);
    pub.batch = 1; // back to one message per event
    pub.publish("p/x", Buffer.from("d"));
    expect((await sub.receive()).seq).toBe(3);
  });

  it("accepts batches from any publisher; drops malformed ones whole", async () => {
    const raw = sockets.add(new zmq.XPublisher({ linger: 0, receiveTimeout: 5000 }));
    await raw.bind(bindAddress(t));
    const sub = sockets.add(new Subscriber());
    sub.connect(raw.lastEndpoint!);
    sub.subscribe("");
    await raw.receive();
    const h = (seq: number): Buffer => Buffer.from([1, 5, 2, 0, seq, 0, 0, 0]);
    await raw.send(["m", h(0), "p0", h(1)]); // even: dropped
    await raw.send(["m", h(0), "p0", Buffer.from([1, 2, 2, 0, 1, 0, 0, 0]), "p1"]); // a MESSAGE header inside: dropped
    await raw.send(["m", h(0), "p0", h(1), "p1", h(2), "p2"]);
    await raw.send(["m", h(3), "p3"]);
    const got = await take(sub, 4);
    expect(got.map((e) => `${e.seq}:${Buffer.from(e.payload).toString()}`)).toEqual(["0:p0", "1:p1", "2:p2", "3:p3"]);
    expect(sub.droppedMessages).toBe(2);
    expect(sub.gaps).toBe(0);
  });

  it("sends the header of PZMQ/1 section 7: an event of up to INLINE_MAX_BYTES inline, a larger one in a frame of its own", async () => {
    const pub = sockets.add(new Publisher());
    await pub.bind(bindAddress(t));
    const raw = sockets.add(new zmq.Subscriber({ linger: 0, receiveTimeout: 5000 }));
    raw.connect(pub.endpoints[0]!);
    raw.subscribe("x.Y/");
    expect(await pub.waitForSubscriber("x.Y/Z")).toBe(true);
    // Small (in the publisher's scratch frame, up to 120 B), mid-sized (a frame of its own), at the
    // limit, over it.
    const sizes = [1, 120, 121, 64, 200, INLINE_MAX_BYTES, INLINE_MAX_BYTES + 1];
    for (const [i, n] of sizes.entries()) pub.publish("x.Y/Z", Buffer.alloc(n, i + 1));
    for (const [i, n] of sizes.entries()) {
      const frames = await raw.receive();
      expect(frames[0]!.toString()).toBe("x.Y/Z");
      const inline = n <= INLINE_MAX_BYTES;
      expect(frames).toHaveLength(inline ? 2 : 3);
      const flags = inline ? Flag.HAS_MESSAGE | Flag.INLINE : Flag.HAS_MESSAGE;
      expect(decodeHeader(frames[1]!)).toMatchObject({ kind: Kind.EVENT, flags, callId: i });
      expect(onlyPacket(frames, 1).payload.equals(Buffer.alloc(n, i + 1))).toBe(true);
      if (inline) expect(frames[1]).toHaveLength(8 + n);
    }
  });
});

describe("a subscriber that connects over inproc before the publisher binds", () => {
  it("is seen by the publisher once it binds, and gets what is published after", async () => {
    const endpoint = bindAddress("inproc");
    const sub = sockets.add(new Subscriber());
    sub.connect(endpoint);
    sub.subscribe("early.E/");
    const pub = sockets.add(new Publisher());
    await pub.bind(endpoint);
    // The subscription waited in the pipe; the bind brings it in without waking anything.
    expect(await pub.waitForSubscriber("early.E/x", 3000)).toBe(true);
    expect(pub.subscriptions).toBe(1);
    pub.publish("early.E/x", Buffer.from("hi"));
    const [ev] = await take(sub, 1, 5000);
    expect(ev).toMatchObject({ topic: "early.E/x", seq: 0 });
    expect(Buffer.from(ev!.payload).toString()).toBe("hi");
  });
});
