/**
 * The cross-language RPC interop matrix (issue #4): gRPC's interop cases, adapted to protozmq, for
 * client {TS, Python} x server {TS, Python} x transport {ipc, tcp}, every side a real process, plus the
 * same-language pairs over inproc (one process: `client --inproc-server`). The Python client runs with
 * the generated asyncio client and, as a third client, with the blocking one (`client.py --blocking`).
 *
 * ```
 *   server.{ts,py} <rpc> <events>  ── "ready <rpc> <events>" ──▶ this test
 *   client.{ts,py} --server <rpc> --events <events>  ── one JSON line per case ──▶ this test
 *        └── Channel ══ ipc|tcp ══▶ server ROUTER;   TestEventsSubscriber ══ ipc|tcp ══▶ server XPUB
 * ```
 *
 * Each (server, client, transport) gets its own server process and one client process that runs every
 * case in order; each case is one jest test, named by case, pair and transport. Pairs run two at a time
 * (the CI box has two cores) and start as soon as the suite does, so tests only wait for their results.
 * Every child runs in its own process group and is killed in afterAll, whatever happened.
 */
import { CASES, type CaseResult } from "./cases";
import { bindAddress, Child, command, killAll, type Lang } from "./procs";

type Transport = "ipc" | "tcp" | "inproc";
/** The Python client runs twice: with the asyncio client, and with the blocking one (`--blocking`). */
type Client = Lang | "py-blocking";
interface Pair {
  readonly client: Client;
  readonly server: Lang;
  readonly transport: Transport;
}

const LANGS: readonly Lang[] = ["ts", "py"];
const CLIENTS: readonly Client[] = ["ts", "py", "py-blocking"];
const PAIRS: readonly Pair[] = [
  ...(["ipc", "tcp"] as const).flatMap((transport) =>
    LANGS.flatMap((server) => CLIENTS.map((client): Pair => ({ client, server, transport }))),
  ),
  ...LANGS.map((lang): Pair => ({ client: lang, server: lang, transport: "inproc" })),
];

/** How long a server may take to print its ready line, a client to run all cases, a child to exit. */
const SERVER_START_MS = 20_000;
const CLIENT_RUN_MS = 60_000;
const EXIT_MS = 5_000;
/** No client runs past this point of the suite (a hung pair must not hold the others up for long). */
const SUITE_BUDGET_MS = 85_000;
const PARALLEL_PAIRS = 2;

const NAME = { ts: "TS", py: "Python", "py-blocking": "Python blocking" } as const;
const label = (p: Pair): string =>
  p.transport === "inproc" ? `${NAME[p.client]} client and server in one process over inproc` : `${NAME[p.client]} client → ${NAME[p.server]} server over ${p.transport}`;

let suiteStart = Date.now();

/** What one pair's run produced. */
interface PairRun {
  results: Map<string, CaseResult>;
  /** Problems outside the cases: a server that did not start or stop cleanly, a client that crashed. */
  problems: string[];
  clientExit: string;
  clientTail: string;
}

