/**
 * Streaming calls, deadlines and cancellation over inproc, ipc and tcp.
 *
 * ```
 * server streaming:  REQUEST HAS_MESSAGE|END ──▶   ◀── MESSAGE [HEADERS] ... ◀── TRAILERS END
 * client streaming:  REQUEST ──▶ MESSAGE ... ──▶ MESSAGE END ──▶   ◀── TRAILERS HAS_MESSAGE|END
 * bidi:              REQUEST ──▶ MESSAGE ... ──▶ (END)  while  ◀── MESSAGE ... ◀── TRAILERS
 * cancel:            ... ──▶ CANCEL ──▶ (server aborts ctx.signal, sends nothing more)
 * deadline:          REQUEST timeout=N ──▶ (client fails locally at N ms; server aborts ctx.signal at N ms)
 * ```
 */
import * as zmq from "zeromq";
import { Metadata } from "../../../runtime/ts/src/metadata";
import { Flag, Kind } from "../../../runtime/ts/src/protocol";
import { encodeRequest, methodBytes } from "../../../runtime/ts/src/packet-encode";
import { RpcError } from "../../../runtime/ts/src/errors";
import { ServerCallContext } from "../../../runtime/ts/src/server";
import { Status } from "../../../runtime/ts/src/status";
import { aborted, connect, deferred, method, onlyPacket, sleep, Sockets, startServer, TRANSPORTS } from "./helpers";

const Count = method("Count", "server_streaming");
const Join = method("Join", "client_streaming");
const Chat = method("Chat", "bidi_streaming");
const Slow = method("Slow", "unary");
const Forever = method("Forever", "server_streaming");

const sockets = new Sockets();
afterEach(() => sockets.closeAll());

async function collect<T>(it: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const x of it) out.push(x);
  return out;
}

