/**
 * The RPC sections (latency, throughput, streaming, events, bulk) for one mode, unpinned or pinned:
 *
 * ```
 * servers (one process each; pinned: all on CPU 1)          clients (pinned: CPU 0), one after the other
 *   ts-pz   ts-raw   ts-grpc                                   bench/ts/client.ts      plan: TS-client jobs
 *   py-pz-sync  py-pz-async  py-raw  py-grpc                   bench/python/client.py  plan: Py-client jobs
 * ```
 *
 * First a selection job times the two Python protozmq servers (`Server`, `AsyncServer`) Py→Py;
 * the faster (lower median p50) serves every Python-server row of the mode.
 *
 * `--langs` picks the client programs (`Lang`); the selection runs under every choice, since both
 * clients have Python-server rows, and only the servers that the selection and the chosen clients'
 * jobs use are started (`serversFor`).
 */
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import type { Job, JobResult, LatencyJob, Target } from "../ts/common";
import { ROOT } from "./paths";
import { Cpu, PYTHON, runProgram, ServerProc, startServer, stopServer, tsCommand } from "./procs";
import { Settings } from "./settings";
import { median } from "./stats";

/**
 * `unpinned`: the scheduler decides; `pinned`: client on CPU 0, servers on CPU 1 (the stable
 * figure); `same-cpu`: everything on CPU 0 (on a VM, where a wake-up across CPUs is costly, this
 * is the unpinned run's fast case).
 */
export type Mode = "unpinned" | "pinned" | "same-cpu";

/**
 * The language of a client program (the caller, or the events subscriber): `ts` runs the jobs of
 * bench/ts/client.ts (`tsJobs`: TS→TS, TS→Py, grpc-js, raw zeromq.js, events to a TS subscriber),
 * `py` those of bench/python/client.py (`pyJobs`: Py→Py, Py→TS, grpcio, raw pyzmq, events to a
 * Python subscriber). The Python server selection runs under both.
 */
export type Lang = "ts" | "py";
export const LANGS: readonly Lang[] = ["ts", "py"];

export interface ModeResult {
  mode: Mode;
  /** The Python protozmq server used for the Python-server rows. */
  pythonServer: "Server" | "AsyncServer";
  /** Every job run, with its result (the job carries each row's baseline and transport). */
  runs: Array<{ job: Job; result: JobResult }>;
}

interface Endpoints {
  ipc: string;
  tcp: string;
  events: string;
}

const SERVERS = [
  ["ts-pz", "ts", "pz"],
  ["ts-raw", "ts", "raw"],
  ["ts-grpc", "ts", "grpc"],
  ["py-pz-sync", "py", "pz-sync"],
  ["py-pz-async", "py", "pz-async"],
  ["py-raw", "py", "raw"],
  ["py-grpc", "py", "grpc"],
] as const;

async function startServers(dir: string, cpu: Cpu, names: readonly string[]): Promise<ServerProc[]> {
  return Promise.all(
    SERVERS.filter(([name]) => names.includes(name)).map(([name, lang, impl]) => {
      const args =
        impl === "grpc"
          ? ["--bind", `unix:${dir}/${name}`, "--bind", "127.0.0.1:0"]
          : ["--bind", `ipc://${dir}/${name}`, "--bind", "tcp://127.0.0.1:0", "--events", `ipc://${dir}/${name}-ev`];
      const [cmd, argv] =
        lang === "ts" ? tsCommand(path.join(ROOT, "bench", "ts", "server.ts"), [impl, ...args]) : [PYTHON, [path.join(ROOT, "bench", "python", "server.py"), impl, ...args]];
      return startServer(name, cmd, argv, cpu);
    }),
  );
}

/** Runs one client program on a plan; its results. */
async function runClient(lang: "ts" | "py", jobs: Job[], dir: string, cpu: Cpu, s: Settings): Promise<JobResult[]> {
  const plan = path.join(dir, `plan-${lang}.json`);
  const out = path.join(dir, `results-${lang}.json`);
  fs.writeFileSync(plan, JSON.stringify({ jobs }));
  const [cmd, args] =
    lang === "ts" ? tsCommand(path.join(ROOT, "bench", "ts", "client.ts"), [plan, out]) : [PYTHON, [path.join(ROOT, "bench", "python", "client.py"), plan, out]];
  await runProgram(`${lang} client`, cmd, args, cpu, s.clientTimeoutMs);
  return JSON.parse(fs.readFileSync(out, "utf8")) as JobResult[];
}

