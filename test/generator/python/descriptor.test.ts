/**
 * FileDescriptorProto bytes for hand-built models, checked against what protoc 35 (grpcio-tools 1.85)
 * embeds in `_pb2.py` for the same `.proto` text (see fixtures.ts). The pytest
 * `test_descriptors.py` does the same for every schema under `schemas/` with the real parser.
 */
import { serializeFileDescriptor } from "../../../generator/emit/python/descriptor";
import { modelA, modelB, PROTOC_A, PROTOC_B } from "./fixtures";
import { message, method, modelOf, protoFile, service } from "./model-builder";

const hex = (b: Uint8Array): string => Buffer.from(b).toString("hex");

describe("serializeFileDescriptor", () => {
  test("proto3 file: proto3 optional, map entry, oneofs, reserved, enum value options, streaming", () => {
    expect(hex(serializeFileDescriptor(modelA(), "a.proto"))).toBe(PROTOC_A);
  });

  test("proto2 file: defaults, groups, extensions, ranges, custom and aggregate options, public import", () => {
    expect(hex(serializeFileDescriptor(modelB(), "b.proto"))).toBe(PROTOC_B);
  });

  test("descriptor-set form sets json_name on every field, map entries and extensions included", () => {
    const bytes = Buffer.from(serializeFileDescriptor(modelA(), "a.proto", { jsonNames: "all" }));
    // field `id`: name, number, label, type, json_name "id" (tag 0x52).
    expect(bytes.includes(Buffer.from("0a02696418012001280552026964", "hex"))).toBe(true);
    expect(bytes.includes(Buffer.from("52036b6579", "hex"))).toBe(true); // KidsEntry.key json_name "key"
  });
});

describe("protoc quirks", () => {
  test("an rpc with a body gets an empty options message, one without gets none", () => {
    const bare = message("p.M");
    const svc = service("p.S", [method("A", "p.M", "p.M"), method("B", "p.M", "p.M", { hasBody: true })]);
    const bytes = hex(serializeFileDescriptor(modelOf([protoFile("s.proto", { package: "p", messages: [bare], services: [svc] })]), "s.proto"));
    // method A: name, input, output; method B: the same plus `options {}` (tag 0x22, length 0).
    expect(bytes).toContain(Buffer.from("\n\x01A\x12\x04.p.M\x1a\x04.p.M").toString("hex"));
    expect(bytes).toContain(Buffer.from("\n\x01B\x12\x04.p.M\x1a\x04.p.M\x22\x00").toString("hex"));
  });

  test("a file without a package leaves package unset; proto2 leaves syntax unset", () => {
    const bytes = hex(serializeFileDescriptor(modelOf([protoFile("x.proto", { syntax: "proto2" })]), "x.proto"));
    expect(bytes).toBe(Buffer.from("\n\x07x.proto").toString("hex"));
  });
});
