/**
 * In-process CPU cost of one call, protozmq `Channel` + `Server` against a raw zeromq.js
 * DEALER/ROUTER echo, both over inproc in this one thread (no I/O thread, no second process):
 * the cleanest view of the runtime's own per-call cost. Rows alternate, 5 rounds; medians.
 *
 *   TSX_TSCONFIG_PATH=tsconfig.json node --import tsx bench/ts/micro-inproc.ts [calls] [depth] [pz|raw|both] [bytes]
 *
 * That measures the runtime's sources through tsx; `TSX_TSCONFIG_PATH=bench/tsconfig.run.json`
 * (after `npm run build`) measures the compiled package, as `npm run bench` does.
 *
 * `bytes` is the size of the echoed `payload` field (default 64). After the CPU block, each row
 * also times 5,000 sequential calls one by one (performance.now()): p50 is their median latency.
 */
import { performance } from "perf_hooks";
import * as zmq from "zeromq";
import { Channel, Server } from "protozmq";
import { Echo, EchoReply, EchoRequest, gen, payload } from "./common";

interface Row {
  cpu: number;
  p50: number;
}

/** Median latency of `count` sequential calls of `call`, in µs. */
async function p50(call: () => Promise<unknown>, count = 5000): Promise<number> {
  const t: number[] = [];
  for (let i = 0; i < count; i++) {
    const t0 = performance.now();
    await call();
    t.push(performance.now() - t0);
  }
  t.sort((a, b) => a - b);
  return t[t.length >> 1]! * 1000;
}

async function pz(n: number, depth: number, tag: string, size: number): Promise<Row> {
  const ep = `inproc://micro-pz-${tag}`;
  const server = new Server();
  server.addMethod(Echo, (req: EchoRequest): EchoReply => ({ payload: req.payload }));
  await server.bind(ep);
  const ch = await Channel.connect(ep);
  const req: EchoRequest = { payload: payload(size) };
  const run = async (count: number): Promise<void> => {
    let left = count;
    const loop = async (): Promise<void> => {
      while (left-- > 0) await ch.unary(Echo, req);
    };
    const ls: Promise<void>[] = [];
    for (let i = 0; i < depth; i++) ls.push(loop());
    await Promise.all(ls);
  };
  await run(3000);
  const c0 = process.cpuUsage();
  await run(n);
  const c = process.cpuUsage(c0);
  const lat = await p50(() => ch.unary(Echo, req));
  await ch.close();
  await server.close({ drainTimeoutMs: 10 });
  return { cpu: (c.user + c.system) / n, p50: lat };
}

async function raw(n: number, depth: number, tag: string, size: number): Promise<Row> {
  const ep = `inproc://micro-raw-${tag}`;
  const r = new zmq.Router({ linger: 0 });
  await r.bind(ep);
  const d = new zmq.Dealer({ linger: 0 });
  d.connect(ep);
  const frame = Buffer.from(gen.EchoRequest.encode({ payload: payload(size) }));
  void (async () => {
    try {
      for (;;) await r.send(await r.receive());
    } catch {
      // closed
    }
  })();
  const run = async (count: number): Promise<void> => {
    let sent = 0;
    let done = 0;
    for (; sent < Math.min(depth, count); sent++) await d.send(frame);
    while (done < sent) {
      await d.receive();
      done++;
      if (sent < count) {
        await d.send(frame);
        sent++;
      }
    }
  };
  await run(3000);
  const c0 = process.cpuUsage();
  await run(n);
  const c = process.cpuUsage(c0);
  const lat = await p50(async () => {
    await d.send(frame);
    await d.receive();
  });
  d.close();
  r.close();
  return { cpu: (c.user + c.system) / n, p50: lat };
}

async function main(): Promise<void> {
  const n = Number(process.argv[2] ?? 20000);
  const depth = Number(process.argv[3] ?? 1);
  const only = process.argv[4]; // "pz" or "raw": run one side only (profiling)
  const size = Number(process.argv[5] ?? 64);
  const p: Row[] = [];
  const q: Row[] = [];
  for (let i = 0; i < 5; i++) {
    if (only !== "raw") p.push(await pz(n, depth, String(i), size));
    if (only !== "pz") q.push(await raw(n, depth, String(i), size));
  }
  const med = (xs: number[]): number => [...xs].sort((a, b) => a - b)[xs.length >> 1] ?? NaN;
  const f = (xs: number[]): string => xs.map((x) => x.toFixed(1)).join(" ");
  const cpu = (rs: Row[]): number[] => rs.map((r) => r.cpu);
  const lat = (rs: Row[]): number[] => rs.map((r) => r.p50);
  console.log(
    `${size} B, depth ${depth}: protozmq ${med(cpu(p)).toFixed(2)} µs/call [${f(cpu(p))}]  raw ${med(cpu(q)).toFixed(2)} [${f(cpu(q))}]  ratio ${(med(cpu(p)) / med(cpu(q))).toFixed(2)}` +
      `; p50 protozmq ${med(lat(p)).toFixed(1)} µs, raw ${med(lat(q)).toFixed(1)} µs`,
  );
}

main().then(() => process.exit(0), (e: unknown) => { console.error(e); process.exit(1); });
