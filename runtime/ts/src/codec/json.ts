/**
 * Scalar conversions of the proto3 JSON mapping, shared by all generated `toJSON`/`fromJSON`.
 * Readers follow the spec's leniency (numbers as strings, "NaN", URL-safe base64, enum numbers)
 * and throw {@link DecodeError} naming the message and field for everything else.
 *
 * @see https://protobuf.dev/programming-guides/json/
 */
import { base64Decode, base64Encode } from "./base64.js";
import { DecodeError } from "./errors.js";
import type { JsonObject, JsonReadOptions, JsonValue, JsonWriteOptions } from "./json-types.js";
import type { EnumType } from "./message-type.js";

const FLT_MAX = 3.4028234663852886e38;
const MIN_INT64 = -(2n ** 63n);
const MAX_INT64 = 2n ** 63n - 1n;
const MAX_UINT64 = 2n ** 64n - 1n;

function fail(typeName: string, field: string | undefined, reason: string): DecodeError {
  return new DecodeError(reason, typeName, field);
}

function show(v: JsonValue): string {
  const s = JSON.stringify(v);
  return s === undefined ? String(v) : s.length > 40 ? `${s.slice(0, 40)}...` : s;
}

/**
 * A float or double for JSON: a number, or "NaN" / "Infinity" / "-Infinity", which JSON cannot
 * spell as numbers.
 *
 * @example
 * ```ts
 * floatToJson(NaN); // "NaN"
 * floatToJson(1.5); // 1.5
 * ```
 */
export function floatToJson(v: number): number | string {
  if (Number.isFinite(v)) return v;
  return Number.isNaN(v) ? "NaN" : v > 0 ? "Infinity" : "-Infinity";
}

/**
 * A `float` field for JSON: like {@link floatToJson}, but a finite value is printed with the fewest
 * significant digits, from 6 up, that give back the same 32-bit float: the rule of Python's
 * `json_format` (`ToShortestFloat`) and, where 6 digits suffice, of protoc's C++ printer. A float32
 * holding 0.1 is 0.10000000149011612 as a double and must print as 0.1.
 *
 * @example
 * ```ts
 * float32ToJson(Math.fround(0.1)); // 0.1
 * float32ToJson(1.2345678); // 1.2345678
 * ```
 */
export function float32ToJson(v: number): number | string {
  if (!Number.isFinite(v)) return floatToJson(v);
  const f = Math.fround(v);
  if (f === 0) return f; // keeps -0
  for (let p = 6; p < 9; p++) {
    const short = Number(f.toPrecision(p));
    // Python prints FLT_MAX as 3.4028235e+38 but then rejects it as "too large" when parsing (it
    // compares the double with FLT_MAX); print the exact value instead when rounding crosses FLT_MAX.
    if (Math.fround(short) === f) return Math.abs(short) > FLT_MAX ? f : short;
  }
  return Number(f.toPrecision(9));
}

/**
 * bytes for JSON: standard base64 with padding.
 *
 * @example
 * ```ts
 * bytesToJson(new Uint8Array([1, 2])); // "AQI="
 * ```
 */
export function bytesToJson(v: Uint8Array): string {
  return base64Encode(v);
}

/**
 * An enum value for JSON: its canonical name, or the number when it has no name (open enums keep
 * unknown numbers) or when `enumAsInteger` is set.
 *
 * @example
 * ```ts
 * enumToJson(Color$type, 1); // "COLOR_RED"
 * ```
 */
export function enumToJson(type: EnumType, v: number, options?: JsonWriteOptions): string | number {
  if (options?.enumAsInteger === true) return v;
  return type.name(v) ?? v;
}

/**
 * The JSON value of a message must be an object (not null, not an array).
 *
 * @example
 * ```ts
 * const o = jsonObject(JSON.parse(text), "pkg.Person");
 * ```
 */
export function jsonObject(json: JsonValue, typeName: string, field?: string): JsonObject {
  if (typeof json !== "object" || json === null || Array.isArray(json)) {
    throw fail(typeName, field, `expected a JSON object, got ${show(json)}`);
  }
  return json;
}

/**
 * A repeated field's JSON value must be an array.
 *
 * @example
 * ```ts
 * for (const v of jsonArray(o.tags ?? null, "pkg.Person", "tags")) ...
 * ```
 */
export function jsonArray(json: JsonValue, typeName: string, field: string): JsonValue[] {
  if (!Array.isArray(json)) throw fail(typeName, field, `expected a JSON array, got ${show(json)}`);
  return json;
}

