/**
 * The proto3 JSON helpers: scalar readers (numbers as strings, int64 ranges, floats), base64,
 * enums, and the special forms of Timestamp, Duration, FieldMask and Any.
 */
import {
  DecodeError, EncodeError, TypeRegistry, anyFromJson, anyPack, anyToJson, anyUnpack, base64Decode, base64Encode,
  durationFromJson, durationToJson, enumToJson, enumType, fieldMaskFromJson, fieldMaskToJson, float32ToJson,
  floatToJson, jsonBool, jsonBytes, jsonDouble, jsonEnum, jsonFloat, jsonInt32, jsonInt64, jsonMapKey, jsonObject,
  jsonString, jsonUint32, jsonUint64, timestampFromJson, timestampToJson, type MessageType,
} from "protozmq";

const T = "test.M";

describe("integers", () => {
  test("int32 accepts numbers and numeric strings, checks range and integrality", () => {
    expect(jsonInt32(5, T, "f")).toBe(5);
    expect(jsonInt32("-5", T, "f")).toBe(-5);
    expect(jsonInt32("1e2", T, "f")).toBe(100);
    expect(jsonInt32(-2147483648, T, "f")).toBe(-2147483648);
    for (const bad of [2147483648, -2147483649, 1.5, "", " 1", "abc", true, null, [], {}]) {
      expect(() => jsonInt32(bad as never, T, "f")).toThrow(DecodeError);
    }
    expect(() => jsonInt32(1.5, T, "f")).toThrow("test.M.f: invalid int32 value 1.5");
  });

  test("uint32 range", () => {
    expect(jsonUint32("4294967295", T)).toBe(4294967295);
    expect(() => jsonUint32(-1, T)).toThrow(/out of range/);
    expect(() => jsonUint32(4294967296, T)).toThrow(/out of range/);
  });

  test("int64 reads decimal strings exactly and exact numbers, with range checks", () => {
    expect(jsonInt64("9223372036854775807", T)).toBe(9223372036854775807n);
    expect(jsonInt64("-9223372036854775808", T)).toBe(-9223372036854775808n);
    expect(jsonInt64(-42, T)).toBe(-42n);
    expect(jsonInt64("1e3", T)).toBe(1000n);
    expect(() => jsonInt64("9223372036854775808", T)).toThrow(/out of range/);
    // Any integral double is exact (the conformance suite sends 2^63-1024 unquoted); 2^63 is out of range.
    expect(jsonInt64(2 ** 60, T)).toBe(2n ** 60n);
    expect(jsonInt64(9223372036854774784, T)).toBe(9223372036854774784n);
    expect(() => jsonInt64(2 ** 63, T)).toThrow(/out of range/);
    expect(() => jsonInt64(1.5, T)).toThrow(DecodeError);
    expect(() => jsonInt64("1.5", T)).toThrow(DecodeError);
    expect(jsonUint64("18446744073709551615", T)).toBe(18446744073709551615n);
    expect(() => jsonUint64("-1", T)).toThrow(/out of range/);
    expect(() => jsonUint64("18446744073709551616", T)).toThrow(/out of range/);
  });

  test("map keys are validated and canonicalized", () => {
    expect(jsonMapKey("007", "int32", T)).toBe("7");
    expect(jsonMapKey("-9223372036854775808", "sint64", T)).toBe("-9223372036854775808");
    expect(jsonMapKey("true", "bool", T)).toBe("true");
    expect(jsonMapKey("__proto__", "string", T)).toBe("__proto__");
    expect(() => jsonMapKey("yes", "bool", T)).toThrow(DecodeError);
    expect(() => jsonMapKey("-1", "uint64", T)).toThrow(DecodeError);
  });
});

