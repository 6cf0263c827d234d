/**
 * Inline packets (PZMQ/1 3): which form each side sends, seen on raw zeromq sockets, and that
 * every receiver takes both forms, mixed in one message, and drops a message whose last header
 * lacks its payload frame (MISSING_PAYLOAD).
 *
 * ```
 * form:     Channel ──▶ raw ROUTER        raw DEALER ──▶ Server        Publisher ──▶ raw SUB
 * accept:   raw ROUTER ──▶ Channel        raw DEALER ──▶ Server        raw XPUB ──▶ Subscriber
 * ```
 */
import * as zmq from "zeromq";
import { Channel } from "../../../runtime/ts/src/channel";
import { Subscriber } from "../../../runtime/ts/src/events";
import { Metadata } from "../../../runtime/ts/src/metadata";
import {
  Flag,
  INLINE_MAX_BYTES,
  Kind,
} from "../../../runtime/ts/src/protocol";
import { encodeRequest, encodeSimple, encodeTrailers, methodBytes } from "../../../runtime/ts/src/packet-encode";
import { Status } from "../../../runtime/ts/src/status";
import { bindAddress, bytes, connect, method, onlyPacket, packetsOf, RawPacket, Sockets, startServer, TRANSPORTS } from "./helpers";

const Unary = method("Unary", "unary", bytes);
const Stream = method("Stream", "server_streaming", bytes);
const Upload = method("Upload", "client_streaming", bytes);

/** Message sizes either side of the limit, each filled with its own byte. */
const SIZES = [0, 5, 200, INLINE_MAX_BYTES, INLINE_MAX_BYTES + 1, 100_000] as const;
const body = (n: number, fill = n % 251): Buffer => Buffer.alloc(n, fill);
const HM_END = Flag.HAS_MESSAGE | Flag.END;

const sockets = new Sockets();
afterEach(() => sockets.closeAll());

/** Every packet of the next message on a raw ROUTER, with the routing id. */
async function routerPackets(router: zmq.Router): Promise<{ rid: Buffer; packets: RawPacket[] }> {
  const frames = await router.receive();
  return { rid: frames[0]!, packets: packetsOf(frames, 1) };
}

/** The form a sender must pick for a message of `n` bytes (PZMQ/1 3). */
const expectForm = (p: RawPacket, n: number): void => {
  expect(p.frames).toBe(n <= INLINE_MAX_BYTES ? 1 : 2);
  expect((p.header.flags & Flag.INLINE) !== 0).toBe(n <= INLINE_MAX_BYTES);
};

