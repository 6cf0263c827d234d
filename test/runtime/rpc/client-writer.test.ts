/**
 * The client's writer and reader as they meet libzmq (channel-writer.ts, channel-core.ts):
 *
 * - The DEALER sends with ZMQ_SNDTIMEO 0. A batch libzmq refuses (EAGAIN: no server yet under
 *   ZMQ_IMMEDIATE, or the high-water mark reached) is sent again with ZMQ_SNDTIMEO =
 *   `sendTimeoutMs`: it waits for a server or for room, then fails its calls with UNAVAILABLE.
 * - The reader runs only while a call is open: what the server sends while none is waits in
 *   libzmq and is read (and ignored, or counted as malformed) when the next call starts.
 *
 * ```
 * Channel ──REQUEST──▶ (nothing bound yet) ··· Server binds ──▶ the waiting call goes through
 * Channel ──REQUEST──▶ raw ROUTER that never reads (HWM 1) ──▶ later batches: UNAVAILABLE
 * Channel ◀──stray packets, no call open── raw ROUTER; next call ◀──its reply── raw ROUTER
 * ```
 */
import * as zmq from "zeromq";
import { Channel } from "../../../runtime/ts/src/channel";
import type { ChannelCore } from "../../../runtime/ts/src/channel-core";
import { RpcError } from "../../../runtime/ts/src/errors";
import { Flag, Kind } from "../../../runtime/ts/src/protocol";
import { encodeSimple, encodeTrailers } from "../../../runtime/ts/src/packet-encode";
import { Server } from "../../../runtime/ts/src/server";
import { Status } from "../../../runtime/ts/src/status";
import { bindAddress, connect, method, onlyPacket, sleep, Sockets, text } from "./helpers";

const Echo = method("Echo", "unary", text);
const sockets = new Sockets();
afterEach(() => sockets.closeAll());

/** The channel's DEALER (its ZMQ_SNDTIMEO is what the fast path depends on). */
const dealerOf = (ch: Channel): zmq.Dealer => (ch as unknown as { core: ChannelCore }).core.socket;
const nextTick = (): Promise<void> => new Promise((r) => setImmediate(r));

describe.each(["inproc", "ipc"] as const)("a call made before the server is bound, over %s", (t) => {
  it("goes through once the server binds (ipc: the refused send waits; inproc: it waits in the pipe), and later calls do not wait", async () => {
    const endpoint = bindAddress(t);
    const ch = sockets.add(new Channel(endpoint, { sendTimeoutMs: 5000 }));
    expect(dealerOf(ch).sendTimeout).toBe(0);
    const t0 = Date.now();
    const first = ch.unary(Echo, "early", { timeoutMs: 4000 });
    await sleep(150);
    const server = new Server();
    sockets.onClose(() => server.close({ drainTimeoutMs: 0 }));
    server.addMethod(Echo, (req) => `echo ${req}`);
    await server.bind(endpoint);
    await expect(first).resolves.toBe("echo early");
    expect(Date.now() - t0).toBeGreaterThanOrEqual(140);
    // The wait is over: ZMQ_SNDTIMEO is 0 again, and later calls go straight through.
    expect(dealerOf(ch).sendTimeout).toBe(0);
    for (let i = 0; i < 20; i++) await expect(ch.unary(Echo, `n${i}`)).resolves.toBe(`echo n${i}`);
  });
});

describe("a server bound elsewhere first, then to the inproc endpoint a channel already called", () => {
  it("reads the request that waited in the pipe (the bind brings it in without waking the reader)", async () => {
    const server = new Server();
    sockets.onClose(() => server.close({ drainTimeoutMs: 0 }));
    server.addMethod(Echo, (req) => `echo ${req}`);
    await server.bind(bindAddress("ipc"));
    const endpoint = bindAddress("inproc");
    const ch = sockets.add(new Channel(endpoint, { sendTimeoutMs: 5000 }));
    const early = ch.unary(Echo, "early", { timeoutMs: 4000 });
    await sleep(50);
    await server.bind(endpoint);
    await expect(early).resolves.toBe("echo early");
    await expect(ch.unary(Echo, "later")).resolves.toBe("echo later");
  });
});

