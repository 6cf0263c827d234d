/**
 * `toJSON()`: canonical proto3 JSON. Fields without presence are skipped at their default unless
 * `emitDefaultValues`; 64-bit integers become strings, floats NaN/Infinity strings, bytes base64,
 * enums names. Well-known types with a special JSON form get their bodies from wkt.ts.
 */
import type { CodeBlockWriter } from "ts-morph";
import { tsFieldName, tsLocal, tsTypeName } from "../../model/names";
import type { Field, Message, ValueType } from "../../model/types";
import { propOf, type FileContext } from "./context";
import { realOneofs } from "./create";
import { isInt64, isOptionalField, nonDefault } from "./fields";
import { writeWktToJson } from "./wkt";

const M = tsLocal("m");
const O = tsLocal("o");
const J = tsLocal("j");

export const NULL_VALUE = "google.protobuf.NullValue";

/** Expression converting one value to JSON. */
export function toJsonValue(ctx: FileContext, v: ValueType, expr: string): string {
  if (v.kind === "message") return `${ctx.typeRef(v.typeName, "value")}.toJSON(${expr}, ${O})`;
  if (v.kind === "enum") {
    if (v.typeName === NULL_VALUE) return "null";
    return `${ctx.rt("enumToJson")}(${ctx.enumDescriptor(v.typeName)}, ${expr}, ${O})`;
  }
  const s = v.scalar;
  if (isInt64(s)) return `String(${expr})`;
  if (s === "float") return `${ctx.rt("float32ToJson")}(${expr})`;
  if (s === "double") return `${ctx.rt("floatToJson")}(${expr})`;
  if (s === "bytes") return `${ctx.rt("bytesToJson")}(${expr})`;
  return expr;
}

/** True when values of this type are already JSON values (no conversion needed). */
function isPlainJson(v: ValueType): boolean {
  return v.kind === "scalar" && ["int32", "uint32", "sint32", "fixed32", "sfixed32", "bool", "string"].includes(v.scalar);
}

/** The JSON key of a field: the JSON name, or the proto name with `useProtoFieldName`. */
function jsonKey(f: Field): string {
  return f.jsonName === f.name ? JSON.stringify(f.name) : `${tsLocal("n")} ? ${JSON.stringify(f.name)} : ${JSON.stringify(f.jsonName)}`;
}

function writeField(ctx: FileContext, w: CodeBlockWriter, m: Message, f: Field): void {
  const prop = `${M}.${propOf(m, f)}`;
  const key = `${J}[${jsonKey(f)}]`;
  const D = tsLocal("d");
  if (f.cardinality === "map" && f.map !== undefined) {
    const MO = tsLocal("mo");
    const K = tsLocal("k");
    const value = f.map.value;
    w.write(`if (${D} || Object.keys(${prop}).length !== 0)`).block(() => {
      w.writeLine(`const ${MO} = Object.create(null) as ${ctx.rt("JsonObject", "type")};`);
      w.writeLine(`for (const ${K} of Object.keys(${prop})) ${MO}[${K}] = ${toJsonValue(ctx, value, `${prop}[${K}]!`)};`);
      w.writeLine(`${key} = ${MO};`);
    });
    return;
  }
  if (f.cardinality === "repeated") {
    w.write(`if (${D} || ${prop}.length !== 0)`).block(() => {
      if (isPlainJson(f.type)) {
        w.writeLine(`${key} = ${prop}.slice();`);
      } else {
        const A = tsLocal("a");
        const V = tsLocal("v");
        w.writeLine(`const ${A}: ${ctx.rt("JsonValue", "type")}[] = [];`);
        w.writeLine(`for (const ${V} of ${prop}) ${A}.push(${toJsonValue(ctx, f.type, V)});`);
        w.writeLine(`${key} = ${A};`);
      }
    });
    return;
  }
  if (f.cardinality === "required") {
    w.writeLine(`${key} = ${toJsonValue(ctx, f.type, prop)};`);
  } else if (isOptionalField(f)) {
    w.writeLine(`if (${prop} !== undefined) ${key} = ${toJsonValue(ctx, f.type, prop)};`);
  } else {
    w.writeLine(`if (${D} || ${nonDefault(prop, f.type, f.jstype)}) ${key} = ${toJsonValue(ctx, f.type, prop)};`);
  }
}

export function writeToJson(w: CodeBlockWriter, ctx: FileContext, m: Message): void {
  const name = tsTypeName(m, ctx.file.package);
  const opts = ctx.rt("JsonWriteOptions", "type");
  w.write(`toJSON(${M}: ${name}, ${O}?: ${opts}): ${ctx.rt("JsonValue", "type")} `).inlineBlock(() => {
    if (writeWktToJson(w, ctx, m)) return;
    w.writeLine(`const ${J} = Object.create(null) as ${ctx.rt("JsonObject", "type")};`);
    const hasDefaults = m.fields.some((f) => f.cardinality === "singular" || f.cardinality === "repeated" || f.cardinality === "map");
    if (hasDefaults) w.writeLine(`const ${tsLocal("d")} = ${O}?.emitDefaultValues === true;`);
    if (m.fields.some((f) => f.jsonName !== f.name)) w.writeLine(`const ${tsLocal("n")} = ${O}?.useProtoFieldName === true;`);
    const oneofs = realOneofs(m);
    const done = new Set<string>();
    for (const f of m.fields) {
      if (f.oneof === undefined) {
        writeField(ctx, w, m, f);
        continue;
      }
      if (done.has(f.oneof)) continue;
      done.add(f.oneof);
      const o = oneofs.find((x) => x.name === f.oneof)!;
      const X = tsLocal("x");
      w.write("").block(() => {
        w.writeLine(`const ${X} = ${M}.${o.prop};`);
        w.write(`switch (${X}?.$case)`).block(() => {
          for (const of of o.fields) {
            const fp = tsFieldName(of);
            w.writeLine(`case ${JSON.stringify(fp)}:`);
            w.indent(() => {
              w.writeLine(`${J}[${jsonKey(of)}] = ${toJsonValue(ctx, of.type, `${X}.${fp}`)};`);
              w.writeLine("break;");
            });
          }
        });
      });
    }
    w.writeLine(`return ${J};`);
  });
  w.write(",").newLine();
}
