/**
 * A minimal protobuf binary writer, just enough to serialize `google.protobuf.FileDescriptorProto` and
 * the option messages it carries. Only `generator/parse` may use protobufjs, so the Python emitter
 * encodes descriptors itself; everything protoc's C++ serializer does that matters for byte equality
 * lives in `descriptor-encode.ts`, this file only knows the wire format.
 */

/** Wire types (encoding.md): 0 varint, 1 i64, 2 length-delimited, 5 i32. Groups (3/4) are never written. */
export const enum WireType {
  Varint = 0,
  Fixed64 = 1,
  LengthDelimited = 2,
  Fixed32 = 5,
}

export class ProtoWriter {
  private chunks: number[] = [];

  /** The bytes written so far. */
  finish(): Uint8Array {
    return Uint8Array.from(this.chunks);
  }

  get length(): number {
    return this.chunks.length;
  }

  tag(fieldNumber: number, wireType: WireType): this {
    // Field numbers go up to 2^29 - 1, so the tag can exceed 2^31: multiply instead of shifting.
    return this.varint(BigInt(fieldNumber) * 8n + BigInt(wireType));
  }

  /**
   * An unsigned varint. Negative numbers are written as their 64-bit two's complement (10 bytes),
   * which is how protobuf encodes negative int32/int64/enum values.
   */
  varint(value: number | bigint): this {
    let v = BigInt.asUintN(64, BigInt(value));
    do {
      let byte = Number(v & 0x7fn);
      v >>= 7n;
      if (v !== 0n) byte |= 0x80;
      this.chunks.push(byte);
    } while (v !== 0n);
    return this;
  }

  /** ZigZag-encoded varint for sint32/sint64. */
  zigzag(value: number | bigint): this {
    const v = BigInt(value);
    return this.varint(BigInt.asUintN(64, (v << 1n) ^ (v < 0n ? -1n : 0n)));
  }

  fixed32(value: number | bigint): this {
    const v = Number(BigInt.asUintN(32, BigInt(value)));
    for (let i = 0; i < 4; i++) this.chunks.push((v >>> (8 * i)) & 0xff);
    return this;
  }

  fixed64(value: number | bigint): this {
    const v = BigInt.asUintN(64, BigInt(value));
    for (let i = 0n; i < 8n; i++) this.chunks.push(Number((v >> (8n * i)) & 0xffn));
    return this;
  }

  float(value: number): this {
    const buf = new DataView(new ArrayBuffer(4));
    buf.setFloat32(0, value, true);
    for (let i = 0; i < 4; i++) this.chunks.push(buf.getUint8(i));
    return this;
  }

  double(value: number): this {
    const buf = new DataView(new ArrayBuffer(8));
    buf.setFloat64(0, value, true);
    for (let i = 0; i < 8; i++) this.chunks.push(buf.getUint8(i));
    return this;
  }

  /** Raw bytes with no length prefix. */
  raw(bytes: Uint8Array): this {
    for (const b of bytes) this.chunks.push(b);
    return this;
  }

  /** A length-prefixed byte string. */
  bytes(bytes: Uint8Array): this {
    this.varint(bytes.length);
    return this.raw(bytes);
  }

  string(value: string): this {
    return this.bytes(new TextEncoder().encode(value));
  }

  // Field helpers: tag + value, the shape every descriptor encoder uses.

  uint(fieldNumber: number, value: number | bigint): this {
    return this.tag(fieldNumber, WireType.Varint).varint(value);
  }

  bool(fieldNumber: number, value: boolean): this {
    return this.uint(fieldNumber, value ? 1 : 0);
  }

  str(fieldNumber: number, value: string): this {
    return this.tag(fieldNumber, WireType.LengthDelimited).string(value);
  }

  /** An embedded message (or any length-delimited payload) already serialized. */
  message(fieldNumber: number, bytes: Uint8Array): this {
    return this.tag(fieldNumber, WireType.LengthDelimited).bytes(bytes);
  }
}

/** Concatenate byte arrays. */
export function concatBytes(parts: readonly Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

/** First index of `needle` in `haystack`, or -1 (like C++ `std::string::find`). */
export function indexOfBytes(haystack: Uint8Array, needle: Uint8Array): number {
  return Buffer.from(haystack.buffer, haystack.byteOffset, haystack.length).indexOf(
    Buffer.from(needle.buffer, needle.byteOffset, needle.length),
  );
}
