/**
 * Paired A/B of two builds of the TS runtime in one process: each build's `Server` and `Channel`
 * over inproc, sequential unary calls, the builds taking turns round by round (the first of each
 * pair alternates). Both sides see the same CPU, the same moment and the same process, so a change
 * of 1% in CPU per call shows, where separate processes on a shared VM move by ±3%.
 *
 *   npm run build && (cd /tmp/base && npm run build)      # two compiled packages
 *   TSX_TSCONFIG_PATH=bench/tsconfig.run.json node --import tsx bench/ts/ab-inproc.ts \
 *     /tmp/base/dist/runtime/ts/src/index.js dist/runtime/ts/src/index.js [rounds] [bytes]
 *
 * Prints the medians of CPU µs per call (process.cpuUsage) and of the round's p50 latency for A
 * and B, and the medians of the per-round ratios B/A. Both builds share the process's malloc and
 * V8 heap, so a change in what a call allocates is better compared in separate processes
 * (`micro-inproc.ts`, alternated).
 *
 * ```
 * A: Channel ─inproc─▶ Server   |   B: Channel ─inproc─▶ Server    (5,000 calls each, taking turns)
 * ```
 */
import * as path from "path";
import { performance } from "perf_hooks";
import type { Channel, Server } from "protozmq";
import { Echo, EchoReply, EchoRequest, payload } from "./common";

interface Runtime {
  Server: new () => Server;
  Channel: { connect(endpoint: string): Promise<Channel> };
}

interface Side {
  server: Server;
  channel: Channel;
}

async function start(rt: Runtime, tag: string): Promise<Side> {
  const server = new rt.Server();
  server.addMethod(Echo, (req: EchoRequest): EchoReply => ({ payload: req.payload }));
  await server.bind(`inproc://ab-inproc-${tag}`);
  return { server, channel: await rt.Channel.connect(`inproc://ab-inproc-${tag}`) };
}

/** CPU µs per call and p50 µs of `n` sequential calls. */
async function round(ch: Channel, req: EchoRequest, n: number): Promise<[number, number]> {
  const t: number[] = [];
  const c0 = process.cpuUsage();
  for (let i = 0; i < n; i++) {
    const t0 = performance.now();
    await ch.unary(Echo, req);
    t.push(performance.now() - t0);
  }
  const c = process.cpuUsage(c0);
  t.sort((x, y) => x - y);
  return [(c.user + c.system) / n, t[n >> 1]! * 1000];
}

const median = (v: number[]): number => [...v].sort((x, y) => x - y)[v.length >> 1]!;

async function main(): Promise<void> {
  const [a, b] = [process.argv[2], process.argv[3]];
  if (a === undefined || b === undefined) throw new Error("usage: ab-inproc.ts <A index.js> <B index.js> [rounds] [bytes]");
  const rounds = Number(process.argv[4] ?? 30);
  const req: EchoRequest = { payload: payload(Number(process.argv[5] ?? 64)) };
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const load = (p: string): Runtime => require(path.resolve(p)) as Runtime;
  const sa = await start(load(a), "a");
  const sb = await start(load(b), "b");
  for (let i = 0; i < 3; i++) {
    await round(sa.channel, req, 3000);
    await round(sb.channel, req, 3000);
  }
  const cpu: [number[], number[]] = [[], []];
  const p50: [number[], number[]] = [[], []];
  const ratios: [number[], number[]] = [[], []];
  for (let r = 0; r < rounds; r++) {
    const order = r % 2 === 0 ? [sa, sb] : [sb, sa];
    const first = await round(order[0]!.channel, req, 5000);
    const second = await round(order[1]!.channel, req, 5000);
    const [ra, rb] = r % 2 === 0 ? [first, second] : [second, first];
    cpu[0].push(ra[0]);
    cpu[1].push(rb[0]);
    p50[0].push(ra[1]);
    p50[1].push(rb[1]);
    ratios[0].push(rb[0] / ra[0]);
    ratios[1].push(rb[1] / ra[1]);
  }
  const f = (x: number, d = 2): string => x.toFixed(d);
  console.log(
    `A: CPU ${f(median(cpu[0]))} µs/call, p50 ${f(median(p50[0]))} µs | B: CPU ${f(median(cpu[1]))}, p50 ${f(median(p50[1]))} | ` +
      `B/A: CPU ${f(median(ratios[0]), 3)}, p50 ${f(median(ratios[1]), 3)} (medians of ${rounds} rounds)`,
  );
  for (const s of [sa, sb]) {
    await s.channel.close();
    await s.server.close({ drainTimeoutMs: 10 });
  }
}

main().then(
  () => process.exit(0),
  (e: unknown) => {
    console.error(e);
    process.exit(1);
  },
);
