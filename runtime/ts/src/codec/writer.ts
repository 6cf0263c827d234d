/**
 * The binary writer generated encoders are written against.
 *
 * Design: one growable byte buffer, written front to back. A sub-message's length is not known
 * until its fields are written, so {@link BinaryWriter.fork} reserves one byte for it and
 * {@link BinaryWriter.join} fills it in, shifting the body right in the rare case the length needs
 * more than one byte (bodies of 128 bytes or more). This is the approach of mapbox/pbf; it
 * avoids both protobufjs's linked list of pending operations and a separate sizing pass, and
 * measured faster than either for typical messages (see bench/codec).
 */
import { bits, toBits, zigzagBits } from "./int64.js";
import { utf8Write } from "./utf8.js";
import { WireType } from "./wire.js";

/**
 * Writes protobuf wire format.
 *
 * Generated code drives it; applications normally call `X.encode(msg)` instead.
 *
 * @example
 * ```ts
 * const w = new BinaryWriter();
 * w.tag(1, WireType.LengthDelimited).string("hello");
 * w.tag(2, WireType.Varint).int32(-1);
 * const bytes = w.finish();
 * ```
 */
export class BinaryWriter {
  /** The buffer; only `buf[0..pos)` is output. Replaced when it grows. */
  buf: Uint8Array;
  /** Next byte to write. */
  pos: number;
  private view: DataView | undefined;

  constructor(initialSize = 256) {
    this.buf = new Uint8Array(initialSize);
    this.pos = 0;
    this.view = undefined;
  }

  /**
   * Make room for `n` more bytes: at least double, and exactly enough (plus a little) when one
   * large value needs more than that, so a message made of one big `bytes` field gets a buffer of
   * about its own size. Buffers of {@link LARGE} bytes or more are allocated uninitialised on Node
   * (zero-filling 1 MiB costs about as much as copying it); only `buf[0..pos)` is ever read, and
   * {@link takeOutput} zeroes the rest before the buffer leaves the writer.
   */
  private grow(n: number): void {
    const size = Math.max(this.buf.length * 2, this.pos + n + 64);
    const next = allocUninitialised(size);
    next.set(this.buf.subarray(0, this.pos));
    this.buf = next;
    this.view = undefined;
  }

  /** Write a field tag. */
  tag(fieldNumber: number, wireType: WireType): this {
    return this.uint32(((fieldNumber << 3) | wireType) >>> 0);
  }

  /** A varint from an unsigned 32-bit value (also tags and lengths). */
  uint32(v: number): this {
    if (this.pos + 5 > this.buf.length) this.grow(5);
    const buf = this.buf;
    let pos = this.pos;
    while (v > 0x7f) {
      buf[pos++] = (v & 0x7f) | 0x80;
      v >>>= 7;
    }
    buf[pos++] = v;
    this.pos = pos;
    return this;
  }

  /** int32 / enum: negative values are sign-extended to 10 bytes, as every protobuf runtime does. */
  int32(v: number): this {
    if (v >= 0) return this.uint32(v);
    return this.varint64(v >>> 0, 0xffffffff);
  }

  /** ZigZag 32-bit. */
  sint32(v: number): this {
    return this.uint32(((v << 1) ^ (v >> 31)) >>> 0);
  }

  bool(v: boolean): this {
    if (this.pos + 1 > this.buf.length) this.grow(1);
    this.buf[this.pos++] = v ? 1 : 0;
    return this;
  }

  fixed32(v: number): this {
    if (this.pos + 4 > this.buf.length) this.grow(4);
    const buf = this.buf;
    const pos = this.pos;
    buf[pos] = v;
    buf[pos + 1] = v >>> 8;
    buf[pos + 2] = v >>> 16;
    buf[pos + 3] = v >>> 24;
    this.pos = pos + 4;
    return this;
  }

  sfixed32(v: number): this {
    return this.fixed32(v);
  }

  private dataView(): DataView {
    return (this.view ??= new DataView(this.buf.buffer, this.buf.byteOffset, this.buf.byteLength));
  }

  float(v: number): this {
    if (this.pos + 4 > this.buf.length) this.grow(4);
    this.dataView().setFloat32(this.pos, v, true);
    this.pos += 4;
    return this;
  }