describe.each(TRANSPORTS)("streaming over %s", (t) => {
  it("server streaming: all messages in order, headers first, then trailers", async () => {
    const { endpoint } = await startServer(sockets, t, (s) =>
      s.addMethod(Count, async function* (req, ctx) {
        ctx.setHeader({ "x-total": req });
        for (let i = 0; i < Number(req); i++) yield `m${i}`;
        ctx.setTrailer({ "x-done": "yes" });
      }),
    );
    const ch = await connect(sockets, endpoint);
    const headers = deferred<Metadata>();
    const trailers = deferred<Metadata>();
    const got = await collect(ch.serverStream(Count, "500", { onHeader: headers.resolve, onTrailer: trailers.resolve }));
    expect(got).toEqual(Array.from({ length: 500 }, (_, i) => `m${i}`));
    expect((await headers.promise).get("x-total")).toBe("500");
    expect((await trailers.promise).get("x-done")).toBe("yes");
    await expect(collect(ch.serverStream(Count, "0"))).resolves.toEqual([]);
  });

  it("server streaming: an error after some messages arrives after them", async () => {
    const { endpoint } = await startServer(sockets, t, (s) =>
      s.addMethod(Count, async function* () {
        yield "a";
        yield "b";
        throw new RpcError(Status.ABORTED, "conflict ⚔");
      }),
    );
    const ch = await connect(sockets, endpoint);
    const got: string[] = [];
    const err = await (async () => {
      for await (const m of ch.serverStream(Count, "x")) got.push(m);
    })().catch((e) => e);
    expect(got).toEqual(["a", "b"]);
    expect(err).toMatchObject({ code: Status.ABORTED, message: "conflict ⚔" });
  });

  it("client streaming: sync and async iterables, response at the end", async () => {
    const { endpoint } = await startServer(sockets, t, (s) =>
      s.addMethod(Join, async (reqs) => {
        const parts: string[] = [];
        for await (const r of reqs) parts.push(r);
        return parts.join(",");
      }),
    );
    const ch = await connect(sockets, endpoint);
    await expect(ch.clientStream(Join, ["a", "b", "c"])).resolves.toBe("a,b,c");
    await expect(ch.clientStream(Join, [])).resolves.toBe("");
    async function* slowly(): AsyncGenerator<string> {
      for (let i = 0; i < 5; i++) {
        await sleep(1);
        yield String(i);
      }
    }
    await expect(ch.clientStream(Join, slowly())).resolves.toBe("0,1,2,3,4");
    const many = Array.from({ length: 3000 }, (_, i) => String(i));
    await expect(ch.clientStream(Join, many)).resolves.toBe(many.join(","));
  });

  it("client streaming: a failing request iterable cancels the call", async () => {
    const serverSaw = deferred<unknown>();
    const { endpoint } = await startServer(sockets, t, (s) =>
      s.addMethod(Join, async (reqs, ctx) => {
        const done = aborted(ctx.signal);
        try {
          for await (const _ of reqs) void _;
        } catch {
          // the request stream fails when the call is cancelled
        }
        serverSaw.resolve(await done);
        return "unreachable";
      }),
    );
    const ch = await connect(sockets, endpoint);
    async function* broken(): AsyncGenerator<string> {
      yield "a";
      await sleep(5);
      throw new Error("disk on fire");
    }
    const err = (await ch.clientStream(Join, broken()).catch((e) => e)) as RpcError;
    expect(err.code).toBe(Status.CANCELLED);
    expect(err.message).toBe("request stream failed: disk on fire");
    expect(await serverSaw.promise).toMatchObject({ code: Status.CANCELLED });
  });

  it("bidi: replies interleave with requests", async () => {
    const { endpoint } = await startServer(sockets, t, (s) =>
      s.addMethod(Chat, async function* (reqs) {
        for await (const r of reqs) yield r.toUpperCase();
        yield "bye";
      }),
    );
    const ch = await connect(sockets, endpoint);
    // The next request is only produced after the previous reply arrived: a true ping-pong.
    const replies: string[] = [];
    let gotReply = deferred();
    async function* questions(): AsyncGenerator<string> {
      for (const q of ["a", "b", "c"]) {
        yield q;
        await gotReply.promise;
        gotReply = deferred();
      }
    }
    for await (const r of ch.bidiStream(Chat, questions())) {
      replies.push(r);
      gotReply.resolve();
    }
    expect(replies).toEqual(["A", "B", "C", "bye"]);
  });

  it("deadline: the client fails with DEADLINE_EXCEEDED and the handler's signal aborts", async () => {
    const ctxSeen = deferred<ServerCallContext>();
    const { endpoint } = await startServer(sockets, t, (s) =>
      s.addMethod(Slow, async (_req, ctx) => {
        ctxSeen.resolve(ctx);
        await aborted(ctx.signal);
        return "late";
      }),
    );
    const ch = await connect(sockets, endpoint);
    const before = Date.now();
    const err = (await ch.unary(Slow, "x", { timeoutMs: 100 }).catch((e) => e)) as RpcError;
    expect(err.code).toBe(Status.DEADLINE_EXCEEDED);
    expect(Date.now() - before).toBeGreaterThanOrEqual(95);
    const ctx = await ctxSeen.promise;
    expect(ctx.deadline).toBeGreaterThanOrEqual(before + 90);
    expect(ctx.deadline).toBeLessThanOrEqual(Date.now() + 100);
    const reason = await aborted(ctx.signal, 2000);
    expect(reason).toMatchObject({ code: Status.DEADLINE_EXCEEDED });
    expect(ctx.timeRemaining()).toBe(0);
    expect(ch.openCalls).toBe(0);
  });

  it("deadline: the server ends the call on its own when the client has no timer", async () => {
    // A raw DEALER sends a REQUEST carrying 80 ms but keeps no timer of its own: what it gets back
    // is the server's doing. (A Python client, or a client whose timer is late, looks like this.)
    const serverAbort = deferred<unknown>();
    const { endpoint } = await startServer(sockets, t, (s) =>
      s.addMethod(Forever, async function* (_req, ctx) {
        yield "first";
        serverAbort.resolve(await aborted(ctx.signal));
      }),
    );
    const raw = sockets.add(new zmq.Dealer({ linger: 0, receiveTimeout: 3000 }));
    raw.connect(endpoint);
    const sentAt = Date.now();
    await raw.send([encodeRequest(5, Flag.HAS_MESSAGE | Flag.END, 80, methodBytes(Forever.path)), Buffer.from("x")]);
    const first = onlyPacket(await raw.receive());
    expect(first.header).toMatchObject({ kind: Kind.MESSAGE, callId: 5 });
    expect(first.payload.toString()).toBe("first");
    const h = onlyPacket(await raw.receive()).header;
    expect(h).toMatchObject({ kind: Kind.TRAILERS, callId: 5, status: Status.DEADLINE_EXCEEDED });
    expect(Date.now() - sentAt).toBeGreaterThanOrEqual(75);
    expect(await serverAbort.promise).toMatchObject({ code: Status.DEADLINE_EXCEEDED });
  });

  it("deadline: budgets past Node's timer limit (2^31 ms) are sent but not timed", async () => {
    const remaining = deferred<number | undefined>();
    const { endpoint } = await startServer(sockets, t, (s) =>
      s.addMethod(Slow, (req, ctx) => {
        remaining.resolve(ctx.timeRemaining());
        return req;
      }),
    );
    const ch = await connect(sockets, endpoint);
    await expect(ch.unary(Slow, "x", { timeoutMs: 0xffffffff })).resolves.toBe("x");
    expect(await remaining.promise).toBeGreaterThan(0x7fffffff);
  });

  it("cancel right after the call began: CANCELLED locally, the handler's signal aborts", async () => {
    const started = deferred<ServerCallContext>();
    const { endpoint } = await startServer(sockets, t, (s) =>
      s.addMethod(Slow, async (_req, ctx) => {
        started.resolve(ctx);
        await aborted(ctx.signal);
        return "never sent";
      }),
    );
    const ch = await connect(sockets, endpoint);
    const ac = new AbortController();
    const call = ch.unary(Slow, "x", { signal: ac.signal });
    const ctx = await started.promise;
    ac.abort();
    await expect(call).rejects.toMatchObject({ code: Status.CANCELLED });
    expect(await aborted(ctx.signal, 2000)).toMatchObject({ code: Status.CANCELLED });
    // An already-aborted signal fails at once, without a round trip.
    await expect(ch.unary(Slow, "x", { signal: ac.signal })).rejects.toMatchObject({ code: Status.CANCELLED });
  });

  it("cancel after the first response of a stream: the generator stops", async () => {
    const finished = deferred<string>();
    let produced = 0;
    const { endpoint } = await startServer(sockets, t, (s) =>
      s.addMethod(Forever, async function* (_req, ctx) {
        try {
          while (!ctx.signal.aborted) {
            produced++;
            yield `tick${produced}`;
            await sleep(2);
          }
        } finally {
          // Runs whether the loop saw the abort or the runtime stopped the generator at a yield.
          finished.resolve(ctx.signal.aborted ? (ctx.signal.reason as RpcError).message : "not aborted");
        }
      }),
    );
    const ch = await connect(sockets, endpoint);
    // Variant 1: abort the signal after the first message.
    const ac = new AbortController();
    const got: string[] = [];
    const err = await (async () => {
      for await (const m of ch.serverStream(Forever, "x", { signal: ac.signal })) {
        got.push(m);
        ac.abort();
      }
    })().catch((e) => e);
    expect(err).toMatchObject({ code: Status.CANCELLED });
    expect(got[0]).toBe("tick1");
    await expect(finished.promise).resolves.toBe("cancelled by the client");
  });

  it("leaving a for-await loop early cancels the stream on the server", async () => {
    const cancelled = deferred<unknown>();
    const { endpoint } = await startServer(sockets, t, (s) =>
      s.addMethod(Forever, async function* (_req, ctx) {
        ctx.signal.addEventListener("abort", () => cancelled.resolve(ctx.signal.reason));
        for (let i = 0; ; i++) {
          yield String(i);
          await sleep(1);
        }
      }),
    );
    const ch = await connect(sockets, endpoint);
    for await (const m of ch.serverStream(Forever, "x")) if (m === "2") break;
    expect(await cancelled.promise).toMatchObject({ code: Status.CANCELLED });
    expect(ch.openCalls).toBe(0);
  });
});
