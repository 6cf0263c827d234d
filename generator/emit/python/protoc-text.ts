/**
 * Text formatting that must match protoc byte for byte: absl's `CEscape`/`CHexEscape` (used for
 * `default_value` of bytes fields and for the byte literals in `_pb2.py`), and protobuf's
 * `SimpleDtoa`/`SimpleFtoa` (used for float and double `default_value`).
 */
import type { Field, ScalarType } from "../../model/types";

const isPrint = (c: number): boolean => c >= 0x20 && c < 0x7f;
const isHexDigit = (c: number): boolean =>
  (c >= 0x30 && c <= 0x39) || (c >= 0x41 && c <= 0x46) || (c >= 0x61 && c <= 0x66);

const SIMPLE_ESCAPES: Readonly<Record<number, string>> = {
  0x0a: "\\n", 0x0d: "\\r", 0x09: "\\t", 0x22: '\\"', 0x27: "\\'", 0x5c: "\\\\",
};

/**
 * absl `CEscape` (hex = false) / `CHexEscape` (hex = true). With hex escapes a hex digit right after
 * an escape is escaped too, because in C `\x0ab` would read as one escape; protoc keeps that rule in
 * Python output, so we do too.
 */
export function cEscape(bytes: Uint8Array, hex = false): string {
  let out = "";
  let lastHex = false;
  for (const c of bytes) {
    let isHexEscape = false;
    const simple = SIMPLE_ESCAPES[c];
    if (simple !== undefined) {
      out += simple;
    } else if (!isPrint(c) || (lastHex && isHexDigit(c))) {
      if (hex) {
        out += "\\x" + c.toString(16).padStart(2, "0");
        isHexEscape = true;
      } else {
        out += "\\" + c.toString(8).padStart(3, "0");
      }
    } else {
      out += String.fromCharCode(c);
    }
    lastHex = isHexEscape;
  }
  return out;
}

/** C's `printf("%.<precision>g", v)` for finite v. */
export function formatG(v: number, precision: number): string {
  if (v === 0) return Object.is(v, -0) ? "-0" : "0";
  const [mantissa, expText] = v.toExponential(precision - 1).split("e") as [string, string];
  const exp = Number(expText);
  const stripZeros = (t: string): string => (t.includes(".") ? t.replace(/0+$/, "").replace(/\.$/, "") : t);
  if (exp < -4 || exp >= precision) {
    const sign = exp < 0 ? "-" : "+";
    return `${stripZeros(mantissa)}e${sign}${String(Math.abs(exp)).padStart(2, "0")}`;
  }
  return stripZeros(v.toFixed(precision - 1 - exp));
}

function nonFinite(v: number): string | undefined {
  if (v === Infinity) return "inf";
  if (v === -Infinity) return "-inf";
  if (Number.isNaN(v)) return "nan";
  return undefined;
}

/** protobuf `io::SimpleDtoa`: the shortest of `%.15g` / `%.17g` that reads back as the same double. */
export function simpleDtoa(v: number): string {
  const special = nonFinite(v);
  if (special !== undefined) return special;
  const short = formatG(v, 15);
  return Number(short) === v ? short : formatG(v, 17);
}

/** protobuf `io::SimpleFtoa`: `%.6g`, or `%.9g` when that does not read back as the same float. */
export function simpleFtoa(value: number): string {
  const v = Math.fround(value);
  const special = nonFinite(v);
  if (special !== undefined) return special;
  const short = formatG(v, 6);
  return Math.fround(Number(short)) === v ? short : formatG(v, 9);
}

/** Parse a float literal as protoc accepts it (`inf`, `-inf`, `nan`, decimal, exponent). */
export function parseFloatLiteral(text: string): number {
  const t = text.trim().toLowerCase();
  const neg = t.startsWith("-");
  const body = neg ? t.slice(1) : t;
  let v: number;
  if (body === "inf" || body === "infinity") v = Infinity;
  else if (body === "nan") v = NaN;
  else v = Number(body.replace(/f$/, ""));
  return neg ? -v : v;
}

/** Parse an integer literal as protoc does: decimal, `0x` hex, or `0`-prefixed octal. */
export function parseIntLiteral(text: string): bigint {
  const t = text.trim();
  const neg = t.startsWith("-");
  const body = neg ? t.slice(1) : t;
  let v: bigint;
  if (/^0x[0-9a-f]+$/i.test(body)) v = BigInt(body);
  else if (/^0[0-7]+$/.test(body)) v = BigInt("0o" + body.slice(1));
  else v = BigInt(body);
  return neg ? -v : v;
}

const INT_SCALARS: ReadonlySet<ScalarType> = new Set([
  "int32", "int64", "uint32", "uint64", "sint32", "sint64", "fixed32", "fixed64", "sfixed32", "sfixed64",
]);

/**
 * `FieldDescriptorProto.default_value` as protoc writes it (`DefaultValueAsString(false)`): integers in
 * decimal, floats via SimpleFtoa/SimpleDtoa (`inf`, `-inf`, `nan`), bools `true`/`false`, enums by
 * value name, strings raw, bytes C-escaped. The parser hands over protoc's text already
 * (`Field.defaultText`); numbers are re-normalized so `0x10` or `1.50` still come out as protoc's.
 */
export function protocDefaultValue(field: Pick<Field, "type" | "defaultText">): string | undefined {
  const text = field.defaultText;
  if (text === undefined) return undefined;
  if (field.type.kind !== "scalar") return text;
  const t = field.type.scalar;
  if (INT_SCALARS.has(t)) return parseIntLiteral(text).toString();
  if (t === "double") return simpleDtoa(parseFloatLiteral(text));
  if (t === "float") return simpleFtoa(parseFloatLiteral(text));
  if (t === "bool") return text === "true" || text === "True" ? "true" : "false";
  return text;
}