const T = (id: string, impl: Target["impl"], endpoint: string, transport: string, extra: Partial<Target> = {}): Target => ({
  id, impl, endpoint, transport, ...extra,
});

/** The raw echo rows of a streaming job are ROUTERs that stream (see bench/ts/servers.ts). */
function asRouter(t: Target): Target {
  const r = (id: string): string => id.replace(" echo", " ROUTER");
  return { ...t, id: r(t.id), ...(t.baseline !== undefined ? { baseline: r(t.baseline) } : {}) };
}

/** The jobs of the TS client. `py` is the Python protozmq server picked by the selection. */
function tsJobs(ep: Record<string, Endpoints>, py: string, s: Settings, mode: Mode): Job[] {
  const lat = { kind: "latency" as const, client: "TS", ...s.latency };
  const unary = (tr: "ipc" | "tcp"): Target[] => [
    T("raw zeromq.js echo", "raw", ep["ts-raw"]![tr], tr),
    T("protozmq TS→TS", "pz", ep["ts-pz"]![tr], tr, { baseline: "raw zeromq.js echo", grpc: "grpc-js" }),
    T("raw zeromq.js→pyzmq", "raw", ep["py-raw"]![tr], tr),
    T("protozmq TS→Py", "pz", ep[py]![tr], tr, { baseline: "raw zeromq.js→pyzmq" }),
    T("grpc-js", "grpc", ep["ts-grpc"]![tr], tr === "ipc" ? "unix" : "tcp", { baseline: "raw zeromq.js echo" }),
  ];
  const inproc = (): Target[] => [
    T("raw zeromq.js echo", "raw", `inproc://raw-${mode}`, "inproc"),
    T("protozmq TS→TS", "pz", `inproc://pz-${mode}`, "inproc", { baseline: "raw zeromq.js echo" }),
  ];
  const jobs: Job[] = [];
  for (const tr of ["ipc", "tcp"] as const) {
    for (const size of [64, 1024]) jobs.push({ ...lat, group: `TS latency ${tr} ${size}`, size, targets: unary(tr) });
  }
  for (const size of [64, 1024]) jobs.push({ ...lat, group: `TS latency inproc ${size}`, size, targets: inproc() });
  jobs.push({ kind: "throughput", client: "TS", group: "TS throughput ipc 64", size: 64, ...s.throughput, targets: unary("ipc") });
  jobs.push({
    kind: "stream", client: "TS", group: "TS stream ipc 64", size: 64, ...s.stream,
    targets: unary("ipc").map(asRouter),
  });
  jobs.push({
    kind: "events", client: "TS", group: "TS events ipc 64", size: 64, ...s.events,
    targets: [
      T("raw zeromq.js PUB→SUB", "raw", ep["ts-raw"]!.ipc, "ipc", { events: ep["ts-raw"]!.events }),
      T("protozmq pub TS→sub TS", "pz", ep["ts-pz"]!.ipc, "ipc", { events: ep["ts-pz"]!.events, baseline: "raw zeromq.js PUB→SUB" }),
      T("protozmq pub TS (batch 64)→sub TS", "pz", ep["ts-pz"]!.ipc, "ipc", { events: ep["ts-pz"]!.events, baseline: "raw zeromq.js PUB→SUB", batch: 64 }),
      T("raw pyzmq PUB→zeromq.js SUB", "raw", ep["py-raw"]!.ipc, "ipc", { events: ep["py-raw"]!.events }),
      T("protozmq pub Py→sub TS", "pz", ep[py]!.ipc, "ipc", { events: ep[py]!.events, baseline: "raw pyzmq PUB→zeromq.js SUB" }),
      T("protozmq pub Py (batch 64)→sub TS", "pz", ep[py]!.ipc, "ipc", { events: ep[py]!.events, baseline: "raw pyzmq PUB→zeromq.js SUB", batch: 64 }),
    ],
  });
  const bulk = { kind: "bulk" as const, client: "TS", size: 1 << 20, ...s.bulk };
  jobs.push({ ...bulk, group: "TS bulk ipc 1MiB", targets: unary("ipc") });
  jobs.push({ ...bulk, group: "TS bulk tcp 1MiB", targets: unary("tcp").filter((t) => !t.id.includes("Py") && !t.id.includes("pyzmq")) });
  return jobs;
}

