/**
 * Typed mirror of the parts of `google/protobuf/descriptor.proto` that protozmq produces. Field names
 * follow the proto (snake_case) so a reader can line them up with protoc's text output. Options are
 * kept as already-serialized bytes: protoc keeps custom options as unknown fields, so their bytes are
 * what matters, and the `_pb2.py` options block needs exactly those bytes.
 */

/** `FieldDescriptorProto.Type`. */
export enum FieldType {
  DOUBLE = 1, FLOAT = 2, INT64 = 3, UINT64 = 4, INT32 = 5, FIXED64 = 6, FIXED32 = 7, BOOL = 8,
  STRING = 9, GROUP = 10, MESSAGE = 11, BYTES = 12, UINT32 = 13, ENUM = 14, SFIXED32 = 15,
  SFIXED64 = 16, SINT32 = 17, SINT64 = 18,
}

/** `FieldDescriptorProto.Label`. proto3 singular fields are LABEL_OPTIONAL too. */
export enum FieldLabel {
  OPTIONAL = 1, REQUIRED = 2, REPEATED = 3,
}

export interface FieldDescriptorProto {
  readonly name: string;
  readonly number: number;
  readonly label: FieldLabel;
  readonly type: FieldType;
  /** Fully qualified with a leading dot: `.pkg.Msg`. */
  readonly type_name?: string;
  readonly extendee?: string;
  readonly default_value?: string;
  readonly oneof_index?: number;
  readonly json_name?: string;
  readonly options?: Uint8Array;
  readonly proto3_optional?: boolean;
}

export interface OneofDescriptorProto {
  readonly name: string;
  readonly options?: Uint8Array;
}

/** Message reserved and extension ranges: `end` is exclusive here (unlike the .proto text). */
export interface Range {
  readonly start: number;
  readonly end: number;
}

export interface DescriptorProto {
  readonly name: string;
  readonly field: readonly FieldDescriptorProto[];
  readonly extension: readonly FieldDescriptorProto[];
  readonly nested_type: readonly DescriptorProto[];
  readonly enum_type: readonly EnumDescriptorProto[];
  readonly extension_range: readonly Range[];
  readonly oneof_decl: readonly OneofDescriptorProto[];
  readonly options?: Uint8Array;
  readonly reserved_range: readonly Range[];
  readonly reserved_name: readonly string[];
}

export interface EnumValueDescriptorProto {
  readonly name: string;
  readonly number: number;
  readonly options?: Uint8Array;
}

export interface EnumDescriptorProto {
  readonly name: string;
  readonly value: readonly EnumValueDescriptorProto[];
  readonly options?: Uint8Array;
  /** `EnumReservedRange`: `end` is *inclusive*, as in the .proto text. */
  readonly reserved_range: readonly Range[];
  readonly reserved_name: readonly string[];
}

export interface MethodDescriptorProto {
  readonly name: string;
  readonly input_type: string;
  readonly output_type: string;
  readonly options?: Uint8Array;
  /** protoc writes these only when true. */
  readonly client_streaming?: boolean;
  readonly server_streaming?: boolean;
}

export interface ServiceDescriptorProto {
  readonly name: string;
  readonly method: readonly MethodDescriptorProto[];
  readonly options?: Uint8Array;
}

export interface FileDescriptorProto {
  readonly name: string;
  /** Absent (not empty) for files without a package. */
  readonly package?: string;
  readonly dependency: readonly string[];
  readonly public_dependency: readonly number[];
  readonly weak_dependency: readonly number[];
  readonly message_type: readonly DescriptorProto[];
  readonly enum_type: readonly EnumDescriptorProto[];
  readonly service: readonly ServiceDescriptorProto[];
  readonly extension: readonly FieldDescriptorProto[];
  readonly options?: Uint8Array;
  /** "proto3" for proto3 files; protoc leaves it unset for proto2. */
  readonly syntax?: string;
}
