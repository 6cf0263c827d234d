/**
 * Large messages: the writer hands its own buffer over for output of 64 KiB or more
 * (`BinaryWriter.takeOutput`, used by every generated `encode`), and `bytes` fields decode as
 * views of the input. These tests pin down what callers may rely on: the result is exact, it is
 * theirs (later encodes never touch it), no stale memory is reachable through its `.buffer`, and
 * the aliasing rules of decoded `bytes` fields hold.
 */
import { BinaryReader, BinaryWriter } from "protozmq";
import { LARGE, POOL_MAX } from "../../../runtime/ts/src/codec/writer";
import { Scalars } from "../../../generated/ts/scalars/scalars";
import { Lists } from "../../../generated/ts/repeated/repeated";

/** `n` bytes of a pattern that differs from every other call's (`seed`), never all zero. */
function pattern(n: number, seed: number): Uint8Array {
  const b = new Uint8Array(n);
  for (let i = 0; i < n; i++) b[i] = (i * 31 + seed * 7 + 1) & 0xff;
  return b;
}

/** The wire form of field 15 (bytes) holding `body`, built by hand: tag 0x7a, varint length, body. */
function field15(body: Uint8Array): Uint8Array {
  const len: number[] = [];
  let v = body.length;
  while (v > 0x7f) {
    len.push((v & 0x7f) | 0x80);
    v >>>= 7;
  }
  len.push(v);
  return Buffer.concat([Buffer.from([0x7a, ...len]), body]);
}

describe("encode of large messages", () => {
  test.each([LARGE - 4, LARGE, 300_001, 1 << 20, (1 << 20) + 3, 5_000_000])(
    "a %d-byte bytes field encodes exactly and round-trips",
    (n) => {
      const body = pattern(n, n);
      const out = Scalars.encode(Scalars.create({ bytesValue: body }));
      expect(Buffer.from(out).equals(Buffer.from(field15(body)))).toBe(true);
      expect(Buffer.from(Scalars.decode(out).bytesValue).equals(Buffer.from(body))).toBe(true);
    },
  );

  test("the result is a plain Uint8Array the caller owns: later encodes never change it", () => {
    const a = pattern(1 << 20, 1);
    const b = pattern(1 << 20, 2);
    const first = Scalars.encode(Scalars.create({ bytesValue: a }));
    const copy = Buffer.from(first); // a snapshot, to compare with after the next encodes
    const second = Scalars.encode(Scalars.create({ bytesValue: b }));
    Scalars.encode(Scalars.create({ bytesValue: a, stringValue: "x".repeat(100_000) }));
    Scalars.encode(Scalars.create({ stringValue: "small" }));
    expect(Object.getPrototypeOf(first)).toBe(Uint8Array.prototype);
    expect(first.buffer).not.toBe(second.buffer);
    expect(Buffer.from(first).equals(copy)).toBe(true);
    expect(Buffer.from(Scalars.decode(second).bytesValue).equals(Buffer.from(b))).toBe(true);
  });

  test("no stale memory behind a handed-over result: the unused tail of its buffer is zero", () => {
    // Fill memory with a recognisable pattern, let it go, then encode: whatever the allocator
    // hands back, the bytes after the output must read as zero.
    for (let i = 0; i < 4; i++) Buffer.allocUnsafeSlow(3 << 20).fill(0xee);
    for (const n of [LARGE, 200_000, (1 << 20) + 1]) {
      const out = Scalars.encode(Scalars.create({ bytesValue: pattern(n, 3), stringValue: "tail" }));
      const whole = new Uint8Array(out.buffer, 0, out.buffer.byteLength);
      expect(out.byteOffset).toBe(0);
      expect(whole.subarray(out.byteLength).every((x) => x === 0)).toBe(true);
    }
  });

  test("many medium fields (the writer grows by doubling) still encode exactly", () => {
    const blobs = Array.from({ length: 200 }, (_, i) => pattern(1000 + i, i));
    const strings = Array.from({ length: 100 }, (_, i) => `s${i}`.repeat(50));
    const out = Lists.encode(Lists.create({ blobs, strings }));
    expect(out.length).toBeGreaterThan(LARGE);
    const back = Lists.decode(out);
    expect(back.strings).toEqual(strings);
    expect(back.blobs.map((b) => Buffer.from(b).toString("hex"))).toEqual(blobs.map((b) => Buffer.from(b).toString("hex")));
  });

  test("takeOutput below LARGE copies and keeps the writer's buffer; above, hands it over", () => {
    const w = new BinaryWriter(16);
    w.bytes(pattern(100, 1));
    const buf = w.buf;
    const small = w.takeOutput();
    expect(small.buffer).not.toBe(buf.buffer);
    expect(w.buf).toBe(buf);
    w.reset();
    w.bytes(pattern(LARGE, 2));
    const big = w.buf;
    const out = w.takeOutput();
    expect(out.buffer).toBe(big.buffer);
    expect(w.buf).not.toBe(big);
    expect(w.pos).toBe(0);
    // The writer goes on working with its new buffer.
    w.uint32(150);
    expect(Buffer.from(w.finish()).toString("hex")).toBe("9601");
  });
});

