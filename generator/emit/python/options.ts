/**
 * Serializes the options written in a schema (`Options` in the IR) into the bytes of the matching
 * `google.protobuf.*Options` message, the way protoc stores them:
 * - standard options are real fields of the options message, so they come first, in field-number order;
 * - custom options (`(my.opt) = ...`) are unknown fields to protoc's own descriptor classes, so they
 *   follow, in the order they were written; repeated ones are never packed.
 * Custom options are resolved against the model's `extend` fields, scope by scope like protoc.
 */
import type { Extension, Model, OptionValue, Options, ScalarType, ValueType } from "../../model/types";
import { ProtoWriter, WireType } from "./wire";

/** Which options message an element's options belong to. */
export type OptionsKind = "file" | "message" | "field" | "oneof" | "enum" | "enumValue" | "service" | "method";

const OPTIONS_MESSAGE: Record<OptionsKind, string> = {
  file: "google.protobuf.FileOptions",
  message: "google.protobuf.MessageOptions",
  field: "google.protobuf.FieldOptions",
  oneof: "google.protobuf.OneofOptions",
  enum: "google.protobuf.EnumOptions",
  enumValue: "google.protobuf.EnumValueOptions",
  service: "google.protobuf.ServiceOptions",
  method: "google.protobuf.MethodOptions",
};

interface KnownOption {
  readonly number: number;
  readonly type: "bool" | "string" | "enum";
  /** Enum value numbers by name, for enum-typed options. */
  readonly values?: Readonly<Record<string, number>>;
}

const b = (number: number): KnownOption => ({ number, type: "bool" });
const s = (number: number): KnownOption => ({ number, type: "string" });
const e = (number: number, values: Record<string, number>): KnownOption => ({ number, type: "enum", values });

/** The standard options of descriptor.proto (editions `features` are not supported). */
const KNOWN: Record<OptionsKind, Readonly<Record<string, KnownOption>>> = {
  file: {
    java_package: s(1), java_outer_classname: s(8), java_multiple_files: b(10),
    java_generate_equals_and_hash: b(20), java_string_check_utf8: b(27),
    optimize_for: e(9, { SPEED: 1, CODE_SIZE: 2, LITE_RUNTIME: 3 }), go_package: s(11),
    cc_generic_services: b(16), java_generic_services: b(17), py_generic_services: b(18), deprecated: b(23),
    cc_enable_arenas: b(31), objc_class_prefix: s(36), csharp_namespace: s(37), swift_prefix: s(39),
    php_class_prefix: s(40), php_namespace: s(41), php_metadata_namespace: s(44), ruby_package: s(45),
  },
  message: {
    message_set_wire_format: b(1), no_standard_descriptor_accessor: b(2), deprecated: b(3), map_entry: b(7),
    deprecated_legacy_json_field_conflicts: b(11),
  },
  field: {
    ctype: e(1, { STRING: 0, CORD: 1, STRING_PIECE: 2 }), packed: b(2), deprecated: b(3), lazy: b(5),
    jstype: e(6, { JS_NORMAL: 0, JS_STRING: 1, JS_NUMBER: 2 }), weak: b(10), unverified_lazy: b(15),
    debug_redact: b(16), retention: e(17, { RETENTION_UNKNOWN: 0, RETENTION_RUNTIME: 1, RETENTION_SOURCE: 2 }),
  },
  oneof: {},
  enum: { allow_alias: b(2), deprecated: b(3), deprecated_legacy_json_field_conflicts: b(6) },
  enumValue: { deprecated: b(1), debug_redact: b(3) },
  service: { deprecated: b(33) },
  method: {
    deprecated: b(33),
    idempotency_level: e(34, { IDEMPOTENCY_UNKNOWN: 0, NO_SIDE_EFFECTS: 1, IDEMPOTENT: 2 }),
  },
};

/** Names in a field's IR options that are descriptor fields, not `FieldOptions`. */
const NOT_OPTIONS: ReadonlySet<string> = new Set(["default", "json_name", "proto3_optional"]);

