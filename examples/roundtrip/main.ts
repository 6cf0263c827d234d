/**
 * `npm run demo` (until the RPC demo lands): generate code from schemas/, then send a GameState from
 * TypeScript to a Python process and back, printing each step.
 *
 *   TS: samples.json -> GameState.fromJSON -> encode --hex--> Python: GameState.FromString
 *                                                               tick += 1, add a score, SerializeToString
 *   TS: GameState.decode <--hex-------------------------------- 
 */
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as path from "path";
import { generate, writeOutput } from "../../generator/generate";

const REPO = path.join(__dirname, "../..");

function main(): void {
  // 1. Python environment and generated code, exactly as `npm test` and `protozmq generate` make them.
  (require(path.join(REPO, "scripts/venv.js")) as { ensureVenv: () => void }).ensureVenv();
  const files = generate({
    inputs: [path.join(REPO, "schemas")], includeDirs: [path.join(REPO, "schemas")],
    tsOut: path.join(REPO, "generated/ts"), pyOut: path.join(REPO, "generated/python"),
  });
  const { written } = writeOutput(files, [path.join(REPO, "generated/ts"), path.join(REPO, "generated/python")]);
  console.log(`generate: ${files.length} files from schemas/ (${written.length} changed)`);

  // 2. TypeScript encodes the game state.
  const { GameState } = require(path.join(REPO, "generated/ts/game/state")) as typeof import("../../generated/ts/game/state");
  const samples = JSON.parse(fs.readFileSync(path.join(REPO, "schemas/game/samples.json"), "utf8")) as {
    json: Record<string, unknown[]>;
  };
  const sample = samples.json["protozmq.fixtures.game.GameState"]!
    .map((j) => GameState.fromJSON(j as never))
    .sort((a, b) => GameState.encode(b).length - GameState.encode(a).length)[0]!;
  const bytes = GameState.encode(sample);
  console.log(`  ts: encoded GameState match=${JSON.stringify(sample.matchId)} tick=${sample.tick} ` +
    `units=${sample.units.length} -> ${bytes.length} bytes`);

  // 3. Python decodes, changes and re-encodes it.
  const py = spawnSync(path.join(REPO, ".venv/bin/python"), [path.join(__dirname, "analysis.py")], {
    input: `${Buffer.from(bytes).toString("hex")}\n`, encoding: "utf8", stdio: ["pipe", "pipe", "inherit"],
  });
  if (py.status !== 0) throw new Error(`analysis.py failed with exit code ${py.status}`);

  // 4. TypeScript decodes the answer and checks what changed.
  const back = GameState.decode(new Uint8Array(Buffer.from(py.stdout.trim(), "hex")));
  console.log(`  ts: decoded ${py.stdout.trim().length / 2} bytes: tick=${back.tick} scores=${JSON.stringify(back.scores)}`);
  console.log(`  ts: last event: ${JSON.stringify(back.events[back.events.length - 1])}`);
  const unchanged = GameState.equals({ ...back, tick: sample.tick, scores: sample.scores, events: sample.events }, sample);
  if (back.tick !== sample.tick + 1n || !unchanged) throw new Error("round trip changed more than the analysis did");
  console.log("round trip OK: TS -> Python -> TS, every other field identical");
}

main();
