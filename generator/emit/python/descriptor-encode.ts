/**
 * Serializes descriptor messages exactly as protoc's C++ runtime does: known fields in field-number
 * order (not declaration order), proto2 repeated scalars unpacked, optional fields only when set.
 * Byte equality matters because the bytes are embedded in `_pb2.py` and protoc's generated modules
 * locate each message's bytes by search (`_serialized_start`).
 */
import type {
  DescriptorProto, EnumDescriptorProto, EnumValueDescriptorProto, FieldDescriptorProto, FileDescriptorProto,
  MethodDescriptorProto, OneofDescriptorProto, Range, ServiceDescriptorProto,
} from "./descriptor-types";
import { ProtoWriter } from "./wire";

export function encodeField(f: FieldDescriptorProto): Uint8Array {
  const w = new ProtoWriter().str(1, f.name);
  if (f.extendee !== undefined) w.str(2, f.extendee);
  w.uint(3, f.number).uint(4, f.label).uint(5, f.type);
  if (f.type_name !== undefined) w.str(6, f.type_name);
  if (f.default_value !== undefined) w.str(7, f.default_value);
  if (f.options !== undefined) w.message(8, f.options);
  if (f.oneof_index !== undefined) w.uint(9, f.oneof_index);
  if (f.json_name !== undefined) w.str(10, f.json_name);
  if (f.proto3_optional !== undefined) w.bool(17, f.proto3_optional);
  return w.finish();
}

export function encodeOneof(o: OneofDescriptorProto): Uint8Array {
  const w = new ProtoWriter().str(1, o.name);
  if (o.options !== undefined) w.message(2, o.options);
  return w.finish();
}

/** `DescriptorProto.ReservedRange`, `ExtensionRange` and `EnumReservedRange` share this layout. */
export function encodeRange(r: Range): Uint8Array {
  return new ProtoWriter().uint(1, r.start).uint(2, r.end).finish();
}

export function encodeMessage(m: DescriptorProto): Uint8Array {
  const w = new ProtoWriter().str(1, m.name);
  for (const f of m.field) w.message(2, encodeField(f));
  for (const n of m.nested_type) w.message(3, encodeMessage(n));
  for (const e of m.enum_type) w.message(4, encodeEnum(e));
  for (const r of m.extension_range) w.message(5, encodeRange(r));
  for (const x of m.extension) w.message(6, encodeField(x));
  if (m.options !== undefined) w.message(7, m.options);
  for (const o of m.oneof_decl) w.message(8, encodeOneof(o));
  for (const r of m.reserved_range) w.message(9, encodeRange(r));
  for (const n of m.reserved_name) w.str(10, n);
  return w.finish();
}

export function encodeEnumValue(v: EnumValueDescriptorProto): Uint8Array {
  const w = new ProtoWriter().str(1, v.name).uint(2, v.number);
  if (v.options !== undefined) w.message(3, v.options);
  return w.finish();
}

export function encodeEnum(e: EnumDescriptorProto): Uint8Array {
  const w = new ProtoWriter().str(1, e.name);
  for (const v of e.value) w.message(2, encodeEnumValue(v));
  if (e.options !== undefined) w.message(3, e.options);
  for (const r of e.reserved_range) w.message(4, encodeRange(r));
  for (const n of e.reserved_name) w.str(5, n);
  return w.finish();
}

export function encodeMethod(m: MethodDescriptorProto): Uint8Array {
  const w = new ProtoWriter().str(1, m.name).str(2, m.input_type).str(3, m.output_type);
  if (m.options !== undefined) w.message(4, m.options);
  if (m.client_streaming !== undefined) w.bool(5, m.client_streaming);
  if (m.server_streaming !== undefined) w.bool(6, m.server_streaming);
  return w.finish();
}

export function encodeService(s: ServiceDescriptorProto): Uint8Array {
  const w = new ProtoWriter().str(1, s.name);
  for (const m of s.method) w.message(2, encodeMethod(m));
  if (s.options !== undefined) w.message(3, s.options);
  return w.finish();
}

export function encodeFile(f: FileDescriptorProto): Uint8Array {
  const w = new ProtoWriter().str(1, f.name);
  if (f.package !== undefined) w.str(2, f.package);
  for (const d of f.dependency) w.str(3, d);
  for (const m of f.message_type) w.message(4, encodeMessage(m));
  for (const e of f.enum_type) w.message(5, encodeEnum(e));
  for (const s of f.service) w.message(6, encodeService(s));
  for (const x of f.extension) w.message(7, encodeField(x));
  if (f.options !== undefined) w.message(8, f.options);
  // public_dependency / weak_dependency are proto2 `repeated int32`: unpacked, one tag per index.
  for (const i of f.public_dependency) w.uint(10, i);
  for (const i of f.weak_dependency) w.uint(11, i);
  if (f.syntax !== undefined) w.str(12, f.syntax);
  return w.finish();
}
