/**
 * One side of a paired A/B measurement of the bulk and events rows (bench/ts/ab.ts starts two of
 * these, one per source tree, and interleaves them):
 *
 *   node --import tsx bench/ts/ab-worker.ts <pz|raw> <tag>
 *
 * It starts this tree's bench server (bench/ts/server.ts, pinned to CPU 1 when `AB_PIN` is set),
 * connects to it, then reads commands on stdin, one per line, and answers each with one JSON line:
 *
 *   bulk <calls> <size>    sequential unary echoes: {wallMs, cpuMs, serverCpuMs}
 *   events <count> <size>  the server publishes `count` events to us: {published, received, lost, cpuMs, serverCpuMs}
 *
 * cpuMs is this (client) process's CPU time, serverCpuMs the server's (from /proc, 10 ms ticks).
 */
import { spawn } from "child_process";
import * as fs from "fs";
import * as path from "path";
import * as readline from "readline";
import * as zmq from "zeromq";
import { Channel, Subscriber } from "protozmq";
import { Echo, EVENT_HWM, gen, MAX_MESSAGE_BYTES, now, payload, Publish, ROOT, sleep } from "./common";

const [impl, tag] = process.argv.slice(2) as [string, string];

function cpuMs(): number {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
}

/** CPU time of another process (utime + stime from /proc, in clock ticks of 10 ms). */
function procCpuMs(pid: number): number {
  const stat = fs.readFileSync(`/proc/${pid}/stat`, "utf8");
  const f = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  return (Number(f[11]) + Number(f[12])) * 10;
}

async function main(): Promise<void> {
  const sock = `/tmp/pzab-${process.pid}-${tag}`;
  const extra = process.env["AB_SERVER_NODE_ARGS"]?.split(" ").filter((a) => a !== "") ?? [];
  const args = [...extra, "--import", "tsx", path.join(ROOT, "bench", "ts", "server.ts"), impl, "--bind", `ipc://${sock}.rpc`, "--events", `ipc://${sock}.ev`];
  const server = process.env["AB_PIN"] ? spawn("taskset", ["-c", "1", process.execPath, ...args], { cwd: ROOT, stdio: ["pipe", "pipe", "inherit"] }) : spawn(process.execPath, args, { cwd: ROOT, stdio: ["pipe", "pipe", "inherit"] });
  const ready = await new Promise<{ rpc: string[]; events: string[] }>((resolve, reject) => {
    let out = "";
    server.stdout!.on("data", (d: Buffer) => {
      if (process.env["AB_SERVER_NODE_ARGS"]) process.stderr.write(d); // e.g. --trace-gc output
      out += d.toString();
      const m = /ready (.*)\n/.exec(out);
      if (m) resolve(JSON.parse(m[1]!));
    });
    server.on("exit", (c) => reject(new Error(`server exited ${c}`)));
  });
  const rpc = ready.rpc[0]!;
  const evEp = ready.events[0]!;
  let echo: (req: Uint8Array) => Promise<void>;
  let events: (count: number, size: number, round: number) => Promise<{ published: number; received: number; lost: number }>;
  let close: () => Promise<void> | void;
  const receiveAll = async (next: () => Promise<unknown>, count: number): Promise<{ n: number; rate: number }> => {
    let n = 0;
    let first = 0;
    let last = 0;
    while (n < count) {
      await next();
      last = now();
      if (n === 0) first = last;
      n++;
    }
    return { n, rate: (n - 1) / ((last - first) / 1000) };
  };
  if (impl === "pz") {
    const ch = await Channel.connect(rpc, { maxMessageBytes: MAX_MESSAGE_BYTES, connectTimeoutMs: 5000 });
    echo = async (p) => {
      const r = await ch.unary(Echo, { payload: p });
      if (r.payload.length !== p.length) throw new Error("bad echo");
    };
    events = async (count, size, round) => {
      const topic = `protozmq.bench.Events/Tick/${round}`;
      const sub = new Subscriber({ receiveHighWaterMark: EVENT_HWM });
      sub.connect(evEp);
      sub.subscribe(topic);
      await sleep(200);
      const reply = ch.unary(Publish, { count, size, topic, batch: Number(process.env["AB_BATCH"] ?? 1) }, { timeoutMs: 60_000 });
      const got = await receiveAll(() => sub.receive(), count);
      sub.close();
      const { seconds } = await reply;
      return { published: count / seconds, received: got.rate, lost: count - got.n };
    };
    close = () => ch.close();
  } else {
    const dealer = new zmq.Dealer({ linger: 0, sendHighWaterMark: 100_000, receiveHighWaterMark: 100_000, receiveTimeout: 10_000 });
    dealer.connect(rpc);
    // The same serialized EchoRequest the protozmq client sends, encoded once (as bench/ts/client.ts does).
    const frames = new Map<Uint8Array, Buffer>();
    echo = async (p) => {
      let f = frames.get(p);
      if (f === undefined) frames.set(p, (f = Buffer.from(gen.EchoRequest.encode({ payload: p }))));
      await dealer.send(f);
      await dealer.receive();
    };
    events = async (count, size, round) => {
      const topic = `protozmq.bench.Events/Tick/${round}`;
      const sub = new zmq.Subscriber({ linger: 0, receiveHighWaterMark: EVENT_HWM });
      sub.connect(evEp);
      sub.subscribe(topic);
      await sleep(200);
      const reply = dealer.send(["publish", String(count), String(size), topic]).then(() => dealer.receive());
      const got = await receiveAll(() => sub.receive(), count);
      sub.close();
      const seconds = Number((await reply)[0]!.toString());
      return { published: count / seconds, received: got.rate, lost: count - got.n };
    };
    close = () => dealer.close();
  }
  const payloads = new Map<number, Uint8Array>();
  let round = 0;
  const rl = readline.createInterface({ input: process.stdin });
  for await (const line of rl) {
    const [cmd, a, b] = line.trim().split(/\s+/);
    if (cmd === "quit") break;
    const n = Number(a);
    const size = Number(b);
    if (!payloads.has(size)) payloads.set(size, payload(size));
    const p = payloads.get(size)!;
    const c0 = cpuMs();
    const s0 = procCpuMs(server.pid!);
    const t0 = now();
    if (cmd === "bulk") {
      for (let i = 0; i < n; i++) await echo(p);
      process.stdout.write(JSON.stringify({ wallMs: now() - t0, cpuMs: cpuMs() - c0, serverCpuMs: procCpuMs(server.pid!) - s0 }) + "\n");
    } else if (cmd === "events") {
      const r = await events(n, size, round++);
      process.stdout.write(JSON.stringify({ ...r, cpuMs: cpuMs() - c0, serverCpuMs: procCpuMs(server.pid!) - s0 }) + "\n");
    }
  }
  await close();
  server.stdin!.end();
  process.exit(0);
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
