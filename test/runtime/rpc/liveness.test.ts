/**
 * Liveness and shutdown: what pending calls see when the other side goes away (PZMQ/1 8, 9).
 *
 * ```
 * killed server:   Channel ── REQUEST Hang ──▶ child process ROUTER   (SIGKILL)
 *                  Channel ◀── (socket closed by the kernel: `disconnect`) → UNAVAILABLE, no resend
 * frozen server:   Channel ── REQUEST Hang ──▶ child process ROUTER   (SIGSTOP)
 *                  Channel ── PING PING PING (no PONG within heartbeatTimeout) → `disconnect` → UNAVAILABLE
 * graceful close:  Channel ── REQUEST ──▶ Server.close({drainTimeoutMs}) ── TRAILERS UNAVAILABLE ──▶ Channel
 * vanished client: raw DEALER ── REQUEST ──▶ Server;  DEALER closes → `disconnect` → probe → handler signal aborted
 * ```
 *
 * A child process cannot share an inproc endpoint, and inproc connections report no events, so
 * the process and heartbeat tests run over ipc and tcp; the in-process ones run over all three.
 */
import { ChildProcess, spawn } from "child_process";
import { join } from "path";
import * as zmq from "zeromq";
import { Channel } from "../../../runtime/ts/src/channel";
import { RpcError } from "../../../runtime/ts/src/errors";
import { Flag } from "../../../runtime/ts/src/protocol";
import { encodeRequest, methodBytes } from "../../../runtime/ts/src/packet-encode";
import { Status } from "../../../runtime/ts/src/status";
import { aborted, bindAddress, connect, deferred, method, Sockets, startServer, Transport, TRANSPORTS } from "./helpers";

const Echo = method("Echo", "unary");
const Hang = method("Hang", "unary");
const sockets = new Sockets();
afterEach(() => sockets.closeAll());

/** Starts fixtures/server-process.ts; resolves with the child and its endpoint once it is bound. */
function startChild(t: Transport, ivl: number, timeout: number): Promise<{ child: ChildProcess; endpoint: string }> {
  const script = join(__dirname, "fixtures/server-process.ts");
  const child = spawn(process.execPath, ["--require", require.resolve("tsx/cjs"), script, bindAddress(t), String(ivl), String(timeout)], {
    stdio: ["ignore", "pipe", "inherit"],
  });
  sockets.onClose(() => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill("SIGCONT");
      child.kill("SIGKILL");
    }
  });
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error("child server did not start within 10 s")), 10_000);
    let out = "";
    child.stdout!.on("data", (d: Buffer) => {
      out += d.toString();
      const m = /ready (\S+)\n/.exec(out);
      if (m) {
        clearTimeout(timer);
        resolve({ child, endpoint: m[1]! });
      }
    });
    child.on("exit", (code) => reject(new Error(`child server exited early (${code})`)));
  });
}

describe.each(["ipc", "tcp"] as const)("a server process that dies, over %s", (t) => {
  it("SIGKILL: every pending call fails with UNAVAILABLE, new calls fail fast", async () => {
    const { child, endpoint } = await startChild(t, 1000, 3000);
    const ch = await connect(sockets, endpoint);
    await expect(ch.unary(Echo, "alive")).resolves.toBe("alive");
    const pending = Array.from({ length: 20 }, () => ch.unary(Hang, "x").catch((e: RpcError) => e));
    await new Promise((r) => setTimeout(r, 50)); // let the requests reach the child
    const killedAt = Date.now();
    child.kill("SIGKILL");
    const errors = await Promise.all(pending);
    expect(Date.now() - killedAt).toBeLessThan(2000);
    for (const e of errors) expect(e).toMatchObject({ code: Status.UNAVAILABLE });
    expect(ch.openCalls).toBe(0);
    await expect(ch.unary(Echo, "again")).rejects.toMatchObject({ code: Status.UNAVAILABLE });
  }, 15_000);

  it("SIGSTOP: the heartbeat timeout fails pending calls with UNAVAILABLE", async () => {
    const { child, endpoint } = await startChild(t, 100, 300);
    const ch = await connect(sockets, endpoint, { heartbeatIvlMs: 100, heartbeatTimeoutMs: 300, heartbeatTtlMs: 300 });
    await expect(ch.unary(Echo, "alive")).resolves.toBe("alive");
    const pending = ch.unary(Hang, "x").catch((e: RpcError) => e);
    await new Promise((r) => setTimeout(r, 50));
    const stoppedAt = Date.now();
    child.kill("SIGSTOP");
    const err = await pending;
    const took = Date.now() - stoppedAt;
    expect(err).toMatchObject({ code: Status.UNAVAILABLE });
    expect(took).toBeGreaterThanOrEqual(200); // not before the heartbeat timeout ...
    expect(took).toBeLessThan(3000); // ... but soon after it
  }, 15_000);
});