describe.each(TRANSPORTS)("inline packets over %s", (t) => {
  it("a channel sends messages of up to INLINE_MAX_BYTES inline and larger ones as two frames", async () => {
    const router = sockets.add(new zmq.Router({ linger: 0, receiveTimeout: 5000 }));
    await router.bind(bindAddress(t));
    const channel = await connect(sockets, router.lastEndpoint!);
    for (const n of SIZES) {
      const reply = channel.unary(Unary, body(n));
      const { rid, packets } = await routerPackets(router);
      expect(packets).toHaveLength(1);
      expect(packets[0]!.header).toMatchObject({ kind: Kind.REQUEST, method: Unary.path });
      expectForm(packets[0]!, n);
      expect(packets[0]!.payload.equals(body(n))).toBe(true);
      const id = packets[0]!.header.callId;
      await router.send([rid, encodeTrailers(id, HM_END, Status.OK, ""), body(3, 9)]);
      expect(Buffer.from(await reply).equals(body(3, 9))).toBe(true);
    }
  });

  it("a channel's request stream: MESSAGE packets by size, then an inline half-close; CANCEL inline", async () => {
    const router = sockets.add(new zmq.Router({ linger: 0, receiveTimeout: 5000 }));
    await router.bind(bindAddress(t));
    const channel = await connect(sockets, router.lastEndpoint!);
    const reply = channel.clientStream(Upload, SIZES.map((n) => body(n)));
    const seen: RawPacket[] = [];
    let rid!: Buffer;
    while (seen.length === 0 || (seen[seen.length - 1]!.header.flags & Flag.END) === 0) {
      const m = await routerPackets(router);
      rid = m.rid;
      seen.push(...m.packets);
    }
    expect(seen[0]!.header).toMatchObject({ kind: Kind.REQUEST, flags: Flag.INLINE }); // opens the call, no message
    const messages = seen.slice(1, -1);
    expect(messages.map((p) => p.payload.length)).toEqual([...SIZES]);
    messages.forEach((p, i) => expectForm(p, SIZES[i]!));
    expect(seen[seen.length - 1]).toMatchObject({ header: { kind: Kind.MESSAGE, flags: Flag.END | Flag.INLINE }, frames: 1, payload: Buffer.alloc(0) });
    await router.send([rid, encodeTrailers(seen[0]!.header.callId, HM_END | Flag.INLINE, Status.OK, "", undefined, undefined, undefined, body(1))]);
    expect(Buffer.from(await reply).equals(body(1))).toBe(true);

    const abort = new AbortController();
    const pending = channel.unary(Unary, body(1), { signal: abort.signal }).catch((e: { code: number }) => e.code);
    const request = (await routerPackets(router)).packets[0]!;
    abort.abort();
    expect(await pending).toBe(Status.CANCELLED);
    const cancel = onlyPacket(await router.receive(), 1);
    expect(cancel).toMatchObject({ header: { kind: Kind.CANCEL, flags: Flag.INLINE, callId: request.header.callId }, frames: 1 });
  });

  it("a server answers by size: inline TRAILERS and stream MESSAGEs up to INLINE_MAX_BYTES, two frames above", async () => {
    const { endpoint } = await startServer(sockets, t, (s) => {
      s.addMethod(Unary, (req) => {
        if (req.length === 1) throw new Error("no");
        return req;
      });
      s.addMethod(Stream, async function* (req) {
        for (const n of SIZES) yield body(n, req[0]);
      });
    });
    const raw = sockets.add(new zmq.Dealer({ linger: 0, receiveTimeout: 5000 }));
    raw.connect(endpoint);
    for (const [i, n] of SIZES.entries()) {
      await raw.send([encodeRequest(i + 10, HM_END, 0, methodBytes(Unary.path)), body(n)]);
      const reply = onlyPacket(await raw.receive());
      expect(reply.header).toMatchObject({ kind: Kind.TRAILERS, callId: i + 10, status: Status.OK });
      expectForm(reply, n);
      expect(reply.payload.equals(body(n))).toBe(true);
    }
    // An error has no message: one frame.
    await raw.send([encodeRequest(3, HM_END, 0, methodBytes(Unary.path)), body(1)]);
    expect(onlyPacket(await raw.receive())).toMatchObject({ header: { status: Status.UNKNOWN, flags: Flag.END | Flag.INLINE }, frames: 1 });

    await raw.send([encodeRequest(4, HM_END, 0, methodBytes(Stream.path)), Buffer.from([7])]);
    const got: RawPacket[] = [];
    while (got.length === 0 || got[got.length - 1]!.header.kind !== Kind.TRAILERS) got.push(...packetsOf(await raw.receive()));
    const messages = got.slice(0, -1);
    expect(messages.map((p) => p.payload.length)).toEqual([...SIZES]);
    messages.forEach((p, i) => {
      expectForm(p, SIZES[i]!);
      expect(p.payload.equals(body(SIZES[i]!, 7))).toBe(true);
    });
    expect(got[got.length - 1]).toMatchObject({ header: { status: Status.OK, flags: Flag.END | Flag.INLINE }, frames: 1 });
  });

  it("a server takes inline and two-frame packets mixed in one message, in order", async () => {
    const order: string[] = [];
    const { endpoint } = await startServer(sockets, t, (s) =>
      s.addMethod(Unary, (req) => {
        order.push(Buffer.from(req).toString());
        return req;
      }),
    );
    const raw = sockets.add(new zmq.Dealer({ linger: 0, receiveTimeout: 5000 }));
    raw.connect(endpoint);
    const md = new Metadata({ "x-tag": "t" });
    const inline = (id: number, text: string, metadata?: Metadata): Buffer =>
      encodeRequest(id, HM_END | Flag.INLINE, 0, methodBytes(Unary.path), metadata, Buffer.from(text));
    // inline (with metadata before its message), two-frame, inline, two-frame with an empty message
    await raw.send([
      inline(1, "a", md),
      encodeRequest(2, HM_END, 0, methodBytes(Unary.path)),
      Buffer.from("b"),
      inline(3, "c"),
      encodeRequest(4, HM_END, 0, methodBytes(Unary.path)),
      Buffer.alloc(0),
    ]);
    const replies: RawPacket[] = [];
    while (replies.length < 4) replies.push(...packetsOf(await raw.receive()));
    expect(order).toEqual(["a", "b", "c", ""]);
    expect(replies.map((p) => [p.header.callId, p.header.status, p.payload.toString()])).toEqual([
      [1, Status.OK, "a"],
      [2, Status.OK, "b"],
      [3, Status.OK, "c"],
      [4, Status.OK, ""],
    ]);
  });

  it("a channel takes inline and two-frame responses mixed in one message", async () => {
    const router = sockets.add(new zmq.Router({ linger: 0, receiveTimeout: 5000 }));
    await router.bind(bindAddress(t));
    const channel = await connect(sockets, router.lastEndpoint!);
    const a = channel.unary(Unary, body(1));
    const b = channel.unary(Unary, body(1));
    const stream = channel.serverStream(Stream, body(1));
    const ids: number[] = [];
    while (ids.length < 3) {
      const m = await routerPackets(router);
      ids.push(...m.packets.map((p) => p.header.callId));
      if (ids.length === 3) {
        const [ia, ib, is] = ids as [number, number, number];
        const headers = new Metadata({ "x-server": "s1" });
        await router.send([
          m.rid,
          encodeSimple(Kind.MESSAGE, Flag.HAS_MESSAGE | Flag.INLINE, is, headers, Buffer.from("s0")),
          encodeTrailers(ia, HM_END | Flag.INLINE, Status.OK, "", undefined, undefined, undefined, Buffer.from("ra")),
          encodeSimple(Kind.MESSAGE, Flag.HAS_MESSAGE, is),
          Buffer.from("s1"),
          encodeTrailers(ib, HM_END, Status.OK, ""),
          Buffer.from("rb"),
          encodeTrailers(is, Flag.END | Flag.INLINE, Status.OK, ""),
        ]);
      }
    }
    expect(Buffer.from(await a).toString()).toBe("ra");
    expect(Buffer.from(await b).toString()).toBe("rb");
    const got: string[] = [];
    for await (const m of stream) got.push(Buffer.from(m).toString());
    expect(got).toEqual(["s0", "s1"]);
    expect(channel.droppedMessages).toBe(0);
  });

  it("a server and a channel drop a message whose last header lacks its payload frame (MISSING_PAYLOAD)", async () => {
    const calls: string[] = [];
    const serverErrors: string[] = [];
    const { server, endpoint } = await startServer(
      sockets,
      t,
      (s) => s.addMethod(Unary, (req) => (calls.push(Buffer.from(req).toString()), req)),
      { onProtocolError: (e) => serverErrors.push(e.reason) },
    );
    const raw = sockets.add(new zmq.Dealer({ linger: 0, receiveTimeout: 5000 }));
    raw.connect(endpoint);
    const inlineReq = (id: number, text: string): Buffer =>
      encodeRequest(id, HM_END | Flag.INLINE, 0, methodBytes(Unary.path), undefined, Buffer.from(text));
    await raw.send([inlineReq(1, "dropped"), encodeRequest(2, HM_END, 0, methodBytes(Unary.path))]);
    await raw.send([inlineReq(3, "served")]);
    expect(onlyPacket(await raw.receive())).toMatchObject({ header: { callId: 3 }, payload: Buffer.from("served") });
    expect(calls).toEqual(["served"]);
    expect(server.droppedMessages).toBe(1);
    expect(serverErrors).toEqual(["MISSING_PAYLOAD"]);

    const router = sockets.add(new zmq.Router({ linger: 0, receiveTimeout: 5000 }));
    await router.bind(bindAddress(t));
    const clientErrors: string[] = [];
    const channel = sockets.add(new Channel(router.lastEndpoint!, { onProtocolError: (e) => clientErrors.push(e.reason) }));
    const reply = channel.unary(Unary, body(1));
    const { rid, packets } = await routerPackets(router);
    const id = packets[0]!.header.callId;
    const ok = (text: string, flags: number): Buffer => encodeTrailers(id, flags, Status.OK, "", undefined, undefined, undefined, Buffer.from(text));
    // The inline answer comes first but the message is dropped whole; the next one is taken.
    await router.send([rid, ok("dropped", HM_END | Flag.INLINE), encodeSimple(Kind.MESSAGE, Flag.HAS_MESSAGE, id)]);
    await router.send([rid, ok("taken", HM_END | Flag.INLINE)]);
    expect(Buffer.from(await reply).toString()).toBe("taken");
    expect(channel.droppedMessages).toBe(1);
    expect(clientErrors).toEqual(["MISSING_PAYLOAD"]);
  });

  it("the size limit applies to the message, inline or not, not to the header", async () => {
    const { endpoint } = await startServer(sockets, t, (s) => s.addMethod(Unary, (req) => req), { maxMessageBytes: 10 });
    const raw = sockets.add(new zmq.Dealer({ linger: 0, receiveTimeout: 5000 }));
    raw.connect(endpoint);
    const big = new Metadata({ "x-pad": "p".repeat(100) });
    const req = (id: number, n: number, inline: boolean): Buffer[] =>
      inline
        ? [encodeRequest(id, HM_END | Flag.INLINE, 0, methodBytes(Unary.path), big, body(n))]
        : [encodeRequest(id, HM_END, 0, methodBytes(Unary.path), big), body(n)];
    for (const inline of [true, false]) {
      await raw.send(req(1, 10, inline));
      expect(onlyPacket(await raw.receive()).header).toMatchObject({ callId: 1, status: Status.OK });
      await raw.send(req(2, 11, inline));
      expect(onlyPacket(await raw.receive()).header).toMatchObject({
        callId: 2,
        status: Status.RESOURCE_EXHAUSTED,
        statusMessage: "request message of 11 bytes exceeds the limit of 10 bytes",
      });
    }
  });
});

