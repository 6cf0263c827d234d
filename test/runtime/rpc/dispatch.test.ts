/**
 * How the server runs unary handlers (server-core.ts): a handler that returns a value is answered
 * at once, without being registered; one that returns a promise or any thenable is registered
 * (call id, deadline) until it settles. Both paths must behave the same to the caller.
 *
 * ```
 * REQUEST ──▶ handler(req, ctx) ── value ──────────────▶ TRAILERS OK      (nothing registered)
 *                               ── throws ─────────────▶ TRAILERS UNKNOWN
 *                               ── thenable ─ register ─ settles ─▶ TRAILERS
 * ```
 */
import { RpcError } from "../../../runtime/ts/src/errors";
import { Status } from "../../../runtime/ts/src/status";
import { connect, deferred, method, sleep, Sockets, startServer, TRANSPORTS } from "./helpers";

const Sync = method("Sync", "unary");
const SyncThrow = method("SyncThrow", "unary");
const Thenable = method("Thenable", "unary");
const BadThenable = method("BadThenable", "unary");
const Slow = method("Slow", "unary");
const Fire = method("Fire", "unary", undefined, { oneway: true });

const sockets = new Sockets();
afterEach(() => sockets.closeAll());

describe.each(TRANSPORTS)("unary dispatch over %s", (t) => {
  it("sync values, sync throws, foreign thenables and throwing thenables all answer the caller", async () => {
    const { server, endpoint } = await startServer(sockets, t, (s) => {
      s.addMethod(Sync, (req) => `sync ${req}`);
      s.addMethod(SyncThrow, () => {
        throw new RpcError(Status.NOT_FOUND, "no such unit");
      });
      // Not a native promise: only a `then` method, called back later.
      s.addMethod(Thenable, (req) => ({
        then: (ok: (v: string) => void) => setTimeout(() => ok(`later ${req}`), 5),
      }) as unknown as Promise<string>);
      s.addMethod(BadThenable, () => ({
        then: () => {
          throw new Error("then exploded");
        },
      }) as unknown as Promise<string>);
    });
    const ch = await connect(sockets, endpoint);
    await expect(ch.unary(Sync, "a")).resolves.toBe("sync a");
    await expect(ch.unary(SyncThrow, "b")).rejects.toMatchObject({ code: Status.NOT_FOUND, message: "no such unit" });
    await expect(ch.unary(Thenable, "c")).resolves.toBe("later c");
    await expect(ch.unary(BadThenable, "d")).rejects.toMatchObject({ code: Status.UNKNOWN, message: "then exploded" });
    // Many at once, mixed, in one batch: every reply goes to its own caller.
    const replies = await Promise.all(Array.from({ length: 200 }, (_, i) => (i % 2 ? ch.unary(Sync, `${i}`) : ch.unary(Thenable, `${i}`))));
    replies.forEach((r, i) => expect(r).toBe(i % 2 ? `sync ${i}` : `later ${i}`));
    expect(server.runningHandlers).toBe(0);
    expect(ch.openCalls).toBe(0);
  });

  it("an async call stays registered (cancellable) until it ends; sync calls leave nothing behind", async () => {
    const started = deferred();
    const release = deferred();
    const { server, endpoint } = await startServer(sockets, t, (s) => {
      s.addMethod(Sync, (req) => req);
      s.addMethod(Slow, async (req, ctx) => {
        started.resolve();
        await Promise.race([release.promise, new Promise((r) => ctx.signal.addEventListener("abort", r))]);
        return req;
      });
    });
    const ch = await connect(sockets, endpoint);
    for (let i = 0; i < 50; i++) await ch.unary(Sync, "x");
    expect(server.runningHandlers).toBe(0);
    const ac = new AbortController();
    const slow = ch.unary(Slow, "y", { signal: ac.signal });
    await started.promise;
    expect(server.runningHandlers).toBe(1);
    ac.abort();
    await expect(slow).rejects.toMatchObject({ code: Status.CANCELLED });
    for (let i = 0; i < 100 && server.runningHandlers > 0; i++) await sleep(5);
    expect(server.runningHandlers).toBe(0);
    release.resolve();
  });

  it("a oneway handler that throws synchronously is reported, not answered", async () => {
    const reported = deferred<unknown>();
    const { endpoint } = await startServer(
      sockets,
      t,
      (s) =>
        s.addMethod(Fire, () => {
          throw new Error("boom");
        }),
      { onOnewayError: (e) => reported.resolve(e) },
    );
    const ch = await connect(sockets, endpoint);
    await ch.oneway(Fire, "x");
    await expect(reported.promise).resolves.toMatchObject({ message: "boom" });
    expect(ch.openCalls).toBe(0);
  });
});