/** An integral number from a JSON number or string ("1", "1e3", not "" or " 1"). */
function integral(json: JsonValue, typeName: string, field: string | undefined, kind: string): number {
  let n: number;
  if (typeof json === "number") n = json;
  else if (typeof json === "string" && json.length > 0 && json.trim() === json) n = Number(json);
  else throw fail(typeName, field, `invalid ${kind} value ${show(json)}`);
  if (!Number.isInteger(n)) throw fail(typeName, field, `invalid ${kind} value ${show(json)}`);
  return n;
}

/**
 * int32, sint32, sfixed32 from JSON (number or numeric string), range-checked.
 *
 * @example
 * ```ts
 * jsonInt32("-5", "pkg.M", "x"); // -5
 * ```
 */
export function jsonInt32(json: JsonValue, typeName: string, field?: string): number {
  const n = integral(json, typeName, field, "int32");
  if (n < -2147483648 || n > 2147483647) throw fail(typeName, field, `int32 value out of range: ${show(json)}`);
  return n;
}

/**
 * uint32, fixed32 from JSON, range-checked.
 *
 * @example
 * ```ts
 * jsonUint32(4294967295, "pkg.M", "x"); // 4294967295
 * ```
 */
export function jsonUint32(json: JsonValue, typeName: string, field?: string): number {
  const n = integral(json, typeName, field, "uint32");
  if (n < 0 || n > 4294967295) throw fail(typeName, field, `uint32 value out of range: ${show(json)}`);
  return n;
}

const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

function int64(json: JsonValue, typeName: string, field: string | undefined, signed: boolean): bigint {
  const kind = signed ? "int64" : "uint64";
  let v: bigint;
  if (typeof json === "string" && /^-?[0-9]+$/.test(json)) {
    v = BigInt(json);
  } else {
    // Any integral double converts exactly (e.g. 9223372036854774784, the largest double below
    // 2^63); precision beyond 2^53 was already decided by JSON.parse, so there is nothing to refuse.
    const n = integral(json, typeName, field, kind);
    v = BigInt(n);
  }
  if (signed ? v < MIN_INT64 || v > MAX_INT64 : v < 0n || v > MAX_UINT64) {
    throw fail(typeName, field, `${kind} value out of range: ${show(json)}`);
  }
  return v;
}

/**
 * int64, sint64, sfixed64 from JSON. Canonical JSON writes them as decimal strings (a double cannot
 * hold every int64); numbers are accepted when exact.
 *
 * @example
 * ```ts
 * jsonInt64("-9223372036854775808", "pkg.M", "x"); // -9223372036854775808n
 * ```
 */
export function jsonInt64(json: JsonValue, typeName: string, field?: string): bigint {
  return int64(json, typeName, field, true);
}

/**
 * uint64, fixed64 from JSON.
 *
 * @example
 * ```ts
 * jsonUint64("18446744073709551615", "pkg.M", "x"); // 18446744073709551615n
 * ```
 */
export function jsonUint64(json: JsonValue, typeName: string, field?: string): bigint {
  return int64(json, typeName, field, false);
}

/**
 * double from JSON: a number, a numeric string, or "NaN" / "Infinity" / "-Infinity".
 *
 * @example
 * ```ts
 * jsonDouble("-Infinity", "pkg.M", "x"); // -Infinity
 * ```
 */
export function jsonDouble(json: JsonValue, typeName: string, field?: string): number {
  if (typeof json === "number") {
    // JSON.parse turns an out-of-range literal such as -1.8e308 into -Infinity; only the strings
    // "Infinity"/"-Infinity" may mean infinity.
    if (!Number.isFinite(json)) throw fail(typeName, field, `double value out of range: ${show(json)}`);
    return json;
  }
  if (typeof json === "string") {
    if (json === "NaN") return NaN;
    if (json === "Infinity") return Infinity;
    if (json === "-Infinity") return -Infinity;
    if (json.length > 0 && json.trim() === json) {
      const n = Number(json);
      if (Number.isFinite(n)) return n;
    }
  }
  throw fail(typeName, field, `invalid double value ${show(json)}`);
}

/**
 * float from JSON: as {@link jsonDouble}; finite values must fit a 32-bit float and are rounded to one.
 *
 * @example
 * ```ts
 * jsonFloat(1e39, "pkg.M", "x"); // throws DecodeError: out of range
 * ```
 */
export function jsonFloat(json: JsonValue, typeName: string, field?: string): number {
  const n = jsonDouble(json, typeName, field);
  // Round to float32 now, so the message equals what a binary round trip (or Python) would hold.
  const f = Math.fround(n);
  // Out of range only if rounding overflows: Python prints FLT_MAX as 3.4028235e+38, a double a
  // little above FLT_MAX that still rounds to it.
  if (Number.isFinite(n) && !Number.isFinite(f)) throw fail(typeName, field, `float value out of range: ${show(json)}`);
  return f;
}