describe("floats", () => {
  test("NaN and infinities are strings in JSON", () => {
    expect(floatToJson(NaN)).toBe("NaN");
    expect(floatToJson(Infinity)).toBe("Infinity");
    expect(floatToJson(-Infinity)).toBe("-Infinity");
    expect(Object.is(floatToJson(-0), -0)).toBe(true);
    expect(jsonDouble("NaN", T)).toBeNaN();
    expect(jsonDouble("-Infinity", T)).toBe(-Infinity);
    expect(jsonDouble("1.5", T)).toBe(1.5);
    expect(() => jsonDouble("nan", T)).toThrow(DecodeError);
    expect(() => jsonDouble("", T)).toThrow(DecodeError);
  });

  test("float fields round to float32 on input and print float32-shortest (Python's rule)", () => {
    expect(jsonFloat(0.1, T)).toBe(Math.fround(0.1));
    expect(float32ToJson(Math.fround(0.1))).toBe(0.1);
    expect(float32ToJson(Math.fround(1.2345678))).toBe(1.2345678);
    // Python would print 3.4028235e+38 and then refuse to parse it; the exact value parses everywhere
    expect(float32ToJson(3.4028234663852886e38)).toBe(3.4028234663852886e38);
    expect(float32ToJson(-3.4028234663852886e38)).toBe(-3.4028234663852886e38);
    expect(float32ToJson(1.401298464324817e-45)).toBe(1.4013e-45);
    expect(Object.is(float32ToJson(-0), -0)).toBe(true);
    expect(float32ToJson(NaN)).toBe("NaN");
    expect(() => jsonFloat(3.5e38, T)).toThrow(/out of range/);
    expect(jsonFloat(3.4028235e38, T)).toBe(3.4028234663852886e38); // Python's spelling of FLT_MAX
    expect(jsonFloat("Infinity", T)).toBe(Infinity);
  });
});

describe("bool, string, bytes", () => {
  test("types are strict", () => {
    expect(jsonBool(false, T)).toBe(false);
    expect(() => jsonBool("true", T)).toThrow(DecodeError);
    expect(jsonString("x", T)).toBe("x");
    expect(() => jsonString(1, T)).toThrow(DecodeError);
  });

  test("base64: standard with padding out; standard or URL-safe, padded or not, in", () => {
    const b = new Uint8Array([0xfb, 0xff, 0xbf]);
    expect(base64Encode(b)).toBe("+/+/");
    expect(base64Encode(new Uint8Array([0xfb, 0xff]))).toBe("+/8=");
    expect(base64Encode(new Uint8Array([1]))).toBe("AQ==");
    expect(base64Encode(new Uint8Array(0))).toBe("");
    expect(jsonBytes("-_-_", T)).toEqual(b);
    expect(jsonBytes("+/8=", T)).toEqual(new Uint8Array([0xfb, 0xff]));
    expect(jsonBytes("-_8", T)).toEqual(new Uint8Array([0xfb, 0xff]));
    expect(jsonBytes("AQ", T)).toEqual(new Uint8Array([1]));
    expect(jsonBytes("", T)).toEqual(new Uint8Array(0));
    for (const bad of ["A", "AQ=A", "A*==", "é"]) expect(() => jsonBytes(bad, T, "b")).toThrow(DecodeError);
    const all = new Uint8Array(256).map((_, i) => i);
    expect(base64Decode(base64Encode(all))).toEqual(all);
    expect(base64Encode(all)).toBe(Buffer.from(all).toString("base64"));
  });

  test("jsonObject rejects non-objects", () => {
    expect(() => jsonObject([], T)).toThrow("test.M: expected a JSON object, got []");
    expect(() => jsonObject(null, T)).toThrow(DecodeError);
  });
});