/** Thrown for an option protozmq cannot encode; the message names the option and the element. */
export class OptionEncodingError extends Error {}

/**
 * Serialize `options` as `kind` options. `scope` is the full name options are resolved from (the
 * element's own full name, as protoc does). Returns undefined when nothing was written, so the
 * descriptor leaves its `options` field unset.
 */
export function encodeOptions(
  model: Model, kind: OptionsKind, options: Options, scope: string,
): Uint8Array | undefined {
  const known: Array<[KnownOption, OptionValue, string]> = [];
  const custom: Array<[string, OptionValue]> = [];
  for (const [name, value] of Object.entries(options)) {
    if (kind === "field" && NOT_OPTIONS.has(name)) continue;
    if (name.startsWith("(")) {
      custom.push([name, value]);
      continue;
    }
    const opt = KNOWN[kind][name];
    if (opt === undefined) throw new OptionEncodingError(`unsupported ${kind} option "${name}" (in ${scope})`);
    known.push([opt, value, name]);
  }
  if (known.length === 0 && custom.length === 0) return undefined;
  const w = new ProtoWriter();
  known.sort((x, y) => x[0].number - y[0].number);
  for (const [opt, value, name] of known) writeKnown(w, opt, value, name);
  for (const [name, value] of custom) writeCustom(model, w, kind, name, value, scope);
  return w.finish();
}

function writeKnown(w: ProtoWriter, opt: KnownOption, value: OptionValue, name: string): void {
  if (opt.type === "string") {
    w.str(opt.number, String(value));
  } else if (opt.type === "bool") {
    w.bool(opt.number, value === true || value === "true");
  } else {
    const n = typeof value === "number" ? value : opt.values?.[String(value)];
    if (n === undefined) throw new OptionEncodingError(`option ${name}: unknown value ${String(value)}`);
    w.uint(opt.number, n);
  }
}

/** `(foo.bar).baz.qux` -> extension name `foo.bar` and the sub-field path `[baz, qux]`. */
function splitCustomName(name: string): { ext: string; path: string[] } {
  const close = name.indexOf(")");
  const ext = name.slice(1, close);
  const rest = name.slice(close + 1);
  return { ext, path: rest === "" ? [] : rest.replace(/^\./, "").split(".") };
}

const extensionCache = new WeakMap<Model, Map<string, Extension>>();

/** Every extension in the model, by full name (computed once per model). */
function extensionsByName(model: Model): Map<string, Extension> {
  const cached = extensionCache.get(model);
  if (cached !== undefined) return cached;
  const byName = new Map<string, Extension>();
  extensionCache.set(model, byName);
  const visit = (exts: readonly Extension[]): void => {
    for (const x of exts) byName.set(x.scope === "" ? x.name : `${x.scope}.${x.name}`, x);
  };
  const visitMessages = (msgs: Model["files"][number]["messages"]): void => {
    for (const m of msgs) {
      visit(m.extensions);
      visitMessages(m.messages);
    }
  };
  for (const f of model.files) {
    visit(f.extensions);
    visitMessages(f.messages);
  }
  return byName;
}

/** protoc's scoped lookup: `.a.b` is absolute; `a.b` is tried in `scope`, then each enclosing scope. */
export function resolveScoped<T>(name: string, scope: string, lookup: (fullName: string) => T | undefined): T | undefined {
  if (name.startsWith(".")) return lookup(name.slice(1));
  const parts = scope === "" ? [] : scope.split(".");
  for (let i = parts.length; i >= 0; i--) {
    const prefix = parts.slice(0, i).join(".");
    const found = lookup(prefix === "" ? name : `${prefix}.${name}`);
    if (found !== undefined) return found;
  }
  return undefined;
}

