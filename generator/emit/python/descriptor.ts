/**
 * Builds the `google.protobuf.FileDescriptorProto` of a `.proto` file from the IR, matching what protoc
 * produces for the same file (except `source_code_info`, which protozmq never emits). The Python
 * runtime builds message classes from these bytes, so any difference would be a different schema.
 *
 * `jsonNames` picks between protoc's two shapes: `--descriptor_set_out` writes `json_name` on every
 * field ("all"), while the copy embedded in `_pb2.py` keeps only explicit `[json_name = ...]` ("explicit").
 */
import type {
  Enum, Extension, Field, Message, Method, Model, Oneof, ProtoFile, ScalarType, Service,
} from "../../model/types";
import {
  FieldLabel, FieldType,
  type DescriptorProto, type EnumDescriptorProto, type FieldDescriptorProto, type FileDescriptorProto,
  type MethodDescriptorProto, type ServiceDescriptorProto,
} from "./descriptor-types";
import { encodeFile } from "./descriptor-encode";
import { encodeOptions } from "./options";
import { protocDefaultValue } from "./protoc-text";

export interface DescriptorOptions {
  readonly jsonNames: "all" | "explicit";
}

const SCALAR_TYPES: Readonly<Record<ScalarType, FieldType>> = {
  double: FieldType.DOUBLE, float: FieldType.FLOAT, int64: FieldType.INT64, uint64: FieldType.UINT64,
  int32: FieldType.INT32, fixed64: FieldType.FIXED64, fixed32: FieldType.FIXED32, bool: FieldType.BOOL,
  string: FieldType.STRING, bytes: FieldType.BYTES, uint32: FieldType.UINT32, sfixed32: FieldType.SFIXED32,
  sfixed64: FieldType.SFIXED64, sint32: FieldType.SINT32, sint64: FieldType.SINT64,
};

/** The scope a name is declared in: `pkg.Outer.Inner` -> `pkg.Outer`. */
function parentScope(fullName: string): string {
  const dot = fullName.lastIndexOf(".");
  return dot < 0 ? "" : fullName.slice(0, dot);
}

class Builder {
  constructor(private readonly model: Model, private readonly opts: DescriptorOptions) {}

  file(file: ProtoFile): FileDescriptorProto {
    const deps = file.imports.map((i) => i.name);
    const indexesOf = (kind: "public" | "weak"): number[] =>
      file.imports.flatMap((imp, i) => (imp.kind === kind ? [i] : []));
    const options = encodeOptions(this.model, "file", file.options, file.package);
    return {
      name: file.name,
      ...(file.package !== "" ? { package: file.package } : {}),
      dependency: deps,
      public_dependency: indexesOf("public"),
      weak_dependency: indexesOf("weak"),
      message_type: file.messages.map((m) => this.message(m)),
      enum_type: file.enums.map((e) => this.enum(e)),
      service: file.services.map((s) => this.service(s)),
      extension: file.extensions.map((x) => this.extension(x)),
      ...(options !== undefined ? { options } : {}),
      ...(file.syntax === "proto3" ? { syntax: "proto3" } : {}),
    };
  }

  message(m: Message): DescriptorProto {
    // Map entries are synthesized by protoc at the map field; keep any the parser already made.
    const nested: Message[] = [...m.messages];
    for (const f of m.fields) {
      if (f.map !== undefined && !nested.some((n) => n.name === f.map!.entryName)) {
        nested.push(this.syntheticMapEntry(m, f));
      }
    }
    const messageOptions = m.mapEntry && m.options["map_entry"] === undefined
      ? { ...m.options, map_entry: true } : m.options;
    const options = encodeOptions(this.model, "message", messageOptions, parentScope(m.fullName));
    return {
      name: m.name,
      field: m.fields.map((f) => this.field(f, m)),
      extension: m.extensions.map((x) => this.extension(x)),
      nested_type: declarationOrder(nested).map((n) => this.message(n)),
      enum_type: m.enums.map((e) => this.enum(e)),
      extension_range: m.extensionRanges.map((r) => ({ start: r.start, end: r.end + 1 })),
      oneof_decl: m.oneofs.map((o) => this.oneof(o, m)),
      ...(options !== undefined ? { options } : {}),
      reserved_range: m.reservedRanges.map((r) => ({ start: r.start, end: r.end + 1 })),
      reserved_name: [...m.reservedNames],
    };
  }

  /** The `XxxEntry` message protoc generates for `map<K, V> xxx`: key = 1, value = 2, map_entry = true. */
  private syntheticMapEntry(parent: Message, f: Field): Message {
    const map = f.map!;
    const base = { options: {}, comments: {}, pos: f.pos, deprecated: false, jstype: "normal", packed: false,
      explicitJsonName: false, cardinality: "optional", proto3Optional: false } as const;
    return {
      kind: "message", name: map.entryName, fullName: `${parent.fullName}.${map.entryName}`, file: parent.file,
      parent: parent.fullName, oneofs: [], messages: [], enums: [], extensions: [], mapEntry: true, group: false,
      reservedRanges: [], reservedNames: [], extensionRanges: [], deprecated: false, options: {},
      comments: {}, pos: f.pos,
      fields: [
        { ...base, name: "key", number: 1, jsonName: "key", type: { kind: "scalar", scalar: map.key } },
        { ...base, name: "value", number: 2, jsonName: "value", type: map.value },
      ],
    };
  }

