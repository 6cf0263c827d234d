/**
 * Deadlines on one timer (runtime/ts/src/deadlines.ts): the queue on its own, then many calls with
 * mixed deadlines over inproc, ipc and tcp, and a deadline that passes while the writer is stuck.
 *
 * ```
 * DeadlineQueue:  budget 20 ms: a ⇄ b ⇄ c     one setTimeout ──▶ earliest head
 *                 budget 60 ms: d ⇄ e
 * Channel ── REQUEST timeout=N ──▶ Server: handler never answers
 *   client: DEADLINE_EXCEEDED "deadline of N ms exceeded" at N ms (its queue)
 *   server: handler's signal aborts with DEADLINE_EXCEEDED at N ms (its queue)
 * Channel ── REQUEST ──▶ (no server: ZMQ_IMMEDIATE holds the send up to sendTimeoutMs)
 *   the deadline still fails the call at N ms, long before the send gives up
 * ```
 * No assertion is about speed: only that each deadline fires, once, and not before its time.
 */
import { performance } from "perf_hooks";
import { Channel } from "../../../runtime/ts/src/channel";
import { DeadlineQueue, Timed } from "../../../runtime/ts/src/deadlines";
import { RpcError } from "../../../runtime/ts/src/errors";
import { ServerCallContext } from "../../../runtime/ts/src/server";
import { Status } from "../../../runtime/ts/src/status";
import { aborted, bindAddress, connect, method, sleep, Sockets, startServer, TRANSPORTS } from "./helpers";

const Hang = method("Hang", "unary");
const Echo = method("Echo", "unary");

const sockets = new Sockets();
afterEach(() => sockets.closeAll());

/** A queue item that records when (and how often) its deadline fired. */
class Item implements Timed {
  deadlineAt = 0;
  deadlinePrev: Timed | null = null;
  deadlineNext: Timed | null = null;
  deadlineList = null;
  firedAt: number[] = [];
  constructor(
    readonly budget: number,
    readonly startedAt: number,
    private readonly onFire?: () => void,
  ) {}
  onDeadline(): void {
    this.firedAt.push(performance.now());
    this.onFire?.();
  }
}

function expectFiredOnTime(it: Item): void {
  expect(it.firedAt).toHaveLength(1);
  // A Node timer may fire up to a millisecond before performance.now() agrees; never earlier.
  expect(it.firedAt[0]! - it.startedAt).toBeGreaterThanOrEqual(it.budget - 1.5);
}

describe("DeadlineQueue", () => {
  it("expires many items with mixed budgets, each once and not early; removed items never fire", async () => {
    const q = new DeadlineQueue();
    const budgets = [30, 5, 60, 5, 15, 0, 45, 30, 2.5, 15];
    const items: Item[] = [];
    const removed: Item[] = [];
    for (let round = 0; round < 20; round++) {
      for (const b of budgets) {
        const it = new Item(b, performance.now());
        q.add(it, b);
        // Every third item ends before its deadline, as most calls do.
        if (items.length % 3 === 2) {
          q.remove(it);
          removed.push(it);
        } else items.push(it);
      }
      if (round % 5 === 4) await sleep(3); // later items start later: the lists interleave in time
    }
    await sleep(120);
    for (const it of items) expectFiredOnTime(it);
    for (const it of removed) expect(it.firedAt).toHaveLength(0);
    expect(q.size).toBe(0);
  });

  it("an item added from a deadline callback, and an earlier one added later, are both timed", async () => {
    const q = new DeadlineQueue();
    let chained: Item | undefined;
    const first = new Item(10, performance.now(), () => {
      chained = new Item(10, performance.now());
      q.add(chained, 10);
    });
    q.add(first, 10);
    const long = new Item(80, performance.now());
    q.add(long, 80);
    const short = new Item(5, performance.now()); // expires before everything armed so far
    q.add(short, 5);
    await sleep(120);
    expectFiredOnTime(first);
    expectFiredOnTime(short);
    expectFiredOnTime(long);
    expect(chained).toBeDefined();
    expectFiredOnTime(chained!);
  });

  it("negative, NaN and zero budgets expire at once; clear() forgets everything", async () => {
    const q = new DeadlineQueue();
    const now = performance.now();
    const items = [new Item(-5, now), new Item(NaN, now), new Item(0, now)];
    items.forEach((it) => q.add(it, it.budget));
    const cleared = new Item(5, now);
    await sleep(20);
    for (const it of items) expect(it.firedAt).toHaveLength(1);
    q.add(cleared, 5);
    q.clear();
    await sleep(20);
    expect(cleared.firedAt).toHaveLength(0);
    expect(q.size).toBe(0);
  });
});

