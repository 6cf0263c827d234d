/**
 * Behaviour of generated codecs beyond the samples: decode errors and their locations, proto2
 * required/defaults/groups/closed enums, presence, merging, unknown fields, maps with hostile keys,
 * JSON options, `Any` through the registry, and `[jstype]`.
 */
import { DecodeError, TypeRegistry, anyPack, type MessageType } from "protozmq";
import { emitTypeScript } from "../../../generator/emit/ts";
import * as fs from "fs";
import * as path from "path";
import { REPO, fromHex, hex, inlineModel, loadFixture, loadGenerated } from "./helpers";

const samplesOf = (folder: string, type: string): unknown[] =>
  (JSON.parse(fs.readFileSync(path.join(REPO, "schemas", folder, "samples.json"), "utf8")) as { json: Record<string, unknown[]> }).json[type]!;

/* eslint-disable @typescript-eslint/no-explicit-any */
type Codec = MessageType<any> & { defaults?: Record<string, unknown> };
type Mod = Record<string, any>;

let proto2: Mod;
let nested: Mod;
let enums: Mod;
let closed: Mod;
let maps: Mod;
let clash: Mod;
let wkt: Mod;
let oneof: Mod;
let repeated: Mod;
let unknown1: Mod;
let unknown2: Mod;

beforeAll(() => {
  proto2 = loadFixture(["proto2/proto2.proto"], "proto2/proto2");
  nested = loadFixture(["nested/nested.proto"], "nested/nested");
  enums = loadFixture(["enums/enums.proto"], "enums/enums");
  closed = loadFixture(["enums/closed.proto"], "enums/closed");
  maps = loadFixture(["maps/maps.proto"], "maps/maps");
  clash = loadFixture(["name_clash/name_clash.proto"], "name_clash/name_clash");
  wkt = loadFixture(["wkt/wkt.proto"], "wkt/wkt");
  oneof = loadFixture(["oneof/oneof.proto"], "oneof/oneof");
  repeated = loadFixture(["repeated/repeated.proto"], "repeated/repeated");
  unknown1 = loadFixture(["unknown/v1.proto"], "unknown/v1");
  unknown2 = loadFixture(["unknown/v2.proto"], "unknown/v2");
});

const decodeError = (f: () => unknown): DecodeError => {
  try {
    f();
  } catch (e) {
    if (e instanceof DecodeError) return e;
    throw new Error(`expected a DecodeError, got ${String(e)}`);
  }
  throw new Error("expected a DecodeError, nothing was thrown");
};

describe("decode errors", () => {
  test("truncated input names the message and field", () => {
    const Inner: Codec = nested.Inner;
    const good = Inner.encode(Inner.fromJSON({ topLevelNote: "hello" }));
    const e = decodeError(() => Inner.decode(good.subarray(0, good.length - 1)));
    expect(e.typeName).toBe("protozmq.fixtures.nested.Inner");
    expect(e.field).toBe("top_level_note");
    expect(e.message).toMatch(/^protozmq\.fixtures\.nested\.Inner\.top_level_note \(field 1\): truncated/);
  });

  test("the innermost message is named for an error inside a nested message", () => {
    const TreeNode: Codec = nested.TreeNode;
    // children (3) { children (3) { label (1) = 0xff (invalid UTF-8) } }
    const e = decodeError(() => TreeNode.decode(fromHex("1a05 1a03 0a01ff")));
    expect(e.typeName).toBe("protozmq.fixtures.nested.TreeNode");
    expect(e.field).toBe("label");
    expect(e.message).toMatch(/invalid UTF-8/);
  });

  test.each([
    ["invalid wire type 7", "0f"],
    ["wire type 6", "0e00"],
    ["field number 0", "0001"],
    ["stray end-group", "0c"],
    ["mismatched end-group", "0b14"],
    ["a sub-message overrunning its length", "1a02 0a05 6162636465"],
    ["a length past the end", "0a05 61"],
    ["a varint over 10 bytes", "10 ffffffffffffffffffff01"],
  ])("%s is a DecodeError", (_name, h) => {
    expect(() => nested.TreeNode.decode(fromHex(h))).toThrow(DecodeError);
  });

  test("nesting deeper than 100 is rejected; 100 is fine", () => {
    const TreeNode: Codec = nested.TreeNode;
    const chain = (depth: number): Record<string, unknown> => {
      let node: Record<string, unknown> = { label: "leaf" };
      for (let i = 0; i < depth; i++) node = { children: [node] };
      return node;
    };
    expect(() => TreeNode.decode(TreeNode.encode(TreeNode.fromJSON(chain(100) as never)))).not.toThrow();
    const e = decodeError(() => TreeNode.decode(TreeNode.encode(TreeNode.fromJSON(chain(101) as never))));
    expect(e.message).toMatch(/nesting deeper than 100/);
    // hostile: 200 children nested in a few hundred bytes
    expect(() => TreeNode.decode(fromHex("1a00".repeat(3)))).not.toThrow();
    const n = 200;
    const hostile = new Uint8Array(2 * n);
    for (let i = 0; i < n; i++) [hostile[2 * i], hostile[2 * i + 1]] = [0x22, 2 * (n - i - 1)]; // annotation (4)
    hostile.forEach((b, i) => { if (i % 2 === 1 && b > 127) hostile[i] = 127; });
    expect(() => TreeNode.decode(hostile)).toThrow(DecodeError);
  });

  test("non-Uint8Array input is a DecodeError", () => {
    expect(() => nested.Inner.decode("abc" as never)).toThrow(DecodeError);
  });
});