  field(f: Field, owner: Message | undefined): FieldDescriptorProto {
    const label = f.cardinality === "required" ? FieldLabel.REQUIRED
      : f.cardinality === "repeated" || f.cardinality === "map" ? FieldLabel.REPEATED : FieldLabel.OPTIONAL;
    let type: FieldType;
    let typeName: string | undefined;
    if (f.map !== undefined) {
      type = FieldType.MESSAGE;
      typeName = `.${owner!.fullName}.${f.map.entryName}`;
    } else if (f.type.kind === "scalar") {
      type = SCALAR_TYPES[f.type.scalar];
    } else if (f.type.kind === "enum") {
      type = FieldType.ENUM;
      typeName = `.${f.type.typeName}`;
    } else {
      type = f.type.group ? FieldType.GROUP : FieldType.MESSAGE;
      typeName = `.${f.type.typeName}`;
    }
    const oneofIndex = owner === undefined ? -1 : owner.oneofs.findIndex((o) =>
      f.proto3Optional ? o.synthetic && o.fields.includes(f.name) : !o.synthetic && o.name === f.oneof);
    const defaultValue = protocDefaultValue(f);
    const scope = owner?.fullName ?? (f as Partial<Extension>).scope ?? "";
    const options = encodeOptions(this.model, "field", f.options, scope);
    const jsonName = this.opts.jsonNames === "all" || f.explicitJsonName ? f.jsonName : undefined;
    return {
      name: f.name,
      number: f.number,
      label,
      type,
      ...(typeName !== undefined ? { type_name: typeName } : {}),
      ...(defaultValue !== undefined ? { default_value: defaultValue } : {}),
      ...(options !== undefined ? { options } : {}),
      ...(oneofIndex >= 0 ? { oneof_index: oneofIndex } : {}),
      ...(jsonName !== undefined ? { json_name: jsonName } : {}),
      ...(f.proto3Optional ? { proto3_optional: true } : {}),
    };
  }

  extension(x: Extension): FieldDescriptorProto {
    // Field order in the encoding puts extendee right after name; the encoder handles placement.
    return { ...this.field(x, undefined), extendee: `.${x.extendee}` };
  }

  oneof(o: Oneof, owner: Message): DescriptorProto["oneof_decl"][number] {
    const options = encodeOptions(this.model, "oneof", o.options, owner.fullName);
    return { name: o.name, ...(options !== undefined ? { options } : {}) };
  }

  enum(e: Enum): EnumDescriptorProto {
    const scope = parentScope(e.fullName);
    const options = encodeOptions(this.model, "enum", e.options, scope);
    return {
      name: e.name,
      value: e.values.map((v) => {
        const vo = encodeOptions(this.model, "enumValue", v.options, scope);
        return { name: v.name, number: v.number, ...(vo !== undefined ? { options: vo } : {}) };
      }),
      ...(options !== undefined ? { options } : {}),
      reserved_range: e.reservedRanges.map((r) => ({ start: r.start, end: r.end })),
      reserved_name: [...e.reservedNames],
    };
  }

  service(s: Service): ServiceDescriptorProto {
    const options = encodeOptions(this.model, "service", s.options, parentScope(s.fullName));
    return {
      name: s.name,
      method: s.methods.map((m) => this.method(m, s)),
      ...(options !== undefined ? { options } : {}),
    };
  }

  method(m: Method, s: Service): MethodDescriptorProto {
    // `rpc X(A) returns (B) {}`: protoc records an (empty) options message for any body braces.
    const options = encodeOptions(this.model, "method", m.options, s.fullName) ?? (m.hasBody ? new Uint8Array() : undefined);
    return {
      name: m.name,
      input_type: `.${m.inputType}`,
      output_type: `.${m.outputType}`,
      ...(options !== undefined ? { options } : {}),
      ...(m.clientStreaming ? { client_streaming: true } : {}),
      ...(m.serverStreaming ? { server_streaming: true } : {}),
    };
  }
}

/**
 * protoc adds a map entry or group message to `nested_type` when it parses the field, so nested types
 * appear in source order. Sort by position (stable, so equal positions keep the model's order).
 */
function declarationOrder(messages: readonly Message[]): Message[] {
  return [...messages].sort((a, b) => a.pos.line - b.pos.line || a.pos.col - b.pos.col);
}

/** The FileDescriptorProto of `fileName` (an import name in the model). */
export function buildFileDescriptor(
  model: Model, fileName: string, opts: DescriptorOptions = { jsonNames: "explicit" },
): FileDescriptorProto {
  return new Builder(model, opts).file(model.file(fileName));
}

/** Serialized FileDescriptorProto of `fileName`, as embedded in `_pb2.py` by default. */
export function serializeFileDescriptor(
  model: Model, fileName: string, opts: DescriptorOptions = { jsonNames: "explicit" },
): Uint8Array {
  return encodeFile(buildFileDescriptor(model, fileName, opts));
}
