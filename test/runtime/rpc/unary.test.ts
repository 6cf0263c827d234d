/**
 * Unary and oneway calls over inproc, ipc and tcp.
 *
 * ```
 * Channel (DEALER)                          Server (ROUTER)
 *   REQUEST  HAS_MESSAGE|END [METADATA] ──▶  handler(req, ctx)
 *   ◀── TRAILERS status [HEADERS] [METADATA] [HAS_MESSAGE]
 *   REQUEST  HAS_MESSAGE|END|ONEWAY    ──▶  handler (no reply)
 * ```
 */
import { Metadata } from "../../../runtime/ts/src/metadata";
import { RpcError } from "../../../runtime/ts/src/errors";
import { Status } from "../../../runtime/ts/src/status";
import { bytes, connect, deferred, method, Sockets, startServer, TRANSPORTS } from "./helpers";

const Echo = method("Echo", "unary");
const Fail = method("Fail", "unary");
const Throw = method("Throw", "unary");
const Meta = method("Meta", "unary");
const Notify = method("Notify", "unary", undefined, { oneway: true });
const Blob = method("Blob", "unary", bytes);

const sockets = new Sockets();
afterEach(() => sockets.closeAll());

describe.each(TRANSPORTS)("unary over %s", (t) => {
  it("echoes a request", async () => {
    const { endpoint } = await startServer(sockets, t, (s) => s.addMethod(Echo, (req) => `echo: ${req}`));
    const ch = await connect(sockets, endpoint);
    await expect(ch.unary(Echo, "héllo 🦄")).resolves.toBe("echo: héllo 🦄");
    await expect(ch.unary(Echo, "")).resolves.toBe("echo: ");
    expect(ch.openCalls).toBe(0);
  });

  it("carries headers, response headers and trailers, binary values included", async () => {
    const seen = deferred<Metadata>();
    const { endpoint } = await startServer(sockets, t, (s) =>
      s.addMethod(Meta, async (req, ctx) => {
        seen.resolve(ctx.metadata);
        ctx.setHeader({ "x-server": "node-1", "h-bin": new Uint8Array([0, 255]) });
        ctx.setTrailer(new Metadata([["x-cost", "3"], ["t-bin", new Uint8Array([1, 2, 3])]]));
        return req;
      }),
    );
    const ch = await connect(sockets, endpoint);
    const md = new Metadata().add("x-tag", "a").add("x-tag", "b").add("trace-bin", new Uint8Array([0, 1, 0xfe]));
    const headers = deferred<Metadata>();
    const trailers = deferred<Metadata>();
    const reply = await ch.unary(Meta, "x", { metadata: md, onHeader: headers.resolve, onTrailer: trailers.resolve });
    expect(reply).toBe("x");
    const got = await seen.promise;
    expect(got.getAll("x-tag")).toEqual(["a", "b"]);
    expect(got.get("trace-bin")).toEqual(new Uint8Array([0, 1, 0xfe]));
    const h = await headers.promise;
    expect(h.get("x-server")).toBe("node-1");
    expect(h.get("h-bin")).toEqual(new Uint8Array([0, 255]));
    const tr = await trailers.promise;
    expect(tr.get("x-cost")).toBe("3");
    expect(tr.get("t-bin")).toEqual(new Uint8Array([1, 2, 3]));
  });

  it("takes request headers as a plain object too", async () => {
    const seen = deferred<Metadata>();
    const { endpoint } = await startServer(sockets, t, (s) =>
      s.addMethod(Meta, (req, ctx) => {
        seen.resolve(ctx.metadata);
        return req;
      }),
    );
    const ch = await connect(sockets, endpoint);
    await ch.unary(Meta, "x", { metadata: { "x-trace": "t-1", "id-bin": new Uint8Array([7]) } });
    const got = await seen.promise;
    expect(got.get("x-trace")).toBe("t-1");
    expect(got.get("id-bin")).toEqual(new Uint8Array([7]));
  });

  it("keeps status codes, messages, details and trailers exactly", async () => {
    const messages = ["", "  spaces  ", "tab\tnewline\n", "non-BMP 🦄𝄞 «é»", "\u0000nul", "x".repeat(70000)];
    const { endpoint } = await startServer(sockets, t, (s) =>
      s.addMethod(Fail, (req) => {
        const [code, i] = req.split(":").map(Number) as [number, number];
        throw new RpcError(code, messages[i]!, { details: new Uint8Array([9, 8, 7]), metadata: { "x-why": "because" } });
      }),
    );
    const ch = await connect(sockets, endpoint);
    for (let code = 1; code <= 16; code++) {
      const i = code % messages.length;
      const err = (await ch.unary(Fail, `${code}:${i}`).catch((e) => e)) as RpcError;
      expect(err).toBeInstanceOf(RpcError);
      expect(err.code).toBe(code);
      expect(err.message).toBe(messages[i]);
      expect(err.details).toEqual(new Uint8Array([9, 8, 7]));
      expect(err.metadata.get("x-why")).toBe("because");
    }
  });

  it("sends a status code outside 0..16 as UNKNOWN, keeping its message", async () => {
    // Regression: the server failed to encode such a code and answered INTERNAL "failed to encode
    // the trailers" (found by the interop suite: EchoStatus.code is an int32 the client chooses).
    const { endpoint } = await startServer(sockets, t, (s) =>
      s.addMethod(Fail, (req) => {
        throw new RpcError(Number(req) as Status, `code ${req}`, { metadata: { "x-why": "because" } });
      }),
    );
    const ch = await connect(sockets, endpoint);
    for (const code of ["-1", "17", "65541", "2.5", "0"]) {
      const err = (await ch.unary(Fail, code).catch((e) => e)) as RpcError;
      expect([err.code, err.message, err.metadata.get("x-why")]).toEqual([Status.UNKNOWN, `code ${code}`, "because"]);
    }
  });

  it("turns a handler exception into UNKNOWN and keeps serving", async () => {
    const { endpoint } = await startServer(sockets, t, (s) =>
      s
        .addMethod(Throw, (req) => {
          if (req === "sync") throw new Error("boom: sync");
          return Promise.reject(new TypeError("boom: async"));
        })
        .addMethod(Echo, (req) => req),
    );
    const ch = await connect(sockets, endpoint);
    await expect(ch.unary(Throw, "sync")).rejects.toMatchObject({ code: Status.UNKNOWN, message: "boom: sync" });
    await expect(ch.unary(Throw, "async")).rejects.toMatchObject({ code: Status.UNKNOWN, message: "boom: async" });
    await expect(ch.unary(Echo, "still here")).resolves.toBe("still here");
  });

  it("answers UNIMPLEMENTED for an unknown method", async () => {
    const { endpoint } = await startServer(sockets, t, (s) => s.addMethod(Echo, (r) => r));
    const ch = await connect(sockets, endpoint);
    await expect(ch.unary(method("Nope", "unary"), "x")).rejects.toMatchObject({
      code: Status.UNIMPLEMENTED,
      message: "unknown method test.Echo/Nope",
    });
    await expect(ch.unary({ ...Echo, path: "other.Service/Echo" }, "x")).rejects.toMatchObject({
      code: Status.UNIMPLEMENTED,
      message: "unknown service other.Service",
    });
  });

  it("fails locally when a request header exceeds the wire limits", async () => {
    const { endpoint } = await startServer(sockets, t, (s) => s.addMethod(Echo, (r) => r));
    const ch = await connect(sockets, endpoint);
    const many = new Metadata();
    for (let i = 0; i < 65_536; i++) many.add("k", "v");
    await expect(ch.unary(Echo, "x", { metadata: many })).rejects.toMatchObject({ code: Status.INTERNAL });
    await expect(ch.unary({ ...Echo, path: `a.B/${"m".repeat(70_000)}` }, "x")).rejects.toMatchObject({ code: Status.INTERNAL });
    expect(ch.openCalls).toBe(0);
    await expect(ch.unary(Echo, "fine")).resolves.toBe("fine");
  });

  it("answers INVALID_ARGUMENT for a request that does not decode", async () => {
    const called = jest.fn();
    const { endpoint } = await startServer(sockets, t, (s) => s.addMethod(Echo, called));
    const ch = await connect(sockets, endpoint);
    // Same path, but the client sends raw bytes that are not valid UTF-8 for the server's codec.
    const raw = { ...Echo, requestType: bytes, responseType: bytes };
    const err = (await ch.unary(raw, new Uint8Array([0xff, 0xfe])).catch((e) => e)) as RpcError;
    expect(err.code).toBe(Status.INVALID_ARGUMENT);
    expect(err.message).toMatch(/^failed to decode the request/);
    expect(called).not.toHaveBeenCalled();
  });

  it("fails oversized messages with RESOURCE_EXHAUSTED on both sides", async () => {
    const { endpoint } = await startServer(
      sockets,
      t,
      (s) => s.addMethod(Blob, (req) => (req.length === 1 ? new Uint8Array(2000) : req.length === 2 ? new Uint8Array(800) : req)),
      { maxMessageBytes: 1000 },
    );
    // Client limit 1500: a 1200-byte request is refused by the server's 1000-byte limit (on receipt) ...
    const ch = await connect(sockets, endpoint, { maxMessageBytes: 1500 });
    await expect(ch.unary(Blob, new Uint8Array(1200))).rejects.toMatchObject({ code: Status.RESOURCE_EXHAUSTED });
    // ... a 1600-byte request never leaves the client (checked before sending) ...
    await expect(ch.unary(Blob, new Uint8Array(1600))).rejects.toMatchObject({
      code: Status.RESOURCE_EXHAUSTED,
      message: "request message of 1600 bytes exceeds the limit of 1500 bytes",
    });
    // ... and a 2000-byte response is refused by the server before sending.
    await expect(ch.unary(Blob, new Uint8Array(1))).rejects.toMatchObject({
      code: Status.RESOURCE_EXHAUSTED,
      message: "response message of 2000 bytes exceeds the limit of 1000 bytes",
    });
    // A client with a smaller limit refuses a response on receipt.
    const small = await connect(sockets, endpoint, { maxMessageBytes: 500 });
    await expect(small.unary(Blob, new Uint8Array(2))).rejects.toMatchObject({
      code: Status.RESOURCE_EXHAUSTED,
      message: "response message of 800 bytes exceeds the limit of 500 bytes",
    });
    await expect(ch.unary(Blob, new Uint8Array(10))).resolves.toHaveLength(10);
  });

  it("runs 1,000 concurrent calls on one channel", async () => {
    let maxRunning = 0;
    let running = 0;
    const { endpoint } = await startServer(sockets, t, (s) =>
      s.addMethod(Echo, async (req) => {
        maxRunning = Math.max(maxRunning, ++running);
        await new Promise((r) => setImmediate(r));
        running--;
        return req;
      }),
    );
    const ch = await connect(sockets, endpoint);
    const replies = await Promise.all(Array.from({ length: 1000 }, (_, i) => ch.unary(Echo, `#${i}`, { timeoutMs: 10_000 })));
    expect(replies).toEqual(Array.from({ length: 1000 }, (_, i) => `#${i}`));
    expect(maxRunning).toBeGreaterThan(1); // the requests really overlapped (batched)
    expect(ch.openCalls).toBe(0);
  });

  it("sends oneway requests without a reply", async () => {
    const got: string[] = [];
    const all = deferred();
    const { server, endpoint } = await startServer(
      sockets,
      t,
      (s) =>
        s.addMethod(Notify, (req) => {
          got.push(req);
          if (got.length === 3) all.resolve();
          return "ignored";
        }),
    );
    const ch = await connect(sockets, endpoint);
    await ch.oneway(Notify, "a");
    await ch.oneway(Notify, "b");
    await ch.oneway(Notify, "c");
    await all.promise;
    expect(got).toEqual(["a", "b", "c"]);
    expect(ch.openCalls).toBe(0);
    // An unknown oneway method is not answered either (the server reports it locally).
    const onewayError = jest.fn();
    void server;
    const { endpoint: e2 } = await startServer(sockets, t, () => undefined, { onOnewayError: onewayError });
    const ch2 = await connect(sockets, e2);
    await ch2.oneway(method("Gone", "unary"), "x");
    await expect(ch2.unary(method("Gone", "unary"), "y")).rejects.toMatchObject({ code: Status.UNIMPLEMENTED });
    expect(onewayError).toHaveBeenCalledTimes(1);
  });
});
