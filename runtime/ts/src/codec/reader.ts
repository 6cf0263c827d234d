/**
 * The binary reader generated decoders are written against. One instance walks one input buffer;
 * nested messages share it and only move an end position, so decoding allocates nothing but the
 * messages themselves.
 *
 * Every read checks the buffer bounds and throws {@link DecodeError} on truncation, so generated
 * code never needs to.
 */
import { DecodeError } from "./errors.js";
import {
  bits, int64FromBits, int64NumberFromBits, uint64FromBits, uint64NumberFromBits, unzigzagBits,
} from "./int64.js";
import { utf8Read } from "./utf8.js";
import { WireType } from "./wire.js";

/**
 * Messages may nest at most this deep (the root is depth 0), matching upb and protobuf C++'s
 * default recursion limit, so hostile input cannot blow the JS stack.
 */
export const MAX_DEPTH = 100;

/**
 * Reads protobuf wire format from a `Uint8Array`.
 *
 * Generated code drives it; applications normally call `X.decode(bytes)` instead.
 *
 * @example
 * ```ts
 * const r = new BinaryReader(bytes);
 * while (r.pos < r.len) {
 *   const tag = r.tag();
 *   if (tag === ((1 << 3) | WireType.LengthDelimited)) console.log(r.string(true));
 *   else r.skip(tag, 0);
 * }
 * ```
 */
export class BinaryReader {
  /** The input. */
  readonly buf: Uint8Array;
  /** Next byte to read. */
  pos: number;
  /** Length of the input. */
  readonly len: number;
  /** Current message nesting depth (root = 0). */
  depth: number;
  private view: DataView | undefined;

  constructor(buf: Uint8Array) {
    this.buf = buf;
    this.pos = 0;
    this.len = buf.length;
    this.depth = 0;
    this.view = undefined;
  }

  /** Read a field tag. Tags are 32-bit varints (at most 5 bytes). */
  tag(): number {
    const pos = this.pos;
    if (pos < this.len) {
      const b = this.buf[pos]!;
      if (b < 0x80) {
        this.pos = pos + 1;
        return b;
      }
    }
    return this.tagSlow();
  }

  private tagSlow(): number {
    const buf = this.buf;
    let pos = this.pos;
    let v = 0;
    for (let shift = 0; shift < 35; shift += 7) {
      if (pos >= this.len) throw new DecodeError("truncated input (tag)");
      const b = buf[pos++]!;
      v |= (b & 0x7f) << shift;
      if (b < 0x80) {
        if (shift === 28 && b > 0x0f) break;
        this.pos = pos;
        return v >>> 0;
      }
    }
    throw new DecodeError("invalid tag varint");
  }

  /** Read a varint and keep its low 32 bits, unsigned (uint32, and the base of int32/enum/bool/lengths). */
  uint32(): number {
    const pos = this.pos;
    if (pos < this.len) {
      const b = this.buf[pos]!;
      if (b < 0x80) {
        this.pos = pos + 1;
        return b;
      }
    }
    return this.varint32Slow() >>> 0;
  }

  /** int32 and enums: the low 32 bits, signed (negative values arrive as 10-byte varints). */
  int32(): number {
    const pos = this.pos;
    if (pos < this.len) {
      const b = this.buf[pos]!;
      if (b < 0x80) {
        this.pos = pos + 1;
        return b;
      }
    }
    return this.varint32Slow() | 0;
  }

  /** ZigZag-decoded 32-bit. */
  sint32(): number {
    const v = this.uint32();
    return (v >>> 1) ^ -(v & 1);
  }

  /** Any varint is a valid bool; non-zero (in all 64 bits) is true. */
  bool(): boolean {
    const pos = this.pos;
    if (pos < this.len) {
      const b = this.buf[pos]!;
      if (b < 0x80) {
        this.pos = pos + 1;
        return b !== 0;
      }
    }
    this.varint64();
    return bits.lo !== 0 || bits.hi !== 0;
  }

  private varint32Slow(): number {
    const buf = this.buf;
    const len = this.len;
    let pos = this.pos;
    let v = 0;
    for (let shift = 0; shift < 35; shift += 7) {
      if (pos >= len) throw new DecodeError("truncated input (varint)");
      const b = buf[pos++]!;
      v |= (b & 0x7f) << shift;
      if (b < 0x80) {
        this.pos = pos;
        return v;
      }
    }
    // Bytes 6..10 only carry bits above 32, which 32-bit fields drop (protobuf's truncation rule).
    for (let i = 5; i < 10; i++) {
      if (pos >= len) throw new DecodeError("truncated input (varint)");
      if (buf[pos++]! < 0x80) {
        this.pos = pos;
        return v;
      }
    }
    throw new DecodeError("varint longer than 10 bytes");
  }