describe("a server that stops reading (high-water mark reached, inproc)", () => {
  it("batches past the mark wait sendTimeoutMs, then fail with UNAVAILABLE naming the endpoint", async () => {
    const router = sockets.add(new zmq.Router({ linger: 0, receiveHighWaterMark: 1 }));
    const endpoint = bindAddress("inproc");
    await router.bind(endpoint);
    const ch = await connect(sockets, endpoint, { sendTimeoutMs: 200, sendHighWaterMark: 1 });
    // One call per tick: each is its own batch, so the pipe fills after a message or two.
    const outcomes: Array<Promise<{ code: Status; message: string; after: number }>> = [];
    for (let i = 0; i < 6; i++) {
      const started = Date.now();
      outcomes.push(
        ch.unary(Echo, `c${i}`, { timeoutMs: 1500 }).then(
          () => ({ code: Status.OK, message: "", after: Date.now() - started }),
          (e: RpcError) => ({ code: e.code, message: e.message, after: Date.now() - started }),
        ),
      );
      await nextTick();
    }
    const results = await Promise.all(outcomes);
    const accepted = results.filter((r) => r.code === Status.DEADLINE_EXCEEDED);
    const refused = results.filter((r) => r.code === Status.UNAVAILABLE);
    // The first batches fit in the pipe (and time out unanswered); the rest never leave.
    expect(accepted.length).toBeGreaterThanOrEqual(1);
    expect(refused.length).toBeGreaterThanOrEqual(1);
    expect(accepted.length + refused.length).toBe(results.length);
    for (const r of refused) {
      expect(r.message).toBe(`no server reachable at ${endpoint} within 200 ms`);
      expect(r.after).toBeGreaterThanOrEqual(180); // waited for room, as ZMQ_SNDTIMEO does
      expect(r.after).toBeLessThan(1500); // and failed before the calls' own deadline
    }
    expect(ch.openCalls).toBe(0);
    expect(dealerOf(ch).sendTimeout).toBe(0);
  });
});

describe("the reader while no call is open (inproc)", () => {
  it("leaves stray packets in libzmq and reads past them when the next call starts", async () => {
    const router = sockets.add(new zmq.Router({ linger: 0, receiveTimeout: 5000 }));
    const endpoint = bindAddress("inproc");
    await router.bind(endpoint);
    const errors: string[] = [];
    const ch = await connect(sockets, endpoint, { onProtocolError: (e) => errors.push(e.reason) });
    const answer = async (reply: string): Promise<[Buffer, number]> => {
      const frames = await router.receive();
      const id = onlyPacket(frames, 1).header.callId;
      const trailers = encodeTrailers(id, Flag.HAS_MESSAGE | Flag.END | Flag.INLINE, Status.OK, "", undefined, undefined, undefined, Buffer.from(reply));
      await router.send([frames[0]!, trailers]);
      return [frames[0]!, id];
    };

    const first = ch.unary(Echo, "one");
    const [rid, firstId] = await answer("reply one");
    await expect(first).resolves.toBe("reply one");
    expect(ch.openCalls).toBe(0);

    // No call is open: a late duplicate answer, a liveness probe and a malformed message.
    const late = encodeTrailers(firstId, Flag.HAS_MESSAGE | Flag.END | Flag.INLINE, Status.OK, "", undefined, undefined, undefined, Buffer.from("late"));
    await router.send([rid, late]);
    await router.send([rid, encodeSimple(Kind.MESSAGE, Flag.INLINE, 0)]);
    await router.send([rid, Buffer.from([1, 2, 3])]);
    await sleep(20);
    expect(ch.droppedMessages).toBe(0); // not read yet: they wait in libzmq

    const second = ch.unary(Echo, "two");
    await answer("reply two");
    await expect(second).resolves.toBe("reply two");
    // Read on the way to the reply: the late answer and the probe ignored, the short frame dropped.
    expect(ch.droppedMessages).toBe(1);
    expect(errors).toEqual(["SHORT_HEADER"]);
  });
});
