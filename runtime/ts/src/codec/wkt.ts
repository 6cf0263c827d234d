/**
 * The special JSON forms of the well-known types that need more than a field loop: Timestamp and
 * Duration strings, FieldMask's comma-joined camelCase paths, and Any's `@type` object. Generated
 * `google/protobuf/*.ts` modules call these; Struct/Value/ListValue and the wrappers are generated
 * inline because they are just a switch over their own fields.
 */
import { DecodeError, EncodeError } from "./errors.js";
import { jsonObject, jsonString } from "./json.js";
import type { JsonObject, JsonReadOptions, JsonValue, JsonWriteOptions } from "./json-types.js";
import type { AnyMessageType } from "./message-type.js";
import { globalRegistry } from "./registry.js";

/** 0001-01-01T00:00:00Z and 9999-12-31T23:59:59Z, the Timestamp JSON range. */
const TS_MIN = -62135596800;
const TS_MAX = 253402300799;
/** 10,000 years in seconds, the Duration range. */
const DUR_MAX = 315576000000;

/** 0, 3, 6 or 9 fraction digits, the shortest that is exact (protoc's rule). */
function fraction(nanos: number): string {
  if (nanos === 0) return "";
  const s = nanos.toString().padStart(9, "0");
  if (s.endsWith("000000")) return `.${s.slice(0, 3)}`;
  if (s.endsWith("000")) return `.${s.slice(0, 6)}`;
  return `.${s}`;
}

/**
 * Timestamp as RFC 3339 in UTC with 0, 3, 6 or 9 fraction digits, e.g. `"1972-01-01T10:00:20.021Z"`.
 * Throws {@link EncodeError} outside 0001-01-01..9999-12-31 or for nanos outside 0..999,999,999.
 *
 * @example
 * ```ts
 * timestampToJson(0n, 5000000); // "1970-01-01T00:00:00.005Z"
 * ```
 */
export function timestampToJson(seconds: bigint | number | string, nanos: number): string {
  const s = Number(seconds);
  if (!Number.isInteger(s) || s < TS_MIN || s > TS_MAX) throw new EncodeError(`Timestamp seconds out of range: ${String(seconds)}`);
  if (!Number.isInteger(nanos) || nanos < 0 || nanos > 999999999) throw new EncodeError(`Timestamp nanos out of range: ${nanos}`);
  const iso = new Date(s * 1000).toISOString(); // always YYYY-MM-DDTHH:MM:SS.000Z inside this range
  return `${iso.slice(0, 19)}${fraction(nanos)}Z`;
}

// RFC 3339 as protobuf's JSON mapping takes it: upper-case "T" and "Z" only (the conformance suite checks).
const TIMESTAMP_RE = /^([0-9]{4})-([0-9]{2})-([0-9]{2})T([0-9]{2}):([0-9]{2}):([0-9]{2})(?:\.([0-9]{1,9}))?(?:(Z)|([+-])([0-9]{2}):([0-9]{2}))$/;

/**
 * Parse an RFC 3339 timestamp (any offset, converted to UTC) into seconds and nanos.
 *
 * @example
 * ```ts
 * timestampFromJson("1970-01-01T01:00:00+01:00", "google.protobuf.Timestamp"); // { seconds: 0n, nanos: 0 }
 * ```
 */
export function timestampFromJson(json: JsonValue, typeName: string): { seconds: bigint; nanos: number } {
  const text = jsonString(json, typeName);
  const m = TIMESTAMP_RE.exec(text);
  if (m === null) throw new DecodeError(`invalid RFC 3339 timestamp ${JSON.stringify(text)}`, typeName);
  const [year, month, day, hour, minute, second] = [1, 2, 3, 4, 5, 6].map((i) => Number(m[i]));
  const d = new Date(0);
  d.setUTCFullYear(year!, month! - 1, day!);
  d.setUTCHours(hour!, minute!, second!, 0);
  if (d.getUTCMonth() !== month! - 1 || d.getUTCDate() !== day! || hour! > 23 || minute! > 59 || second! > 59) {
    throw new DecodeError(`invalid date or time in ${JSON.stringify(text)}`, typeName);
  }
  let seconds = d.getTime() / 1000;
  if (m[9] !== undefined) {
    const offset = Number(m[10]) * 3600 + Number(m[11]) * 60;
    seconds -= m[9] === "+" ? offset : -offset;
  }
  if (seconds < TS_MIN || seconds > TS_MAX) throw new DecodeError(`timestamp out of range: ${JSON.stringify(text)}`, typeName);
  const nanos = m[7] === undefined ? 0 : Number(m[7].padEnd(9, "0"));
  return { seconds: BigInt(seconds), nanos };
}