describe("proto2", () => {
  test("a missing required field is a DecodeError naming it", () => {
    const Required: Codec = proto2.Required$; // `Required` is a TS global type, so names.ts escapes it
    const full = Required.create({ id: 1n, name: "n", origin: { x: 1, y: 2 }, grade: 1 });
    expect(Required.decode(Required.encode(full))).toEqual(full);
    // id (1) = 1, origin (3) = {x: 1, y: 1}, grade (4) = 1: no name (2)
    const e = decodeError(() => Required.decode(fromHex("0801 1a0408021002 2001")));
    expect(e.reason).toBe("missing required field");
    expect(e.field).toBe("name");
    expect(e.fieldNumber).toBe(2);
    // a required field missing inside a nested required message
    const e2 = decodeError(() => Required.decode(fromHex("0801 12016e 1a020802 2001")));
    expect(e2.typeName).toBe("protozmq.fixtures.proto2.Required.Point");
    expect(e2.field).toBe("y");
  });

  test("defaults are exposed on the codec and absent fields stay undefined", () => {
    const Defaults: Codec = proto2.Defaults;
    const d = Defaults.defaults!;
    expect(d).toMatchObject({
      doubleValue: -1.5, floatValue: 3.25, int32Value: -42, int64Value: -9223372036854775808n,
      uint32Value: 4294967295, uint64Value: 18446744073709551615n, sint64Value: -9000000000n,
      fixed32Value: 0xdeadbeef, fixed64Value: 0o777n, sfixed32Value: -2147483648, sfixed64Value: -1n, boolValue: true,
      stringValue: "tab\there\nquote\"back\\slash'AAé", grade: proto2.Grade.GRADE_B, floatInf: Infinity,
      floatNegInf: -Infinity, doubleExp: 1e-10,
    });
    expect(d["floatNan"]).toBeNaN();
    expect(d["bytesValue"]).toEqual(new Uint8Array([0, 1, 255, 97, 98, 99]));
    const empty = Defaults.decode(new Uint8Array(0));
    expect(empty.int32Value).toBeUndefined();
    expect(empty.int32Value ?? d["int32Value"]).toBe(-42);
    // presence survives: a field set to its default is written
    expect(hex(Defaults.encode(Defaults.create({ int32Value: -42 })))).toBe("18d6ffffffffffffffff01");
    expect(hex(Defaults.encode(Defaults.create({ int32Value: 0 })))).toBe("1800");
  });

  test("groups use start/end-group tags and nest", () => {
    const SearchResponse: Codec = proto2.SearchResponse;
    const m = SearchResponse.create({ result: { url: "u", snippets: ["s"] }, page: [{ number: 1 }, { cursor: "c" }], total: 3 });
    const h = hex(SearchResponse.encode(m));
    // 5 << 3 | 3 = 0x2b ... 0x2c; 10 << 3 | 3 = 0x53 ... 0x54
    expect(h).toBe("2b 3201 75 4201 73 2c 53 5801 54 53 6201 63 54 a00103".replace(/ /g, ""));
    expect(SearchResponse.equals(SearchResponse.decode(fromHex(h)), m)).toBe(true);
    expect(() => SearchResponse.decode(fromHex("2b320175"))).toThrow(/missing end-group/);
    expect(() => SearchResponse.decode(fromHex("2b32017554"))).toThrow(/does not match/);
  });

  test("a closed enum keeps unknown numbers out of the field, in unknown fields, re-encoded", () => {
    const Required: Codec = proto2.Required$; // `Required` is a TS global type, so names.ts escapes it
    // id=1, name="n", origin={x:1,y:1}, grade=9 (unknown), grade=2
    const bytes = fromHex("0801 12016e 1a0408021002 2009 2002");
    const m = Required.decode(bytes);
    expect(m.grade).toBe(2);
    expect(hex(m.$unknown)).toBe("2009");
    expect(hex(Required.encode(m))).toBe("080112016e1a04080210022002" + "2009");
  });
});