/** The jobs of the Python client. */
function pyJobs(ep: Record<string, Endpoints>, py: string, s: Settings): Job[] {
  const lat = { kind: "latency" as const, client: "Py", ...s.latency };
  const unary = (tr: "ipc" | "tcp"): Target[] => [
    T("raw pyzmq echo", "raw", ep["py-raw"]![tr], tr),
    T("protozmq Py→Py", "pz", ep[py]![tr], tr, { baseline: "raw pyzmq echo", ...(tr === "ipc" ? { grpc: "grpcio" } : {}) }),
    T("raw pyzmq→zeromq.js", "raw", ep["ts-raw"]![tr], tr),
    T("protozmq Py→TS", "pz", ep["ts-pz"]![tr], tr, { baseline: "raw pyzmq→zeromq.js" }),
    ...(tr === "ipc" ? [T("grpcio", "grpc", ep["py-grpc"]!.ipc, "unix", { baseline: "raw pyzmq echo" })] : []),
  ];
  const jobs: Job[] = [];
  for (const tr of ["ipc", "tcp"] as const) {
    for (const size of [64, 1024]) jobs.push({ ...lat, group: `Py latency ${tr} ${size}`, size, targets: unary(tr) });
  }
  jobs.push({ kind: "throughput", client: "Py", group: "Py throughput ipc 64", size: 64, ...s.throughput, targets: unary("ipc") });
  jobs.push({
    kind: "stream", client: "Py", group: "Py stream ipc 64", size: 64, ...s.stream,
    targets: unary("ipc").map(asRouter),
  });
  jobs.push({
    kind: "events", client: "Py", group: "Py events ipc 64", size: 64, ...s.events,
    targets: [
      T("raw pyzmq PUB→SUB", "raw", ep["py-raw"]!.ipc, "ipc", { events: ep["py-raw"]!.events }),
      T("protozmq pub Py→sub Py", "pz", ep[py]!.ipc, "ipc", { events: ep[py]!.events, baseline: "raw pyzmq PUB→SUB" }),
      T("protozmq pub Py (batch 64)→sub Py", "pz", ep[py]!.ipc, "ipc", { events: ep[py]!.events, baseline: "raw pyzmq PUB→SUB", batch: 64 }),
      T("raw zeromq.js PUB→pyzmq SUB", "raw", ep["ts-raw"]!.ipc, "ipc", { events: ep["ts-raw"]!.events }),
      T("protozmq pub TS→sub Py", "pz", ep["ts-pz"]!.ipc, "ipc", { events: ep["ts-pz"]!.events, baseline: "raw zeromq.js PUB→pyzmq SUB" }),
      T("protozmq pub TS (batch 64)→sub Py", "pz", ep["ts-pz"]!.ipc, "ipc", { events: ep["ts-pz"]!.events, baseline: "raw zeromq.js PUB→pyzmq SUB", batch: 64 }),
    ],
  });
  jobs.push({ kind: "bulk", client: "Py", group: "Py bulk ipc 1MiB", size: 1 << 20, ...s.bulk, targets: unary("ipc") });
  return jobs;
}

