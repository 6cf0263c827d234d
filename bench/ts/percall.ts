/**
 * CPU time per call, protozmq against the raw zeromq.js echo, interleaved in one run: the
 * noise-robust figure for work on the TS runtime's hot paths (a shared VM's wall clock is not).
 *
 *   node --import tsx bench/ts/percall.ts [--transport ipc|tcp|inproc] [--cpus pinned|same|free]
 *        [--depths 1,16,64,256] [--seconds 0.3] [--rounds 9] [--impls pz,raw]
 *
 * Run it with TSX_TSCONFIG_PATH=tsconfig.json (as `npm run bench` does) so `protozmq` is the
 * working tree's runtime. For each depth N (calls in flight; N=1 is sequential round trips), the
 * rows take turns in blocks of `--seconds`, `--rounds` times. Per block: calls/s, the client's CPU
 * time per call (process.cpuUsage: every thread of this process, libzmq's I/O thread included)
 * and the server's (the sum over its threads of /proc/<pid>/task/<tid>/schedstat, ns). Printed:
 * the median of each over rounds, and protozmq ÷ raw paired per round.
 *
 * ```
 * percall.ts (client: Channel | raw DEALER) ──ipc/tcp──▶ bench/ts/server.ts pz | raw (child processes)
 *            inproc: both servers run inside this process; "client" then means client + server
 * ```
 */
import { spawn, ChildProcess } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import * as zmq from "zeromq";
import { Channel } from "protozmq";
import { Echo, EchoRequest, gen, now, payload, ROOT } from "./common";
import { Running, startPz, startRaw } from "./servers";

interface Args {
  transport: string;
  cpus: string;
  depths: number[];
  seconds: number;
  rounds: number;
  impls: string[];
  size: number;
}

function parseArgs(): Args {
  const a: Args = { transport: "ipc", cpus: "pinned", depths: [1, 16, 64, 256], seconds: 0.3, rounds: 9, impls: ["pz", "raw"], size: 64 };
  const argv = process.argv.slice(2);
  for (let i = 0; i < argv.length; i += 2) {
    const v = argv[i + 1] ?? "";
    switch (argv[i]) {
      case "--transport": a.transport = v; break;
      case "--cpus": a.cpus = v; break;
      case "--depths": a.depths = v.split(",").map(Number); break;
      case "--seconds": a.seconds = Number(v); break;
      case "--rounds": a.rounds = Number(v); break;
      case "--impls": a.impls = v.split(","); break;
      case "--size": a.size = Number(v); break;
      default: throw new Error(`unknown option ${argv[i]}`);
    }
  }
  return a;
}

/** CPU nanoseconds used so far by every thread of `pid`. */
function procCpuNs(pid: number): number {
  let ns = 0;
  for (const tid of fs.readdirSync(`/proc/${pid}/task`)) {
    try {
      ns += Number(fs.readFileSync(`/proc/${pid}/task/${tid}/schedstat`, "utf8").split(" ")[0]);
    } catch {
      // thread gone
    }
  }
  return ns;
}

function selfCpuUs(): number {
  const u = process.cpuUsage();
  return u.user + u.system;
}

interface Server {
  endpoint: string;
  pid: number | undefined;
  close(): Promise<void>;
}

async function startServer(impl: string, transport: string, cpu: number | undefined, dir: string): Promise<Server> {
  if (transport === "inproc") {
    const ep = `inproc://percall-${impl}`;
    const r: Running = await (impl === "pz" ? startPz : startRaw)([ep], []);
    return { endpoint: ep, pid: undefined, close: () => r.close() };
  }
  const ep = transport === "ipc" ? `ipc://${dir}/${impl}.sock` : "tcp://127.0.0.1:0";
  const node = [process.execPath, "--import", "tsx", path.join(ROOT, "bench", "ts", "server.ts"), impl, "--bind", ep];
  const [file, argv] = cpu === undefined ? [node[0]!, node.slice(1)] : ["taskset", ["-c", String(cpu), ...node]];
  const child: ChildProcess = spawn(file, argv, {
    cwd: ROOT,
    stdio: ["pipe", "pipe", "inherit"],
    env: { ...process.env, TSX_TSCONFIG_PATH: `${ROOT}/tsconfig.json` },
  });
  const line = await new Promise<string>((resolve, reject) => {
    let buf = "";
    child.stdout!.on("data", (d: Buffer) => {
      buf += d.toString();
      const i = buf.indexOf("\n");
      if (i >= 0) resolve(buf.slice(0, i));
    });
    child.on("exit", (code) => reject(new Error(`${impl} server exited with ${code}`)));
  });
  const ready = JSON.parse(line.replace(/^ready /, "")) as { rpc: string[] };
  return {
    endpoint: ready.rpc[0]!,
    pid: child.pid,
    close: async () => {
      child.stdin!.end();
      await new Promise((r) => child.once("exit", r));
    },
  };
}

/** One client: runs `depth` calls in flight for `seconds`, returns calls done. */
interface Client {
  run(depth: number, seconds: number): Promise<number>;
  close(): Promise<void>;
}

