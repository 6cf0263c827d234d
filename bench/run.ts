/**
 * `npm run bench`: protozmq against raw ZeroMQ, gRPC and other codecs, on this machine.
 *
 *   npm run bench                      full run (~7 min on 2 cores): unpinned and pinned
 *   npm run bench -- --quick           CI smoke run (< 1 min): everything once, tiny counts; asserts nothing about time
 *   npm run bench -- --modes unpinned  only these modes (unpinned, pinned, same-cpu; default: the first two)
 *   npm run bench -- --sections rpc,codec,codegen
 *   npm run bench -- --langs ts        only the rows of these client programs (ts, py; default both), see Lang
 *
 * Prints the tables (stdout; progress on stderr) and writes bench/results/<timestamp>.{json,md}
 * plus bench/results/latest.{json,md}. Exits non-zero only when something failed to run.
 * How each figure is made: docs/BENCHMARKS.md.
 */
import * as fs from "fs";
import * as path from "path";
import { parseArgs, USAGE, UsageError } from "./lib/args";
import { ROOT } from "./lib/paths";
import { codegen, CodegenResult } from "./lib/codegen";
import { describeMachine, machineLine } from "./lib/machine";
import { prepare } from "./lib/prepare";
import { canPin, installCleanup, PYTHON, runProgram, runSync, tsCommand } from "./lib/procs";
import { CodecResult, codecTables, codegenTable, rpcTables, targets, targetsTable } from "./lib/report";
import { LANGS, Lang, Mode, ModeResult, runMode } from "./lib/rpc";
import { FULL, QUICK } from "./lib/settings";
import { markdownTable, Table, textTable } from "./lib/table";

/** The TS codec under `ts`, the Python codec under `py`. */
async function codec(quick: boolean, langs: readonly Lang[]): Promise<CodecResult> {
  const s = quick ? QUICK.codec : FULL.codec;
  const result: CodecResult = {};
  if (langs.includes("ts")) {
    const [cmd, args] = tsCommand(path.join(ROOT, "bench", "ts", "codec.ts"), [String(s.ms), String(s.rounds)]);
    result.ts = JSON.parse(await runProgram("TS codec", cmd, args, undefined, 120_000)) as NonNullable<CodecResult["ts"]>;
  }
  if (!langs.includes("py")) return result;
  const py: NonNullable<CodecResult["py"]> = { protozmq: [], protoc: [] };
  // Alternate the two processes (each module registers game/state.proto in the default pool).
  for (let r = 0; r < s.pyRounds; r++) {
    for (const impl of ["protozmq", "protoc"]) {
      const out = await runProgram(`Python codec (${impl})`, PYTHON, [path.join(ROOT, "bench", "python", "codec.py"), impl, String(s.pySeconds)], undefined, 60_000);
      py[impl]!.push(JSON.parse(out) as { encode: number; decode: number; size: number });
    }
  }
  result.py = py;
  return result;
}

