/**
 * BinaryReader / BinaryWriter: varints, ZigZag, 64-bit edge values, floats, UTF-8, length prefixes
 * and the malformed inputs a decoder must reject. Expected bytes are from the protobuf encoding
 * guide or computed by hand in the comments.
 */
import { BinaryReader, BinaryWriter, DecodeError, EncodeError, MAX_DEPTH, WireType, utf8Read } from "protozmq";

const hex = (b: Uint8Array): string => Buffer.from(b).toString("hex");
const bytes = (h: string): Uint8Array => new Uint8Array(Buffer.from(h.replace(/\s+/g, ""), "hex"));
const write = (f: (w: BinaryWriter) => unknown): string => {
  const w = new BinaryWriter(4); // tiny, so every test also exercises growth
  f(w);
  return hex(w.finish());
};

describe("varints", () => {
  test.each([
    [0, "00"], [1, "01"], [127, "7f"], [128, "8001"], [150, "9601"], [16383, "ff7f"], [16384, "808001"],
    [2 ** 28 - 1, "ffffff7f"], [2 ** 28, "8080808001"], [4294967295, "ffffffff0f"],
  ])("uint32 %d <-> %s", (v, h) => {
    expect(write((w) => w.uint32(v))).toBe(h);
    expect(new BinaryReader(bytes(h)).uint32()).toBe(v);
  });

  test("negative int32 is sign-extended to 10 bytes and read back from its low 32 bits", () => {
    expect(write((w) => w.int32(-1))).toBe("ffffffffffffffffff01");
    expect(write((w) => w.int32(-2147483648))).toBe("80808080f8ffffffff01");
    expect(new BinaryReader(bytes("ffffffffffffffffff01")).int32()).toBe(-1);
    expect(new BinaryReader(bytes("80808080f8ffffffff01")).int32()).toBe(-2147483648);
    // uint32 of the same bytes keeps the low 32 bits, unsigned
    expect(new BinaryReader(bytes("ffffffffffffffffff01")).uint32()).toBe(4294967295);
  });

  test("a 64-bit varint read as int32 is truncated to 32 bits (protobuf's rule)", () => {
    // 2^32 + 5 -> low 32 bits = 5
    expect(new BinaryReader(bytes("8580808010")).int32()).toBe(5);
  });

  test("non-minimal varints are accepted", () => {
    expect(new BinaryReader(bytes("8100")).uint32()).toBe(1);
    expect(new BinaryReader(bytes("80808080808080808000")).int64()).toBe(0n);
  });

  test("bool accepts any varint, non-zero in any of 64 bits is true", () => {
    expect(new BinaryReader(bytes("02")).bool()).toBe(true);
    expect(new BinaryReader(bytes("8080808080808080807f".slice(0, 18) + "01")).bool()).toBe(true);
    expect(new BinaryReader(bytes("00")).bool()).toBe(false);
  });

  test("varints longer than 10 bytes and truncated varints are DecodeErrors", () => {
    expect(() => new BinaryReader(bytes("ffffffffffffffffffff01")).uint32()).toThrow(DecodeError);
    expect(() => new BinaryReader(bytes("ffffffffffffffffffff01")).int64()).toThrow(/longer than 10 bytes/);
    expect(() => new BinaryReader(bytes("ff")).uint32()).toThrow(/truncated/);
    expect(() => new BinaryReader(bytes("ffff")).int64()).toThrow(/truncated/);
    expect(() => new BinaryReader(bytes("")).bool()).toThrow(DecodeError);
  });
});

describe("ZigZag", () => {
  test.each([
    [0, "00"], [-1, "01"], [1, "02"], [-2, "03"], [2147483647, "feffffff0f"], [-2147483648, "ffffffff0f"],
  ])("sint32 %d <-> %s", (v, h) => {
    expect(write((w) => w.sint32(v))).toBe(h);
    expect(new BinaryReader(bytes(h)).sint32()).toBe(v);
  });

  test.each([
    [0n, "00"], [-1n, "01"], [1n, "02"], [-2n, "03"],
    [9223372036854775807n, "feffffffffffffffff01"], [-9223372036854775808n, "ffffffffffffffffff01"],
    [-(2n ** 53n), "ffffffffffffff1f"], [2n ** 53n, "80808080808080 20".replace(" ", "")],
  ])("sint64 %s <-> %s", (v, h) => {
    expect(write((w) => w.sint64(v))).toBe(h);
    expect(new BinaryReader(bytes(h)).sint64()).toBe(v);
  });
});

