/**
 * proto2 `[default = ...]` values, spelled exactly as protoc stores them in
 * `FieldDescriptorProto.default_value`, so the descriptors we build byte-match protoc's.
 */
import type { ScalarType } from "../model/types";
import { decodeProtoString, type RawDefault } from "./locate";

/** C's `printf("%.<precision>g", x)` for finite x. */
export function formatG(x: number, precision: number): string {
  if (x === 0) return Object.is(x, -0) ? "-0" : "0";
  const [mant, expStr] = x.toExponential(precision - 1).split("e") as [string, string];
  const exp = Number(expStr);
  const strip = (s: string): string => (s.includes(".") ? s.replace(/\.?0+$/, "") : s);
  if (exp < -4 || exp >= precision) {
    const e = Math.abs(exp);
    return `${strip(mant)}e${exp < 0 ? "-" : "+"}${e < 10 ? "0" : ""}${e}`;
  }
  return strip(x.toFixed(Math.max(0, precision - 1 - exp)));
}

/** protoc's `SimpleDtoa`: `%.15g` if it round-trips, else `%.17g`; `inf`, `-inf`, `nan`. */
export function simpleDtoa(x: number): string {
  if (Number.isNaN(x)) return "nan";
  if (x === Infinity) return "inf";
  if (x === -Infinity) return "-inf";
  const short = formatG(x, 15);
  return Number(short) === x ? short : formatG(x, 17);
}

/** protoc's `SimpleFtoa`: `%.6g` if it round-trips through float, else `%.9g`. */
export function simpleFtoa(x: number): string {
  if (Number.isNaN(x)) return "nan";
  if (x === Infinity) return "inf";
  if (x === -Infinity) return "-inf";
  const f = Math.fround(x);
  const short = formatG(f, 6);
  return Math.fround(Number(short)) === f ? short : formatG(f, 9);
}

/** protoc's `CEscape` of a byte string (bytes defaults are stored escaped). */
export function cEscape(bytes: ArrayLike<number>): string {
  let out = "";
  for (let i = 0; i < bytes.length; i++) {
    const b = bytes[i]!;
    switch (b) {
      case 0x0a: out += "\\n"; break;
      case 0x0d: out += "\\r"; break;
      case 0x09: out += "\\t"; break;
      case 0x22: out += '\\"'; break;
      case 0x27: out += "\\'"; break;
      case 0x5c: out += "\\\\"; break;
      default:
        out += b < 0x20 || b >= 0x7f ? `\\${b.toString(8).padStart(3, "0")}` : String.fromCharCode(b);
    }
  }
  return out;
}

/** Parse an integer literal as protoc does (decimal, `0x` hex, leading-`0` octal, optional `-`). */
export function parseIntLiteral(text: string): bigint | undefined {
  const neg = text.startsWith("-");
  const body = neg ? text.slice(1) : text;
  let v: bigint;
  if (/^0[xX][0-9a-fA-F]+$/.test(body)) v = BigInt(body);
  else if (/^0[0-7]+$/.test(body)) v = BigInt(`0o${body.slice(1)}`);
  else if (/^[0-9]+$/.test(body)) v = BigInt(body);
  else return undefined;
  return neg ? -v : v;
}

const INT_RANGES: Partial<Record<ScalarType, readonly [bigint, bigint]>> = {
  int32: [-(2n ** 31n), 2n ** 31n - 1n], sint32: [-(2n ** 31n), 2n ** 31n - 1n], sfixed32: [-(2n ** 31n), 2n ** 31n - 1n],
  uint32: [0n, 2n ** 32n - 1n], fixed32: [0n, 2n ** 32n - 1n],
  int64: [-(2n ** 63n), 2n ** 63n - 1n], sint64: [-(2n ** 63n), 2n ** 63n - 1n], sfixed64: [-(2n ** 63n), 2n ** 63n - 1n],
  uint64: [0n, 2n ** 64n - 1n], fixed64: [0n, 2n ** 64n - 1n],
};

/**
 * The `default_value` text for a scalar field, or an error message.
 * `parsed` is protobufjs's value; `raw` is the literal as written, used for anything protobufjs would
 * lose (int64 precision, octal escapes in strings, the spelling of floats).
 */
export function scalarDefaultText(
  scalar: ScalarType, parsed: unknown, raw: RawDefault | undefined,
): { text: string } | { error: string } {
  const rawText = raw?.text ?? String(parsed);
  switch (scalar) {
    case "string":
      if (raw?.kind !== "string") return { error: `default for a string field must be a string, got ${rawText}` };
      return { text: Buffer.from(decodeProtoString(raw.text)).toString("utf8") };
    case "bytes":
      if (raw?.kind !== "string") return { error: `default for a bytes field must be a string, got ${rawText}` };
      return { text: cEscape(decodeProtoString(raw.text)) };
    case "bool":
      if (rawText === "true" || rawText === "false") return { text: rawText };
      return { error: `default for a bool field must be true or false, got ${rawText}` };
    case "float":
    case "double": {
      const lower = rawText.toLowerCase().replace(/^-/, "");
      const neg = rawText.startsWith("-");
      let x: number;
      if (lower === "inf" || lower === "infinity") x = neg ? -Infinity : Infinity;
      else if (lower === "nan") x = NaN;
      else {
        const asInt = parseIntLiteral(rawText);
        x = asInt !== undefined ? Number(asInt) : Number(rawText);
      }
      if (Number.isNaN(x) && lower !== "nan") return { error: `invalid ${scalar} default ${rawText}` };
      return { text: scalar === "float" ? simpleFtoa(x) : simpleDtoa(x) };
    }
    default: {
      const v = parseIntLiteral(rawText);
      const range = INT_RANGES[scalar];
      if (v === undefined || !range) return { error: `default for a ${scalar} field must be an integer, got ${rawText}` };
      if (v < range[0] || v > range[1]) return { error: `default ${rawText} is out of range for ${scalar}` };
      return { text: v.toString() };
    }
  }
}