/** The commit measured, and how many files of the runtimes and generator differ from it. */
function sourceState(): string {
  try {
    const sha = runSync("git", ["rev-parse", "--short", "HEAD"]).trim();
    const dirty = runSync("git", ["status", "--porcelain", "--", "runtime", "generator", "generated"]).split("\n").filter((l) => l.trim() !== "").length;
    return `commit ${sha}${dirty > 0 ? ` + ${dirty} uncommitted file(s) under runtime/, generator/, generated/` : ""}`;
  } catch {
    return "commit unknown (not a git checkout)";
  }
}

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2));
  if (args.help) {
    console.log(USAGE);
    return;
  }
  const s = args.quick ? QUICK : FULL;
  installCleanup(s.globalTimeoutMs);
  const started = Date.now();
  // The Python side needs .venv (pyzmq, protobuf, grpcio, the protozmq package): create or refresh it.
  process.stderr.write(runSync(process.execPath, [path.join(ROOT, "scripts", "venv.js")], 600_000));
  const machine = describeMachine();
  const pinnable = canPin(machine.cores);
  const modes: Mode[] = args.modes ?? (pinnable ? ["unpinned", "pinned"] : ["unpinned"]);
  if (modes.some((m) => m !== "unpinned") && !pinnable) throw new Error("pinned modes need `taskset` and at least 2 CPUs");
  // The TS programs load protozmq through bench/tsconfig.run.json: the package as built into dist/.
  const runConfig = JSON.parse(fs.readFileSync(path.join(ROOT, "bench", "tsconfig.run.json"), "utf8")) as {
    compilerOptions: { paths: Record<string, string[]> };
  };
  const runtime = path.relative(ROOT, path.resolve(ROOT, "bench", runConfig.compilerOptions.paths["protozmq"]![0]!));
  const head = [
    `protozmq bench, ${args.quick ? "--quick (smoke run: figures are not meaningful)" : "full run"}, ${args.langs.length < LANGS.length ? `--langs ${args.langs.join(",")}, ` : ""}${new Date().toISOString()}`,
    machineLine(machine),
    `protozmq ${sourceState()}; TS runtime: the compiled package, ${runtime} (built first, with tsc -p tsconfig.build.json)`,
    "pinned: client on CPU 0, servers on CPU 1; same-cpu: all on CPU 0 (taskset)",
  ].join("\n");
  process.stderr.write(`${head}\n\ngenerating bench code into bench/.gen ...\n`);
  prepare();

  const modeResults: ModeResult[] = [];
  if (args.sections.includes("rpc")) for (const m of modes) modeResults.push(await runMode(m, s, args.langs));
  let codecResult: CodecResult | undefined;
  if (args.sections.includes("codec")) {
    process.stderr.write("codec ...\n");
    codecResult = await codec(args.quick, args.langs);
  }
  let codegenResult: CodegenResult | undefined;
  if (args.sections.includes("codegen")) {
    process.stderr.write(`codegen: ${s.codegen.files} files × ${s.codegen.rounds} rounds ...\n`);
    codegenResult = await codegen(s.codegen.files, s.codegen.rounds, 300_000);
  }

  const tables: Table[] = [];
  for (const m of modeResults) tables.push(...rpcTables(m));
  if (codecResult !== undefined) tables.push(...codecTables(codecResult));
  if (codegenResult !== undefined) tables.push(codegenTable(codegenResult));
  const status = targets(modeResults, codecResult, args.langs);
  tables.push(targetsTable(status));
  const seconds = Math.round((Date.now() - started) / 1000);
  const tail = `total time ${Math.floor(seconds / 60)} min ${seconds % 60} s`;
  console.log(`${head}\n\n${tables.map(textTable).join("\n\n")}\n\n${tail}`);

  const dir = path.join(ROOT, "bench", "results");
  fs.mkdirSync(dir, { recursive: true });
  const stamp = new Date().toISOString().replace(/[:.]/g, "-");
  const json = JSON.stringify({ quick: args.quick, langs: args.langs, date: new Date().toISOString(), seconds, machine, modes: modeResults, codec: codecResult, codegen: codegenResult, targets: status }, null, 1);
  const md = `${head.split("\n").map((l) => `    ${l}`).join("\n")}\n\n${tables.map(markdownTable).join("\n\n")}\n\n${tail}\n`;
  for (const name of [stamp, "latest"]) {
    fs.writeFileSync(path.join(dir, `${name}.json`), json);
    fs.writeFileSync(path.join(dir, `${name}.md`), md);
  }
  process.stderr.write(`\nwrote bench/results/${stamp}.json and .md (also latest.json, latest.md)\n`);
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    if (err instanceof UsageError) {
      console.error(`bench: ${err.message}\n${USAGE}`);
      process.exit(2);
    }
    console.error(`bench failed: ${err instanceof Error ? err.stack ?? err.message : String(err)}`);
    process.exit(1);
  },
);