/** The Python server selection: `Server` and `AsyncServer` Py→Py, against raw pyzmq. */
function selection(ep: Record<string, Endpoints>, s: Settings): LatencyJob {
  return {
    kind: "latency", client: "Py", group: "Py latency ipc 64 (Python server selection)", size: 64, ...s.latency,
    targets: [
      T("raw pyzmq echo", "raw", ep["py-raw"]!.ipc, "ipc"),
      T("protozmq Py→Py (Server)", "pz", ep["py-pz-sync"]!.ipc, "ipc", { baseline: "raw pyzmq echo" }),
      T("protozmq Py→Py (AsyncServer)", "pz", ep["py-pz-async"]!.ipc, "ipc", { baseline: "raw pyzmq echo" }),
      // For information: the asyncio client on sequential calls (the table's Py rows use Channel).
      T("protozmq Py→Py (AsyncChannel→AsyncServer)", "pz", ep["py-pz-async"]!.ipc, "ipc", { baseline: "raw pyzmq echo", variant: "async" }),
    ],
  };
}

/** Each selected client's jobs. `py` is the Python protozmq server picked by the selection. */
function jobsFor(langs: readonly Lang[], ep: Record<string, Endpoints>, py: string, s: Settings, mode: Mode): Array<[Lang, Job[]]> {
  return langs.map((lang) => [lang, lang === "ts" ? tsJobs(ep, py, s, mode) : pyJobs(ep, py, s)]);
}

/**
 * The servers that the selection and the jobs of `langs` use, in `SERVERS` order: the job lists
 * are built on placeholder endpoints, one per server, and each endpoint a target names is looked up.
 */
export function serversFor(langs: readonly Lang[], s: Settings, mode: Mode): string[] {
  const ep: Record<string, Endpoints> = {};
  const owner = new Map<string, string>();
  for (const [name] of SERVERS) {
    ep[name] = { ipc: `ipc://${name}`, tcp: `tcp://${name}`, events: `ipc://${name}-ev` };
    for (const e of Object.values(ep[name]!)) owner.set(e, name);
  }
  const used = new Set<string>();
  const jobs = [selection(ep, s), ...jobsFor(langs, ep, "py-pz-sync", s, mode).flatMap(([, j]) => j)];
  for (const job of jobs) {
    for (const t of job.targets) for (const e of [t.endpoint, t.events]) if (e !== undefined && owner.has(e)) used.add(owner.get(e)!);
  }
  return SERVERS.map(([name]) => name).filter((name) => used.has(name));
}

export async function runMode(mode: Mode, s: Settings, langs: readonly Lang[]): Promise<ModeResult> {
  const [clientCpu, serverCpu]: [Cpu, Cpu] = mode === "pinned" ? [0, 1] : mode === "same-cpu" ? [0, 0] : [undefined, undefined];
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "pzb-"));
  let servers: ServerProc[] = [];
  try {
    const names = serversFor(langs, s, mode);
    process.stderr.write(`[${mode}] starting ${names.length} servers (${names.join(", ")})${serverCpu !== undefined ? ` on CPU ${serverCpu}` : ""}\n`);
    servers = await startServers(dir, serverCpu, names);
    const ep: Record<string, Endpoints> = {};
    for (const srv of servers) ep[srv.name] = { ipc: srv.rpc[0]!, tcp: srv.rpc[1]!, events: srv.events[0] ?? "" };

    const selectionJob = selection(ep, s);
    const [picked] = await runClient("py", [selectionJob], dir, clientCpu, s);
    const p50 = (id: string): number => median(picked!.runs[id]!.map((f) => f["p50"]!));
    const pythonServer = p50("protozmq Py→Py (AsyncServer)") < p50("protozmq Py→Py (Server)") ? "AsyncServer" : "Server";
    const py = pythonServer === "Server" ? "py-pz-sync" : "py-pz-async";
    process.stderr.write(`[${mode}] Python protozmq server for this mode: ${pythonServer}\n`);

    const runs: ModeResult["runs"] = [{ job: selectionJob, result: picked! }];
    for (const [lang, jobs] of jobsFor(langs, ep, py, s, mode)) {
      const results = await runClient(lang, jobs, dir, clientCpu, s);
      jobs.forEach((job, i) => runs.push({ job, result: results[i]! }));
    }
    return { mode, pythonServer, runs };
  } finally {
    await Promise.all(servers.map(stopServer));
    fs.rmSync(dir, { recursive: true, force: true });
  }
}