describe.each(TRANSPORTS)("inline events over %s", (t) => {
  async function rawPublisher(): Promise<{ raw: zmq.XPublisher; sub: Subscriber }> {
    const raw = sockets.add(new zmq.XPublisher({ linger: 0, receiveTimeout: 5000 }));
    await raw.bind(bindAddress(t));
    const sub = sockets.add(new Subscriber());
    sub.connect(raw.lastEndpoint!);
    sub.subscribe("");
    await raw.receive(); // the subscription reached the publisher
    return { raw, sub };
  }
  const inlineEv = (seq: number, text: string): Buffer => encodeSimple(Kind.EVENT, Flag.HAS_MESSAGE | Flag.INLINE, seq, undefined, Buffer.from(text));
  const header = (seq: number): Buffer => encodeSimple(Kind.EVENT, Flag.HAS_MESSAGE, seq);

  it("a subscriber takes inline and two-frame events mixed in one message, in order", async () => {
    const { raw, sub } = await rawPublisher();
    const large = body(INLINE_MAX_BYTES + 1, 3);
    await raw.send(["m", inlineEv(0, "e0"), header(1), "e1", inlineEv(2, "e2"), header(3), large]);
    await raw.send(["m", header(4), "e4"]);
    await raw.send(["m", inlineEv(5, "e5")]);
    const got = [];
    for (let i = 0; i < 6; i++) got.push(await sub.receive());
    expect(got.map((e) => e.seq)).toEqual([0, 1, 2, 3, 4, 5]);
    expect(got.map((e) => Buffer.from(e.payload).toString("latin1").slice(0, 2))).toEqual(["e0", "e1", "e2", "\x03\x03", "e4", "e5"]);
    expect(Buffer.from(got[3]!.payload).equals(large)).toBe(true);
    expect(sub.droppedMessages).toBe(0);
    expect(sub.gaps).toBe(0);
  });

  it("a subscriber drops a message whose last EVENT header lacks its payload frame, or that has only a topic", async () => {
    const { raw, sub } = await rawPublisher();
    await raw.send(["m", inlineEv(0, "e0"), header(1)]); // MISSING_PAYLOAD: dropped whole, e0 included
    await raw.send(["m"]);
    await raw.send(["m", inlineEv(2, "e2")]);
    const ev = await sub.receive();
    expect(ev.seq).toBe(2);
    expect(Buffer.from(ev.payload).toString()).toBe("e2");
    expect(sub.droppedMessages).toBe(2);
  });
});

