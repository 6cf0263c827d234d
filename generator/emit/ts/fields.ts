/**
 * Facts about fields that every codec emitter needs: TS types, default values, wire types, which
 * reader/writer method handles a scalar, and the `.proto` declaration text used in comments.
 */
import { tsEnumMemberName } from "../../model/names";
import type { Field, Message, Model, ProtoFile, ScalarType, ValueType } from "../../model/types";
import type { FileContext } from "./context";

export type JsType = Field["jstype"];

/** Wire type numbers (the runtime's `WireType`), inlined as literals in generated tags. */
export const WT = { varint: 0, bit64: 1, len: 2, startGroup: 3, endGroup: 4, bit32: 5 } as const;

const INT64: ReadonlySet<ScalarType> = new Set(["int64", "uint64", "sint64", "fixed64", "sfixed64"]);

export function isInt64(s: ScalarType): boolean {
  return INT64.has(s);
}

export function isFloat(s: ScalarType): boolean {
  return s === "float" || s === "double";
}

export function scalarWireType(s: ScalarType): number {
  switch (s) {
    case "double": case "fixed64": case "sfixed64": return WT.bit64;
    case "float": case "fixed32": case "sfixed32": return WT.bit32;
    case "string": case "bytes": return WT.len;
    default: return WT.varint;
  }
}

/** The wire type of one value of this type (groups: start-group). */
export function valueWireType(v: ValueType): number {
  if (v.kind === "scalar") return scalarWireType(v.scalar);
  if (v.kind === "enum") return WT.varint;
  return v.group ? WT.startGroup : WT.len;
}

/** Scalars that may be packed (all but string and bytes) and enums. */
export function isPackable(v: ValueType): boolean {
  return v.kind === "enum" || (v.kind === "scalar" && v.scalar !== "string" && v.scalar !== "bytes");
}

/** Fixed byte size of a packable scalar, or 0 for varints. */
export function fixedSize(v: ValueType): number {
  if (v.kind !== "scalar") return 0;
  const wt = scalarWireType(v.scalar);
  return wt === WT.bit32 ? 4 : wt === WT.bit64 ? 8 : 0;
}

export function tag(no: number, wt: number): number {
  return ((no << 3) | wt) >>> 0;
}

/** The TS type of a scalar value. */
export function scalarTsType(s: ScalarType, jstype: JsType): string {
  if (isInt64(s)) return jstype === "string" ? "string" : jstype === "number" ? "number" : "bigint";
  switch (s) {
    case "bool": return "boolean";
    case "string": return "string";
    case "bytes": return "Uint8Array";
    default: return "number";
  }
}

/** The TS type of one value (an element for repeated fields, the value for maps). */
export function valueTsType(ctx: FileContext, v: ValueType, jstype: JsType): string {
  if (v.kind === "scalar") return scalarTsType(v.scalar, jstype);
  return ctx.typeRef(v.typeName, "type");
}

/** The zero value of a scalar as a TS expression (bytes: the runtime's shared empty array). */
export function scalarZero(ctx: FileContext, s: ScalarType, jstype: JsType): string {
  if (isInt64(s)) return jstype === "string" ? `"0"` : jstype === "number" ? "0" : "0n";
  switch (s) {
    case "bool": return "false";
    case "string": return `""`;
    case "bytes": return ctx.rt("EMPTY_BYTES");
    default: return "0";
  }
}

/**
 * The default of a value without presence: zero for scalars, the first declared value for enums
 * (0 for open enums, which must start at 0), an empty message for messages.
 */
export function valueZero(ctx: FileContext, v: ValueType, jstype: JsType): string {
  if (v.kind === "scalar") return scalarZero(ctx, v.scalar, jstype);
  if (v.kind === "enum") {
    const e = ctx.model.enum(v.typeName);
    const first = e.values[0];
    return first === undefined || first.number === 0 ? "0" : enumMember(ctx, v.typeName, first.name);
  }
  return `${ctx.typeRef(v.typeName, "value")}.create()`;
}

export function enumMember(ctx: FileContext, enumName: string, valueName: string): string {
  return `${ctx.typeRef(enumName, "value")}.${tsEnumMemberName(valueName)}`;
}

