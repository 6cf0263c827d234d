/**
 * Fuzzing generated decoders (fast-check): random bytes, and mutations of valid encodings, into
 * codecs of real fixtures (maps, groups, recursion, WKTs, oneofs, closed enums, hostile names).
 * Properties: decode either returns a message or throws DecodeError, nothing else; a decoded
 * message re-encodes and decodes to an equal message; Object.prototype is never touched.
 * Every input a fuzzer ever broke us with goes into REGRESSIONS below.
 */
import fc from "fast-check";
import { DecodeError, type MessageType } from "protozmq";
import * as fs from "fs";
import * as path from "path";

const GEN = path.join(__dirname, "../../../generated/ts");
const SCHEMAS = path.join(__dirname, "../../../schemas");

function tsModules(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? tsModules(path.join(dir, e.name)) : e.name.endsWith(".ts") ? [path.join(dir, e.name)] : []);
}

/* eslint-disable @typescript-eslint/no-explicit-any */
type Codec = MessageType<any>;

/** Inputs that once broke a decoder: (type name, hex). */
const REGRESSIONS: [string, string][] = [
  ["protozmq.fixtures.nested.TreeNode", "1a00"], // empty sub-message
  ["protozmq.fixtures.proto2.SearchResponse", "2b2c"], // empty group
  ["protozmq.fixtures.proto2.SearchResponse", "2b"], // unterminated group
  ["protozmq.fixtures.maps.KeyTypes", "0a00"], // map entry with neither key nor value
];

let codecs: Codec[];
let byName: Map<string, Codec>;
let seeds: [Codec, Uint8Array][];
let prototypeBefore: string;

const protoSnapshot = (): string =>
  JSON.stringify(Object.getOwnPropertyNames(Object.prototype).sort().map((k) => [k, typeof (Object.prototype as any)[k]]));

beforeAll(() => {
  prototypeBefore = protoSnapshot();
  // Every fixture's decoders: all committed generated modules (fresh.test.ts keeps them current).
  const mods = tsModules(GEN).map((f) => require(f) as Record<string, unknown>);
  codecs = mods.flatMap((m) => Object.values(m).filter((v): v is Codec => typeof (v as Codec)?.decodeFrom === "function"));
  byName = new Map(codecs.map((c) => [c.typeName, c]));
  // Valid encodings to mutate: a few hand-made messages with every field kind present.
  const make = (name: string, json: unknown): [Codec, Uint8Array] => {
    const c = byName.get(name)!;
    return [c, c.encode(c.fromJSON(json as never))];
  };
  seeds = [
    make("protozmq.fixtures.maps.KeyTypes", { stringKeys: { a: "x", __proto__x: "y" }, int64Keys: { "-1": "z" }, boolKeys: { true: "t" } }),
    make("protozmq.fixtures.nested.TreeNode", { label: "root", value: 3, children: [{ label: "a", children: [{ value: 1 }] }], annotation: { label: "n" } }),
    make("protozmq.fixtures.scalars.RepeatedScalars", { int32Values: [1, -1], stringValues: ["é", "😀"], doubleValues: [1.5, -0], boolValues: [true] }),
    make("protozmq.fixtures.oneof.Choice", { label: "l", circle: { radius: 2 }, intValue: 5, trailer: 9 }),
    make("protozmq.fixtures.name_clash.Clash", { counts: { __proto__: 1, constructor: 2 }, constructor: 5, name: "n" }),
    [byName.get("protozmq.fixtures.proto2.SearchResponse")!, new Uint8Array([0x2b, 0x32, 0x01, 0x75, 0x2c, 0x53, 0x58, 0x01, 0x54, 0xa0, 0x01, 0x03])],
  ];
});

afterAll(() => {
  expect(protoSnapshot()).toBe(prototypeBefore);
  expect(({} as Record<string, unknown>)["polluted"]).toBeUndefined();
});