  /** Read a varint of up to 64 bits into {@link bits}. */
  private varint64(): void {
    const buf = this.buf;
    const len = this.len;
    let pos = this.pos;
    let lo = 0;
    let hi = 0;
    let b: number;
    for (let shift = 0; shift < 28; shift += 7) {
      if (pos >= len) throw new DecodeError("truncated input (varint)");
      b = buf[pos++]!;
      lo |= (b & 0x7f) << shift;
      if (b < 0x80) {
        this.pos = pos;
        bits.lo = lo >>> 0;
        bits.hi = 0;
        return;
      }
    }
    if (pos >= len) throw new DecodeError("truncated input (varint)");
    b = buf[pos++]!;
    lo |= (b & 0x7f) << 28;
    hi = (b & 0x7f) >> 4;
    if (b < 0x80) {
      this.pos = pos;
      bits.lo = lo >>> 0;
      bits.hi = hi;
      return;
    }
    for (let shift = 3; shift < 38; shift += 7) {
      if (pos >= len) throw new DecodeError("truncated input (varint)");
      b = buf[pos++]!;
      hi |= (b & 0x7f) << shift;
      if (b < 0x80) {
        this.pos = pos;
        bits.lo = lo >>> 0;
        bits.hi = hi >>> 0;
        return;
      }
    }
    throw new DecodeError("varint longer than 10 bytes");
  }

  private fixed64Bits(): void {
    const pos = this.pos;
    if (pos + 8 > this.len) throw new DecodeError("truncated input (fixed64)");
    const buf = this.buf;
    bits.lo = (buf[pos]! | (buf[pos + 1]! << 8) | (buf[pos + 2]! << 16) | (buf[pos + 3]! << 24)) >>> 0;
    bits.hi = (buf[pos + 4]! | (buf[pos + 5]! << 8) | (buf[pos + 6]! << 16) | (buf[pos + 7]! << 24)) >>> 0;
    this.pos = pos + 8;
  }

  /** int64 as bigint. */
  int64(): bigint {
    this.varint64();
    return int64FromBits(bits.lo, bits.hi);
  }

  /** uint64 as bigint. */
  uint64(): bigint {
    this.varint64();
    return uint64FromBits(bits.lo, bits.hi);
  }

  /** sint64 as bigint. */
  sint64(): bigint {
    this.varint64();
    unzigzagBits();
    return int64FromBits(bits.lo, bits.hi);
  }

  /** fixed64 as bigint. */
  fixed64(): bigint {
    this.fixed64Bits();
    return uint64FromBits(bits.lo, bits.hi);
  }

  /** sfixed64 as bigint. */
  sfixed64(): bigint {
    this.fixed64Bits();
    return int64FromBits(bits.lo, bits.hi);
  }

  /**
   * A 64-bit field as a decimal string (`[jstype = JS_STRING]`, and 64-bit map keys).
   * `kind` is the field's scalar type: int64, uint64, sint64, fixed64 or sfixed64.
   */
  int64String(kind: "int64" | "uint64" | "sint64" | "fixed64" | "sfixed64"): string {
    return this.read64(kind).toString();
  }

  /** A 64-bit field as a double (`[jstype = JS_NUMBER]`); values above 2^53 lose precision, as documented for jstype. */
  int64Number(kind: "int64" | "uint64" | "sint64" | "fixed64" | "sfixed64"): number {
    if (kind === "fixed64" || kind === "sfixed64") this.fixed64Bits();
    else this.varint64();
    if (kind === "sint64") unzigzagBits();
    return kind === "uint64" || kind === "fixed64"
      ? uint64NumberFromBits(bits.lo, bits.hi)
      : int64NumberFromBits(bits.lo, bits.hi);
  }

  private read64(kind: "int64" | "uint64" | "sint64" | "fixed64" | "sfixed64"): bigint {
    switch (kind) {
      case "int64": return this.int64();
      case "uint64": return this.uint64();
      case "sint64": return this.sint64();
      case "fixed64": return this.fixed64();
      case "sfixed64": return this.sfixed64();
    }
  }

  /** fixed32, unsigned. */
  fixed32(): number {
    const pos = this.pos;
    if (pos + 4 > this.len) throw new DecodeError("truncated input (fixed32)");
    const buf = this.buf;
    this.pos = pos + 4;
    return (buf[pos]! | (buf[pos + 1]! << 8) | (buf[pos + 2]! << 16) | (buf[pos + 3]! << 24)) >>> 0;
  }

  /** sfixed32, signed. */
  sfixed32(): number {
    const pos = this.pos;
    if (pos + 4 > this.len) throw new DecodeError("truncated input (sfixed32)");
    const buf = this.buf;
    this.pos = pos + 4;
    return buf[pos]! | (buf[pos + 1]! << 8) | (buf[pos + 2]! << 16) | (buf[pos + 3]! << 24);
  }

  private dataView(): DataView {
    return (this.view ??= new DataView(this.buf.buffer, this.buf.byteOffset, this.buf.byteLength));
  }

  /** float (32-bit IEEE 754, little-endian). */
  float(): number {
    const pos = this.pos;
    if (pos + 4 > this.len) throw new DecodeError("truncated input (float)");
    this.pos = pos + 4;
    return this.dataView().getFloat32(pos, true);
  }

