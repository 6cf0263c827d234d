/**
 * Codegen benchmark: wall time to compile a large synthetic schema set (bench/lib/schema-set.ts:
 * `n` files that import each other) with
 *
 * - `protozmq generate --ts-out` vs `protoc --es_out` (protoc-gen-es, `target=ts`);
 * - `protozmq generate --py-out` vs `protoc --python_out`.
 *
 * Each is a fresh process, as a user or a build runs it: protozmq through node + tsx on the
 * generator sources (its TS output is type-checked in memory with ts-morph before it is written),
 * protoc through grpc_tools (libprotoc) with protoc-gen-es as a node plugin. Rounds alternate the
 * four commands; each round writes into empty output directories.
 */
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { ROOT } from "./paths";
import { PYTHON, runProgram, tsCommand } from "./procs";
import { PROTOC_GEN_ES, WKT_INCLUDE } from "./prepare";
import { writeSchemaSet } from "./schema-set";

export interface CodegenResult {
  files: number;
  /** `runs[tool][round]` = seconds. */
  runs: Record<string, number[]>;
}

export const CODEGEN_TOOLS = ["protozmq (TS)", "protoc + protoc-gen-es", "protozmq (Python)", "protoc --python_out"] as const;

export async function codegen(files: number, rounds: number, timeoutMs: number): Promise<CodegenResult> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "pzbench-codegen-"));
  try {
    const src = path.join(dir, "src");
    const protos = writeSchemaSet(src, files).map((f) => path.relative(src, f));
    const cli = path.join(ROOT, "generator", "cli.ts");
    const commands: Record<string, (out: string) => [string, string[]]> = {
      "protozmq (TS)": (out) => tsCommand(cli, ["generate", src, "-I", src, "--ts-out", out]),
      "protoc + protoc-gen-es": (out) => [
        PYTHON,
        ["-m", "grpc_tools.protoc", `--plugin=protoc-gen-es=${PROTOC_GEN_ES}`, `--es_out=${out}`, "--es_opt=target=ts", "-I", src, "-I", WKT_INCLUDE, ...protos],
      ],
      "protozmq (Python)": (out) => tsCommand(cli, ["generate", src, "-I", src, "--py-out", out]),
      "protoc --python_out": (out) => [PYTHON, ["-m", "grpc_tools.protoc", `--python_out=${out}`, "-I", src, "-I", WKT_INCLUDE, ...protos]],
    };
    const runs: Record<string, number[]> = {};
    for (let r = 0; r < rounds; r++) {
      for (const tool of CODEGEN_TOOLS) {
        const out = path.join(dir, `out-${r}-${tool.replace(/\W+/g, "_")}`);
        fs.mkdirSync(out, { recursive: true });
        const [cmd, args] = commands[tool]!(out);
        const t0 = performance.now();
        await runProgram(tool, cmd, args, undefined, timeoutMs);
        (runs[tool] ??= []).push((performance.now() - t0) / 1000);
        fs.rmSync(out, { recursive: true, force: true });
      }
    }
    return { files, runs };
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}
