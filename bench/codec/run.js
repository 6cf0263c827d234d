// Scratch benchmark: protozmq generated code vs protobufjs (reflection + codegen, which produces
// the same encode/decode functions as `pbjs -t static-module`) on a ~2 KB message.
//   node bench/codec/run.js
"use strict";
require("./register");
const fs = require("fs");
const os = require("os");
const path = require("path");
const protobuf = require("protobufjs");
const { loadModel } = require("../../generator/parse/index.ts");
const { emitTypeScript } = require("../../generator/emit/ts/index.ts");

const proto = path.join(__dirname, "bench.proto");
const out = fs.mkdtempSync(path.join(os.tmpdir(), "pz-bench-"));
for (const f of emitTypeScript(loadModel([proto], { includeDirs: [__dirname] }), { typeCheck: false })) {
  fs.mkdirSync(path.dirname(path.join(out, f.path)), { recursive: true });
  fs.writeFileSync(path.join(out, f.path), f.content);
}
const { GameState } = require(path.join(out, "bench.ts"));
fs.rmSync(out, { recursive: true, force: true });

const root = protobuf.loadSync(proto);
const PbGameState = root.lookupType("bench.GameState");

function sample() {
  const players = [];
  for (let i = 0; i < 12; i++) {
    players.push({
      id: `player-${i}-0123456789`, name: `Player Number ${i}`, score: 1000 + i * 37, x: i * 1.25, y: -i * 3.5,
      active: i % 2 === 0, inventory: [1, 2, 3, 500, 70000, i], lastSeen: 1700000000000 + i,
    });
  }
  const events = [];
  for (let i = 0; i < 10; i++) events.push({ tick: 100000 + i, kind: "move", payload: new Uint8Array(16).fill(i) });
  const scores = {};
  for (let i = 0; i < 10; i++) scores[`player-${i}`] = i * 100;
  return {
    gameId: "game-42-abcdef", version: 123456789, players, scores, events,
    weights: [0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8], description: "A benchmark game state with some text in it. ".repeat(4),
    delta: -42, checksum: 987654321, ratio: 0.75,
  };
}

const plain = sample();
const pzMsg = GameState.create({
  ...plain, version: BigInt(plain.version), delta: BigInt(plain.delta), checksum: BigInt(plain.checksum),
  players: plain.players.map((p) => ({ ...p, lastSeen: BigInt(p.lastSeen) })),
});
const pbMsg = PbGameState.fromObject(plain);

const pzBytes = GameState.encode(pzMsg);
const pbBytes = PbGameState.encode(pbMsg).finish();
console.log(`message size: protozmq ${pzBytes.length} B, protobufjs ${pbBytes.length} B`);
if (!GameState.equals(GameState.decode(pbBytes), pzMsg)) throw new Error("protozmq cannot read protobufjs bytes equally");

/** Run `a` and `b` in alternating batches (so machine load drifts hit both equally); ops/s of each. */
function duel(name, a, b, ms = 3000) {
  for (let i = 0; i < 3000; i++) { a(); b(); } // warm up
  let ta = 0n, tb = 0n, n = 0;
  const stop = process.hrtime.bigint() + BigInt(ms) * 1000000n;
  while (process.hrtime.bigint() < stop) {
    const t0 = process.hrtime.bigint();
    for (let i = 0; i < 100; i++) a();
    const t1 = process.hrtime.bigint();
    for (let i = 0; i < 100; i++) b();
    ta += t1 - t0;
    tb += process.hrtime.bigint() - t1;
    n += 100;
  }
  const ra = (n * 1e9) / Number(ta);
  const rb = (n * 1e9) / Number(tb);
  console.log(`${name.padEnd(34)} ${Math.round(ra).toLocaleString("en").padStart(10)} vs ${Math.round(rb).toLocaleString("en").padStart(10)} ops/s  = ${(ra / rb).toFixed(2)}x`);
  return ra / rb;
}

let sink = 0;
function compare(label, pz, pzMsg, pb, pbMsg) {
  const pzBytes = pz.encode(pzMsg);
  const pbBytes = pb.encode(pbMsg).finish(); // a Buffer: protobufjs's fastest input
  const pbU8 = new Uint8Array(pbBytes); // a plain Uint8Array, as a socket or file may hand it
  console.log(`\n${label}: protozmq ${pzBytes.length} B, protobufjs ${pbBytes.length} B`);
  duel("encode: protozmq vs protobufjs", () => { sink += pz.encode(pzMsg).length; }, () => { sink += pb.encode(pbMsg).finish().length; });
  duel("decode: protozmq vs protobufjs(Buffer)", () => { sink += pz.decode(pzBytes) ? 1 : 0; }, () => { sink += pb.decode(pbBytes) ? 1 : 0; });
  duel("decode: protozmq vs protobufjs(U8)", () => { sink += pz.decode(pzBytes) ? 1 : 0; }, () => { sink += pb.decode(pbU8) ? 1 : 0; });
}
compare("bench.proto GameState", GameState, pzMsg, PbGameState, pbMsg);

// The game fixture's main sample (schemas/game), about 2 KB.
const schemas = path.join(__dirname, "../../schemas");
const gameOut = fs.mkdtempSync(path.join(os.tmpdir(), "pz-bench-game-"));
for (const f of emitTypeScript(loadModel([path.join(schemas, "game/state.proto")], { includeDirs: [schemas] }), { typeCheck: false })) {
  fs.mkdirSync(path.dirname(path.join(gameOut, f.path)), { recursive: true });
  fs.writeFileSync(path.join(gameOut, f.path), f.content);
}
const Game = require(path.join(gameOut, "game/state.ts")).GameState;
fs.rmSync(gameOut, { recursive: true, force: true });
const gameJson = JSON.parse(fs.readFileSync(path.join(schemas, "game/samples.json"), "utf8")).json["protozmq.fixtures.game.GameState"][0];
const gameMsg = Game.fromJSON(gameJson);
const pbGame = new protobuf.Root();
pbGame.resolvePath = (_origin, target) => (target.startsWith("google/") ? target : path.join(schemas, target));
pbGame.loadSync("game/state.proto");
const PbGame = pbGame.lookupType("protozmq.fixtures.game.GameState");
compare("schemas/game GameState sample #0", Game, gameMsg, PbGame, PbGame.decode(Game.encode(gameMsg)));
if (sink === 0) console.log("");