describe("encode of small messages (views into a shared slab)", () => {
  test("each result is exact and the caller's: later encodes and writes to neighbours never change it", () => {
    // 3,000 results of 1..2,100 bytes cross many slab boundaries and the POOL_MAX edge.
    const sizes = Array.from({ length: 3000 }, (_, i) => 1 + ((i * 7919) % (POOL_MAX + 52)));
    const outs = sizes.map((n, i) => Scalars.encode(Scalars.create({ bytesValue: pattern(n, i) })));
    const snapshots = outs.map((o) => Buffer.from(o));
    for (const o of outs) o.fill(0xaa, 0, 1); // each result is writable without touching the others
    outs.forEach((o, i) => {
      expect(Object.getPrototypeOf(o)).toBe(Uint8Array.prototype);
      expect(o.byteLength).toBe(snapshots[i]!.length);
      expect(Buffer.from(o.subarray(1)).equals(snapshots[i]!.subarray(1))).toBe(true);
      expect(Buffer.from(snapshots[i]!).equals(Buffer.from(field15(pattern(sizes[i]!, i))))).toBe(true);
    });
  });

  test("finish() also returns an exact copy the writer no longer touches", () => {
    const w = new BinaryWriter(16);
    w.bytes(pattern(100, 7));
    const a = w.finish();
    w.reset();
    w.bytes(pattern(100, 8));
    const b = w.finish();
    expect(Buffer.from(a).equals(Buffer.from(field15(pattern(100, 7))).subarray(1))).toBe(true);
    expect(Buffer.from(b).equals(Buffer.from(field15(pattern(100, 8))).subarray(1))).toBe(true);
  });
});

describe("decoded bytes fields alias the input", () => {
  test("a bytes field is a view of the input: no copy, writes to the input show through", () => {
    const body = pattern(1 << 20, 4);
    const input = Buffer.from(Scalars.encode(Scalars.create({ bytesValue: body })));
    const m = Scalars.decode(input);
    expect(m.bytesValue.buffer).toBe(input.buffer);
    expect(m.bytesValue.byteOffset).toBe(input.byteOffset + 4); // tag + 3-byte length
    input[4] = input[4]! ^ 0xff;
    expect(m.bytesValue[0]).toBe(body[0]! ^ 0xff);
  });

  test("new Uint8Array(field) detaches a field; .slice() does not when the input is a Buffer", () => {
    const input = Buffer.from(Scalars.encode(Scalars.create({ bytesValue: pattern(1000, 5) })));
    const field = Scalars.decode(input).bytesValue;
    const own = new Uint8Array(field);
    const sliced = field.slice(); // Buffer#slice: a view (zeromq.js delivers frames as Buffers)
    input.fill(0);
    expect(Buffer.from(own).equals(Buffer.from(pattern(1000, 5)))).toBe(true);
    expect(sliced.every((x) => x === 0)).toBe(true);
  });

  test("the reader itself returns views for bytes", () => {
    const r = new BinaryReader(Uint8Array.of(3, 1, 2, 3));
    const v = r.bytes();
    expect(Array.from(v)).toEqual([1, 2, 3]);
    expect(v.byteOffset).toBe(1);
  });
});
