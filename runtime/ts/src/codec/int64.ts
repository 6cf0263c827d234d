/**
 * 64-bit integers: the wire carries them as two 32-bit halves, the API as `bigint` (or as a decimal
 * string / a number for `[jstype = JS_STRING | JS_NUMBER]` fields).
 *
 * Creating a bigint is much slower than a number operation, so every conversion here first tries
 * the values that fit in a double exactly (|v| < 2^53), which is nearly every value real programs send.
 */
import { EncodeError } from "./errors.js";

const TWO32 = 4294967296;
const MIN_INT64 = -(2n ** 63n);
const MAX_INT64 = 2n ** 63n - 1n;
const MAX_UINT64 = 2n ** 64n - 1n;

/** Halves of a 64-bit value: both as unsigned 32-bit numbers. Reused to avoid allocation; read it right away. */
export const bits = { lo: 0, hi: 0 };

/** Signed 64-bit from halves (`hi` may be given signed or unsigned). */
export function int64FromBits(lo: number, hi: number): bigint {
  hi |= 0;
  if (hi >= -0x200000 && hi < 0x200000) return BigInt(hi * TWO32 + (lo >>> 0));
  return (BigInt(hi) << 32n) | BigInt(lo >>> 0);
}

/** Unsigned 64-bit from halves. */
export function uint64FromBits(lo: number, hi: number): bigint {
  hi >>>= 0;
  if (hi < 0x200000) return BigInt(hi * TWO32 + (lo >>> 0));
  return (BigInt(hi) << 32n) | BigInt(lo >>> 0);
}

/** Signed 64-bit from halves as a double (`[jstype = JS_NUMBER]`; may round above 2^53, as protobufjs does). */
export function int64NumberFromBits(lo: number, hi: number): number {
  return (hi | 0) * TWO32 + (lo >>> 0);
}

/** Unsigned 64-bit from halves as a double. */
export function uint64NumberFromBits(lo: number, hi: number): number {
  return (hi >>> 0) * TWO32 + (lo >>> 0);
}

/**
 * Split a 64-bit integer into {@link bits}. Accepts what generated code may hold for a 64-bit field:
 * a bigint, an integral number, or a decimal string. Throws {@link EncodeError} when the value is not
 * an integer or does not fit `signed` (int64: -2^63..2^63-1) or unsigned (0..2^64-1) 64 bits.
 */
export function toBits(v: bigint | number | string, signed: boolean): void {
  const n = typeof v === "number" ? v : Number(v);
  if (n <= Number.MAX_SAFE_INTEGER && n >= -Number.MAX_SAFE_INTEGER && Number.isInteger(n)) {
    if (!signed && n < 0) throw new EncodeError(`uint64 value out of range: ${String(v)}`);
    numberToBits(n);
    return;
  }
  let b: bigint;
  try {
    b = typeof v === "bigint" ? v : BigInt(v);
  } catch {
    throw new EncodeError(`not a 64-bit integer: ${String(v)}`);
  }
  if (signed ? b < MIN_INT64 || b > MAX_INT64 : b < 0n || b > MAX_UINT64) {
    throw new EncodeError(`${signed ? "int64" : "uint64"} value out of range: ${String(v)}`);
  }
  const u = BigInt.asUintN(64, b);
  bits.lo = Number(u & 0xffffffffn);
  bits.hi = Number(u >> 32n);
}

/** Split a safe integer (|n| <= 2^53) into two's-complement halves. */
function numberToBits(n: number): void {
  if (n >= 0) {
    const lo = n >>> 0;
    bits.lo = lo;
    bits.hi = ((n - lo) / TWO32) >>> 0;
    return;
  }
  n = -n;
  let lo = n >>> 0;
  let hi = ((n - lo) / TWO32) >>> 0;
  lo = ~lo >>> 0;
  hi = ~hi >>> 0;
  if (++lo > 0xffffffff) {
    lo = 0;
    hi = (hi + 1) >>> 0;
  }
  bits.lo = lo;
  bits.hi = hi;
}

/** ZigZag-encode halves in place in {@link bits} (sint64). */
export function zigzagBits(): void {
  const mask = (bits.hi >> 31) >>> 0;
  const hi = (((bits.hi << 1) | (bits.lo >>> 31)) ^ mask) >>> 0;
  const lo = ((bits.lo << 1) ^ mask) >>> 0;
  bits.lo = lo;
  bits.hi = hi;
}

/** Undo ZigZag on halves in place in {@link bits}. */
export function unzigzagBits(): void {
  const mask = -(bits.lo & 1);
  const lo = (((bits.lo >>> 1) | (bits.hi << 31)) ^ mask) >>> 0;
  const hi = ((bits.hi >>> 1) ^ mask) >>> 0;
  bits.lo = lo;
  bits.hi = hi;
}
