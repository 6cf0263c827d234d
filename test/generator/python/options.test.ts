/** Options as protoc serializes them: standard fields by number, then custom options as written. */
import { encodeOptions, OptionEncodingError, resolveScoped } from "../../../generator/emit/python/options";
import { extension, field, message, modelOf, msgType, protoFile, scalar } from "./model-builder";

const hex = (b: Uint8Array | undefined): string => Buffer.from(b ?? []).toString("hex");

function model() {
  const opt = { cardinality: "optional" } as const;
  const limits = message("acme.Limits", { fields: [field("max", 1, scalar("sint32"), opt), field("tags", 2, scalar("string"), { cardinality: "repeated" })] });
  return modelOf([protoFile("o.proto", {
    package: "acme",
    messages: [limits],
    extensions: [
      extension(field("limits", 50100, msgType("acme.Limits"), opt), "google.protobuf.MessageOptions", "acme"),
      extension(field("weight", 50101, scalar("float"), opt), "google.protobuf.FieldOptions", "acme"),
    ],
  })]);
}

describe("encodeOptions", () => {
  test("nothing written means no options message", () => {
    expect(encodeOptions(model(), "message", {}, "acme")).toBeUndefined();
  });

  test("standard options are sorted by field number before custom ones", () => {
    // deprecated (3) then map_entry (7) although written the other way round.
    expect(hex(encodeOptions(model(), "message", { map_entry: true, deprecated: true }, "acme"))).toBe("18013801");
  });

  test("an aggregate custom option, resolved from an inner scope, fields in number order", () => {
    const bytes = encodeOptions(model(), "message", { "(limits)": { tags: ["a", "b"], max: -1 } }, "acme.Thing");
    // tag 50100/LEN, length 8: max (sint32 zigzag 1), tags "a", tags "b".
    expect(hex(bytes)).toBe("a2bb1808" + "0801" + "120161" + "120162");
  });

  test("sub-field syntax (limits).max = 3 is the aggregate { max: 3 }", () => {
    expect(hex(encodeOptions(model(), "message", { "(limits).max": 3 }, "acme"))).toBe("a2bb18020806");
  });

  test("float custom option on a field", () => {
    expect(hex(encodeOptions(model(), "field", { "(acme.weight)": 1, json_name: "ignored" }, "acme.M"))).toBe("adbb18" + "0000803f");
  });

  test("unknown options are errors, not silently dropped", () => {
    expect(() => encodeOptions(model(), "message", { "(nope)": 1 }, "acme")).toThrow(OptionEncodingError);
    expect(() => encodeOptions(model(), "message", { no_such_option: true }, "acme")).toThrow(OptionEncodingError);
    // An extension of another options message does not apply.
    expect(() => encodeOptions(model(), "message", { "(weight)": 1 }, "acme")).toThrow(OptionEncodingError);
  });

  test("scoped lookup tries the innermost scope first, a leading dot is absolute", () => {
    const names = new Set(["a.b.x", "a.x", "x"]);
    const find = (n: string) => (names.has(n) ? n : undefined);
    expect(resolveScoped("x", "a.b", find)).toBe("a.b.x");
    expect(resolveScoped("x", "a.c", find)).toBe("a.x");
    expect(resolveScoped(".x", "a.b", find)).toBe("x");
  });
});