/**
 * bool from JSON: only `true` and `false`.
 *
 * @example
 * ```ts
 * jsonBool(true, "pkg.M", "x"); // true
 * ```
 */
export function jsonBool(json: JsonValue, typeName: string, field?: string): boolean {
  if (typeof json !== "boolean") throw fail(typeName, field, `invalid bool value ${show(json)}`);
  return json;
}

/**
 * string from JSON.
 *
 * @example
 * ```ts
 * jsonString("hi", "pkg.M", "x"); // "hi"
 * ```
 */
export function jsonString(json: JsonValue, typeName: string, field?: string): string {
  if (typeof json !== "string") throw fail(typeName, field, `invalid string value ${show(json)}`);
  // A lone surrogate (from a "\ud800" escape) cannot be encoded as UTF-8 on the wire.
  if (LONE_SURROGATE.test(json)) throw fail(typeName, field, `invalid string value: unpaired UTF-16 surrogate`);
  return json;
}

/**
 * bytes from JSON: standard or URL-safe base64, padding optional.
 *
 * @example
 * ```ts
 * jsonBytes("-_8", "pkg.M", "x"); // Uint8Array [0xfb, 0xff]
 * ```
 */
export function jsonBytes(json: JsonValue, typeName: string, field?: string): Uint8Array {
  if (typeof json !== "string") throw fail(typeName, field, `invalid bytes value ${show(json)}`);
  try {
    return base64Decode(json);
  } catch (e) {
    throw fail(typeName, field, e instanceof Error ? e.message : String(e));
  }
}

/**
 * An enum from JSON: a value name or an integer. Returns undefined for an unknown name when
 * `ignoreUnknownFields` is set (the spec says to skip such values); closed enums also reject
 * unknown numbers.
 *
 * @example
 * ```ts
 * jsonEnum(Color$type, "COLOR_RED", "pkg.M", "color"); // 1
 * ```
 */
export function jsonEnum<E extends number>(
  type: EnumType<E>, json: JsonValue, typeName: string, field?: string, options?: JsonReadOptions,
): E | undefined {
  if (typeof json === "string") {
    const v = type.value(json);
    if (v !== undefined) return v;
    if (options?.ignoreUnknownFields === true) return undefined;
    throw fail(typeName, field, `unknown value ${show(json)} for enum ${type.typeName}`);
  }
  if (typeof json === "number" && Number.isInteger(json) && json >= -2147483648 && json <= 2147483647) {
    if (!type.closed || type.has(json)) return json as E;
    if (options?.ignoreUnknownFields === true) return undefined;
  }
  throw fail(typeName, field, `invalid value ${show(json)} for enum ${type.typeName}`);
}

/** Scalar types a map key can have. */
export type MapKeyType =
  | "string" | "bool" | "int32" | "sint32" | "sfixed32" | "uint32" | "fixed32"
  | "int64" | "sint64" | "sfixed64" | "uint64" | "fixed64";

/**
 * A JSON object key as a map key, in the canonical string form protozmq uses for map keys
 * (decimal integers, "true"/"false"); validates it for the key type.
 *
 * @example
 * ```ts
 * jsonMapKey("007", "int32", "pkg.M", "m"); // "7"
 * ```
 */
export function jsonMapKey(key: string, type: MapKeyType, typeName: string, field?: string): string {
  switch (type) {
    case "string":
      return key;
    case "bool":
      if (key === "true" || key === "false") return key;
      throw fail(typeName, field, `invalid bool map key ${show(key)}`);
    case "int32": case "sint32": case "sfixed32":
      return String(jsonInt32(key, typeName, field));
    case "uint32": case "fixed32":
      return String(jsonUint32(key, typeName, field));
    case "int64": case "sint64": case "sfixed64":
      return String(jsonInt64(key, typeName, field));
    case "uint64": case "fixed64":
      return String(jsonUint64(key, typeName, field));
  }
}

/**
 * The error for a JSON key that names no field.
 * @internal used by generated code.
 */
export function jsonUnknownField(typeName: string, key: string): DecodeError {
  return new DecodeError(`unknown field ${show(key)}`, typeName);
}

/**
 * The error for a second member of the same oneof in one JSON object.
 * @internal used by generated code.
 */
export function jsonOneofConflict(typeName: string, oneof: string): DecodeError {
  return new DecodeError(`more than one field of oneof "${oneof}" is set`, typeName);
}
