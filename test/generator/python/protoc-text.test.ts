/** protoc's text formats: absl CEscape/CHexEscape and SimpleDtoa/SimpleFtoa, and default_value text. */
import {
  cEscape, formatG, parseIntLiteral, protocDefaultValue, simpleDtoa, simpleFtoa,
} from "../../../generator/emit/python/protoc-text";
import { scalar } from "./model-builder";

const bytes = (...b: number[]): Uint8Array => Uint8Array.from(b);

describe("cEscape", () => {
  test("octal form escapes non-printables and quotes, like protoc's serialized_options", () => {
    expect(cEscape(bytes(0x0a, 0x08, 0x63, 0x6f, 0x6d))).toBe("\\n\\010com");
    expect(cEscape(bytes(0x00, 0xff, 0x22, 0x27, 0x5c, 0x09, 0x0d))).toBe("\\000\\377\\\"\\'\\\\\\t\\r");
  });

  test("hex form also escapes a hex digit that follows a hex escape", () => {
    // b'\n\x07\x61.proto' in protoc's output: 'a' after \x07 would otherwise extend the escape.
    expect(cEscape(new TextEncoder().encode("\n\x07a.proto"), true)).toBe("\\n\\x07\\x61.proto");
    expect(cEscape(bytes(0x01, 0x67), true)).toBe("\\x01g"); // 'g' is not a hex digit
    expect(cEscape(bytes(0x0a, 0x61), true)).toBe("\\na"); // \n is not a hex escape
  });
});

describe("SimpleDtoa / SimpleFtoa", () => {
  test.each([
    [1.5, "1.5"], [1e300, "1e+300"], [-1.5e-7, "-1.5e-07"], [1e-10, "1e-10"], [0.1, "0.1"],
    [123456789012345680000, "1.2345678901234568e+20"], [100, "100"], [-0, "-0"],
    [Infinity, "inf"], [-Infinity, "-inf"], [NaN, "nan"], [1 / 3, "0.33333333333333331"],
  ])("double %p -> %p", (v, text) => expect(simpleDtoa(v)).toBe(text));

  test.each([
    [1.1, "1.1"], [3.25, "3.25"], [0.1, "0.1"], [16777217, "16777216"], [3.4028234663852886e38, "3.40282347e+38"],
    [Infinity, "inf"], [NaN, "nan"],
  ])("float %p -> %p", (v, text) => expect(simpleFtoa(v)).toBe(text));

  test("formatG switches to exponent form like printf", () => {
    expect(formatG(0.0001, 15)).toBe("0.0001");
    expect(formatG(0.00001, 15)).toBe("1e-05");
    expect(formatG(1e15, 15)).toBe("1e+15");
    expect(formatG(1e14, 15)).toBe("100000000000000");
  });
});

describe("protocDefaultValue", () => {
  test("integers in decimal, whatever the literal", () => {
    expect(parseIntLiteral("0xDEADBEEF")).toBe(3735928559n);
    expect(parseIntLiteral("0777")).toBe(511n);
    expect(protocDefaultValue({ type: scalar("int32"), defaultText: "-0x10" })).toBe("-16");
    expect(protocDefaultValue({ type: scalar("uint64"), defaultText: "18446744073709551615" })).toBe("18446744073709551615");
  });

  test("floats through SimpleFtoa/SimpleDtoa, strings and bytes as given", () => {
    expect(protocDefaultValue({ type: scalar("double"), defaultText: "-inf" })).toBe("-inf");
    expect(protocDefaultValue({ type: scalar("float"), defaultText: "1.10" })).toBe("1.1");
    expect(protocDefaultValue({ type: scalar("double"), defaultText: "1E300" })).toBe("1e+300");
    expect(protocDefaultValue({ type: scalar("bool"), defaultText: "true" })).toBe("true");
    expect(protocDefaultValue({ type: scalar("bytes"), defaultText: "\\000ab" })).toBe("\\000ab");
    expect(protocDefaultValue({ type: scalar("string") })).toBeUndefined();
  });
});
