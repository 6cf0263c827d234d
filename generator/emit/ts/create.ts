/**
 * `create()` and `equals()` of a message codec.
 *
 * `create()` builds the object literal with every field in declaration order, so all messages of a
 * type share one hidden class (V8 inline caches stay monomorphic in the decoder).
 */
import type { CodeBlockWriter } from "ts-morph";
import { tsFieldName, tsLocal, tsTypeName } from "../../model/names";
import type { Field, Message, ValueType } from "../../model/types";
import { memberNames, propOf, type FileContext } from "./context";
import { defaultExpr } from "./defaults";
import { isOptionalField, valueZero } from "./fields";
import { fieldType } from "./message";

const P = tsLocal("p");
const M = tsLocal("m");

/** Oneofs of a message in order of their first field. */
export function realOneofs(m: Message): { name: string; prop: string; fields: Field[] }[] {
  const out: { name: string; prop: string; fields: Field[] }[] = [];
  for (const f of m.fields) {
    if (f.oneof === undefined) continue;
    let o = out.find((x) => x.name === f.oneof);
    if (o === undefined) {
      const decl = m.oneofs.find((x) => x.name === f.oneof)!;
      out.push((o = { name: decl.name, prop: memberNames(m).oneof(decl), fields: [] }));
    }
    o.fields.push(f);
  }
  return out;
}

/** The initial value of a field in a new message. */
export function initialValue(ctx: FileContext, f: Field): string {
  if (f.cardinality === "repeated") return "[]";
  if (f.cardinality === "map") return `Object.create(null) as ${fieldType(ctx, f)}`;
  if (f.cardinality === "optional") return "undefined";
  if (f.cardinality === "required") return defaultExpr(ctx, f) ?? valueZero(ctx, f.type, f.jstype);
  return valueZero(ctx, f.type, f.jstype);
}

/** Deep copy of one partial value into a full one. */
function copyValue(ctx: FileContext, v: ValueType, expr: string): string {
  return v.kind === "message" ? `${ctx.typeRef(v.typeName, "value")}.create(${expr})` : expr;
}

export function writeCreate(w: CodeBlockWriter, ctx: FileContext, m: Message): void {
  const name = tsTypeName(m, ctx.file.package);
  w.write(`create(${P}?: ${ctx.rt("PartialMessage", "type")}<${name}>): ${name} `).inlineBlock(() => {
    const inits: string[] = [];
    const seen = new Set<string>();
    for (const f of m.fields) {
      if (f.oneof !== undefined) {
        const o = m.oneofs.find((x) => x.name === f.oneof)!;
        if (!seen.has(o.name)) inits.push(`${memberNames(m).oneof(o)}: undefined`);
        seen.add(o.name);
      } else {
        inits.push(`${propOf(m, f)}: ${initialValue(ctx, f)}`);
      }
    }
    w.write(`const ${M}: ${name} = `).inlineBlock(() => {
      for (const i of inits) w.writeLine(`${i},`);
    }).write(";").newLine();
    w.write(`if (${P} !== undefined)`).block(() => {
      for (const f of m.fields) {
        if (f.oneof !== undefined) continue;
        const prop = propOf(m, f);
        const src = `${P}.${prop}`;
        if (f.cardinality === "repeated") {
          if (f.type.kind === "message") {
            w.writeLine(`if (${src} !== undefined) for (const ${tsLocal("v")} of ${src}) ${M}.${prop}.push(${copyValue(ctx, f.type, tsLocal("v"))});`);
          } else {
            w.writeLine(`if (${src} !== undefined) ${M}.${prop} = ${src}.slice();`);
          }
        } else if (f.cardinality === "map" && f.map !== undefined) {
          const k = tsLocal("k");
          const v = tsLocal("v");
          w.write(`if (${src} !== undefined)`).block(() => {
            w.write(`for (const ${k} of Object.keys(${src}))`).block(() => {
              w.writeLine(`const ${v} = ${src}[${k}];`);
              w.writeLine(`if (${v} !== undefined) ${M}.${prop}[${k}] = ${copyValue(ctx, f.map!.value, v)};`);
            });
          });
        } else {
          w.writeLine(`if (${src} !== undefined) ${M}.${prop} = ${copyValue(ctx, f.type, src)};`);
        }
      }
      for (const o of realOneofs(m)) {
        const src = `${P}.${o.prop}`;
        w.write(`if (${src} !== undefined)`).block(() => {
          w.write(`switch (${src}.$case)`).block(() => {
            for (const f of o.fields) {
              const fp = tsFieldName(f);
              w.writeLine(`case ${JSON.stringify(fp)}:`);
              w.indent(() => {
                w.writeLine(`${M}.${o.prop} = { $case: ${JSON.stringify(fp)}, ${fp}: ${copyValue(ctx, f.type, `${src}.${fp}`)} };`);
                w.writeLine("break;");
              });
            }
          });
        });
      }
      w.writeLine(`if (${P}.$unknown !== undefined) ${M}.$unknown = ${P}.$unknown;`);
    });
    w.writeLine(`return ${M};`);
  });
  w.write(",").newLine();
}

