/**
 * Codegen benchmark: wall time to compile a large synthetic schema set (bench/lib/schema-set.ts:
 * `n` files that import each other) with
 *
 * - `protozmq generate --ts-out`, with and without `--no-type-check`, vs `protoc --es_out`
 *   (protoc-gen-es, `target=ts`);
 * - `protozmq generate --py-out` vs `protoc --python_out`.
 *
 * Each is a fresh process, as a user or a build runs it: protozmq as installed, `bin/protozmq.js`
 * running the compiled generator in `dist/` (built by prepare.ts first; its TS output is
 * type-checked in memory with ts-morph before it is written), protoc through grpc_tools (libprotoc)
 * with protoc-gen-es as a node plugin. Rounds alternate the five commands; each round writes into
 * empty output directories.
 */
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { ROOT } from "./paths";
import { PYTHON, runProgram } from "./procs";
import { PROTOC_GEN_ES, WKT_INCLUDE } from "./prepare";
import { writeSchemaSet } from "./schema-set";

export interface CodegenResult {
  files: number;
  /** `runs[tool][round]` = seconds. */
  runs: Record<string, number[]>;
  /**
   * `cpu[tool][round]` = CPU seconds of the process and its children (user + system, from
   * `/usr/bin/time`); absent where `/usr/bin/time` is not installed. In the JSON report only.
   */
  cpu?: Record<string, number[]>;
}

/** GNU time, to read each run's CPU time (Node has no rusage of a child). */
const TIME = "/usr/bin/time";

export const CODEGEN_TOOLS = [
  "protozmq (TS)", "protozmq (TS, --no-type-check)", "protoc + protoc-gen-es", "protozmq (Python)", "protoc --python_out",
] as const;

export async function codegen(files: number, rounds: number, timeoutMs: number): Promise<CodegenResult> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "pzbench-codegen-"));
  try {
    const src = path.join(dir, "src");
    const protos = writeSchemaSet(src, files).map((f) => path.relative(src, f));
    // The installed command, not the generator's sources through tsx (which would add its own
    // start-up and transpiling, ~0.5 s per run, to what users get).
    const cli = path.join(ROOT, "bin", "protozmq.js");
    const protozmq = (args: string[]): [string, string[]] => [process.execPath, [cli, ...args]];
    const commands: Record<string, (out: string) => [string, string[]]> = {
      "protozmq (TS)": (out) => protozmq(["generate", src, "-I", src, "--ts-out", out]),
      // Without the in-memory self-check: what a large project that relies on its own tsc build pays.
      "protozmq (TS, --no-type-check)": (out) => protozmq(["generate", src, "-I", src, "--ts-out", out, "--no-type-check"]),
      "protoc + protoc-gen-es": (out) => [
        PYTHON,
        ["-m", "grpc_tools.protoc", `--plugin=protoc-gen-es=${PROTOC_GEN_ES}`, `--es_out=${out}`, "--es_opt=target=ts", "-I", src, "-I", WKT_INCLUDE, ...protos],
      ],
      "protozmq (Python)": (out) => protozmq(["generate", src, "-I", src, "--py-out", out]),
      "protoc --python_out": (out) => [PYTHON, ["-m", "grpc_tools.protoc", `--python_out=${out}`, "-I", src, "-I", WKT_INCLUDE, ...protos]],
    };
    const runs: Record<string, number[]> = {};
    const cpu: Record<string, number[]> = {};
    const timed = fs.existsSync(TIME);
    const cpuFile = path.join(dir, "cpu.txt");
    for (let r = 0; r < rounds; r++) {
      for (const tool of CODEGEN_TOOLS) {
        const out = path.join(dir, `out-${r}-${tool.replace(/\W+/g, "_")}`);
        fs.mkdirSync(out, { recursive: true });
        const [cmd, args] = commands[tool]!(out);
        // GNU time adds ~1 ms of its own; wall time is still taken here, around the whole command.
        const [c, a] = timed ? [TIME, ["-f", "%U %S", "-o", cpuFile, cmd, ...args]] : [cmd, args];
        const t0 = performance.now();
        await runProgram(tool, c, a, undefined, timeoutMs);
        (runs[tool] ??= []).push((performance.now() - t0) / 1000);
        if (timed) {
          const [user, sys] = fs.readFileSync(cpuFile, "utf8").trim().split(/\s+/).slice(-2).map(Number);
          (cpu[tool] ??= []).push((user ?? NaN) + (sys ?? NaN));
        }
        fs.rmSync(out, { recursive: true, force: true });
      }
    }
    if (timed) {
      const med = (xs: number[]): number => [...xs].sort((x, y) => x - y)[Math.floor(xs.length / 2)]!;
      process.stderr.write(`codegen CPU seconds (median): ${CODEGEN_TOOLS.map((t) => `${t} ${med(cpu[t]!).toFixed(2)}`).join(", ")}\n`);
    }
    return timed ? { files, runs, cpu } : { files, runs };
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}