async function runPair(p: Pair): Promise<PairRun> {
  const problems: string[] = [];
  const budget = (ms: number): number => Math.max(0, Math.min(ms, suiteStart + SUITE_BUDGET_MS - Date.now()));
  if (budget(CLIENT_RUN_MS) === 0) {
    return { results: new Map(), problems: [`not run: the suite's ${SUITE_BUDGET_MS} ms were used up`], clientExit: "not started", clientTail: "" };
  }
  let server: Child | undefined;
  let clientArgs: string[];
  if (p.transport === "inproc") {
    clientArgs = ["--inproc-server"];
  } else {
    const s = command(p.server, "server");
    server = new Child(`${NAME[p.server]} server`, s.file, [...s.args, bindAddress(p.transport, "rpc"), bindAddress(p.transport, "events")]);
    try {
      const m = await server.waitForLine(/^ready (\S+) (\S+)$/, budget(SERVER_START_MS));
      clientArgs = ["--server", m[1]!, "--events", m[2]!];
    } catch (err) {
      server.kill("SIGKILL");
      return { results: new Map(), problems: [(err as Error).message], clientExit: "not started", clientTail: "" };
    }
  }

  const c = command(p.client === "py-blocking" ? "py" : p.client, "client");
  if (p.client === "py-blocking") clientArgs.push("--blocking");
  const client = new Child(`${NAME[p.client]} client`, c.file, [...c.args, ...clientArgs]);
  const clientExit = await client.exit(budget(CLIENT_RUN_MS));
  const results = new Map<string, CaseResult>();
  for (const line of client.lines) {
    let r: CaseResult;
    try {
      r = JSON.parse(line) as CaseResult;
    } catch {
      problems.push(`client printed a line that is not JSON: ${line.slice(0, 200)}`);
      continue;
    }
    if (typeof r.case !== "string" || typeof r.ok !== "boolean" || typeof r.ms !== "number") problems.push(`malformed result line: ${line.slice(0, 200)}`);
    else if (results.has(r.case)) problems.push(`case ${r.case} reported twice`);
    else if (!(CASES as readonly string[]).includes(r.case)) problems.push(`unknown case ${r.case} reported`);
    else results.set(r.case, r);
  }
  const missing = CASES.filter((name) => !results.has(name));
  if (missing.length > 0) problems.push(`no result for ${missing.join(", ")} (client ${clientExit})`);
  const allOk = results.size === CASES.length && [...results.values()].every((r) => r.ok);
  if ((clientExit === "exit code 0") !== allOk) problems.push(`client ${clientExit} although ${allOk ? "every case passed" : "a case failed"}`);

  if (server !== undefined) {
    // Both ways a server is told to stop, each language both ways: end of stdin (as when its parent
    // dies) after the ipc runs, SIGTERM after the tcp runs.
    const how = p.transport === "ipc" ? "end of stdin" : "SIGTERM";
    if (p.transport === "ipc") server.closeStdin();
    else server.kill("SIGTERM");
    const serverExit = await server.exit(EXIT_MS);
    if (serverExit !== "exit code 0") problems.push(`server did not exit cleanly on ${how}: ${serverExit}; ${server.tail()}`);
  }
  return { results, problems, clientExit, clientTail: client.tail() };
}

// ---- scheduling: every pair starts in beforeAll, PARALLEL_PAIRS at a time.

const runs = new Map<Pair, Promise<PairRun>>();
const timings: string[] = [];

beforeAll(() => {
  suiteStart = Date.now();
  let next = 0;
  const slots: Array<() => void> = [];
  const starters = PAIRS.map((p) => {
    let start!: () => void;
    const started = new Promise<void>((r) => (start = r));
    slots.push(start);
    const run = started.then(async () => {
      const t0 = Date.now();
      try {
        return await runPair(p);
      } finally {
        timings.push(`${label(p)}: ${((Date.now() - t0) / 1000).toFixed(1)} s`);
        slots[next++]?.();
      }
    });
    runs.set(p, run);
    return run;
  });
  for (; next < Math.min(PARALLEL_PAIRS, slots.length); next++) slots[next]!();
  void Promise.allSettled(starters);
});

afterAll(async () => {
  await killAll();
  if (process.env.PZMQ_INTEROP_TIMINGS) console.log(`interop matrix: ${((Date.now() - suiteStart) / 1000).toFixed(1)} s\n${timings.join("\n")}`);
}, 30_000);

describe.each(PAIRS.map((p) => [label(p), p] as const))("%s", (_name, pair) => {
  test.each([...CASES])("%s", async (name) => {
    const run = await runs.get(pair)!;
    const r = run.results.get(name);
    if (r === undefined) {
      throw new Error(
        `${name} × ${label(pair)}: no result (client ${run.clientExit}). ${run.problems.join("; ")} ${run.clientTail}`,
      );
    }
    if (!r.ok) throw new Error(`${name} × ${label(pair)} failed after ${r.ms} ms: ${r.error ?? "(no error text)"}`);
  }, 120_000);

  test("the processes start, report every case once, and stop cleanly", async () => {
    const run = await runs.get(pair)!;
    if (run.problems.length > 0) throw new Error(`${label(pair)}: ${run.problems.join("; ")} ${run.clientTail}`);
  }, 120_000);
});
