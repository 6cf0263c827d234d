/**
 * A TypeScript bench server process, started by bench/run.ts:
 *
 *   node --import tsx bench/ts/server.ts <pz|raw|grpc> --bind <endpoint>... [--events <endpoint>...]
 *
 * Prints one line `ready {"rpc": [...], "events": [...]}` (endpoints resolved: a `tcp://...:0` or
 * `127.0.0.1:0` shows its port) once bound, and exits when its stdin closes, so it never outlives
 * the orchestrator.
 */
import { Running, startGrpc, startPz, startRaw } from "./servers";

async function main(): Promise<void> {
  const [impl, ...rest] = process.argv.slice(2);
  const bind: string[] = [];
  const events: string[] = [];
  for (let i = 0; i < rest.length; i += 2) {
    const v = rest[i + 1];
    if (v === undefined) throw new Error(`missing value after ${rest[i]}`);
    if (rest[i] === "--bind") bind.push(v);
    else if (rest[i] === "--events") events.push(v);
    else throw new Error(`unknown option ${rest[i]}`);
  }
  let server: Running;
  if (impl === "pz") server = await startPz(bind, events);
  else if (impl === "raw") server = await startRaw(bind, events);
  else if (impl === "grpc") server = await startGrpc(bind);
  else throw new Error(`unknown implementation ${impl}`);
  process.stdout.write(`ready ${JSON.stringify({ rpc: server.rpc, events: server.events })}\n`);
  process.stdin.resume();
  process.stdin.on("end", () => {
    const force = setTimeout(() => process.exit(0), 500);
    force.unref();
    void server.close().then(() => process.exit(0));
  });
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
