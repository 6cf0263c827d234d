/**
 * Base64 for `bytes` in JSON. Output is standard base64 with padding (what protoc's JSON printer
 * writes); input may be standard or URL-safe, padded or not, as the proto3 JSON spec requires
 * parsers to accept. Plain JS so the runtime does not depend on Node's `Buffer`.
 */
import { DecodeError } from "./errors.js";

const STD = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/** char code -> 6-bit value, -1 for characters outside both alphabets. */
const DECODE = (() => {
  const t = new Int16Array(128).fill(-1);
  for (let i = 0; i < 64; i++) t[STD.charCodeAt(i)] = i;
  t["-".charCodeAt(0)] = 62;
  t["_".charCodeAt(0)] = 63;
  return t;
})();

/**
 * Standard base64 with padding.
 *
 * @example
 * ```ts
 * base64Encode(new Uint8Array([0xfb, 0xff])); // "+/8="
 * ```
 */
export function base64Encode(bytes: Uint8Array): string {
  let out = "";
  const n = bytes.length;
  let i = 0;
  for (; i + 2 < n; i += 3) {
    const v = (bytes[i]! << 16) | (bytes[i + 1]! << 8) | bytes[i + 2]!;
    out += STD[v >> 18]! + STD[(v >> 12) & 63]! + STD[(v >> 6) & 63]! + STD[v & 63]!;
  }
  if (i + 1 === n) {
    const v = bytes[i]! << 16;
    out += STD[v >> 18]! + STD[(v >> 12) & 63]! + "==";
  } else if (i + 2 === n) {
    const v = (bytes[i]! << 16) | (bytes[i + 1]! << 8);
    out += STD[v >> 18]! + STD[(v >> 12) & 63]! + STD[(v >> 6) & 63]! + "=";
  }
  return out;
}

/**
 * Decode standard or URL-safe base64, with or without padding. Throws {@link DecodeError} on any
 * other character or an impossible length.
 *
 * @example
 * ```ts
 * base64Decode("-_8"); // Uint8Array [0xfb, 0xff]
 * ```
 */
export function base64Decode(s: string): Uint8Array {
  let end = s.length;
  if (end % 4 === 0 && end > 0) {
    if (s.charCodeAt(end - 1) === 61) end--;
    if (s.charCodeAt(end - 1) === 61) end--;
  }
  if (end % 4 === 1) throw new DecodeError("invalid base64 length");
  const out = new Uint8Array(Math.floor((end * 3) / 4));
  let o = 0;
  let acc = 0;
  let nbits = 0;
  for (let i = 0; i < end; i++) {
    const c = s.charCodeAt(i);
    const v = c < 128 ? DECODE[c]! : -1;
    if (v < 0) throw new DecodeError(`invalid base64 character at ${i}`);
    acc = ((acc << 6) | v) & 0xffffff;
    nbits += 6;
    if (nbits >= 8) {
      nbits -= 8;
      out[o++] = (acc >> nbits) & 0xff;
    }
  }
  return out;
}
