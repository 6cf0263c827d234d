/**
 * `encodeTo()`: straight-line writer calls, fields in number order, tags precomputed as literals,
 * unknown fields appended last (the order upb and protobuf C++ produce, so bytes match Python).
 */
import type { CodeBlockWriter } from "ts-morph";
import { tsFieldName, tsLocal, tsTypeName } from "../../model/names";
import type { Field, Message, ValueType } from "../../model/types";
import { propOf, type FileContext } from "./context";
import { realOneofs } from "./create";
import {
  WT, byNumber, fieldDeclShort, fixedSize, isOptionalField, nonDefault, tag, valueWireType,
} from "./fields";

const M = tsLocal("m");
const W = tsLocal("w");

/** Statement(s) writing one value (with its tag) of field number `no`. */
function writeValue(ctx: FileContext, w: CodeBlockWriter, v: ValueType, no: number, expr: string): void {
  if (v.kind === "message") {
    const type = ctx.typeRef(v.typeName, "value");
    if (v.group) {
      w.writeLine(`${W}.uint32(${tag(no, WT.startGroup)});`);
      w.writeLine(`${type}.encodeTo(${expr}, ${W});`);
      w.writeLine(`${W}.uint32(${tag(no, WT.endGroup)});`);
    } else {
      const F = tsLocal("f");
      w.write("").block(() => {
        w.writeLine(`const ${F} = ${W}.uint32(${tag(no, WT.len)}).fork();`);
        w.writeLine(`${type}.encodeTo(${expr}, ${W});`);
        w.writeLine(`${W}.join(${F});`);
      });
    }
    return;
  }
  w.writeLine(`${W}.uint32(${tag(no, valueWireType(v))}).${writerMethod(v)}(${expr});`);
}

/** Writer method for a scalar or enum value. */
function writerMethod(v: ValueType): string {
  if (v.kind === "enum") return "int32";
  if (v.kind === "scalar") return v.scalar;
  throw new Error("emit/ts: no writer method for a message");
}

/** A map key (always a string on the object) as the writer call for the key's scalar type. */
function mapKeyArg(keyType: string, k: string): string {
  switch (keyType) {
    case "string": return k;
    case "bool": return `${k} === "true"`;
    case "int64": case "uint64": case "sint64": case "fixed64": case "sfixed64": return k;
    default: return `Number(${k})`;
  }
}

function writeField(ctx: FileContext, w: CodeBlockWriter, m: Message, f: Field): void {
  const prop = `${M}.${propOf(m, f)}`;
  const no = f.number;
  w.writeLine(`// ${fieldDeclShort(f, ctx.model, ctx.file.syntax)}`);
  if (f.cardinality === "map" && f.map !== undefined) {
    const { key, value } = f.map;
    const K = tsLocal("k");
    const O = tsLocal("o");
    const F = tsLocal("e");
    w.write("").block(() => {
      w.writeLine(`const ${O} = ${prop};`);
      w.write(`for (const ${K} of Object.keys(${O}))`).block(() => {
        w.writeLine(`const ${F} = ${W}.uint32(${tag(no, WT.len)}).fork();`);
        w.writeLine(`${W}.uint32(${tag(1, valueWireType({ kind: "scalar", scalar: key }))}).${key}(${mapKeyArg(key, K)});`);
        writeValue(ctx, w, value, 2, `${O}[${K}]!`);
        w.writeLine(`${W}.join(${F});`);
      });
    });
    return;
  }
  if (f.cardinality === "repeated") {
    const A = tsLocal("a");
    const I = tsLocal("i");
    w.write("").block(() => {
      w.writeLine(`const ${A} = ${prop};`);
      if (f.packed) {
        w.write(`if (${A}.length !== 0)`).block(() => {
          const size = fixedSize(f.type);
          const method = writerMethod(f.type);
          if (size !== 0) {
            w.writeLine(`${W}.uint32(${tag(no, WT.len)}).uint32(${A}.length * ${size});`);
            w.writeLine(`for (let ${I} = 0; ${I} < ${A}.length; ${I}++) ${W}.${method}(${A}[${I}]!);`);
          } else {
            const F = tsLocal("f");
            w.writeLine(`const ${F} = ${W}.uint32(${tag(no, WT.len)}).fork();`);
            w.writeLine(`for (let ${I} = 0; ${I} < ${A}.length; ${I}++) ${W}.${method}(${A}[${I}]!);`);
            w.writeLine(`${W}.join(${F});`);
          }
        });
      } else {
        w.write(`for (let ${I} = 0; ${I} < ${A}.length; ${I}++)`).block(() => {
          writeValue(ctx, w, f.type, no, `${A}[${I}]!`);
        });
      }
    });
    return;
  }
  if (f.cardinality === "required") {
    writeValue(ctx, w, f.type, no, prop);
  } else if (isOptionalField(f)) {
    w.write(`if (${prop} !== undefined)`).block(() => writeValue(ctx, w, f.type, no, prop));
  } else {
    w.write(`if (${nonDefault(prop, f.type, f.jstype)})`).block(() => writeValue(ctx, w, f.type, no, prop));
  }
}

export function writeEncodeTo(w: CodeBlockWriter, ctx: FileContext, m: Message): void {
  const name = tsTypeName(m, ctx.file.package);
  w.write(`encodeTo(${M}: ${name}, ${W}: ${ctx.rt("BinaryWriter", "type")}): void `).inlineBlock(() => {
    const oneofs = realOneofs(m);
    const local = new Map<string, string>();
    oneofs.forEach((o, i) => {
      const l = tsLocal(`o${i}`);
      local.set(o.name, l);
      w.writeLine(`const ${l} = ${M}.${o.prop};`);
    });
    for (const f of byNumber(m)) {
      if (f.oneof !== undefined) {
        const l = local.get(f.oneof)!;
        const fp = tsFieldName(f);
        w.writeLine(`// ${fieldDeclShort(f, ctx.model, ctx.file.syntax)}`);
        w.write(`if (${l}?.$case === ${JSON.stringify(fp)})`).block(() => writeValue(ctx, w, f.type, f.number, `${l}.${fp}`));
      } else {
        writeField(ctx, w, m, f);
      }
    }
    w.writeLine(`if (${M}.$unknown !== undefined) ${W}.raw(${M}.$unknown);`);
  });
  w.write(",").newLine();
}
