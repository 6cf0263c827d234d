/**
 * Bodies of `toJSON`/`fromJSON` for the well-known types whose JSON is not a plain object of their
 * fields: Any, Timestamp, Duration, FieldMask, Struct, Value, ListValue and the nine wrappers.
 * The helpers doing the real work live in the runtime (`codec/wkt.ts`); Struct/Value/ListValue are a
 * switch over their own fields, so they are generated here.
 */
import type { CodeBlockWriter } from "ts-morph";
import { tsFieldName, tsLocal, tsTypeName } from "../../model/names";
import type { Message } from "../../model/types";
import { memberNames, propOf, type FileContext } from "./context";
import { fromJsonValue } from "./json-read";
import { toJsonValue } from "./json-write";

const M = tsLocal("m");
const O = tsLocal("o");
const JSONV = tsLocal("json");

const WRAPPERS: ReadonlySet<string> = new Set([
  "DoubleValue", "FloatValue", "Int64Value", "UInt64Value", "Int32Value", "UInt32Value", "BoolValue", "StringValue", "BytesValue",
]);

/** The WKT kind of a message, or undefined for ordinary messages. */
function wktKind(m: Message): string | undefined {
  if (!m.fullName.startsWith("google.protobuf.") || m.parent !== undefined) return undefined;
  const n = m.name;
  if (["Any", "Timestamp", "Duration", "FieldMask", "Struct", "Value", "ListValue"].includes(n) || WRAPPERS.has(n)) return n;
  return undefined;
}

/** A field's TS property name by proto name (WKT field names are fixed by the spec). */
function prop(m: Message, protoName: string): string {
  const f = m.fields.find((x) => x.name === protoName);
  if (f === undefined) throw new Error(`emit/ts: ${m.fullName} has no field ${protoName}`);
  return f.oneof === undefined ? propOf(m, f) : tsFieldName(f);
}

/** Write a special `toJSON` body; false if the message has none. */
export function writeWktToJson(w: CodeBlockWriter, ctx: FileContext, m: Message): boolean {
  const kind = wktKind(m);
  if (kind === undefined) return false;
  switch (kind) {
    case "Any":
      w.writeLine(`return ${ctx.rt("anyToJson")}(${M}, ${O});`);
      return true;
    case "Timestamp": case "Duration":
      w.writeLine(`return ${ctx.rt(kind === "Timestamp" ? "timestampToJson" : "durationToJson")}(${M}.${prop(m, "seconds")}, ${M}.${prop(m, "nanos")});`);
      return true;
    case "FieldMask":
      w.writeLine(`return ${ctx.rt("fieldMaskToJson")}(${M}.${prop(m, "paths")});`);
      return true;
    case "Struct": {
      const J = tsLocal("j");
      const K = tsLocal("k");
      const fields = `${M}.${prop(m, "fields")}`;
      const value = ctx.typeRef("google.protobuf.Value", "value");
      w.writeLine(`const ${J} = Object.create(null) as ${ctx.rt("JsonObject", "type")};`);
      w.writeLine(`for (const ${K} of Object.keys(${fields})) ${J}[${K}] = ${value}.toJSON(${fields}[${K}]!, ${O});`);
      w.writeLine(`return ${J};`);
      return true;
    }
    case "ListValue": {
      const value = ctx.typeRef("google.protobuf.Value", "value");
      const V = tsLocal("v");
      w.writeLine(`return ${M}.${prop(m, "values")}.map((${V}) => ${value}.toJSON(${V}, ${O}));`);
      return true;
    }
    case "Value": {
      const K = tsLocal("k");
      const oneof = m.oneofs.find((o) => !o.synthetic)!;
      const kindProp = memberNames(m).oneof(oneof);
      const enc = ctx.rt("EncodeError");
      w.writeLine(`const ${K} = ${M}.${kindProp};`);
      w.write(`switch (${K}?.$case)`).block(() => {
        const c = (name: string): string => JSON.stringify(prop(m, name));
        w.writeLine(`case ${c("null_value")}: return null;`);
        w.writeLine(`case ${c("number_value")}:`);
        w.indent(() => {
          w.writeLine(`if (!Number.isFinite(${K}.${prop(m, "number_value")})) throw new ${enc}("google.protobuf.Value cannot hold NaN or Infinity in JSON");`);
          w.writeLine(`return ${K}.${prop(m, "number_value")};`);
        });
        w.writeLine(`case ${c("string_value")}: return ${K}.${prop(m, "string_value")};`);
        w.writeLine(`case ${c("bool_value")}: return ${K}.${prop(m, "bool_value")};`);
        w.writeLine(`case ${c("struct_value")}: return ${ctx.typeRef("google.protobuf.Struct", "value")}.toJSON(${K}.${prop(m, "struct_value")}, ${O});`);
        w.writeLine(`case ${c("list_value")}: return ${ctx.typeRef("google.protobuf.ListValue", "value")}.toJSON(${K}.${prop(m, "list_value")}, ${O});`);
      });
      w.writeLine(`throw new ${enc}("google.protobuf.Value has no kind set");`);
      return true;
    }
    default: {
      // Wrappers: the JSON of the wrapped value itself.
      const f = m.fields.find((x) => x.name === "value")!;
      w.writeLine(`return ${toJsonValue(ctx, f.type, `${M}.${propOf(m, f)}`)};`);
      return true;
    }
  }
}