describe.each(TRANSPORTS)("deadlines over %s", (t) => {
  it("many concurrent calls with mixed deadlines: each fails with its own budget, the others succeed", async () => {
    const serverAborts: Array<Promise<unknown>> = [];
    const { endpoint } = await startServer(sockets, t, (s) => {
      s.addMethod(Hang, (req, ctx: ServerCallContext) => {
        serverAborts.push(aborted(ctx.signal));
        return new Promise<string>(() => undefined); // never answers
      });
      s.addMethod(Echo, async (req) => {
        await sleep(5);
        return req;
      });
    });
    const ch = await connect(sockets, endpoint);
    const budgets = [20, 40, 20, 60, 10, 40, 80, 10];
    const t0 = performance.now();
    const hung = budgets.flatMap((b) =>
      Array.from({ length: 5 }, () =>
        ch.unary(Hang, "x", { timeoutMs: b }).then(
          () => {
            throw new Error("a hung call succeeded");
          },
          (e: RpcError) => ({ e, b, after: performance.now() - t0 }),
        ),
      ),
    );
    const answered = Array.from({ length: 20 }, (_, i) => ch.unary(Echo, `#${i}`, { timeoutMs: 5000 }));
    await expect(Promise.all(answered)).resolves.toEqual(Array.from({ length: 20 }, (_, i) => `#${i}`));
    for (const { e, b, after } of await Promise.all(hung)) {
      expect(e).toBeInstanceOf(RpcError);
      expect(e.code).toBe(Status.DEADLINE_EXCEEDED);
      expect(e.message).toBe(`deadline of ${b} ms exceeded`);
      expect(after).toBeGreaterThanOrEqual(b - 1.5);
    }
    const reasons = await Promise.all(serverAborts);
    expect(reasons).toHaveLength(budgets.length * 5);
    for (const r of reasons) expect(r).toMatchObject({ code: Status.DEADLINE_EXCEEDED, message: "deadline exceeded" });
    expect(ch.openCalls).toBe(0);
  });

  it("a deadline fires while the writer is held up (no server: ZMQ_IMMEDIATE keeps the send waiting)", async () => {
    // Nothing is bound at this address: the send waits up to sendTimeoutMs for a peer.
    const endpoint = t === "tcp" ? "tcp://127.0.0.1:9" : bindAddress(t);
    const ch = sockets.add(new Channel(endpoint, { sendTimeoutMs: 3000 }));
    const t0 = performance.now();
    const results = await Promise.all(
      [30, 60, 30].map((b) =>
        ch.unary(Echo, "x", { timeoutMs: b }).then(
          () => undefined,
          (e: RpcError) => ({ e, b, after: performance.now() - t0 }),
        ),
      ),
    );
    for (const r of results) {
      expect(r).toBeDefined();
      // tcp to a closed port may report the connection refused first: UNAVAILABLE is right then.
      if (r!.e.code === Status.UNAVAILABLE && t === "tcp") continue;
      expect(r!.e.code).toBe(Status.DEADLINE_EXCEEDED);
      expect(r!.e.message).toBe(`deadline of ${r!.b} ms exceeded`);
      expect(r!.after).toBeGreaterThanOrEqual(r!.b - 1.5);
      expect(r!.after).toBeLessThan(2500); // not the send timeout's UNAVAILABLE
    }
    expect(ch.openCalls).toBe(0);
  });

  it("a handler that answers synchronously is never timed; one that goes async is, from the request's arrival", async () => {
    let syncCtx: ServerCallContext | undefined;
    const asyncAbort: Array<Promise<unknown>> = [];
    const { endpoint } = await startServer(sockets, t, (s) => {
      s.addMethod(Echo, (req, ctx) => {
        syncCtx = ctx;
        return req;
      });
      s.addMethod(Hang, (req, ctx) => {
        asyncAbort.push(aborted(ctx.signal));
        return new Promise<string>(() => undefined);
      });
    });
    const ch = await connect(sockets, endpoint);
    await expect(ch.unary(Echo, "a", { timeoutMs: 20 })).resolves.toBe("a");
    await sleep(40);
    expect(syncCtx!.signal.aborted).toBe(false); // answered: nothing left to time
    const t0 = Date.now();
    await expect(ch.unary(Hang, "b", { timeoutMs: 30 })).rejects.toMatchObject({ code: Status.DEADLINE_EXCEEDED });
    await expect(asyncAbort[0]).resolves.toMatchObject({ code: Status.DEADLINE_EXCEEDED });
    expect(Date.now() - t0).toBeGreaterThanOrEqual(28);
  });
});