describe("enums", () => {
  enum Color { RED = 0, GREEN = 1, VERT = 1 }
  const open = enumType<Color>("test.Color", false, [["RED", 0], ["GREEN", 1], ["VERT", 1]]);
  const closed = enumType<Color>("test.Color", true, [["RED", 0], ["GREEN", 1]]);

  test("names are the canonical (first) ones; unknown numbers stay numbers", () => {
    expect(enumToJson(open, Color.VERT)).toBe("GREEN");
    expect(enumToJson(open, 7)).toBe(7);
    expect(enumToJson(open, 1, { enumAsInteger: true })).toBe(1);
  });

  test("reading accepts names, aliases and numbers; closed enums reject unknown numbers", () => {
    expect(jsonEnum(open, "VERT", T)).toBe(1);
    expect(jsonEnum(open, 7, T)).toBe(7);
    expect(() => jsonEnum(closed, 7, T)).toThrow(DecodeError);
    expect(() => jsonEnum(open, "BLUE", T)).toThrow(/unknown value "BLUE"/);
    expect(jsonEnum(open, "BLUE", T, "f", { ignoreUnknownFields: true })).toBeUndefined();
    expect(() => jsonEnum(open, "toString", T)).toThrow(DecodeError);
    expect(() => jsonEnum(open, 1.5, T)).toThrow(DecodeError);
  });
});

describe("Timestamp", () => {
  test.each([
    [0n, 0, "1970-01-01T00:00:00Z"],
    [0n, 5000000, "1970-01-01T00:00:00.005Z"],
    [0n, 5000, "1970-01-01T00:00:00.000005Z"],
    [0n, 5, "1970-01-01T00:00:00.000000005Z"],
    [-1n, 999999999, "1969-12-31T23:59:59.999999999Z"],
    [-62135596800n, 0, "0001-01-01T00:00:00Z"],
    [253402300799n, 999999999, "9999-12-31T23:59:59.999999999Z"],
    [63108020n, 21000000, "1972-01-01T10:00:20.021Z"],
  ])("%s s + %d ns <-> %s", (seconds, nanos, text) => {
    expect(timestampToJson(seconds, nanos)).toBe(text);
    expect(timestampFromJson(text, "google.protobuf.Timestamp")).toEqual({ seconds, nanos });
  });

  test("offsets are converted to UTC; lower-case t and z are rejected as protobuf requires", () => {
    expect(timestampFromJson("1970-01-01T01:00:00+01:00", "T")).toEqual({ seconds: 0n, nanos: 0 });
    expect(timestampFromJson("1969-12-31T19:00:00.5-05:00", "T")).toEqual({ seconds: 0n, nanos: 500000000 });
    expect(() => timestampFromJson("1970-01-01t00:00:00Z", "T")).toThrow(/invalid RFC 3339 timestamp/);
    expect(() => timestampFromJson("1970-01-01T00:00:00z", "T")).toThrow(/invalid RFC 3339 timestamp/);
  });

  test("doubles: non-finite numbers (JSON overflow) are rejected, the strings are not", () => {
    expect(() => jsonDouble(-Infinity, T)).toThrow(/out of range/);
    expect(jsonDouble("-Infinity", T)).toBe(-Infinity);
  });

  test("strings: unpaired surrogates are rejected", () => {
    expect(() => jsonString("a\ud800", T)).toThrow(/unpaired/);
    expect(() => jsonString("\udc00b", T)).toThrow(/unpaired/);
    expect(jsonString("😀", T)).toBe("😀");
  });

  test("range and format checks", () => {
    expect(() => timestampToJson(-62135596801n, 0)).toThrow(EncodeError);
    expect(() => timestampToJson(253402300800n, 0)).toThrow(EncodeError);
    expect(() => timestampToJson(0n, 1000000000)).toThrow(EncodeError);
    expect(() => timestampToJson(0n, -1)).toThrow(EncodeError);
    for (const bad of [
      "1970-01-01T00:00:00", "1970-13-01T00:00:00Z", "1970-02-30T00:00:00Z", "1970-01-01T24:00:00Z",
      "1970-01-01T00:00:60Z", "1970-01-01 00:00:00Z", "1970-01-01T00:00:00.1234567890Z", "10000-01-01T00:00:00Z",
      "0000-12-31T23:59:59Z",
    ]) {
      expect(() => timestampFromJson(bad, "google.protobuf.Timestamp")).toThrow(DecodeError);
    }
    expect(() => timestampFromJson(0, "google.protobuf.Timestamp")).toThrow(DecodeError);
  });
});