function writeCustom(model: Model, w: ProtoWriter, kind: OptionsKind, name: string, value: OptionValue, scope: string): void {
  const { ext, path } = splitCustomName(name);
  const exts = extensionsByName(model);
  const x = resolveScoped(ext, scope, (n) => exts.get(n));
  if (x === undefined || x.extendee !== OPTIONS_MESSAGE[kind]) {
    throw new OptionEncodingError(`custom option (${ext}) on ${scope}: no extension of ${OPTIONS_MESSAGE[kind]} found`);
  }
  // `(ext).a.b = v` is the aggregate `{ a: { b: v } }`.
  let v: OptionValue = value;
  for (const key of [...path].reverse()) v = { [key]: v };
  const values = x.cardinality === "repeated" && Array.isArray(v) ? v : [v];
  for (const one of values) writeValue(model, w, x.number, x.type, one, `(${ext})`);
}

const VARINT_TYPES: ReadonlySet<ScalarType> = new Set(["int32", "int64", "uint32", "uint64", "bool"]);

/** Write one field (tag + value) of type `type`; aggregates recurse through the message's fields. */
export function writeValue(model: Model, w: ProtoWriter, number: number, type: ValueType, value: OptionValue, what: string): void {
  if (type.kind === "enum") {
    const n = typeof value === "number" ? value : model.enum(type.typeName).values.find((ev) => ev.name === value)?.number;
    if (n === undefined) throw new OptionEncodingError(`${what}: ${String(value)} is not a value of ${type.typeName}`);
    w.uint(number, n);
    return;
  }
  if (type.kind === "message") {
    if (typeof value !== "object" || Array.isArray(value) || type.group) {
      throw new OptionEncodingError(`${what}: expected an aggregate value for ${type.typeName}`);
    }
    w.message(number, encodeAggregate(model, type.typeName, value as { readonly [k: string]: OptionValue }, what));
    return;
  }
  const t = type.scalar;
  if (VARINT_TYPES.has(t)) {
    w.uint(number, t === "bool" ? (value === true || value === "true" ? 1 : 0) : toBigInt(value, what));
  } else if (t === "sint32" || t === "sint64") {
    w.tag(number, WireType.Varint).zigzag(toBigInt(value, what));
  } else if (t === "fixed32" || t === "sfixed32") {
    w.tag(number, WireType.Fixed32).fixed32(toBigInt(value, what));
  } else if (t === "fixed64" || t === "sfixed64") {
    w.tag(number, WireType.Fixed64).fixed64(toBigInt(value, what));
  } else if (t === "float") {
    w.tag(number, WireType.Fixed32).float(toNumber(value));
  } else if (t === "double") {
    w.tag(number, WireType.Fixed64).double(toNumber(value));
  } else {
    w.str(number, String(value));
  }
}

/** Fields of an aggregate option value, serialized in field-number order as protoc's TextFormat parse does. */
function encodeAggregate(model: Model, typeName: string, value: { readonly [k: string]: OptionValue }, what: string): Uint8Array {
  const msg = model.message(typeName);
  const w = new ProtoWriter();
  const fields = [...msg.fields].sort((x, y) => x.number - y.number);
  for (const key of Object.keys(value)) {
    if (!fields.some((f) => f.name === key)) throw new OptionEncodingError(`${what}: ${typeName} has no field ${key}`);
  }
  for (const f of fields) {
    const v = value[f.name];
    if (v === undefined) continue;
    for (const one of Array.isArray(v) ? v : [v]) writeValue(model, w, f.number, f.type, one, `${what}.${f.name}`);
  }
  return w.finish();
}

function toBigInt(value: OptionValue, what: string): bigint {
  if (typeof value === "number" && Number.isInteger(value)) return BigInt(value);
  if (typeof value === "string" && /^-?(0x[0-9a-f]+|\d+)$/i.test(value)) {
    return value.startsWith("-") ? -BigInt(value.slice(1)) : BigInt(value);
  }
  throw new OptionEncodingError(`${what}: ${String(value)} is not an integer`);
}

function toNumber(value: OptionValue): number {
  if (typeof value === "number") return value;
  const t = String(value).toLowerCase();
  if (t === "inf" || t === "infinity") return Infinity;
  if (t === "-inf" || t === "-infinity") return -Infinity;
  if (t === "nan") return NaN;
  return Number(value);
}
