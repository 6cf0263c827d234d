/**
 * `npm run demo`: the seed scenario in miniature. A TypeScript game engine talks to a Python analysis
 * module generated from the same schema (schemas/game/analysis.proto):
 *
 *   engine (TS)                                   analysis (Python, its own process)
 *     |-- WatchStates: stream GameState (30/s) ---->|  counts states, every 30th: publish
 *     |-- Evaluate(EvaluateRequest), back to back -->|  a toy model scores the position
 *     |<----------------- Evaluation ----------------|
 *     |<==== AnalysisEvents.Insights (PUB/SUB) ======|  "red is ahead at tick 120"
 *
 * over ipc:// by default. Set DEMO_TRANSPORT=tcp to run the very same code over tcp://127.0.0.1 (the
 * endpoint string is the only thing that changes). Prints a live line per second (calls/s, p50/p99
 * latency), then closes everything and checks the Python process exited cleanly.
 * Started by main.ts, which first generates the code this file imports.
 */
import { spawn } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import * as readline from "readline";
import { Channel, Subscriber } from "protozmq";
import { AnalysisClient, AnalysisEventsSubscriber } from "../../generated/ts/game/analysis";
import { GameState, Faction, Unit_Kind } from "../../generated/ts/game/state";

const REPO = path.join(__dirname, "../..");
const RUN_SECONDS = Number(process.env["DEMO_SECONDS"] ?? 4);

/**
 * Where the analysis module listens: ipc sockets in a fresh temp dir, or tcp on loopback with ports the
 * module picks itself (`:*`) and reports in its "ready" line.
 */
function endpoints(): { rpc: string; events: string } {
  if (process.env["DEMO_TRANSPORT"] === "tcp") return { rpc: "tcp://127.0.0.1:*", events: "tcp://127.0.0.1:*" };
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "pzmq-demo-"));
  return { rpc: `ipc://${dir}/analysis.sock`, events: `ipc://${dir}/insights.sock` };
}

/** A small simulated match: units drift around, health changes, the tick advances. */
function* simulate(matchId: string): Generator<GameState> {
  const state = GameState.create({
    matchId,
    players: [
      { id: "p-red", displayName: "Red", faction: Faction.FACTION_RED },
      { id: "p-blue", displayName: "Blue", faction: Faction.FACTION_BLUE },
    ],
    phase: { $case: "inProgress", inProgress: { mapName: "ford", elapsedTicks: 0n } },
  });
  for (let i = 0; i < 24; i++) {
    state.units.push({
      id: i + 1, ownerId: i % 2 === 0 ? "p-red" : "p-blue", kind: Unit_Kind.KIND_SOLDIER,
      position: { x: i, y: 0, z: 0 }, velocity: { x: 0.1, y: 0.05, z: 0 }, heading: 0, health: 100, maxHealth: 100,
      orders: [], buffs: [],
    });
  }
  for (;;) {
    state.tick += 1n;
    for (const u of state.units) {
      u.position!.x += u.velocity!.x;
      u.health = Math.max(0, u.health - (Number(state.tick) % (u.id + 3) === 0 ? 1 : 0));
    }
    state.scores = Object.assign(Object.create(null) as Record<string, number>, {
      "p-red": state.units.filter((u) => u.ownerId === "p-red").reduce((s, u) => s + u.health, 0),
      "p-blue": state.units.filter((u) => u.ownerId === "p-blue").reduce((s, u) => s + u.health, 0),
    });
    yield state;
  }
}

const quantile = (sorted: number[], q: number): number => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? NaN;

/** Run the demo; main.ts has set up the Python environment and generated the code first. */
export async function runDemo(): Promise<void> {
  const requested = endpoints();
  const py = spawn(path.join(REPO, ".venv/bin/python"), [path.join(__dirname, "analysis.py"), requested.rpc, requested.events], {
    stdio: ["pipe", "pipe", "inherit"],
  });
  const pyExit = new Promise<number | null>((resolve) => py.on("exit", (code) => resolve(code)));
  const lines = readline.createInterface({ input: py.stdout });
  const ep = await new Promise<{ rpc: string; events: string }>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error("analysis module did not start in 20 s")), 20000);
    lines.on("line", (line) => {
      const ready = /^ready (\S+) (\S+)$/.exec(line);
      if (ready) {
        clearTimeout(timer);
        resolve({ rpc: ready[1]!, events: ready[2]! });
      } else console.log(`  [python] ${line}`);
    });
    py.on("exit", (code) => reject(new Error(`analysis module exited early (${code})`)));
  });

  console.log(`analysis module: ${ep.rpc} (events on ${ep.events})`);
  const channel = await Channel.connect(ep.rpc);
  const analysis = new AnalysisClient(channel);
  const insights = new AnalysisEventsSubscriber(new Subscriber());
  insights.connect(ep.events);
  insights.subscribe("insights", "m-demo");
  let insightCount = 0;
  let lastInsight = "";
  const listening = (async () => {
    for await (const ev of insights) {
      insightCount++;
      lastInsight = ev.event.text;
    }
  })();

  // Stream every state at 30 ticks/s while evaluating positions back to back.
  const match = simulate("m-demo");
  let current = match.next().value as GameState;
  let streaming = true;
  let streamed = 0;
  async function* stateStream(): AsyncGenerator<GameState> {
    while (streaming) {
      current = match.next().value as GameState;
      streamed++;
      yield current;
      await new Promise((r) => setTimeout(r, 1000 / 30));
    }
  }
  const summary = analysis.watchStates(stateStream(), { timeoutMs: (RUN_SECONDS + 10) * 1000 });

  const allLatencies: number[] = [];
  const started = Date.now();
  for (let second = 1; second <= RUN_SECONDS; second++) {
    const latencies: number[] = [];
    const end = started + second * 1000;
    let last: { winProbability: number } | undefined;
    while (Date.now() < end) {
      const t0 = process.hrtime.bigint();
      last = await analysis.evaluate({ state: current, playerId: "p-red" }, { timeoutMs: 1000 });
      latencies.push(Number(process.hrtime.bigint() - t0) / 1000);
    }
    latencies.sort((a, b) => a - b);
    allLatencies.push(...latencies);
    console.log(
      `t=${second}s  evaluate: ${latencies.length.toLocaleString("en")} calls/s  p50 ${quantile(latencies, 0.5).toFixed(0)} µs  ` +
      `p99 ${quantile(latencies, 0.99).toFixed(0)} µs  | red wins ${(100 * (last?.winProbability ?? 0)).toFixed(1)}%  ` +
      `| states streamed ${streamed}  | insights ${insightCount}${lastInsight ? `: "${lastInsight}"` : ""}`,
    );
  }

  streaming = false;
  const s = await summary;
  allLatencies.sort((a, b) => a - b);
  console.log(`summary: ${allLatencies.length.toLocaleString("en")} evaluations, p50 ${quantile(allLatencies, 0.5).toFixed(0)} µs, ` +
    `p99 ${quantile(allLatencies, 0.99).toFixed(0)} µs; analysis saw ${s.statesSeen} states up to tick ${s.lastTick}; ${insightCount} insights`);

  insights.close();
  await listening;
  await channel.close();
  py.stdin.end(); // the analysis module stops when its stdin closes
  const code = await pyExit;
  if (code !== 0) throw new Error(`analysis module exited with ${code}`);
  if (BigInt(s.statesSeen) !== BigInt(streamed) || insightCount === 0) {
    throw new Error(`lost data: streamed ${streamed}, analysis saw ${s.statesSeen}; insights ${insightCount}`);
  }
  console.log("clean exit: every state arrived, the analysis module stopped with code 0");
}