  /** double (64-bit IEEE 754, little-endian). */
  double(): number {
    const pos = this.pos;
    if (pos + 8 > this.len) throw new DecodeError("truncated input (double)");
    this.pos = pos + 8;
    return this.dataView().getFloat64(pos, true);
  }

  /** Read a length prefix and return the end position of the value, checked against the input. */
  private lengthEnd(): number {
    const n = this.uint32();
    const end = this.pos + n;
    if (end > this.len) throw new DecodeError("truncated input (length-delimited field)");
    return end;
  }

  /**
   * A string. `validate` is true for proto3 fields: malformed UTF-8 is then a {@link DecodeError}
   * (upb/Java behaviour); proto2 strings decode leniently (U+FFFD), as protoc's C++ does.
   */
  string(validate: boolean): string {
    const end = this.lengthEnd();
    const start = this.pos;
    this.pos = end;
    return utf8Read(this.buf, start, end, validate);
  }

  /**
   * bytes, as a view into the input (no copy, as protobufjs and protobuf-es do: copying costs an
   * ArrayBuffer allocation per field, and a 1 MiB field a 1 MiB copy). The decoded message
   * therefore shares memory with the input: do not modify the input buffer while the message is in
   * use, or copy the field with `new Uint8Array(field)`. (Not `field.slice()`: when the input is a
   * Node `Buffer`, as frames received from zeromq.js are, the field is a `Buffer` too, and
   * `Buffer#slice` returns a view.) The runtime never reuses a received frame, so a message decoded
   * from one stays valid for as long as it is referenced.
   */
  bytes(): Uint8Array {
    const end = this.lengthEnd();
    const start = this.pos;
    this.pos = end;
    return this.buf.subarray(start, end);
  }

  /**
   * Enter a length-delimited sub-message (or map entry, or packed run): read its length, check it,
   * and count one nesting level. Returns its end position, to be passed to {@link leave}.
   */
  enter(): number {
    const end = this.lengthEnd();
    if (++this.depth > MAX_DEPTH) throw new DecodeError(`message nesting deeper than ${MAX_DEPTH}`);
    return end;
  }

  /** Leave a sub-message: it must have ended exactly at `end` (its fields may not overrun it). */
  leave(end: number): void {
    if (this.pos !== end) throw new DecodeError("sub-message overruns its length");
    this.depth--;
  }

  /** Enter a group (start-group tag already read): counts a nesting level. */
  enterGroup(): void {
    if (++this.depth > MAX_DEPTH) throw new DecodeError(`message nesting deeper than ${MAX_DEPTH}`);
  }

  /** Start a packed run: returns its end position; close with {@link packedEnd}. */
  packed(): number {
    return this.lengthEnd();
  }

  /** A packed run must end exactly at its declared length. */
  packedEnd(end: number): void {
    if (this.pos !== end) throw new DecodeError("packed field overruns its length");
  }

  /**
   * Check how a message body ended. `end` is the message end, `group` the group's field number
   * (0 for a length-delimited or root message) and `lastTag` the last tag read.
   */
  endMessage(end: number, group: number, lastTag: number): void {
    if (group === 0) {
      if (this.pos !== end) throw new DecodeError("message overruns its length");
    } else if (lastTag !== ((group << 3) | WireType.EndGroup)) {
      throw new DecodeError("truncated input (missing end-group tag)");
    }
  }

  /**
   * Skip the value of a field the decoder does not handle (unknown number, or wrong wire type).
   * Returns true if `tag` is the end-group tag closing `group` (the caller stops there); throws
   * on field number 0, wire types 6 and 7, a stray end-group tag and truncation.
   */
  skip(tag: number, group: number): boolean {
    const no = tag >>> 3;
    const wt = tag & 7;
    if (no === 0) throw new DecodeError("invalid field number 0");
    switch (wt) {
      case WireType.Varint:
        this.varint64();
        return false;
      case WireType.Bit64:
        if (this.pos + 8 > this.len) throw new DecodeError("truncated input (fixed64)");
        this.pos += 8;
        return false;
      case WireType.LengthDelimited:
        this.pos = this.lengthEnd();
        return false;
      case WireType.StartGroup: {
        this.enterGroup();
        let t: number;
        while ((t = this.tag()) !== ((no << 3) | WireType.EndGroup)) {
          if ((t & 7) === WireType.EndGroup) throw new DecodeError(`end-group tag ${t >>> 3} does not match start-group ${no}`);
          this.skip(t, 0);
        }
        this.depth--;
        return false;
      }
      case WireType.EndGroup:
        if (no === group) return true;
        throw new DecodeError(group === 0 ? `unexpected end-group tag ${no}` : `end-group tag ${no} does not match start-group ${group}`);
      case WireType.Bit32:
        if (this.pos + 4 > this.len) throw new DecodeError("truncated input (fixed32)");
        this.pos += 4;
        return false;
      default:
        throw new DecodeError(`invalid wire type ${wt}`);
    }
  }
}
