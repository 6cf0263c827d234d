/**
 * The README's main job, `npm run demo`, as a test: the TS engine and the Python analysis module run
 * as real processes over ipc and over tcp, and the demo itself checks that every streamed state
 * arrived, insights were received and the Python process exited with 0.
 */
import { spawnSync } from "child_process";
import * as path from "path";

const REPO = path.join(__dirname, "../..");

test.each(["ipc", "tcp"])("npm run demo works over %s", (transport) => {
  const r = spawnSync(path.join(REPO, "node_modules/.bin/tsx"), [path.join(REPO, "examples/game/main.ts")], {
    cwd: REPO, encoding: "utf8", timeout: 60000,
    env: { ...process.env, DEMO_SECONDS: "2", DEMO_TRANSPORT: transport },
  });
  expect(r.stderr).not.toContain("demo failed");
  expect(r.stdout).toMatch(/t=1s {2}evaluate: [\d,]+ calls\/s {2}p50 \d+ µs {2}p99 \d+ µs/);
  expect(r.stdout).toContain("clean exit: every state arrived");
  expect(r.status).toBe(0);
}, 90000);