  double(v: number): this {
    if (this.pos + 8 > this.buf.length) this.grow(8);
    this.dataView().setFloat64(this.pos, v, true);
    this.pos += 8;
    return this;
  }

  /** A varint from two unsigned 32-bit halves. */
  private varint64(lo: number, hi: number): this {
    if (this.pos + 10 > this.buf.length) this.grow(10);
    const buf = this.buf;
    let pos = this.pos;
    while (hi > 0) {
      buf[pos++] = (lo & 0x7f) | 0x80;
      lo = ((lo >>> 7) | (hi << 25)) >>> 0;
      hi >>>= 7;
    }
    while (lo > 0x7f) {
      buf[pos++] = (lo & 0x7f) | 0x80;
      lo >>>= 7;
    }
    buf[pos++] = lo;
    this.pos = pos;
    return this;
  }

  private fixed64Bits(lo: number, hi: number): this {
    this.fixed32(lo);
    return this.fixed32(hi);
  }

  /**
   * int64. Accepts a bigint, an integral number or a decimal string (the three representations a
   * 64-bit field can have, depending on `jstype`); throws `EncodeError` when out of range.
   */
  int64(v: bigint | number | string): this {
    toBits(v, true);
    return this.varint64(bits.lo, bits.hi);
  }

  uint64(v: bigint | number | string): this {
    toBits(v, false);
    return this.varint64(bits.lo, bits.hi);
  }

  sint64(v: bigint | number | string): this {
    toBits(v, true);
    zigzagBits();
    return this.varint64(bits.lo, bits.hi);
  }

  fixed64(v: bigint | number | string): this {
    toBits(v, false);
    return this.fixed64Bits(bits.lo, bits.hi);
  }

  sfixed64(v: bigint | number | string): this {
    toBits(v, true);
    return this.fixed64Bits(bits.lo, bits.hi);
  }

  /** A length-prefixed UTF-8 string. */
  string(s: string): this {
    const max = s.length * 3;
    if (max < 0x80) {
      // Length fits one byte whatever the content: write the body straight after it.
      if (this.pos + 1 + max > this.buf.length) this.grow(1 + max);
      const start = this.pos;
      const end = utf8Write(s, this.buf, start + 1);
      this.buf[start] = end - start - 1;
      this.pos = end;
      return this;
    }
    // Reserve room for the largest possible length prefix, then move the body left if the real one is shorter.
    const reserve = varintSize(max);
    if (this.pos + reserve + max > this.buf.length) this.grow(reserve + max);
    const start = this.pos;
    const end = utf8Write(s, this.buf, start + reserve);
    const len = end - start - reserve;
    const need = varintSize(len);
    if (need < reserve) this.buf.copyWithin(start + need, start + reserve, end);
    this.pos = start;
    this.uint32(len);
    this.pos = start + need + len;
    return this;
  }

  /** Length-prefixed bytes. */
  bytes(b: Uint8Array): this {
    const n = b.length;
    this.uint32(n);
    if (this.pos + n > this.buf.length) this.grow(n);
    this.buf.set(b, this.pos);
    this.pos += n;
    return this;
  }

  /** Raw bytes without a prefix (unknown fields, pre-encoded data). */
  raw(b: Uint8Array): this {
    const n = b.length;
    if (this.pos + n > this.buf.length) this.grow(n);
    this.buf.set(b, this.pos);
    this.pos += n;
    return this;
  }

  /**
   * Start a length-delimited value whose size is not known yet (a sub-message, a packed run):
   * reserves the length byte and returns a mark to pass to {@link join}.
   */
  fork(): number {
    if (this.pos + 1 > this.buf.length) this.grow(1);
    return this.pos++;
  }

  /** Finish the value started by {@link fork}: write its length, moving the body if it needs more than one byte. */
  join(mark: number): this {
    const len = this.pos - mark - 1;
    if (len < 0x80) {
      this.buf[mark] = len;
      return this;
    }
    const extra = varintSize(len) - 1;
    if (this.pos + extra > this.buf.length) this.grow(extra);
    const buf = this.buf;
    buf.copyWithin(mark + 1 + extra, mark + 1, this.pos);
    let pos = mark;
    let v = len;
    while (v > 0x7f) {
      buf[pos++] = (v & 0x7f) | 0x80;
      v >>>= 7;
    }
    buf[pos] = v;
    this.pos += extra;
    return this;
  }