describe("enums", () => {
  test("open enums keep unknown numbers and write them back; closed packed unknowns become unknown fields", () => {
    const Paint: Codec = enums.Paint;
    const m = Paint.fromJSON({ color: 7, palette: [1, 99] });
    expect(m.color).toBe(7);
    expect(Paint.decode(Paint.encode(m))).toEqual(m);
    expect(hex(Paint.encode(m))).toBe("0807 1202 0163".replace(/ /g, ""));
    expect(Paint.toJSON(m)).toMatchObject({ color: 7, palette: ["COLOR_RED", 99].map((v) => (v === "COLOR_RED" ? expect.any(String) : v)) });
    const Account: Codec = closed.Account;
    // history (5, unpacked) = 1, 9, 2; queue (6, packed) = [1, 7, 2]
    const m2 = Account.decode(fromHex("2801 2809 2802 3203 010702"));
    expect(m2.history).toEqual([1, 2]);
    expect(m2.queue).toEqual([1, 2]);
    expect(hex(m2.$unknown)).toBe("2809" + "3007");
    expect(hex(Account.encode(m2))).toBe("2801 2802 3202 0102 2809 3007".replace(/ /g, ""));
  });
});

describe("presence, merging and unknown fields", () => {
  test("a repeated singular scalar: last one wins; a repeated message field: merged", () => {
    const TreeNode: Codec = nested.TreeNode;
    expect(TreeNode.decode(fromHex("0a0161 0a0162")).label).toBe("b");
    // annotation (4) {label "a"} then annotation {value 5}: merged into {label "a", value 5}
    const merged = TreeNode.decode(fromHex("2203 0a0161 2202 1005"));
    expect(merged.annotation).toMatchObject({ label: "a", value: 5 });
    // repeated children are appended, not merged
    expect(TreeNode.decode(fromHex("1a03 0a0161 1a02 1005")).children).toHaveLength(2);
  });

  test("a known field with the wrong wire type is kept as an unknown field", () => {
    const Inner: Codec = nested.Inner;
    const m = Inner.decode(fromHex("0d01000000")); // top_level_note (1) as I32
    expect(m.topLevelNote).toBe("");
    expect(hex(m.$unknown)).toBe("0d01000000");
    expect(hex(Inner.encode(m))).toBe("0d01000000");
  });

  test("unknown fields survive decode -> encode across schema versions", () => {
    const v2: Codec = Object.values(unknown2).find((v: any) => v?.typeName === "protozmq.fixtures.unknown.v2.Record");
    const v1: Codec = Object.values(unknown1).find((v: any) => v?.typeName === "protozmq.fixtures.unknown.v1.Record");
    const bytes = v2.encode(v2.fromJSON(samplesOf("unknown", "protozmq.fixtures.unknown.v2.Record")[1] as never));
    const old = v1.decode(bytes);
    expect(old.$unknown).toBeDefined();
    expect(hex(v1.encode(old))).toBe(hex(bytes));
  });

  test("packed and unpacked encodings are both accepted for repeated scalars", () => {
    const Lists: Codec = repeated.Lists;
    const m1 = Lists.decode(fromHex("0a03 010203"));
    const m2 = Lists.decode(fromHex("0801 0802 0803"));
    expect(m1.ints).toEqual([1, 2, 3]);
    expect(Lists.equals(m1, m2)).toBe(true);
    // a packed run split over two records concatenates
    expect(Lists.decode(fromHex("0a0101 0a020203")).ints).toEqual([1, 2, 3]);
    expect(hex(Lists.encode(m2))).toBe("0a03010203");
  });
});

describe("maps", () => {
  test(`"__proto__" and "constructor" are ordinary keys and Object.prototype is untouched`, () => {
    const Clash: Codec = clash.Clash;
    const before = Object.getOwnPropertyNames(Object.prototype).sort();
    const m = Clash.fromJSON(JSON.parse(`{"counts": {"__proto__": 1, "constructor": 2, "toString": 3}}`));
    expect(Object.keys(m.counts).sort()).toEqual(["__proto__", "constructor", "toString"]);
    expect(m.counts["__proto__"]).toBe(1);
    const back = Clash.decode(Clash.encode(m));
    expect(back.counts["__proto__"]).toBe(1);
    expect(Object.getPrototypeOf(back.counts)).toBeNull();
    expect(Clash.equals(back, m)).toBe(true);
    expect(Object.getOwnPropertyNames(Object.prototype).sort()).toEqual(before);
    expect(({} as Record<string, unknown>)["__proto__"]).toBe(Object.prototype);
    expect(JSON.stringify(Clash.toJSON(back))).toContain(`"__proto__":1`);
  });

  test("keys of every type use the documented string form", () => {
    const KeyTypes: Codec = maps.KeyTypes;
    const m = KeyTypes.create();
    const names = Object.keys(m).filter((k) => k !== "$unknown");
    expect(names.length).toBeGreaterThanOrEqual(12);
    for (const k of names) expect(Object.getPrototypeOf(m[k])).toBeNull();
  });
});

