/**
 * Where inproc latency spikes come from: sequential protozmq and raw zeromq.js round trips over
 * inproc in this one process (as the bench's inproc rows run), each call > 200 µs matched against
 * the garbage collections (perf_hooks "gc" entries) that overlapped it.
 *
 *   TSX_TSCONFIG_PATH=tsconfig.json taskset -c 0 node --import tsx bench/ts/inproc-stalls.ts [rounds]
 *
 * ```
 * Channel ─inproc─▶ Server        raw DEALER ─inproc─▶ ROUTER echo      (500 calls each, alternating)
 * ```
 */
import { PerformanceObserver, performance } from "perf_hooks";
import * as zmq from "zeromq";
import { Channel, Server } from "protozmq";
import { Echo, EchoReply, EchoRequest, gen, payload } from "./common";

interface Gc {
  start: number;
  ms: number;
}

async function main(): Promise<void> {
  const rounds = Number(process.argv[2] ?? 10);
  const gcs: Gc[] = [];
  new PerformanceObserver((list) => {
    for (const e of list.getEntries()) gcs.push({ start: e.startTime, ms: e.duration });
  }).observe({ entryTypes: ["gc"] });
  const server = new Server();
  server.addMethod(Echo, (req: EchoRequest): EchoReply => ({ payload: req.payload }));
  await server.bind("inproc://stalls-pz");
  const ch = await Channel.connect("inproc://stalls-pz");
  const router = new zmq.Router({ linger: 0 });
  await router.bind("inproc://stalls-raw");
  const dealer = new zmq.Dealer({ linger: 0 });
  dealer.connect("inproc://stalls-raw");
  void (async () => {
    try {
      for await (const f of router) await router.send(f);
    } catch {
      // closed
    }
  })();
  const req = { payload: payload(64) };
  const frame = Buffer.from(gen.EchoRequest.encode(req));
  const impls: Record<string, () => Promise<unknown>> = {
    protozmq: () => ch.unary(Echo, req),
    raw: async () => {
      await dealer.send(frame);
      await dealer.receive();
    },
  };
  for (const call of Object.values(impls)) for (let i = 0; i < 2000; i++) await call();
  const rows = Object.keys(impls).map((name) => ({ name, us: [] as number[], slow: [] as Array<{ t: number; us: number; c: number }> }));
  gcs.length = 0;
  for (let r = 0; r < rounds; r++) {
    for (const [i, call] of Object.values(impls).entries()) {
      const row = rows[i]!;
      for (let c = 0; c < 500; c++) {
        const t0 = performance.now();
        await call();
        const us = (performance.now() - t0) * 1000;
        row.us.push(us);
        if (us > 200) row.slow.push({ t: t0, us, c });
      }
    }
  }
  // A GC's work does not end with its pause: V8 sweeps (ArrayBuffers too) on helper threads that
  // share the CPU when the process is pinned, so a call up to AFTER_GC_MS after a pause counts too.
  const AFTER_GC_MS = 5;
  const overlaps = (s: { t: number; us: number }, after = 0): Gc | undefined =>
    gcs.find((g) => g.start + g.ms + after >= s.t && g.start <= s.t + s.us / 1000);
  for (const row of rows) {
    const s = [...row.us].sort((a, b) => a - b);
    const q = (p: number): string => s[Math.min(s.length - 1, Math.floor(p * s.length))]!.toFixed(1);
    const during = row.slow.filter((x) => overlaps(x) !== undefined).length;
    const after = row.slow.filter((x) => overlaps(x, AFTER_GC_MS) !== undefined).length;
    console.log(
      `${row.name.padEnd(9)} p50 ${q(0.5)} µs, p99 ${q(0.99)}, p999 ${q(0.999)}; calls > 200 µs: ${row.slow.length}, ` +
        `during a GC pause: ${during}, during or up to ${AFTER_GC_MS} ms after one: ${after}`,
    );
  }
  // PZ_STALLS_LIST=1: each slow call's duration and its index in its block of 500 (after the other row's block).
  if (process.env["PZ_STALLS_LIST"] === "1") {
    for (const row of rows) console.log(row.name, row.slow.map((x) => `${x.us.toFixed(0)}@${x.c}`).join(" "));
  }
  const ms = gcs.map((g) => g.ms).sort((a, b) => a - b);
  console.log(`${gcs.length} GCs during the timed calls, median ${(ms[ms.length >> 1] ?? 0).toFixed(2)} ms, max ${(ms[ms.length - 1] ?? 0).toFixed(2)} ms`);
  await ch.close();
  await server.close({ drainTimeoutMs: 10 });
  dealer.close();
  router.close();
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    console.error(err);
    process.exit(1);
  },
);
