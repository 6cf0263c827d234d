/**
 * The protozmq intermediate representation: a typed, read-only description of a set of `.proto` files.
 *
 * `parse/` builds it (and is the only stage that knows protobufjs); `emit/ts` and `emit/python` read it.
 * Everything here is plain data, so emitters can be unit-tested on hand-built models and the IR can be
 * dumped as JSON for debugging. References between elements are fully qualified names *without* a leading
 * dot (`pkg.Outer.Inner`); resolve them through {@link Model.message} / {@link Model.enum}.
 */

/** A position in a source file. `line` and `col` are 1-based, like compiler diagnostics. */
export interface SourcePos {
  /** The file's import name, relative to its include directory (`scalars/scalars.proto`). */
  readonly file: string;
  readonly line: number;
  readonly col: number;
}

/** The 15 protobuf scalar types. */
export type ScalarType =
  | "double" | "float"
  | "int32" | "int64" | "uint32" | "uint64" | "sint32" | "sint64"
  | "fixed32" | "fixed64" | "sfixed32" | "sfixed64"
  | "bool" | "string" | "bytes";

/** Option values as written in the schema (aggregate options become nested objects). */
export type OptionValue = string | number | boolean | { readonly [key: string]: OptionValue } | readonly OptionValue[];
export type Options = { readonly [name: string]: OptionValue };

/** What a field (or a map value) holds. */
export type ValueType =
  | { readonly kind: "scalar"; readonly scalar: ScalarType }
  | { readonly kind: "enum"; readonly typeName: string }
  /** `group` is true for proto2 groups, which use the start/end-group wire encoding. */
  | { readonly kind: "message"; readonly typeName: string; readonly group: boolean };

/**
 * How many values a field holds and how presence works.
 * - `singular`: proto3 implicit presence (scalars/enums: default not encoded).
 * - `optional`: explicit presence: proto2 optional, proto3 `optional`, singular message fields and oneof members.
 * - `required`: proto2 required.
 * - `repeated` / `map`.
 */
export type Cardinality = "singular" | "optional" | "required" | "repeated" | "map";

export interface Comments {
  /** The comment right before the element (`//` or `/* *\/`), without comment markers. */
  readonly leading?: string;
  /** The comment on the same line after the element. */
  readonly trailing?: string;
}

export interface Field {
  /** Name as written in the .proto file (snake_case usually). */
  readonly name: string;
  readonly number: number;
  /** The proto3 JSON name: the `json_name` option or lowerCamelCase of `name` (protoc's rule). */
  readonly jsonName: string;
  /** True when `json_name` was written explicitly. */
  readonly explicitJsonName: boolean;
  readonly cardinality: Cardinality;
  /** The element type; for maps, the value type. */
  readonly type: ValueType;
  /** Present only for maps. */
  readonly map?: { readonly key: ScalarType; readonly value: ValueType; readonly entryName: string };
  /** Name of the containing *real* oneof (never the synthetic oneof of a proto3 `optional`). */
  readonly oneof?: string;
  /** A proto3 `optional` field (it gets a synthetic oneof `_name` in descriptors). */
  readonly proto3Optional: boolean;
  /** True when repeated values of this field are written packed. */
  readonly packed: boolean;
  /** proto2 `[default = ...]` text exactly as protoc stores it in `default_value`. */
  readonly defaultText?: string;
  readonly deprecated: boolean;
  /** `[jstype = JS_STRING]` etc. Only meaningful for 64-bit integer fields. */
  readonly jstype: "normal" | "string" | "number";
  /** Options exactly as written (including `packed`, `deprecated`, `json_name` is *not* repeated here). */
  readonly options: Options;
  readonly comments: Comments;
  readonly pos: SourcePos;
}

export interface Oneof {
  readonly name: string;
  /** Field names, in declaration order. */
  readonly fields: readonly string[];
  /** True for the synthetic oneof of a proto3 `optional` field. */
  readonly synthetic: boolean;
  readonly options: Options;
  readonly comments: Comments;
  readonly pos: SourcePos;
}

export interface ReservedRange {
  readonly start: number;
  /** Inclusive, as written in the .proto file (`max` is 536870911 for messages, 2147483647 for enums). */
  readonly end: number;
}

