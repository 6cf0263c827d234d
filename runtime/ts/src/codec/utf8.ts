/**
 * UTF-8 for the codec. For very short strings a plain JS loop beats `TextEncoder`/`TextDecoder`,
 * whose per-call overhead dominates; everything else goes to the native implementations, which
 * also validate (measured with bench/codec on Node 20).
 */
import { DecodeError } from "./errors.js";

/** Strings up to this many UTF-16 units are encoded by the JS loop. */
const SHORT_ENCODE = 48;
/**
 * Decoding strategy by byte length (bench/codec, Node 20): up to SHORT_DECODE bytes a JS loop;
 * up to ASCII_SCAN bytes, on Node, an ASCII check followed by Buffer's native `latin1Slice`; above
 * that (or for non-ASCII text) a fatal `TextDecoder`, whose ~100 ns per call is flat in length.
 */
const SHORT_DECODE = 8;
const ASCII_SCAN = 48;

/** Node's native Latin-1 slice (works on any Uint8Array), or undefined outside Node. */
const latin1Slice: ((this: Uint8Array, start: number, end: number) => string) | undefined =
  typeof Buffer === "function"
    ? (Buffer.prototype as unknown as { latin1Slice?: (this: Uint8Array, start: number, end: number) => string }).latin1Slice
    : undefined;

const encoder = new TextEncoder();
const strictDecoder = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });
const lenientDecoder = new TextDecoder("utf-8", { fatal: false, ignoreBOM: true });

/**
 * Write `s` as UTF-8 into `buf` at `pos`; the caller guarantees `3 * s.length` bytes of room.
 * Lone surrogates become U+FFFD, as `TextEncoder` does (a JS string can hold them, UTF-8 cannot).
 * Returns the position after the last byte written.
 */
export function utf8Write(s: string, buf: Uint8Array, pos: number): number {
  const n = s.length;
  if (n > SHORT_ENCODE) return pos + encoder.encodeInto(s, buf.subarray(pos)).written;
  for (let i = 0; i < n; i++) {
    let c = s.charCodeAt(i);
    if (c < 0x80) {
      buf[pos++] = c;
    } else if (c < 0x800) {
      buf[pos++] = (c >> 6) | 0xc0;
      buf[pos++] = (c & 0x3f) | 0x80;
    } else {
      if (c >= 0xd800 && c <= 0xdfff) {
        const next = i + 1 < n ? s.charCodeAt(i + 1) : 0;
        if (c <= 0xdbff && next >= 0xdc00 && next <= 0xdfff) {
          c = 0x10000 + ((c - 0xd800) << 10) + (next - 0xdc00);
          i++;
          buf[pos++] = (c >> 18) | 0xf0;
          buf[pos++] = ((c >> 12) & 0x3f) | 0x80;
          buf[pos++] = ((c >> 6) & 0x3f) | 0x80;
          buf[pos++] = (c & 0x3f) | 0x80;
          continue;
        }
        c = 0xfffd;
      }
      buf[pos++] = (c >> 12) | 0xe0;
      buf[pos++] = ((c >> 6) & 0x3f) | 0x80;
      buf[pos++] = (c & 0x3f) | 0x80;
    }
  }
  return pos;
}

/** The UTF-8 length of `s` (lone surrogates count as the 3 bytes of U+FFFD). */
export function utf8Length(s: string): number {
  let len = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x80) len += 1;
    else if (c < 0x800) len += 2;
    else if (c >= 0xd800 && c <= 0xdbff && i + 1 < s.length) {
      const next = s.charCodeAt(i + 1);
      if (next >= 0xdc00 && next <= 0xdfff) {
        len += 4;
        i++;
      } else len += 3;
    } else len += 3;
  }
  return len;
}

/**
 * Decode `buf[start..end)`.
 *
 * With `validate` (proto3 `string` fields, the official runtimes' `utf8_validation = VERIFY`),
 * malformed UTF-8 throws a {@link DecodeError}, as upb (Python) and Java do; without it (proto2
 * strings) bad sequences become U+FFFD, as protobuf-es and protobufjs do.
 */
export function utf8Read(buf: Uint8Array, start: number, end: number, validate: boolean): string {
  const n = end - start;
  if (n > SHORT_DECODE) {
    if (latin1Slice !== undefined && n <= ASCII_SCAN) {
      let i = start;
      while (i < end && buf[i]! < 0x80) i++;
      // Pure ASCII is valid UTF-8 and reads the same as Latin-1.
      if (i === end) return latin1Slice.call(buf, start, end);
    }
    return decodeLong(buf, start, end, validate);
  }
  let s = "";
  for (let i = start; i < end; ) {
    const b = buf[i]!;
    if (b < 0x80) {
      s += String.fromCharCode(b);
      i++;
      continue;
    }
    // Multi-byte sequences are rare in short strings: let the native decoder handle (and check) the rest.
    return s + decodeLong(buf, i, end, validate);
  }
  return s;
}

function decodeLong(buf: Uint8Array, start: number, end: number, validate: boolean): string {
  const bytes = buf.subarray(start, end);
  if (!validate) return lenientDecoder.decode(bytes);
  try {
    return strictDecoder.decode(bytes);
  } catch {
    throw new DecodeError("invalid UTF-8 in string");
  }
}

/** Encode a whole string (for JSON helpers and tests; the writer uses {@link utf8Write}). */
export function utf8Encode(s: string): Uint8Array {
  return encoder.encode(s);
}