async function pzClient(endpoint: string, size: number): Promise<Client> {
  const ch = await Channel.connect(endpoint, { connectTimeoutMs: 5000 });
  const req: EchoRequest = { payload: payload(size) };
  return {
    run: async (depth, seconds) => {
      let done = 0;
      const end = now() + seconds * 1000;
      const loop = async (): Promise<void> => {
        while (now() < end) {
          await ch.unary(Echo, req);
          done++;
        }
      };
      const loops: Promise<void>[] = [];
      for (let i = 0; i < depth; i++) loops.push(loop());
      await Promise.all(loops);
      return done;
    },
    close: () => ch.close(),
  };
}

async function rawClient(endpoint: string, size: number): Promise<Client> {
  const dealer = new zmq.Dealer({ linger: 0, sendHighWaterMark: 100_000, receiveHighWaterMark: 100_000, receiveTimeout: 10_000 });
  dealer.connect(endpoint);
  const frame = Buffer.from(gen.EchoRequest.encode({ payload: payload(size) }));
  return {
    // As bench/ts/client.ts: `depth` requests out, then one new request per reply.
    run: async (depth, seconds) => {
      const end = now() + seconds * 1000;
      let sent = 0;
      let done = 0;
      for (; sent < depth; sent++) await dealer.send(frame);
      while (done < sent) {
        await dealer.receive();
        done++;
        if (now() < end) {
          await dealer.send(frame);
          sent++;
        }
      }
      return done;
    },
    close: async () => dealer.close(),
  };
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

async function main(): Promise<void> {
  const a = parseArgs();
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "pzpc-"));
  // pinned: client CPU 0, servers CPU 1; same: all on CPU 0; free: no pinning.
  const clientCpu = a.cpus === "free" ? undefined : 0;
  const serverCpu = a.cpus === "free" ? undefined : a.cpus === "same" ? 0 : 1;
  if (clientCpu !== undefined) spawn("taskset", ["-pc", String(clientCpu), String(process.pid)], { stdio: "ignore" });
  await new Promise((r) => setTimeout(r, 100));
  const servers: Server[] = [];
  const clients: Client[] = [];
  for (const impl of a.impls) {
    const s = await startServer(impl, a.transport, serverCpu, dir);
    servers.push(s);
    clients.push(await (impl === "pz" ? pzClient : rawClient)(s.endpoint, a.size));
  }
  // Warm-up: JIT, connections, buffers.
  for (const c of clients) await c.run(Math.max(...a.depths), 1);
  const n = a.impls.length;
  process.stdout.write(`transport ${a.transport}, cpus ${a.cpus}, ${a.size} B, ${a.rounds} rounds × ${a.seconds} s per row and depth\n`);
  process.stdout.write("impl  N     calls/s   client µs/call  server µs/call  total µs/call\n");
  for (const depth of a.depths) {
    const rows = a.impls.map(() => ({ cps: [] as number[], cli: [] as number[], srv: [] as number[], tot: [] as number[] }));
    for (let r = 0; r < a.rounds; r++) {
      for (let k = 0; k < n; k++) {
        const i = (r + k) % n;
        const pid = servers[i]!.pid;
        const s0 = pid === undefined ? 0 : procCpuNs(pid);
        const c0 = selfCpuUs();
        const t0 = now();
        const calls = await clients[i]!.run(depth, a.seconds);
        const t1 = now();
        const c1 = selfCpuUs();
        const s1 = pid === undefined ? 0 : procCpuNs(pid);
        const row = rows[i]!;
        row.cps.push(calls / ((t1 - t0) / 1000));
        row.cli.push((c1 - c0) / calls);
        row.srv.push((s1 - s0) / 1000 / calls);
        row.tot.push((c1 - c0) / calls + (s1 - s0) / 1000 / calls);
      }
    }
    rows.forEach((row, i) => {
      const f = (x: number, w: number, d = 2): string => x.toFixed(d).padStart(w);
      process.stdout.write(
        `${a.impls[i]!.padEnd(5)} ${String(depth).padEnd(4)} ${f(median(row.cps), 9, 0)} ${f(median(row.cli), 15)} ${f(median(row.srv), 15)} ${f(median(row.tot), 14)}\n`,
      );
    });
    if (n === 2) {
      const ratio = (k: "cps" | "cli" | "srv" | "tot"): number => median(rows[0]![k].map((v, j) => v / rows[1]![k][j]!));
      process.stdout.write(
        `${a.impls[0]}÷${a.impls[1]} N=${depth}: calls/s ${ratio("cps").toFixed(2)}×, client CPU ${ratio("cli").toFixed(2)}×, server CPU ${ratio("srv").toFixed(2)}×, total CPU ${ratio("tot").toFixed(2)}×\n`,
      );
    }
  }
  for (const c of clients) await c.close();
  for (const s of servers) await s.close();
  fs.rmSync(dir, { recursive: true, force: true });
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    console.error(err);
    process.exit(1);
  },
);