describe("frame memory", () => {
  it("carves small frames out of one slab of its own, not Node's 8 KiB Buffer pool, without overlap", () => {
    const m = methodBytes("pkg.S/M");
    const msg = new Uint8Array(64).fill(7);
    const frames: Buffer[] = [];
    for (let i = 0; i < 50; i++) {
      frames.push(encodeRequest(i + 1, Flag.HAS_MESSAGE | Flag.END | Flag.INLINE, 0, m, undefined, msg));
      frames.push(encodeTrailers(i + 1, Flag.END | Flag.HAS_MESSAGE | Flag.INLINE, Status.OK, "", undefined, undefined, undefined, msg));
    }
    // Slabs are 4 * (INLINE_MAX_BYTES + 1 KiB): 100 frames of ~100 B share at most two of them.
    const slabs = new Set(frames.map((f) => f.buffer));
    expect(slabs.size).toBeLessThanOrEqual(2);
    for (const s of slabs) expect(s.byteLength).toBe(4 * (INLINE_MAX_BYTES + 1024));
    const spans = frames.filter((f) => f.buffer === frames[frames.length - 1]!.buffer).map((f) => [f.byteOffset, f.byteOffset + f.length] as const);
    spans.sort((a, b) => a[0] - b[0]);
    for (let i = 1; i < spans.length; i++) expect(spans[i]![0]).toBeGreaterThanOrEqual(spans[i - 1]![1]);
    // Each frame still holds what its encoder wrote.
    for (let i = 0; i < frames.length; i += 2) expect(frames[i]!.readUInt32LE(4)).toBe(i / 2 + 1);
  });
});
