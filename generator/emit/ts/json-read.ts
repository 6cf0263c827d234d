/**
 * `fromJSON()`: a `switch` over the keys of the JSON object, accepting both the JSON name and the
 * proto name of each field (the spec requires both). `null` means "field not set", except for
 * `google.protobuf.Value` (where it is the JSON null) and `NullValue`.
 */
import type { CodeBlockWriter } from "ts-morph";
import { tsFieldName, tsLocal, tsTypeName } from "../../model/names";
import type { Field, Message, ValueType } from "../../model/types";
import { propOf, type FileContext } from "./context";
import { realOneofs } from "./create";
import { isInt64 } from "./fields";
import { NULL_VALUE } from "./json-write";
import { writeWktFromJson } from "./wkt";

const M = tsLocal("m");
const O = tsLocal("o");
const V = tsLocal("v");

const VALUE = "google.protobuf.Value";

/** Does JSON null carry a value for this type (instead of meaning "unset")? */
function nullIsValue(v: ValueType): boolean {
  return (v.kind === "message" && v.typeName === VALUE) || (v.kind === "enum" && v.typeName === NULL_VALUE);
}

/**
 * Expression converting JSON `expr` to a value. Enums may yield `undefined` (unknown name with
 * `ignoreUnknownFields`); callers check {@link mayBeUndefined}.
 */
export function fromJsonValue(ctx: FileContext, m: Message, f: Field, v: ValueType, expr: string): string {
  const where = `${JSON.stringify(m.fullName)}, ${JSON.stringify(f.name)}`;
  if (v.kind === "message") return `${ctx.typeRef(v.typeName, "value")}.fromJSON(${expr}, ${O})`;
  if (v.kind === "enum") {
    const call = `${ctx.rt("jsonEnum")}(${ctx.enumDescriptor(v.typeName)}, ${expr}, ${where}, ${O})`;
    return v.typeName === NULL_VALUE ? `(${expr} === null ? 0 : ${call})` : call;
  }
  const s = v.scalar;
  if (isInt64(s)) {
    const signed = s === "int64" || s === "sint64" || s === "sfixed64";
    const call = `${ctx.rt(signed ? "jsonInt64" : "jsonUint64")}(${expr}, ${where})`;
    return f.jstype === "string" ? `String(${call})` : f.jstype === "number" ? `Number(${call})` : call;
  }
  switch (s) {
    case "int32": case "sint32": case "sfixed32": return `${ctx.rt("jsonInt32")}(${expr}, ${where})`;
    case "uint32": case "fixed32": return `${ctx.rt("jsonUint32")}(${expr}, ${where})`;
    case "float": return `${ctx.rt("jsonFloat")}(${expr}, ${where})`;
    case "double": return `${ctx.rt("jsonDouble")}(${expr}, ${where})`;
    case "bool": return `${ctx.rt("jsonBool")}(${expr}, ${where})`;
    case "string": return `${ctx.rt("jsonString")}(${expr}, ${where})`;
    case "bytes": return `${ctx.rt("jsonBytes")}(${expr}, ${where})`;
  }
  throw new Error(`emit/ts: no JSON reader for ${s}`);
}

function mayBeUndefined(v: ValueType): boolean {
  return v.kind === "enum";
}