describe("Duration", () => {
  test.each([
    [0n, 0, "0s"], [1n, 0, "1s"], [-1n, 0, "-1s"], [1n, 500000000, "1.500s"], [0n, -1, "-0.000000001s"],
    [0n, 1000, "0.000001s"], [-1n, -500000000, "-1.500s"], [315576000000n, 999999999, "315576000000.999999999s"],
    [-315576000000n, -999999999, "-315576000000.999999999s"],
  ])("%s s + %d ns <-> %s", (seconds, nanos, text) => {
    expect(durationToJson(seconds, nanos)).toBe(text);
    expect(durationFromJson(text, "google.protobuf.Duration")).toEqual({ seconds, nanos });
  });

  test("range, sign and format checks", () => {
    expect(() => durationToJson(315576000001n, 0)).toThrow(EncodeError);
    expect(() => durationToJson(1n, -1)).toThrow(/wrong sign/);
    expect(() => durationToJson(-1n, 1)).toThrow(EncodeError);
    for (const bad of ["1", "1.s", "s", "+1s", "1.0000000001s", "315576000001s", " 1s", "1S"]) {
      expect(() => durationFromJson(bad, "google.protobuf.Duration")).toThrow(DecodeError);
    }
    expect(durationFromJson("1.5s", "D")).toEqual({ seconds: 1n, nanos: 500000000 });
  });
});

describe("FieldMask", () => {
  test("paths are camelCased and comma-joined, and back", () => {
    expect(fieldMaskToJson(["user.display_name", "photo"])).toBe("user.displayName,photo");
    expect(fieldMaskToJson([])).toBe("");
    expect(fieldMaskFromJson("user.displayName,photo", "F")).toEqual(["user.display_name", "photo"]);
    expect(fieldMaskFromJson("", "F")).toEqual([]);
  });

  test("paths without a JSON form are rejected", () => {
    expect(() => fieldMaskToJson(["userName"])).toThrow(EncodeError);
    expect(() => fieldMaskToJson(["user__name"])).toThrow(EncodeError);
    expect(() => fieldMaskToJson(["user_1"])).toThrow(EncodeError);
    expect(() => fieldMaskFromJson("user_name", "F")).toThrow(DecodeError);
  });
});

describe("Any", () => {
  // A tiny hand-written codec standing in for generated code.
  interface Note { text: string }
  const Note = {
    typeName: "test.Note",
    encode: (m: Note) => new TextEncoder().encode(m.text),
    decode: (b: Uint8Array): Note => ({ text: new TextDecoder().decode(b) }),
    toJSON: (m: Note) => ({ text: m.text }),
    fromJSON: (j: unknown): Note => ({ text: String((j as { text: string }).text) }),
  } as unknown as MessageType<Note>;
  const registry = new TypeRegistry(Note);

  test("pack/unpack and JSON with @type", () => {
    const any = anyPack(Note, { text: "hi" });
    expect(any.typeUrl).toBe("type.googleapis.com/test.Note");
    expect(anyUnpack(any, Note)).toEqual({ text: "hi" });
    const json = anyToJson(any, { registry });
    expect({ ...(json as object) }).toEqual({ "@type": "type.googleapis.com/test.Note", text: "hi" });
    expect(anyFromJson(json, "google.protobuf.Any", { registry })).toEqual(any);
  });

  test("unknown types and missing @type are errors; the empty Any is {}", () => {
    expect(() => anyToJson({ typeUrl: "x/y.Z", value: new Uint8Array(0) }, { registry })).toThrow(EncodeError);
    expect(() => anyFromJson({ "@type": "x/y.Z" }, "google.protobuf.Any", { registry })).toThrow(/not registered/);
    expect(() => anyFromJson({ text: "x" }, "google.protobuf.Any", { registry })).toThrow(/@type/);
    expect({ ...(anyToJson({ typeUrl: "", value: new Uint8Array(0) }) as object) }).toEqual({});
    expect(anyFromJson({}, "google.protobuf.Any")).toEqual({ typeUrl: "", value: new Uint8Array(0) });
  });
});