/** A function comparing two values of this type, or undefined when `===` is right. */
function eqFunction(ctx: FileContext, v: ValueType): string | undefined {
  if (v.kind === "message") return `${ctx.typeRef(v.typeName, "value")}.equals`;
  if (v.kind === "scalar" && (v.scalar === "float" || v.scalar === "double")) return ctx.rt("floatEquals");
  if (v.kind === "scalar" && v.scalar === "bytes") return ctx.rt("bytesEquals");
  return undefined;
}

/** Expression: `a` and `b` (both present) are equal. */
function eqExpr(ctx: FileContext, v: ValueType, a: string, b: string): string {
  const fn = eqFunction(ctx, v);
  return fn === undefined ? `${a} === ${b}` : `${fn}(${a}, ${b})`;
}

export function writeEquals(w: CodeBlockWriter, ctx: FileContext, m: Message): void {
  const name = tsTypeName(m, ctx.file.package);
  const A = tsLocal("a");
  const B = tsLocal("b");
  w.write(`equals(${A}: ${name}, ${B}: ${name}): boolean `).inlineBlock(() => {
    w.writeLine(`if (${A} === ${B}) return true;`);
    for (const f of m.fields) {
      if (f.oneof !== undefined) continue;
      const prop = propOf(m, f);
      const a = `${A}.${prop}`;
      const b = `${B}.${prop}`;
      if (f.cardinality === "repeated" || f.cardinality === "map") {
        const fn = eqFunction(ctx, f.cardinality === "map" ? f.map!.value : f.type);
        const helper = ctx.rt(f.cardinality === "map" ? "mapEquals" : "listEquals");
        w.writeLine(`if (!${helper}(${a}, ${b}${fn === undefined ? "" : `, ${fn}`})) return false;`);
      } else if (isOptionalField(f) && eqFunction(ctx, f.type) !== undefined) {
        w.writeLine(`if (${a} === undefined ? ${b} !== undefined : ${b} === undefined || !${eqExpr(ctx, f.type, a, b)}) return false;`);
      } else {
        const fn = eqFunction(ctx, f.type);
        w.writeLine(fn === undefined ? `if (${a} !== ${b}) return false;` : `if (!${fn}(${a}, ${b})) return false;`);
      }
    }
    const X = tsLocal("x");
    const Y = tsLocal("y");
    for (const o of realOneofs(m)) {
      w.write("").block(() => {
        w.writeLine(`const ${X} = ${A}.${o.prop};`);
        w.writeLine(`const ${Y} = ${B}.${o.prop};`);
        w.write(`if (${X} === undefined || ${Y} === undefined) `).inlineBlock(() => {
          w.writeLine(`if (${X} !== ${Y}) return false;`);
        });
        w.write(" else").block(() => {
          w.write(`switch (${X}.$case)`).block(() => {
            for (const f of o.fields) {
              const fp = tsFieldName(f);
              w.writeLine(`case ${JSON.stringify(fp)}:`);
              w.indent(() => {
                w.writeLine(`if (${Y}.$case !== ${JSON.stringify(fp)} || !(${eqExpr(ctx, f.type, `${X}.${fp}`, `${Y}.${fp}`)})) return false;`);
                w.writeLine("break;");
              });
            }
          });
        });
      });
    }
    w.writeLine("return true;");
  });
  w.write(",").newLine();
}
