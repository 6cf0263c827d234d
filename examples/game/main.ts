/**
 * `npm run demo`, the README's main job: set up the Python environment (as `npm test` does), generate
 * TypeScript and Python from schemas/ (as `protozmq generate` does), then run the game demo
 * (engine.ts), which imports that generated code.
 */
import * as path from "path";
import { generate, writeOutput } from "../../generator/generate";

const REPO = path.join(__dirname, "../..");

async function main(): Promise<void> {
  (require(path.join(REPO, "scripts/venv.js")) as { ensureVenv: () => void }).ensureVenv();
  const out = { ts: path.join(REPO, "generated/ts"), py: path.join(REPO, "generated/python") };
  const files = generate({ inputs: [path.join(REPO, "schemas")], includeDirs: [path.join(REPO, "schemas")], tsOut: out.ts, pyOut: out.py });
  const { written } = writeOutput(files, [out.ts, out.py]);
  console.log(`generate: ${files.length} files from schemas/ (${written.length} changed)`);
  const { runDemo } = require("./engine") as typeof import("./engine");
  await runDemo();
}

main().catch((e: unknown) => {
  console.error(`demo failed: ${e instanceof Error ? e.message : String(e)}`);
  process.exit(1);
});
