/**
 * Generates everything the bench needs into the git-ignored `bench/.gen/`, fresh on every run:
 *
 * | dir            | what                                                   | by                                   |
 * |----------------|--------------------------------------------------------|--------------------------------------|
 * | `ts/`, `py/`   | bench.proto: TS codecs, `bench_pb2`                    | `protozmq generate` (generator/cli.ts) |
 * | `py/`          | `bench_pb2_grpc` (grpcio stubs, import `bench_pb2`)    | grpc_tools.protoc                    |
 * | `pbjs/`        | game/state.proto as protobufjs static code             | pbjs -t static-module (protobufjs-cli) |
 * | `es/`          | game/state.proto for @bufbuild/protobuf                | protoc + protoc-gen-es               |
 * | `protoc-py/`   | game/state.proto `_pb2` from protoc itself             | grpc_tools.protoc --python_out       |
 *
 * The protozmq-generated game codecs are the committed `generated/ts/game` and `generated/python/game`.
 *
 * First it builds the package (`tsc -p tsconfig.build.json` into `dist/`, as `npm run build` does):
 * the bench's TS programs load protozmq from there (bench/tsconfig.run.json), the compiled code an
 * application gets from npm, so the figures never come from a stale build.
 */
import * as fs from "fs";
import * as path from "path";
import { GEN, ROOT } from "./paths";
import { PYTHON, runSync, tsCommand } from "./procs";

/** The include directory with google/protobuf/*.proto that protozmq bundles (protoc uses it too). */
export const WKT_INCLUDE = path.join(ROOT, "generator", "parse", "include");
export const PROTOC_GEN_ES = path.join(ROOT, "node_modules", ".bin", "protoc-gen-es");

export function protoc(args: string[]): void {
  runSync(PYTHON, ["-m", "grpc_tools.protoc", ...args]);
}

export function prepare(): void {
  runSync(process.execPath, [path.join(ROOT, "node_modules", "typescript", "bin", "tsc"), "-p", path.join(ROOT, "tsconfig.build.json")], 300_000);
  fs.rmSync(GEN, { recursive: true, force: true });
  const schemas = path.join(ROOT, "bench", "schemas");
  const game = path.join(ROOT, "schemas");
  const [node, args] = tsCommand(path.join(ROOT, "generator", "cli.ts"), [
    "generate", path.join(schemas, "bench.proto"), "-I", schemas,
    "--ts-out", path.join(GEN, "ts"), "--py-out", path.join(GEN, "py"),
  ]);
  runSync(node, args);
  protoc(["-I", schemas, `--grpc_python_out=${path.join(GEN, "py")}`, path.join(schemas, "bench.proto")]);

  fs.mkdirSync(path.join(GEN, "pbjs"), { recursive: true });
  runSync(path.join(ROOT, "node_modules", ".bin", "pbjs"), [
    "-t", "static-module", "-w", "commonjs", "--no-verify", "--no-convert", "--no-delimited", "--no-comments",
    "-p", game, "-p", WKT_INCLUDE, "-o", path.join(GEN, "pbjs", "state.js"), path.join(game, "game", "state.proto"),
  ]);

  fs.mkdirSync(path.join(GEN, "es"), { recursive: true });
  protoc([
    `--plugin=protoc-gen-es=${PROTOC_GEN_ES}`, `--es_out=${path.join(GEN, "es")}`, "--es_opt=target=ts",
    "-I", game, "-I", WKT_INCLUDE, "game/state.proto",
  ]);

  fs.mkdirSync(path.join(GEN, "protoc-py"), { recursive: true });
  protoc([`--python_out=${path.join(GEN, "protoc-py")}`, "-I", game, "-I", WKT_INCLUDE, "game/state.proto"]);
}