describe.each(["ipc", "tcp"] as const)("no server at all, over %s", (t) => {
  it("Channel.connect and calls fail with UNAVAILABLE instead of waiting", async () => {
    const endpoint = t === "tcp" ? "tcp://127.0.0.1:1" : bindAddress("ipc");
    await expect(Channel.connect(endpoint, { connectTimeoutMs: 2000 })).rejects.toMatchObject({ code: Status.UNAVAILABLE });
    const ch = sockets.add(new Channel(endpoint, { sendTimeoutMs: 300 }));
    const started = Date.now();
    await expect(ch.unary(Echo, "x")).rejects.toMatchObject({ code: Status.UNAVAILABLE });
    expect(Date.now() - started).toBeLessThan(1500);
  });
});

describe.each(TRANSPORTS)("graceful shutdown over %s", (t) => {
  it("close() lets running handlers finish within the drain timeout", async () => {
    const { server, endpoint } = await startServer(sockets, t, (s) =>
      s.addMethod(Echo, async (req) => {
        await new Promise((r) => setTimeout(r, 30));
        return req;
      }),
    );
    const ch = await connect(sockets, endpoint);
    const call = ch.unary(Echo, "done in time");
    await new Promise((r) => setTimeout(r, 5));
    await server.close({ drainTimeoutMs: 2000 });
    await expect(call).resolves.toBe("done in time");
  });

  it("close() aborts handlers still running after the drain; callers get UNAVAILABLE", async () => {
    const signal = deferred<AbortSignal>();
    const { server, endpoint } = await startServer(sockets, t, (s) =>
      s.addMethod(Hang, async (_req, ctx) => {
        signal.resolve(ctx.signal);
        await aborted(ctx.signal);
        return "too late";
      }),
    );
    const ch = await connect(sockets, endpoint);
    const call = ch.unary(Hang, "x").catch((e: RpcError) => e);
    const sig = await signal.promise;
    await server.close({ drainTimeoutMs: 50 });
    expect(await call).toMatchObject({ code: Status.UNAVAILABLE, message: "server shutting down" });
    expect(sig.aborted).toBe(true);
    expect(server.runningHandlers).toBe(0);
  });

  it("channel.close() fails its open calls with CANCELLED and the server's handlers abort", async () => {
    const signal = deferred<AbortSignal>();
    const { endpoint } = await startServer(sockets, t, (s) =>
      s.addMethod(Hang, async (_req, ctx) => {
        signal.resolve(ctx.signal);
        return (await aborted(ctx.signal)) as string;
      }),
    );
    const ch = await connect(sockets, endpoint);
    const call = ch.unary(Hang, "x");
    const sig = await signal.promise;
    await ch.close();
    await expect(call).rejects.toMatchObject({ code: Status.CANCELLED, message: "channel closed" });
    expect(await aborted(sig, 2000)).toMatchObject({ code: Status.CANCELLED });
    await expect(ch.unary(Echo, "x")).rejects.toMatchObject({ code: Status.CANCELLED });
  });
});

describe.each(["ipc", "tcp"] as const)("a client that vanishes, over %s", (t) => {
  it("aborts the handler's signal with UNAVAILABLE", async () => {
    const reason = deferred<unknown>();
    const started = deferred();
    const { endpoint } = await startServer(sockets, t, (s) =>
      s.addMethod(Hang, async (_req, ctx) => {
        started.resolve();
        reason.resolve(await aborted(ctx.signal));
        return "nobody listens";
      }),
    );
    const raw = new zmq.Dealer({ linger: 0 });
    raw.connect(endpoint);
    await raw.send([encodeRequest(1, Flag.HAS_MESSAGE | Flag.END, 0, methodBytes(Hang.path)), Buffer.from("x")]);
    await started.promise;
    raw.close(); // no CANCEL: the connection just goes away
    expect(await reason.promise).toMatchObject({ code: Status.UNAVAILABLE, message: "client disconnected" });
  });
});