export interface Message {
  readonly kind: "message";
  readonly name: string;
  /** Fully qualified name without a leading dot: `pkg.Outer.Inner`. */
  readonly fullName: string;
  /** Import name of the file that declares it. */
  readonly file: string;
  /** Full name of the enclosing message, if nested. */
  readonly parent?: string;
  readonly fields: readonly Field[];
  /** All oneofs in declaration order (real ones first as protoc orders them, synthetic after). */
  readonly oneofs: readonly Oneof[];
  readonly messages: readonly Message[];
  readonly enums: readonly Enum[];
  /** Extensions declared inside this message (`extend` blocks nested in it). */
  readonly extensions: readonly Extension[];
  /** True for the synthesized `XxxEntry` message of a map field. */
  readonly mapEntry: boolean;
  /** True for a proto2 group's message type. */
  readonly group: boolean;
  readonly reservedRanges: readonly ReservedRange[];
  readonly reservedNames: readonly string[];
  readonly extensionRanges: readonly ReservedRange[];
  readonly deprecated: boolean;
  readonly options: Options;
  readonly comments: Comments;
  readonly pos: SourcePos;
}

export interface EnumValue {
  readonly name: string;
  readonly number: number;
  readonly deprecated: boolean;
  readonly options: Options;
  readonly comments: Comments;
  readonly pos: SourcePos;
}

export interface Enum {
  readonly kind: "enum";
  readonly name: string;
  readonly fullName: string;
  readonly file: string;
  readonly parent?: string;
  readonly values: readonly EnumValue[];
  /** Closed (proto2) enums drop unknown values into unknown fields; open (proto3) enums keep them. */
  readonly closed: boolean;
  readonly allowAlias: boolean;
  readonly reservedRanges: readonly ReservedRange[];
  readonly reservedNames: readonly string[];
  readonly deprecated: boolean;
  readonly options: Options;
  readonly comments: Comments;
  readonly pos: SourcePos;
}

export interface Method {
  readonly name: string;
  /** Full names of the request and response messages. */
  readonly inputType: string;
  readonly outputType: string;
  readonly clientStreaming: boolean;
  readonly serverStreaming: boolean;
  readonly deprecated: boolean;
  readonly options: Options;
  /**
   * Written with a `{ ... }` body instead of `;`. protoc then records an options message even when the
   * body is empty, so descriptors must too.
   */
  readonly hasBody: boolean;
  readonly comments: Comments;
  readonly pos: SourcePos;
}

export interface Service {
  readonly kind: "service";
  readonly name: string;
  readonly fullName: string;
  readonly file: string;
  readonly methods: readonly Method[];
  readonly deprecated: boolean;
  readonly options: Options;
  readonly comments: Comments;
  readonly pos: SourcePos;
}

/** An `extend` field. Protozmq uses extensions only for custom options; they are described, not generated. */
export interface Extension extends Field {
  /** Full name of the extended message, e.g. `google.protobuf.ServiceOptions`. */
  readonly extendee: string;
  /** Full name of the scope the `extend` block sits in (the package, or a message). */
  readonly scope: string;
}

export interface Import {
  /** The import name as written: `google/protobuf/timestamp.proto`. */
  readonly name: string;
  readonly kind: "normal" | "public" | "weak";
  readonly pos: SourcePos;
}

export interface ProtoFile {
  /** Import name relative to its include directory, with `/` separators: `imports/a.proto`. */
  readonly name: string;
  /** Absolute path on disk; for bundled well-known types, the path inside the protobufjs package. */
  readonly path: string;
  readonly syntax: "proto2" | "proto3";
  /** Package, possibly empty. */
  readonly package: string;
  readonly imports: readonly Import[];
  readonly messages: readonly Message[];
  readonly enums: readonly Enum[];
  readonly services: readonly Service[];
  readonly extensions: readonly Extension[];
  readonly options: Options;
  /**
   * True for files bundled with the compiler: the google/protobuf well-known types and
   * protozmq/options.proto. Python imports these from installed packages (`google.protobuf`,
   * `protozmq`), never from generated output.
   */
  readonly wellKnown: boolean;
  /** The comment before the `syntax` statement (licence headers, file docs). */
  readonly comments: Comments;
}

/** A resolved set of files: the files asked for plus everything they import, transitively. */
export interface Model {
  /** Every file, dependencies before dependents. */
  readonly files: readonly ProtoFile[];
  /** Import names of the files the user asked to generate (a subset of `files`). */
  readonly targets: readonly string[];
  file(name: string): ProtoFile;
  /** Look up a message by full name (no leading dot); throws if missing (the parser has resolved all references). */
  message(fullName: string): Message;
  enum(fullName: string): Enum;
  /** The message or enum with that full name, if any. */
  lookup(fullName: string): Message | Enum | undefined;
}

/** One output file of an emitter: a path relative to the output directory and its full text. */
export interface GeneratedFile {
  /** `/`-separated path relative to the emitter's output directory, e.g. `scalars/scalars.ts`. */
  readonly path: string;
  readonly content: string;
}

/** The first lines of every generated file; no version, so committed output stays stable across releases. */
export const BANNER_TEXT = "Code generated by protozmq. DO NOT EDIT.";