/** Write a special `fromJSON` body; false if the message has none. */
export function writeWktFromJson(w: CodeBlockWriter, ctx: FileContext, m: Message): boolean {
  const kind = wktKind(m);
  if (kind === undefined) return false;
  const name = tsTypeName(m, ctx.file.package);
  const T = JSON.stringify(m.fullName);
  switch (kind) {
    case "Any": {
      const A = tsLocal("a");
      w.writeLine(`const ${A} = ${ctx.rt("anyFromJson")}(${JSONV}, ${T}, ${O});`);
      w.writeLine(`return ${name}.create({ ${prop(m, "type_url")}: ${A}.typeUrl, ${prop(m, "value")}: ${A}.value });`);
      return true;
    }
    case "Timestamp": case "Duration": {
      const X = tsLocal("x");
      w.writeLine(`const ${X} = ${ctx.rt(kind === "Timestamp" ? "timestampFromJson" : "durationFromJson")}(${JSONV}, ${T});`);
      w.writeLine(`return ${name}.create({ ${prop(m, "seconds")}: ${X}.seconds, ${prop(m, "nanos")}: ${X}.nanos });`);
      return true;
    }
    case "FieldMask":
      w.writeLine(`return ${name}.create({ ${prop(m, "paths")}: ${ctx.rt("fieldMaskFromJson")}(${JSONV}, ${T}) });`);
      return true;
    case "Struct": {
      const J = tsLocal("j");
      const K = tsLocal("k");
      const S = tsLocal("s");
      const value = ctx.typeRef("google.protobuf.Value", "value");
      w.writeLine(`const ${J} = ${ctx.rt("jsonObject")}(${JSONV}, ${T});`);
      w.writeLine(`const ${S} = ${name}.create();`);
      w.writeLine(`for (const ${K} of Object.keys(${J})) ${S}.${prop(m, "fields")}[${K}] = ${value}.fromJSON(${J}[${K}] ?? null, ${O});`);
      w.writeLine(`return ${S};`);
      return true;
    }
    case "ListValue": {
      const L = tsLocal("l");
      const E = tsLocal("e");
      const value = ctx.typeRef("google.protobuf.Value", "value");
      w.writeLine(`const ${L} = ${name}.create();`);
      w.writeLine(`for (const ${E} of ${ctx.rt("jsonArray")}(${JSONV}, ${T}, "values")) ${L}.${prop(m, "values")}.push(${value}.fromJSON(${E}, ${O}));`);
      w.writeLine(`return ${L};`);
      return true;
    }
    case "Value": {
      const oneof = memberNames(m).oneof(m.oneofs.find((o) => !o.synthetic)!);
      const set = (field: string, expr: string): string => `return ${name}.create({ ${oneof}: { $case: ${JSON.stringify(prop(m, field))}, ${prop(m, field)}: ${expr} } });`;
      w.writeLine(`if (${JSONV} === null) ${set("null_value", "0")}`);
      w.writeLine(`if (typeof ${JSONV} === "number") ${set("number_value", JSONV)}`);
      w.writeLine(`if (typeof ${JSONV} === "string") ${set("string_value", JSONV)}`);
      w.writeLine(`if (typeof ${JSONV} === "boolean") ${set("bool_value", JSONV)}`);
      w.writeLine(`if (Array.isArray(${JSONV})) ${set("list_value", `${ctx.typeRef("google.protobuf.ListValue", "value")}.fromJSON(${JSONV}, ${O})`)}`);
      w.writeLine(set("struct_value", `${ctx.typeRef("google.protobuf.Struct", "value")}.fromJSON(${JSONV}, ${O})`));
      return true;
    }
    default: {
      const f = m.fields.find((x) => x.name === "value")!;
      w.writeLine(`return ${name}.create({ ${propOf(m, f)}: ${fromJsonValue(ctx, m, f, f.type, JSONV)} });`);
      return true;
    }
  }
}