describe("JSON options", () => {
  test("emitDefaultValues, useProtoFieldName, enumAsInteger", () => {
    const Inner: Codec = nested.Inner;
    expect({ ...(Inner.toJSON(Inner.create()) as object) }).toEqual({});
    expect(Object.keys(Inner.toJSON(Inner.create(), { emitDefaultValues: true }) as object).length).toBeGreaterThan(0);
    const Clash: Codec = clash.Clash;
    const c = Clash.create({ constructor$: 1 } as never);
    expect({ ...(Clash.toJSON(c) as object) }).toEqual({ constructor: 1 });
    const Defaults: Codec = proto2.Defaults;
    const d = Defaults.create({ int32Value: 5, grade: proto2.Grade.GRADE_C });
    expect({ ...(Defaults.toJSON(d, { useProtoFieldName: true, enumAsInteger: true }) as object) }).toEqual({ int32_value: 5, grade: 3 });
    expect(Defaults.fromJSON({ int32_value: 5, grade: "GRADE_C" })).toEqual(d);
  });

  test("unknown keys fail unless ignoreUnknownFields; two members of a oneof fail", () => {
    const Inner: Codec = nested.Inner;
    expect(() => Inner.fromJSON({ nope: 1 })).toThrow(/unknown field "nope"/);
    expect(() => Inner.fromJSON({ nope: 1 }, { ignoreUnknownFields: true })).not.toThrow();
    const Choice: Codec = oneof.Choice;
    expect(Object.keys(Choice.toJSON(Choice.fromJSON({ circle: {} })) as object)).toEqual(["circle"]);
    expect(() => Choice.fromJSON({ circle: {}, shapeName: "x" })).toThrow(/more than one field of oneof "shape"/);
  });

  test("Any resolves @type through the registry the generated modules register into", () => {
    const Singular: Codec = wkt.Singular;
    const Inner: Codec = nested.Inner;
    const any = anyPack(Inner, Inner.fromJSON({ topLevelNote: "x" }));
    const m = Singular.create({ any });
    const json = JSON.parse(JSON.stringify(Singular.toJSON(m)));
    expect(json.any).toEqual({ "@type": "type.googleapis.com/protozmq.fixtures.nested.Inner", topLevelNote: "x" });
    expect(Singular.equals(Singular.fromJSON(json), m)).toBe(true);
    // a private registry without the type cannot resolve it
    expect(() => Singular.toJSON(m, { registry: new TypeRegistry() })).toThrow(/not registered/);
  });
});

describe("[jstype]", () => {
  test("JS_STRING is a decimal string, JS_NUMBER a number, on the wire the same int64", () => {
    const model = inlineModel({
      "js.proto": `syntax = "proto3"; package js;
        message J {
          int64 big = 1;
          int64 str = 2 [jstype = JS_STRING];
          uint64 num = 3 [jstype = JS_NUMBER];
          repeated sint64 strs = 4 [jstype = JS_STRING];
        }`,
    });
    const files = emitTypeScript(model);
    const text = files[0]!.content;
    expect(text).toContain("str: string;");
    expect(text).toContain("num: number;");
    expect(text).toContain("strs: string[];");
    const J: Codec = loadGenerated<Mod>(files, "js").J;
    const m = J.create({ big: -1n, str: "-9223372036854775808", num: 2 ** 53, strs: ["1", "-2"] });
    const back = J.decode(J.encode(m));
    expect(back).toEqual({ big: -1n, str: "-9223372036854775808", num: 2 ** 53, strs: ["1", "-2"] });
    expect(J.toJSON(back)).toMatchObject({ big: "-1", str: "-9223372036854775808", num: "9007199254740992" });
    expect(J.fromJSON({ str: 5, num: "7" })).toMatchObject({ str: "5", num: 7 });
  });
});

describe("create and equals", () => {
  test("create deep-copies partial input; equals compares by value", () => {
    const TreeNode: Codec = nested.TreeNode;
    const child = { label: "c" };
    const m = TreeNode.create({ label: "p", children: [child] });
    child.label = "changed";
    expect(m.children[0].label).toBe("c");
    expect(TreeNode.equals(m, TreeNode.create({ label: "p", children: [{ label: "c" }] }))).toBe(true);
    expect(TreeNode.equals(m, TreeNode.create({ label: "p" }))).toBe(false);
  });
});