describe("64-bit integers", () => {
  const cases: [string, bigint, string][] = [
    ["int64", 0n, "00"],
    ["int64", 9223372036854775807n, "ffffffffffffffff7f"],
    ["int64", -9223372036854775808n, "80808080808080808001"],
    ["int64", -1n, "ffffffffffffffffff01"],
    ["int64", 2n ** 53n + 1n, "8180808080808010"],
    ["int64", -(2n ** 53n) - 1n, "ffffffffffffffef ff01".replace(" ", "")],
    ["uint64", 18446744073709551615n, "ffffffffffffffffff01"],
    ["uint64", 2n ** 32n, "8080808010"],
    ["fixed64", 18446744073709551615n, "ffffffffffffffff"],
    ["fixed64", 1n, "0100000000000000"],
    ["sfixed64", -9223372036854775808n, "0000000000000080"],
    ["sfixed64", -1n, "ffffffffffffffff"],
  ];
  test.each(cases)("%s %s <-> %s", (kind, v, h) => {
    const k = kind as "int64" | "uint64" | "fixed64" | "sfixed64";
    expect(write((w) => w[k](v))).toBe(h);
    expect(new BinaryReader(bytes(h))[k]()).toBe(v);
    // the same bytes through the jstype readers
    expect(new BinaryReader(bytes(h)).int64String(k)).toBe(v.toString());
    expect(new BinaryReader(bytes(h)).int64Number(k)).toBe(Number(v));
  });

  test("writers accept bigint, integral number and decimal string alike", () => {
    const a = write((w) => w.int64(-5n));
    expect(write((w) => w.int64(-5))).toBe(a);
    expect(write((w) => w.int64("-5"))).toBe(a);
    expect(write((w) => w.uint64("18446744073709551615"))).toBe("ffffffffffffffffff01");
  });

  test("out-of-range or non-integer 64-bit values are EncodeErrors", () => {
    expect(() => new BinaryWriter().int64(2n ** 63n)).toThrow(EncodeError);
    expect(() => new BinaryWriter().int64(-(2n ** 63n) - 1n)).toThrow(EncodeError);
    expect(() => new BinaryWriter().uint64(-1n)).toThrow(EncodeError);
    expect(() => new BinaryWriter().uint64(-1)).toThrow(EncodeError);
    expect(() => new BinaryWriter().uint64(2n ** 64n)).toThrow(EncodeError);
    expect(() => new BinaryWriter().int64("12x")).toThrow(EncodeError);
    expect(() => new BinaryWriter().int64(1.5)).toThrow(EncodeError);
  });

  test("fixed32 / sfixed32 edges", () => {
    expect(write((w) => w.fixed32(4294967295))).toBe("ffffffff");
    expect(write((w) => w.sfixed32(-2147483648))).toBe("00000080");
    expect(new BinaryReader(bytes("ffffffff")).fixed32()).toBe(4294967295);
    expect(new BinaryReader(bytes("ffffffff")).sfixed32()).toBe(-1);
  });
});

describe("floats", () => {
  test.each([
    [NaN, "000000000000f87f"], [Infinity, "000000000000f07f"], [-Infinity, "000000000000f0ff"],
    [-0, "0000000000000080"], [0, "0000000000000000"], [5e-324, "0100000000000000"], [1.5, "000000000000f83f"],
  ])("double %d", (v, h) => {
    expect(write((w) => w.double(v))).toBe(h);
    expect(Object.is(new BinaryReader(bytes(h)).double(), v)).toBe(true);
  });

  test.each([
    [NaN, "0000c07f"], [Infinity, "0000807f"], [-Infinity, "000080ff"], [-0, "00000080"],
    [3.4028234663852886e38, "ffff7f7f"], [1.401298464324817e-45, "01000000"],
  ])("float %d", (v, h) => {
    expect(write((w) => w.float(v))).toBe(h);
    expect(Object.is(new BinaryReader(bytes(h)).float(), v)).toBe(true);
  });

  test("float rounds to float32 precision", () => {
    expect(new BinaryReader(bytes(write((w) => w.float(0.1)))).float()).toBe(Math.fround(0.1));
  });

  test("truncated fixed-width values are DecodeErrors", () => {
    expect(() => new BinaryReader(bytes("000000")).float()).toThrow(/truncated/);
    expect(() => new BinaryReader(bytes("00000000000000")).double()).toThrow(/truncated/);
    expect(() => new BinaryReader(bytes("00")).fixed64()).toThrow(DecodeError);
  });
});