/** The property every input must satisfy. */
function check(codec: Codec, bytes: Uint8Array): void {
  let msg: unknown;
  try {
    msg = codec.decode(bytes);
  } catch (e) {
    if (!(e instanceof DecodeError)) throw new Error(`${codec.typeName}: non-DecodeError ${String(e)} for ${Buffer.from(bytes).toString("hex")}`);
    return;
  }
  const again = codec.decode(codec.encode(msg));
  if (!codec.equals(again, msg)) throw new Error(`${codec.typeName}: round trip changed the message for ${Buffer.from(bytes).toString("hex")}`);
}

test("every fixture folder contributes decoders to the fuzzing", () => {
  const folders = fs.readdirSync(SCHEMAS, { withFileTypes: true }).filter((e) => e.isDirectory()).map((e) => e.name);
  for (const folder of folders) {
    expect([folder, codecs.some((c) => c.typeName.startsWith(`protozmq.fixtures.${folder}.`))]).toEqual([folder, true]);
  }
});

test.each(REGRESSIONS)("regression %s %s", (name, hex) => {
  check(byName.get(name)!, new Uint8Array(Buffer.from(hex, "hex")));
});

test("random bytes: 100,000 cases", () => {
  fc.assert(
    fc.property(fc.nat({ max: 1000 }), fc.uint8Array({ maxLength: 48 }), (i, bytes) => check(codecs[i % codecs.length]!, bytes)),
    { numRuns: 100000 },
  );
});

test("mutated valid encodings: 50,000 cases", () => {
  const mutation = fc.oneof(
    fc.record({ kind: fc.constant("set" as const), at: fc.nat(), byte: fc.integer({ min: 0, max: 255 }) }),
    fc.record({ kind: fc.constant("insert" as const), at: fc.nat(), byte: fc.integer({ min: 0, max: 255 }) }),
    fc.record({ kind: fc.constant("delete" as const), at: fc.nat(), byte: fc.constant(0) }),
    fc.record({ kind: fc.constant("truncate" as const), at: fc.nat(), byte: fc.constant(0) }),
  );
  fc.assert(
    fc.property(fc.nat({ max: 1000 }), fc.array(mutation, { minLength: 1, maxLength: 4 }), (i, muts) => {
      const [codec, seed] = seeds[i % seeds.length]!;
      let b = Array.from(seed);
      for (const m of muts) {
        const at = b.length === 0 ? 0 : m.at % b.length;
        if (m.kind === "set" && b.length > 0) b[at] = m.byte;
        else if (m.kind === "insert") b.splice(at, 0, m.byte);
        else if (m.kind === "delete") b.splice(at, 1);
        else if (m.kind === "truncate") b = b.slice(0, at);
      }
      check(codec, new Uint8Array(b));
    }),
    { numRuns: 50000 },
  );
});

test("nesting deeper than 100 is a DecodeError, at any depth the input claims", () => {
  const TreeNode = byName.get("protozmq.fixtures.nested.TreeNode")!;
  // annotation (field 4) nested n times, lengths computed from the inside out
  const nest = (n: number): Uint8Array => {
    let inner: number[] = [];
    for (let i = 0; i < n; i++) {
      const len: number[] = [];
      let v = inner.length;
      while (v > 0x7f) {
        len.push((v & 0x7f) | 0x80);
        v >>>= 7;
      }
      len.push(v);
      inner = [0x22, ...len, ...inner];
    }
    return new Uint8Array(inner);
  };
  expect(() => TreeNode.decode(nest(100))).not.toThrow();
  expect(() => TreeNode.decode(nest(101))).toThrow(/nesting deeper than 100/);
  expect(() => TreeNode.decode(nest(5000))).toThrow(DecodeError);
  const group = byName.get("protozmq.fixtures.proto2.SearchResponse")!;
  expect(() => group.decode(new Uint8Array([...Array(200).fill(0x1b), ...Array(200).fill(0x1c)]))).toThrow(DecodeError);
});
