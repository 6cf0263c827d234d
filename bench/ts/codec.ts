/**
 * Codec benchmark, TypeScript: encode and decode ops/s of the game fixture's largest GameState
 * sample (schemas/game/samples.json, ~2 KB: nested and repeated messages, strings, an int64, a
 * map, a oneof, a Timestamp) with
 *
 * - protozmq: the committed generated/ts/game/state.ts;
 * - protobufjs: static code from `pbjs -t static-module` (bench/.gen/pbjs);
 * - @bufbuild/protobuf: protoc-gen-es output (bench/.gen/es) with `toBinary`/`fromBinary`;
 * - JSON: `JSON.stringify`/`JSON.parse` of the sample's proto3 JSON (no schema work at all).
 *
 *   node --import tsx bench/ts/codec.ts <msPerRound> <rounds>     (prints JSON)
 *
 * Every library decodes the same bytes (a Buffer, as zeromq.js delivers them) and encodes its own
 * decoded message. Within a round the libraries take turns in batches of 50 operations, so machine
 * noise hits all alike; ops/s per round = operations / time spent in that library.
 */
import * as fs from "fs";
import * as path from "path";
import { fromBinary, toBinary } from "@bufbuild/protobuf";
import type { JsonValue } from "protozmq";
import { GameState } from "../../generated/ts/game/state";
import { GEN, ROOT } from "./common";

/* eslint-disable @typescript-eslint/no-require-imports, @typescript-eslint/no-explicit-any */
type PbjsType = { encode(m: any): { finish(): Uint8Array }; decode(b: Uint8Array): any };
const Pbjs = (require(path.join(GEN, "pbjs", "state.js")) as any).protozmq.fixtures.game.GameState as PbjsType;
const EsSchema = (require(path.join(GEN, "es", "game", "state_pb.ts")) as any).GameStateSchema as Parameters<typeof fromBinary>[0];
/* eslint-enable @typescript-eslint/no-require-imports, @typescript-eslint/no-explicit-any */

const samples = JSON.parse(fs.readFileSync(path.join(ROOT, "schemas", "game", "samples.json"), "utf8")) as {
  json: Record<string, JsonValue[]>;
};
// The largest sample by encoded size.
const json = samples.json["protozmq.fixtures.game.GameState"]!
  .map((j) => ({ j, n: GameState.encode(GameState.fromJSON(j)).length }))
  .sort((a, b) => b.n - a.n)[0]!.j;
const pzMsg = GameState.fromJSON(json);
const bytes = Buffer.from(GameState.encode(pzMsg));
const pbjsMsg: unknown = Pbjs.decode(bytes);
const esMsg = fromBinary(EsSchema, bytes);
const jsonText = JSON.stringify(json);

// Every library must round-trip the sample to the same message.
for (const [name, out] of [
  ["protobufjs", Pbjs.encode(pbjsMsg).finish()],
  ["@bufbuild/protobuf", toBinary(EsSchema, esMsg)],
] as const) {
  if (!GameState.equals(GameState.decode(out), pzMsg)) throw new Error(`${name} does not round-trip the sample`);
}

let sink = 0;
// One function literal per library and operation, so no call site is shared between libraries.
const encode: Record<string, (n: number) => void> = {
  protozmq: (n) => {
    for (let i = 0; i < n; i++) sink += GameState.encode(pzMsg).length;
  },
  protobufjs: (n) => {
    for (let i = 0; i < n; i++) sink += Pbjs.encode(pbjsMsg).finish().length;
  },
  "@bufbuild/protobuf": (n) => {
    for (let i = 0; i < n; i++) sink += toBinary(EsSchema, esMsg).length;
  },
  JSON: (n) => {
    for (let i = 0; i < n; i++) sink += JSON.stringify(json).length;
  },
};
const decode: Record<string, (n: number) => void> = {
  protozmq: (n) => {
    for (let i = 0; i < n; i++) sink += GameState.decode(bytes).units.length;
  },
  protobufjs: (n) => {
    for (let i = 0; i < n; i++) sink += (Pbjs.decode(bytes) as { units: unknown[] }).units.length;
  },
  "@bufbuild/protobuf": (n) => {
    for (let i = 0; i < n; i++) sink += (fromBinary(EsSchema, bytes) as unknown as { units: unknown[] }).units.length;
  },
  JSON: (n) => {
    for (let i = 0; i < n; i++) sink += (JSON.parse(jsonText) as { units: unknown[] }).units.length;
  },
};

const BATCH = 50;

/** ops/s of each library for `ms` of interleaved batches. */
function round(fns: Record<string, (n: number) => void>, ms: number): Record<string, number> {
  const names = Object.keys(fns);
  const spent = names.map(() => 0);
  let ops = 0;
  const end = performance.now() + ms;
  while (performance.now() < end) {
    names.forEach((name, i) => {
      const t0 = performance.now();
      fns[name]!(BATCH);
      spent[i]! += performance.now() - t0;
    });
    ops += BATCH;
  }
  return Object.fromEntries(names.map((n, i) => [n, ops / (spent[i]! / 1000)]));
}

function main(): void {
  const ms = Number(process.argv[2] ?? 1000);
  const rounds = Number(process.argv[3] ?? 5);
  round(encode, Math.min(ms, 500)); // warm up: let every library reach its optimized code
  round(decode, Math.min(ms, 500));
  const runs: Record<string, Record<string, number>[]> = { encode: [], decode: [] };
  for (let r = 0; r < rounds; r++) {
    runs.encode!.push(round(encode, ms));
    runs.decode!.push(round(decode, ms));
  }
  const sizes = {
    protozmq: bytes.length,
    protobufjs: Pbjs.encode(pbjsMsg).finish().length,
    "@bufbuild/protobuf": toBinary(EsSchema, esMsg).length,
    JSON: jsonText.length,
  };
  process.stdout.write(JSON.stringify({ sizes, runs, sink: sink > 0 }));
}

main();