describe("strings and UTF-8", () => {
  const roundTrip = (s: string): string => new BinaryReader(new BinaryWriter().string(s).finish()).string(true);

  test.each([
    ["", "00"],
    ["a", "0161"],
    ["é", "02c3a9"],
    ["€", "03e282ac"],
    ["😀", "04f09f9880"], // non-BMP: a surrogate pair in JS, 4 bytes in UTF-8
    ["𝄞x", "05f09d849e78"],
  ])("%j <-> %s", (s, h) => {
    expect(write((w) => w.string(s))).toBe(h);
    expect(new BinaryReader(bytes(h)).string(true)).toBe(s);
  });

  test("long strings (length prefix of 2+ bytes) and all the encode/decode paths", () => {
    for (const s of ["x".repeat(200), "é".repeat(100), "😀".repeat(50), "ascii ".repeat(7), "a😀".repeat(30), "€".repeat(50000)]) {
      expect(roundTrip(s)).toBe(s);
    }
    const w = new BinaryWriter();
    w.string("é".repeat(100)); // 200 bytes: a 2-byte length although 3*100 chars reserved 2 too
    expect(hex(w.finish()).slice(0, 4)).toBe("c801");
  });

  test("a lone surrogate is written as U+FFFD (as TextEncoder does)", () => {
    expect(write((w) => w.string("\ud800"))).toBe("03efbfbd");
    expect(write((w) => w.string("a\udc00b"))).toBe("0561efbfbd62");
    expect(roundTrip("x".repeat(60) + "\ud83d")).toBe("x".repeat(60) + "\ufffd");
  });

  test("invalid UTF-8 is a DecodeError for proto3 strings and U+FFFD for proto2 strings", () => {
    for (const h of ["01ff", "02c328", "02e282", "03f09f98", "02c0af", "03eda080", "0161".replace("61", "80")]) {
      expect(() => new BinaryReader(bytes(h)).string(true)).toThrow(DecodeError);
      expect(new BinaryReader(bytes(h)).string(false)).toContain("\ufffd");
    }
    const long = new Uint8Array([...new TextEncoder().encode("y".repeat(40)), 0xff]);
    expect(() => utf8Read(long, 0, long.length, true)).toThrow(/invalid UTF-8/);
  });

  test("a string length past the end is a DecodeError", () => {
    expect(() => new BinaryReader(bytes("0561")).string(true)).toThrow(/truncated/);
    expect(() => new BinaryReader(bytes("0561")).bytes()).toThrow(/truncated/);
  });

  test("bytes round trip, empty included", () => {
    const b = new Uint8Array(300).map((_, i) => i & 0xff);
    expect(new BinaryReader(new BinaryWriter().bytes(b).finish()).bytes()).toEqual(b);
    expect(write((w) => w.bytes(new Uint8Array(0)))).toBe("00");
  });
});

describe("sub-messages: fork/join", () => {
  test.each([0, 1, 127, 128, 16383, 16384, 70000])("body of %d bytes gets the right length prefix", (n) => {
    const w = new BinaryWriter(8);
    w.uint32(0xaa);
    const mark = w.fork();
    w.raw(new Uint8Array(n).fill(7));
    w.join(mark);
    w.uint32(0xbb);
    const out = w.finish();
    const r = new BinaryReader(out);
    expect(r.uint32()).toBe(0xaa);
    expect(r.uint32()).toBe(n);
    expect(out.subarray(r.pos, r.pos + n).every((b) => b === 7)).toBe(true);
    r.pos += n;
    expect(r.uint32()).toBe(0xbb);
  });

  test("nested forks", () => {
    const w = new BinaryWriter();
    const outer = w.fork();
    const inner = w.fork();
    w.raw(new Uint8Array(200));
    w.join(inner);
    w.join(outer);
    expect(hex(w.finish().subarray(0, 4))).toBe("ca01c801"); // outer body: 2-byte inner prefix + 200 = 202
  });
});