/** Condition that a value without presence differs from its default (and so is written). */
export function nonDefault(expr: string, v: ValueType, jstype: JsType): string {
  if (v.kind === "enum") return `${expr} !== 0`;
  if (v.kind === "message") return `${expr} !== undefined`;
  const s = v.scalar;
  if (isInt64(s)) return jstype === "string" ? `${expr} !== "0"` : jstype === "number" ? `${expr} !== 0` : `${expr} !== 0n`;
  switch (s) {
    case "bool": return expr;
    case "string": return `${expr} !== ""`;
    case "bytes": return `${expr}.length !== 0`;
    // -0 is not the default: upb and C++ compare bits, so they write it, and so must we.
    case "float": case "double": return `(${expr} !== 0 || 1 / ${expr} < 0)`;
    default: return `${expr} !== 0`;
  }
}

/** Reader call for a scalar: `$r.int32()`. `validate` is UTF-8 validation for strings (proto3). */
export function readScalar(r: string, s: ScalarType, jstype: JsType, validate: boolean): string {
  if (isInt64(s) && jstype === "string") return `${r}.int64String("${s}")`;
  if (isInt64(s) && jstype === "number") return `${r}.int64Number("${s}")`;
  if (s === "string") return `${r}.string(${validate})`;
  return `${r}.${s}()`;
}

/** Writer method for a scalar (64-bit methods accept bigint, number and string alike). */
export function writeScalar(s: ScalarType): string {
  return s;
}

/** proto3 strings are validated UTF-8; proto2 strings are not (`utf8_validation` of each edition). */
export function validatesUtf8(file: Pick<ProtoFile, "syntax">): boolean {
  return file.syntax === "proto3";
}

/** How a value type is spelled in `.proto` text: a scalar keyword or the full type name. */
export function protoTypeText(v: ValueType, model: Model): string {
  if (v.kind === "scalar") return v.scalar;
  if (v.kind === "message" && v.group) return `group ${model.message(v.typeName).name}`;
  return v.typeName;
}

/** The field's declaration, without options: `repeated int32 ids = 2`, `map<string, Foo> m = 3`. */
export function fieldDeclShort(f: Field, model: Model, syntax: ProtoFile["syntax"]): string {
  if (f.cardinality === "map" && f.map !== undefined) {
    return `map<${f.map.key}, ${protoTypeText(f.map.value, model)}> ${f.name} = ${f.number}`;
  }
  const label = f.cardinality === "repeated" ? "repeated "
    : f.cardinality === "required" ? "required "
      : f.proto3Optional || (syntax === "proto2" && f.cardinality === "optional" && f.oneof === undefined) ? "optional " : "";
  // A group is declared by its type name; the field name is its lower-cased form.
  if (f.type.kind === "message" && f.type.group) return `${label}${protoTypeText(f.type, model)} = ${f.number}`;
  return `${label}${protoTypeText(f.type, model)} ${f.name} = ${f.number}`;
}

/** The full declaration with the options that matter to readers: `int32 x = 1 [default = 5];`. */
export function fieldDecl(f: Field, model: Model, syntax: ProtoFile["syntax"]): string {
  const opts: string[] = [];
  if (f.defaultText !== undefined) {
    const quoted = f.type.kind === "scalar" && (f.type.scalar === "string" || f.type.scalar === "bytes");
    opts.push(`default = ${quoted ? JSON.stringify(f.defaultText) : f.defaultText}`);
  }
  if (f.explicitJsonName) opts.push(`json_name = ${JSON.stringify(f.jsonName)}`);
  if (f.options["packed"] !== undefined) opts.push(`packed = ${String(f.options["packed"])}`);
  if (f.jstype !== "normal") opts.push(`jstype = ${f.jstype === "string" ? "JS_STRING" : "JS_NUMBER"}`);
  if (f.deprecated) opts.push("deprecated = true");
  return `${fieldDeclShort(f, model, syntax)}${opts.length > 0 ? ` [${opts.join(", ")}]` : ""};`;
}

/** Fields sorted by number: the order of encoding (upb and C++ write in field-number order). */
export function byNumber(m: Message): Field[] {
  return [...m.fields].sort((a, b) => a.number - b.number);
}

/** True if the field has explicit presence and is represented as `?: T | undefined`. */
export function isOptionalField(f: Field): boolean {
  return f.cardinality === "optional" && f.oneof === undefined;
}
