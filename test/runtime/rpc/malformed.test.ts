/**
 * Malformed input (PZMQ/1 section 10, test/vectors/malformed.json) sent with raw zeromq sockets,
 * over inproc, ipc and tcp. Nothing may crash or hang; each case gets exactly the answer the
 * vector file states.
 *
 * ```
 * server side:  raw DEALER ── malformed frames ──▶ Server (ROUTER)
 *               raw DEALER ── valid REQUEST 999 ──▶            (proves the server still serves,
 *               raw DEALER ◀── [reply for the case] ◀──          and that nothing else came back)
 *               raw DEALER ◀── TRAILERS 999 OK ◀──
 *
 * client side:  Channel (DEALER) ── REQUEST n ──▶ raw ROUTER
 *               Channel ◀── malformed frames (call id patched to n) ── raw ROUTER
 *               Channel ◀── TRAILERS n OK (if the call is still open) ── raw ROUTER
 * ```
 */
import { readFileSync } from "fs";
import { join } from "path";
import * as zmq from "zeromq";
import { Channel } from "../../../runtime/ts/src/channel";
import { Flag, HEADER_SIZE, isInline, Kind } from "../../../runtime/ts/src/protocol";
import { encodeRequest, encodeTrailers, methodBytes } from "../../../runtime/ts/src/packet-encode";
import { Status } from "../../../runtime/ts/src/status";
import { bindAddress, bytes, method, onlyPacket, Sockets, startServer, TRANSPORTS } from "./helpers";

interface MCase {
  name: string;
  frames: string[];
  error: string | null;
  callId: number | null;
  server: { action: "drop" | "reply" | "ignore" | "apply"; status?: number; statusMessage?: string };
  client: { action: "drop" | "fail" | "ignore" | "apply"; status?: number };
}
const cases = (JSON.parse(readFileSync(join(__dirname, "../../vectors/malformed.json"), "utf8")) as { cases: MCase[] }).cases;
const unhex = (s: string): Buffer => Buffer.from(s, "hex");

// The vectors call "test.Echo/Unary"; "test.Echo/Stream" is used for the client-side cases.
const Unary = method("Unary", "unary", bytes);
const Stream = method("Stream", "server_streaming", bytes);

const sockets = new Sockets();
afterEach(() => sockets.closeAll());

describe.each(TRANSPORTS)("a server receiving malformed input over %s", (t) => {
  it.each(cases.map((c) => [c.name, c] as const))("%s", async (_name, c) => {
    const calls: string[] = [];
    const protocolErrors: string[] = [];
    const { server, endpoint } = await startServer(
      sockets,
      t,
      (s) =>
        s.addMethod(Unary, (req) => {
          calls.push(Buffer.from(req).toString("hex"));
          return req;
        }),
      { onProtocolError: (e) => protocolErrors.push(e.reason) },
    );
    const raw = sockets.add(new zmq.Dealer({ linger: 0, receiveTimeout: 3000 }));
    raw.connect(endpoint);
    await raw.send(c.frames.map(unhex));
    await raw.send([encodeRequest(999, Flag.HAS_MESSAGE | Flag.END, 0, methodBytes(Unary.path)), Buffer.from("ok")]);

    if (c.server.action === "reply") {
      // Without a message, the reply is one inline frame; the flags are END (+ INLINE, the form).
      const { header: h, payload } = onlyPacket(await raw.receive());
      expect(h).toMatchObject({ kind: Kind.TRAILERS, flags: Flag.END | Flag.INLINE, callId: c.callId, status: c.server.status });
      expect(h.statusMessage).toBe(c.server.statusMessage);
      expect(payload).toHaveLength(0);
    }
    if (c.server.action === "apply") {
      const { header, payload } = onlyPacket(await raw.receive());
      expect(header).toMatchObject({ kind: Kind.TRAILERS, callId: c.callId, status: Status.OK });
      expect(payload.toString("hex")).toBe(c.frames[1]);
    }
    // Whatever happened, the next thing back is the answer to the valid request 999.
    const { header, payload } = onlyPacket(await raw.receive());
    expect(header).toMatchObject({ kind: Kind.TRAILERS, callId: 999, status: Status.OK });
    expect(payload.toString()).toBe("ok");
    if (c.server.action === "drop") {
      expect(server.droppedMessages).toBe(1);
      expect(calls).toEqual([Buffer.from("ok").toString("hex")]); // not even a valid first packet ran
    }
    if (c.error !== null) expect(protocolErrors).toContain(c.error);
  });

  it("answers a REQUEST reusing an open call id with INVALID_ARGUMENT, leaving the open call alone", async () => {
    let release!: () => void;
    const { endpoint } = await startServer(sockets, t, (s) =>
      s.addMethod(Unary, async (req) => {
        if (req.length === 1) await new Promise<void>((r) => (release = r));
        return req;
      }),
    );
    const raw = sockets.add(new zmq.Dealer({ linger: 0, receiveTimeout: 3000 }));
    raw.connect(endpoint);
    const req = (payload: string): Buffer[] => [encodeRequest(7, Flag.HAS_MESSAGE | Flag.END, 0, methodBytes(Unary.path)), Buffer.from(payload)];
    await raw.send(req("a"));
    await raw.send(req("bb"));
    expect(onlyPacket(await raw.receive()).header).toMatchObject({ callId: 7, status: Status.INVALID_ARGUMENT, statusMessage: "call id 7 is already open" });
    release();
    const second = onlyPacket(await raw.receive());
    expect(second.header).toMatchObject({ callId: 7, status: Status.OK });
    expect(second.payload.toString()).toBe("a");
  });
});

describe.each(TRANSPORTS)("a channel receiving malformed input over %s", (t) => {
  it.each(cases.map((c) => [c.name, c] as const))("%s", async (_name, c) => {
    const router = sockets.add(new zmq.Router({ linger: 0, receiveTimeout: 3000 }));
    await router.bind(bindAddress(t));
    const protocolErrors: string[] = [];
    const channel = sockets.add(new Channel(router.lastEndpoint!, { onProtocolError: (e) => protocolErrors.push(e.reason) }));
    const stream = channel.serverStream(Stream, new Uint8Array([1]), { timeoutMs: 5000 });
    const request = await router.receive();
    const rid = request[0]!;
    const id = onlyPacket(request, 1).header.callId;
    // Point the malformed packets at the open call (when the case names a call that should be open).
    const frames = c.frames.map(unhex);
    const openCase = c.client.action !== "ignore";
    if (openCase && c.callId !== null) {
      for (let i = 0; i < frames.length; i += isInline(frames[i]!) ? 1 : 2) if (frames[i]!.length >= HEADER_SIZE) frames[i]!.writeUInt32LE(id, 4);
    }
    await router.send([rid, ...frames]);
    // Then end the call properly; a client that already failed the call ignores this.
    await router.send([rid, encodeTrailers(id, Flag.END, Status.OK, ""), Buffer.alloc(0)]);

    const result = await (async () => {
      const got: Uint8Array[] = [];
      for await (const m of stream) got.push(m);
      return got;
    })().then(
      (got) => ({ ok: true as const, got }),
      (err: { code: number; message: string }) => ({ ok: false as const, err }),
    );
    if (c.client.action === "fail") {
      expect(result).toMatchObject({ ok: false, err: { code: c.client.status } });
    } else {
      expect(result).toEqual({ ok: true, got: [] });
    }
    if (c.client.action === "drop") expect(channel.droppedMessages).toBe(1);
    if (c.error !== null) expect(protocolErrors).toContain(c.error);
    expect(channel.openCalls).toBe(0);
  });
});