describe("skipping and malformed input", () => {
  test("skip handles every valid wire type and reports the closing end-group tag", () => {
    // field 1 varint, 2 I64, 3 LEN, 4 group { field 5 varint }, 6 I32, then end-group of field 9
    const data = bytes("0896 01 11 0000000000000000 1a 02 6869 23 2801 24 35 00000000 4c".replace(/ /g, ""));
    const r = new BinaryReader(data);
    const seen: number[] = [];
    while (r.pos < r.len) {
      const tag = r.tag();
      if (r.skip(tag, 9)) {
        seen.push(-1);
        break;
      }
      seen.push(tag >>> 3);
    }
    expect(seen).toEqual([1, 2, 3, 4, 6, -1]);
    expect(r.pos).toBe(r.len);
  });

  test.each([
    ["field number 0", "0001", /field number 0/],
    ["wire type 6", "0e", /wire type 6/],
    ["wire type 7", "0f", /wire type 7/],
    ["stray end-group", "0c", /unexpected end-group/],
    ["mismatched end-group", "0b14", /does not match/],
    ["unterminated group", "0b0801", /truncated/],
    ["truncated I64", "0900", /truncated/],
    ["truncated I32", "0d00", /truncated/],
    ["truncated LEN", "0a05", /truncated/],
  ])("%s is a DecodeError", (_name, h, msg) => {
    const r = new BinaryReader(bytes(h));
    const run = (): void => {
      while (r.pos < r.len) r.skip(r.tag(), 0);
    };
    expect(run).toThrow(DecodeError);
    expect(() => {
      const r2 = new BinaryReader(bytes(h));
      while (r2.pos < r2.len) r2.skip(r2.tag(), 0);
    }).toThrow(msg);
  });

  test("a tag over 32 bits is a DecodeError", () => {
    expect(() => new BinaryReader(bytes("ffffffff7f")).tag()).toThrow(DecodeError);
    expect(() => new BinaryReader(bytes("ffffffff1f")).tag()).toThrow(DecodeError);
    expect(new BinaryReader(bytes("f8ffffff0f")).tag() >>> 3).toBe(2 ** 29 - 1);
  });

  test(`unknown groups nested deeper than ${MAX_DEPTH} are rejected, not a stack overflow`, () => {
    const deep = (n: number): Uint8Array => bytes("0b".repeat(n) + "0c".repeat(n));
    const skipAll = (b: Uint8Array): void => {
      const r = new BinaryReader(b);
      while (r.pos < r.len) r.skip(r.tag(), 0);
    };
    expect(() => skipAll(deep(MAX_DEPTH))).not.toThrow();
    expect(() => skipAll(deep(MAX_DEPTH + 1))).toThrow(/nesting deeper/);
    expect(() => skipAll(deep(100000))).toThrow(DecodeError);
  });

  test("enter/leave check sub-message bounds and depth", () => {
    expect(() => new BinaryReader(bytes("05 0102".replace(" ", ""))).enter()).toThrow(/truncated/);
    const r = new BinaryReader(bytes("02 0801".replace(" ", "")));
    const end = r.enter();
    expect(r.depth).toBe(1);
    r.pos = end - 1;
    expect(() => r.leave(end)).toThrow(/overruns/);
  });

  test("WireType values are the wire's", () => {
    expect([WireType.Varint, WireType.Bit64, WireType.LengthDelimited, WireType.StartGroup, WireType.EndGroup, WireType.Bit32])
      .toEqual([0, 1, 2, 3, 4, 5]);
    expect(write((w) => w.tag(1, WireType.LengthDelimited))).toBe("0a");
    expect(write((w) => w.tag(2 ** 29 - 1, WireType.Bit32))).toBe("fdffffff0f");
  });
});