function writeFieldCase(ctx: FileContext, w: CodeBlockWriter, m: Message, f: Field): void {
  const prop = `${M}.${propOf(m, f)}`;
  const where = `${JSON.stringify(m.fullName)}, ${JSON.stringify(f.name)}`;
  const X = tsLocal("x");
  if (f.cardinality === "map" && f.map !== undefined) {
    const MO = tsLocal("mo");
    const K = tsLocal("k");
    const value = f.map.value;
    w.writeLine(`if (${V} === null) break;`);
    w.writeLine(`const ${MO} = ${ctx.rt("jsonObject")}(${V}, ${where});`);
    w.write(`for (const ${K} of Object.keys(${MO}))`).block(() => {
      w.writeLine(`const ${X} = ${fromJsonValue(ctx, m, f, value, `${MO}[${K}] ?? null`)};`);
      const store = `${prop}[${ctx.rt("jsonMapKey")}(${K}, ${JSON.stringify(f.map!.key)}, ${where})] = ${X};`;
      w.writeLine(mayBeUndefined(value) ? `if (${X} !== undefined) ${store}` : store);
    });
    return;
  }
  if (f.cardinality === "repeated") {
    const E = tsLocal("e");
    w.writeLine(`if (${V} === null) break;`);
    w.write(`for (const ${E} of ${ctx.rt("jsonArray")}(${V}, ${where}))`).block(() => {
      w.writeLine(`const ${X} = ${fromJsonValue(ctx, m, f, f.type, E)};`);
      w.writeLine(mayBeUndefined(f.type) ? `if (${X} !== undefined) ${prop}.push(${X});` : `${prop}.push(${X});`);
    });
    return;
  }
  if (!nullIsValue(f.type)) w.writeLine(`if (${V} === null) break;`);
  w.writeLine(`const ${X} = ${fromJsonValue(ctx, m, f, f.type, V)};`);
  const o = f.oneof === undefined ? undefined : realOneofs(m).find((x) => x.name === f.oneof)!;
  if (o !== undefined) {
    if (mayBeUndefined(f.type)) w.writeLine(`if (${X} === undefined) break;`);
    w.writeLine(`if (${M}.${o.prop} !== undefined) throw ${ctx.rt("jsonOneofConflict")}(${JSON.stringify(m.fullName)}, ${JSON.stringify(o.name)});`);
    const fp = tsFieldName(f);
    w.writeLine(`${M}.${o.prop} = { $case: ${JSON.stringify(fp)}, ${fp}: ${X} };`);
  } else {
    w.writeLine(mayBeUndefined(f.type) ? `if (${X} !== undefined) ${prop} = ${X};` : `${prop} = ${X};`);
  }
}

export function writeFromJson(w: CodeBlockWriter, ctx: FileContext, m: Message): void {
  const name = tsTypeName(m, ctx.file.package);
  const JSONV = tsLocal("json");
  w.write(`fromJSON(${JSONV}: ${ctx.rt("JsonValue", "type")}, ${O}?: ${ctx.rt("JsonReadOptions", "type")}): ${name} `).inlineBlock(() => {
    if (writeWktFromJson(w, ctx, m)) return;
    const J = tsLocal("j");
    const K = tsLocal("k");
    w.writeLine(`const ${J} = ${ctx.rt("jsonObject")}(${JSONV}, ${JSON.stringify(m.fullName)});`);
    w.writeLine(`const ${M} = ${name}.create();`);
    w.write(`for (const ${K} of Object.keys(${J}))`).block(() => {
      w.writeLine(`const ${V}: ${ctx.rt("JsonValue", "type")} = ${J}[${K}] ?? null;`);
      w.write(`switch (${K})`).block(() => {
        const used = new Set<string>();
        for (const f of m.fields) {
          const labels = [...new Set([f.jsonName, f.name])].filter((l) => !used.has(l));
          if (labels.length === 0) continue;
          labels.forEach((l) => used.add(l));
          for (const l of labels.slice(0, -1)) w.writeLine(`case ${JSON.stringify(l)}:`);
          w.write(`case ${JSON.stringify(labels[labels.length - 1])}:`).block(() => {
            writeFieldCase(ctx, w, m, f);
            w.writeLine("break;");
          });
        }
        w.writeLine("default:");
        w.indent(() => {
          w.writeLine(`if (${O}?.ignoreUnknownFields !== true) throw ${ctx.rt("jsonUnknownField")}(${JSON.stringify(m.fullName)}, ${K});`);
        });
      });
    });
    w.writeLine(`return ${M};`);
  });
  w.write(",").newLine();
}