/**
 * Duration as seconds with 0, 3, 6 or 9 fraction digits and an `s` suffix, e.g. `"-1.500s"`.
 * Throws {@link EncodeError} outside ±315,576,000,000 s or when seconds and nanos have different signs.
 *
 * @example
 * ```ts
 * durationToJson(1n, 500000000); // "1.500s"
 * ```
 */
export function durationToJson(seconds: bigint | number | string, nanos: number): string {
  const s = Number(seconds);
  if (!Number.isInteger(s) || s < -DUR_MAX || s > DUR_MAX) throw new EncodeError(`Duration seconds out of range: ${String(seconds)}`);
  if (!Number.isInteger(nanos) || nanos < -999999999 || nanos > 999999999 || (s > 0 && nanos < 0) || (s < 0 && nanos > 0)) {
    throw new EncodeError(`Duration nanos out of range or of the wrong sign: ${nanos}`);
  }
  const neg = s < 0 || nanos < 0;
  return `${neg ? "-" : ""}${Math.abs(s)}${fraction(Math.abs(nanos))}s`;
}

const DURATION_RE = /^(-)?([0-9]+)(?:\.([0-9]{1,9}))?s$/;

/**
 * Parse a JSON duration (`"1.5s"`, `"-0.000000001s"`).
 *
 * @example
 * ```ts
 * durationFromJson("-1.5s", "google.protobuf.Duration"); // { seconds: -1n, nanos: -500000000 }
 * ```
 */
export function durationFromJson(json: JsonValue, typeName: string): { seconds: bigint; nanos: number } {
  const text = jsonString(json, typeName);
  const m = DURATION_RE.exec(text);
  if (m === null) throw new DecodeError(`invalid duration ${JSON.stringify(text)}`, typeName);
  const abs = BigInt(m[2]!);
  if (abs > BigInt(DUR_MAX)) throw new DecodeError(`duration out of range: ${JSON.stringify(text)}`, typeName);
  const nanos = m[3] === undefined ? 0 : Number(m[3].padEnd(9, "0"));
  const neg = m[1] === "-";
  return { seconds: neg ? -abs : abs, nanos: neg && nanos !== 0 ? -nanos : nanos };
}

/**
 * FieldMask paths as one comma-separated string of lowerCamelCase paths (`"user.displayName,photo"`).
 * Throws {@link EncodeError} for a path that would not come back unchanged (upper-case letters, or
 * `_` not followed by a lower-case letter), as protoc's printer does.
 *
 * @example
 * ```ts
 * fieldMaskToJson(["user.display_name", "photo"]); // "user.displayName,photo"
 * ```
 */
export function fieldMaskToJson(paths: readonly string[]): string {
  return paths.map((p) => {
    if (/[A-Z]|_(?![a-z])/.test(p)) throw new EncodeError(`FieldMask path ${JSON.stringify(p)} has no JSON form`);
    return p.replace(/_([a-z])/g, (_, c: string) => c.toUpperCase());
  }).join(",");
}

/**
 * Parse a JSON FieldMask back into snake_case paths.
 *
 * @example
 * ```ts
 * fieldMaskFromJson("user.displayName,photo", "google.protobuf.FieldMask"); // ["user.display_name", "photo"]
 * ```
 */
export function fieldMaskFromJson(json: JsonValue, typeName: string): string[] {
  const text = jsonString(json, typeName);
  if (text === "") return [];
  return text.split(",").map((p) => {
    if (p.includes("_")) throw new DecodeError(`FieldMask path ${JSON.stringify(p)} must be lowerCamelCase`, typeName);
    return p.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);
  });
}