  /**
   * The bytes written so far, as a new array the writer no longer touches. Output of up to
   * {@link POOL_MAX} bytes is a view into a shared slab (see {@link copyOut}).
   */
  finish(): Uint8Array {
    return copyOut(this.buf, this.pos);
  }

  /**
   * Like {@link finish}, but for large output hands over the writer's own buffer instead of copying
   * it: when at least {@link LARGE} bytes were written and they fill at least half the buffer, the
   * result is a view of `buf[0..pos)` (the unused tail zeroed) and the writer starts over with a
   * new small buffer. Otherwise a copy, as `finish`. Either way the result is the caller's.
   */
  takeOutput(): Uint8Array {
    const pos = this.pos;
    const buf = this.buf;
    if (pos < LARGE || pos * 2 < buf.length) return copyOut(buf, pos);
    buf.fill(0, pos);
    this.buf = new Uint8Array(1024);
    this.view = undefined;
    this.pos = 0;
    return buf.subarray(0, pos);
  }

  /** Forget everything written (keeps the buffer for reuse). */
  reset(): void {
    this.pos = 0;
  }
}

/**
 * From this size up (64 KiB), the writer allocates its buffer without zero-filling it and
 * `encode()` returns the writer's buffer rather than a copy of it ({@link BinaryWriter.takeOutput}).
 * Below it, copying is cheaper than a fresh allocation per message.
 */
export const LARGE = 1 << 16;

const allocUnsafeSlow: ((size: number) => Uint8Array) | undefined =
  typeof Buffer === "function" ? (size) => Buffer.allocUnsafeSlow(size) : undefined;

/** A plain `Uint8Array` of `size` bytes; not zero-filled when large and Node's `Buffer` exists. */
function allocUninitialised(size: number): Uint8Array {
  if (size < LARGE || allocUnsafeSlow === undefined) return new Uint8Array(size);
  const b = allocUnsafeSlow(size);
  // A plain Uint8Array over the same memory: results compare and print like any other.
  return new Uint8Array(b.buffer, b.byteOffset, size);
}

/**
 * Output of up to this many bytes (2 KiB) is copied into a slab shared with other small outputs
 * instead of a buffer of its own ({@link copyOut}).
 */
export const POOL_MAX = 2048;
/** Size of one slab (16 KiB): at least 8 pooled outputs each. */
const SLAB_SIZE = 16 * 1024;
let slab = new ArrayBuffer(SLAB_SIZE);
let slabPos = 0;

/**
 * `src[0..n)` copied into a new array nobody else writes to.
 *
 * Why a slab: on V8 every `ArrayBuffer` of more than 64 bytes gets its own off-heap backing store,
 * and allocating one (plus the garbage collector's sweep of it later) costs about 0.6 µs, some
 * 30 times the copy itself, for a 67-byte message; below 65 bytes the store is on the V8 heap and
 * cheap. So small outputs are views carved one after the other out of a 16 KiB `ArrayBuffer`
 * (8-byte aligned), the way Node's `Buffer.allocUnsafe` pool and protobufjs's writer on Node do.
 * A carved region is written once, here, and never handed out again: the output is the caller's
 * to keep and mutate. Its `.buffer` is the whole slab, so it may show other messages' bytes
 * around `[byteOffset, byteOffset + byteLength)`; use `byteOffset`/`byteLength` (as every
 * protobuf and ZeroMQ library does) or copy it.
 */
function copyOut(src: Uint8Array, n: number): Uint8Array {
  if (n > POOL_MAX) return src.slice(0, n);
  if (slabPos + n > SLAB_SIZE) {
    slab = new ArrayBuffer(SLAB_SIZE);
    slabPos = 0;
  }
  const out = new Uint8Array(slab, slabPos, n);
  if (n <= 64) for (let i = 0; i < n; i++) out[i] = src[i]!;
  else out.set(src.subarray(0, n));
  slabPos = (slabPos + n + 7) & ~7;
  return out;
}

/** Number of bytes of the varint encoding of an unsigned 32-bit value. */
export function varintSize(v: number): number {
  return v < 0x80 ? 1 : v < 0x4000 ? 2 : v < 0x200000 ? 3 : v < 0x10000000 ? 4 : 5;
}
