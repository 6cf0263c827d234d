/** The descriptor writer's wire encoding. */
import { indexOfBytes, ProtoWriter, WireType } from "../../../generator/emit/python/wire";

const hex = (w: ProtoWriter): string => Buffer.from(w.finish()).toString("hex");

describe("ProtoWriter", () => {
  test("varints: small, multi-byte, and negative as 10-byte two's complement", () => {
    expect(hex(new ProtoWriter().varint(1))).toBe("01");
    expect(hex(new ProtoWriter().varint(300))).toBe("ac02");
    expect(hex(new ProtoWriter().varint(-1))).toBe("ffffffffffffffffff01");
    expect(hex(new ProtoWriter().varint(18446744073709551615n))).toBe("ffffffffffffffffff01");
  });

  test("tags for large field numbers (custom options live at 50000+)", () => {
    expect(hex(new ProtoWriter().tag(50001, WireType.LengthDelimited))).toBe("8ab518");
    expect(hex(new ProtoWriter().tag(536870911, WireType.Varint))).toBe("f8ffffff0f");
  });

  test("zigzag, fixed and floating point", () => {
    expect(hex(new ProtoWriter().zigzag(-1))).toBe("01");
    expect(hex(new ProtoWriter().zigzag(1))).toBe("02");
    expect(hex(new ProtoWriter().fixed32(-2))).toBe("feffffff");
    expect(hex(new ProtoWriter().fixed64(1))).toBe("0100000000000000");
    expect(hex(new ProtoWriter().double(2.5))).toBe("0000000000000440");
    expect(hex(new ProtoWriter().float(1))).toBe("0000803f");
  });

  test("strings are UTF-8 with a length prefix", () => {
    expect(hex(new ProtoWriter().str(1, "é"))).toBe("0a02c3a9");
  });

  test("indexOfBytes finds the first occurrence", () => {
    const hay = Uint8Array.from([1, 2, 3, 1, 2, 3]);
    expect(indexOfBytes(hay, Uint8Array.from([2, 3]))).toBe(1);
    expect(indexOfBytes(hay, Uint8Array.from([4]))).toBe(-1);
  });
});