/** Full names of the types whose JSON is not an object, so inside `Any` they sit under `"value"`. */
const WRAPPED_IN_ANY: ReadonlySet<string> = new Set([
  "google.protobuf.Any", "google.protobuf.Timestamp", "google.protobuf.Duration", "google.protobuf.FieldMask",
  "google.protobuf.Struct", "google.protobuf.Value", "google.protobuf.ListValue",
  "google.protobuf.DoubleValue", "google.protobuf.FloatValue", "google.protobuf.Int64Value",
  "google.protobuf.UInt64Value", "google.protobuf.Int32Value", "google.protobuf.UInt32Value",
  "google.protobuf.BoolValue", "google.protobuf.StringValue", "google.protobuf.BytesValue",
]);

/** The shape of `google.protobuf.Any`, as generated. */
export interface AnyLike {
  typeUrl: string;
  value: Uint8Array;
}

/**
 * `Any` as JSON: `{"@type": url, ...fields of the packed message}`, or
 * `{"@type": url, "value": <json>}` for well-known types with a non-object JSON form. The packed
 * type is looked up in `options.registry` (default: the global registry every generated module
 * registers into); an unknown type is an {@link EncodeError}.
 *
 * @example
 * ```ts
 * anyToJson({ typeUrl: "type.googleapis.com/google.protobuf.Duration", value }); // {"@type": "...", "value": "1s"}
 * ```
 */
export function anyToJson(any: AnyLike, options?: JsonWriteOptions): JsonValue {
  if (any.typeUrl === "" && any.value.length === 0) return Object.create(null) as JsonObject;
  const type = (options?.registry ?? globalRegistry).getByUrl(any.typeUrl);
  if (type === undefined) throw new EncodeError(`cannot write Any as JSON: type ${JSON.stringify(any.typeUrl)} is not registered`);
  const json = type.toJSON(type.decode(any.value), options);
  const out = Object.create(null) as JsonObject;
  out["@type"] = any.typeUrl;
  if (WRAPPED_IN_ANY.has(type.typeName)) {
    out["value"] = json;
  } else {
    const fields = json as JsonObject;
    for (const k of Object.keys(fields)) out[k] = fields[k]!;
  }
  return out;
}

/**
 * Parse `Any` JSON: resolve `@type` in `options.registry`, parse the rest as that type, and pack it.
 *
 * @example
 * ```ts
 * anyFromJson({ "@type": "type.googleapis.com/pkg.Person", name: "Ada" }, "google.protobuf.Any");
 * ```
 */
export function anyFromJson(json: JsonValue, typeName: string, options?: JsonReadOptions): AnyLike {
  const o = jsonObject(json, typeName);
  const url = o["@type"];
  if (url === undefined) {
    if (Object.keys(o).length === 0) return { typeUrl: "", value: new Uint8Array(0) };
    throw new DecodeError(`"@type" is missing`, typeName);
  }
  if (typeof url !== "string" || url === "") throw new DecodeError(`"@type" must be a non-empty string`, typeName);
  const type: AnyMessageType | undefined = (options?.registry ?? globalRegistry).getByUrl(url);
  if (type === undefined) throw new DecodeError(`type ${JSON.stringify(url)} is not registered`, typeName);
  let message: unknown;
  if (WRAPPED_IN_ANY.has(type.typeName)) {
    message = type.fromJSON(o["value"] ?? null, options);
  } else {
    const rest = Object.create(null) as JsonObject;
    for (const k of Object.keys(o)) if (k !== "@type") rest[k] = o[k]!;
    message = type.fromJSON(rest, options);
  }
  return { typeUrl: url, value: type.encode(message) };
}

/**
 * Pack a message into an `Any`-shaped value (`type.googleapis.com/<full name>`).
 *
 * @example
 * ```ts
 * const any: Any = anyPack(Person, person);
 * ```
 */
export function anyPack<T>(type: { readonly typeName: string; encode(m: T): Uint8Array }, message: T): AnyLike {
  return { typeUrl: `type.googleapis.com/${type.typeName}`, value: type.encode(message) };
}

/**
 * Unpack an `Any` if it holds `type`, else return undefined.
 *
 * @example
 * ```ts
 * const person = anyUnpack(any, Person); // Person | undefined
 * ```
 */
export function anyUnpack<T>(any: AnyLike, type: { readonly typeName: string; decode(b: Uint8Array): T }): T | undefined {
  const name = any.typeUrl.slice(any.typeUrl.lastIndexOf("/") + 1);
  return name === type.typeName ? type.decode(any.value) : undefined;
}
