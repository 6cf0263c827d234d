/**
 * `decodeFrom()`: one `switch` over field numbers, each case labelled with its field
 * (`case /* string question = 1 *\/ 1:`). A field arriving with an unexpected wire type is treated as
 * unknown, as upb and C++ do; repeated scalars accept packed and unpacked encodings; closed (proto2)
 * enums route unknown numbers to unknown fields. Every failure surfaces as a located DecodeError.
 */
import type { CodeBlockWriter } from "ts-morph";
import { tsFieldName, tsLocal, tsTypeName } from "../../model/names";
import type { Field, Message, ValueType } from "../../model/types";
import { propOf, type FileContext } from "./context";
import { realOneofs } from "./create";
import {
  WT, fieldDeclShort, isPackable, readScalar, tag, validatesUtf8, valueTsType, valueWireType, valueZero,
} from "./fields";

const M = tsLocal("m");
const R = tsLocal("r");
const TAG = tsLocal("tag");
const START = tsLocal("start");
const U = tsLocal("u");

/** Collect the bytes of the field just read as unknown. */
function keepRaw(ctx: FileContext): string {
  return `(${U} ??= new ${ctx.rt("BinaryWriter")}(64)).raw(${R}.buf.subarray(${START}, ${R}.pos));`;
}

/** Expression reading one scalar or enum value. */
function readValue(ctx: FileContext, v: ValueType, jstype: Field["jstype"]): string {
  if (v.kind === "enum") return `${R}.int32()`;
  if (v.kind === "scalar") return readScalar(R, v.scalar, jstype, validatesUtf8(ctx.file));
  throw new Error("emit/ts: readValue on a message");
}

/** Is this a closed enum (unknown values must not reach the field)? */
function closedEnum(ctx: FileContext, v: ValueType): boolean {
  return v.kind === "enum" && ctx.model.enum(v.typeName).closed;
}

/** Decode a sub-message (length-delimited or group) merging into `target`; returns the expression. */
function readMessage(ctx: FileContext, v: ValueType & { kind: "message" }, no: number, target: string): string {
  const type = ctx.typeRef(v.typeName, "value");
  return v.group
    ? `${type}.decodeFrom(${R}, ${R}.len, ${target}, ${no})`
    : `${type}.decodeFrom(${R}, ${R}.enter(), ${target}, 0)`;
}

/** Statements that read a message value and store it with `assign(expr)`. */
function writeMessageRead(
  ctx: FileContext, w: CodeBlockWriter, v: ValueType & { kind: "message" }, no: number, target: string,
  assign: (expr: string) => string,
): void {
  if (v.group) w.writeLine(`${R}.enterGroup();`);
  w.writeLine(assign(readMessage(ctx, v, no, target)));
  w.writeLine(`${R}.depth--;`);
}

function writeMapCase(ctx: FileContext, w: CodeBlockWriter, f: Field, prop: string): void {
  const { key, value } = f.map!;
  const E = tsLocal("e");
  const K = tsLocal("k");
  const V = tsLocal("v");
  const T = tsLocal("t");
  w.writeLine(`if ((${TAG} & 7) !== ${WT.len}) break;`);
  w.writeLine(`const ${E} = ${R}.enter();`);
  w.writeLine(`let ${K} = ${key === "bool" ? `"false"` : key === "string" ? `""` : `"0"`};`);
  if (value.kind === "message") w.writeLine(`let ${V}: ${valueTsType(ctx, value, "normal")} | undefined;`);
  else w.writeLine(`let ${V}: ${valueTsType(ctx, value, "normal")} = ${valueZero(ctx, value, "normal")};`);
  w.write(`while (${R}.pos < ${E})`).block(() => {
    w.writeLine(`const ${T} = ${R}.tag();`);
    w.write(`switch (${T})`).block(() => {
      const keyRead = key === "string" ? readScalar(R, key, "normal", validatesUtf8(ctx.file))
        : key === "bool" ? `${R}.bool() ? "true" : "false"`
          : ["int64", "uint64", "sint64", "fixed64", "sfixed64"].includes(key) ? readScalar(R, key, "string", false)
            : `String(${readScalar(R, key, "normal", false)})`;
      w.writeLine(`case ${tag(1, valueWireType({ kind: "scalar", scalar: key }))}:`);
      w.indent(() => {
        w.writeLine(`${K} = ${keyRead};`);
        w.writeLine("break;");
      });
      w.writeLine(`case ${tag(2, valueWireType(value))}:`);
      w.indent(() => {
        if (value.kind === "message") writeMessageRead(ctx, w, value, 2, V, (e) => `${V} = ${e};`);
        else w.writeLine(`${V} = ${readValue(ctx, value, "normal")};`);
        w.writeLine("break;");
      });
      w.writeLine("default:");
      w.indent(() => w.writeLine(`${R}.skip(${T}, 0);`));
    });
  });
  w.writeLine(`${R}.leave(${E});`);
  if (closedEnum(ctx, value)) {
    const desc = ctx.enumDescriptor((value as { typeName: string }).typeName);
    w.write(`if (!${desc}.has(${V}))`).block(() => {
      w.writeLine(keepRaw(ctx));
      w.writeLine("continue;");
    });
  }
  w.writeLine(`${prop}[${K}] = ${value.kind === "message" ? `${V} ?? ${ctx.typeRef(value.typeName, "value")}.create()` : V};`);
  w.writeLine("continue;");
}

function writeRepeatedCase(ctx: FileContext, w: CodeBlockWriter, f: Field, prop: string): void {
  const v = f.type;
  if (v.kind === "message") {
    w.writeLine(`if ((${TAG} & 7) !== ${valueWireType(v)}) break;`);
    writeMessageRead(ctx, w, v, f.number, "undefined", (e) => `${prop}.push(${e});`);
    w.writeLine("continue;");
    return;
  }
  const read = readValue(ctx, v, f.jstype);
  const closed = closedEnum(ctx, v);
  const desc = closed ? ctx.enumDescriptor((v as { typeName: string }).typeName) : "";
  const V = tsLocal("v");
  if (isPackable(v)) {
    const E = tsLocal("e");
    w.write(`if ((${TAG} & 7) === ${WT.len})`).block(() => {
      w.writeLine(`const ${E} = ${R}.packed();`);
      if (closed) {
        w.write(`while (${R}.pos < ${E})`).block(() => {
          w.writeLine(`const ${V} = ${read};`);
          w.writeLine(`if (${desc}.has(${V})) ${prop}.push(${V});`);
          w.writeLine(`else (${U} ??= new ${ctx.rt("BinaryWriter")}(64)).uint32(${tag(f.number, WT.varint)}).int32(${V});`);
        });
      } else {
        w.writeLine(`while (${R}.pos < ${E}) ${prop}.push(${read});`);
      }
      w.writeLine(`${R}.packedEnd(${E});`);
      w.writeLine("continue;");
    });
  }
  w.writeLine(`if ((${TAG} & 7) !== ${valueWireType(v)}) break;`);
  if (closed) {
    w.writeLine(`const ${V} = ${read};`);
    w.writeLine(`if (${desc}.has(${V})) ${prop}.push(${V});`);
    w.writeLine(`else ${keepRaw(ctx)}`);
  } else {
    w.writeLine(`${prop}.push(${read});`);
  }
  w.writeLine("continue;");
}

/** The body of one `case`: check the wire type, read, store, `continue`. */
function writeCase(
  ctx: FileContext, w: CodeBlockWriter, m: Message, f: Field, seen: { v: string; bit: number } | undefined,
): void {
  const prop = `${M}.${propOf(m, f)}`;
  if (f.cardinality === "map") return writeMapCase(ctx, w, f, prop);
  if (f.cardinality === "repeated") return writeRepeatedCase(ctx, w, f, prop);
  const v = f.type;
  w.writeLine(`if ((${TAG} & 7) !== ${valueWireType(v)}) break;`);
  if (seen !== undefined && v.kind !== "message") w.writeLine(`${seen.v} |= ${seen.bit};`);
  if (f.oneof !== undefined) {
    const o = realOneofs(m).find((x) => x.name === f.oneof)!;
    const oprop = `${M}.${o.prop}`;
    const fp = tsFieldName(f);
    const c = JSON.stringify(fp);
    if (v.kind === "message") {
      const target = `${oprop}?.$case === ${c} ? ${oprop}.${fp} : undefined`;
      writeMessageRead(ctx, w, v, f.number, target, (e) => `${oprop} = { $case: ${c}, ${fp}: ${e} };`);
    } else if (closedEnum(ctx, v)) {
      const V = tsLocal("v");
      w.writeLine(`const ${V} = ${readValue(ctx, v, f.jstype)};`);
      w.writeLine(`if (${ctx.enumDescriptor((v as { typeName: string }).typeName)}.has(${V})) ${oprop} = { $case: ${c}, ${fp}: ${V} };`);
      w.writeLine(`else ${keepRaw(ctx)}`);
    } else {
      w.writeLine(`${oprop} = { $case: ${c}, ${fp}: ${readValue(ctx, v, f.jstype)} };`);
    }
    w.writeLine("continue;");
    return;
  }
  if (v.kind === "message") {
    // A required message field starts as an empty message; merge into it only from its second
    // occurrence, so the first one is decoded (and checked for its own required fields) afresh.
    const target = seen === undefined ? prop : `(${seen.v} & ${seen.bit}) !== 0 ? ${prop} : undefined`;
    writeMessageRead(ctx, w, v, f.number, target, (e) => `${prop} = ${e};`);
    if (seen !== undefined) w.writeLine(`${seen.v} |= ${seen.bit};`);
  } else if (closedEnum(ctx, v)) {
    const V = tsLocal("v");
    w.writeLine(`const ${V} = ${readValue(ctx, v, f.jstype)};`);
    w.writeLine(`if (${ctx.enumDescriptor((v as { typeName: string }).typeName)}.has(${V})) ${prop} = ${V};`);
    w.writeLine(`else ${keepRaw(ctx)}`);
  } else {
    w.writeLine(`${prop} = ${readValue(ctx, v, f.jstype)};`);
  }
  w.writeLine("continue;");
}

export function writeDecodeFrom(w: CodeBlockWriter, ctx: FileContext, m: Message): void {
  const name = tsTypeName(m, ctx.file.package);
  const END = tsLocal("end");
  const TARGET = tsLocal("target");
  const GROUP = tsLocal("group");
  const SEEN = tsLocal("seen");
  const required = m.fields.filter((f) => f.cardinality === "required");
  const reader = ctx.rt("BinaryReader", "type");
  w.write(`decodeFrom(${R}: ${reader}, ${END}: number, ${TARGET}: ${name} | undefined, ${GROUP}: number): ${name} `).inlineBlock(() => {
    w.writeLine(`const ${M} = ${TARGET} ?? ${name}.create();`);
    w.writeLine(`let ${TAG} = 0;`);
    w.writeLine(`let ${U}: ${ctx.rt("BinaryWriter", "type")} | undefined;`);
    required.forEach((_, i) => { if (i % 30 === 0) w.writeLine(`let ${SEEN}${i / 30} = 0;`); });
    w.write("try ").inlineBlock(() => {
      w.write(`while (${R}.pos < ${END})`).block(() => {
        w.writeLine(`const ${START} = ${R}.pos;`);
        w.writeLine(`${TAG} = ${R}.tag();`);
        w.write(`switch (${TAG} >>> 3)`).block(() => {
          for (const f of m.fields) {
            const ri = required.indexOf(f);
            const seen = ri < 0 ? undefined : { v: `${SEEN}${Math.floor(ri / 30)}`, bit: 1 << (ri % 30) };
            w.write(`case /* ${fieldDeclShort(f, ctx.model, ctx.file.syntax)} */ ${f.number}:`).block(() => {
              writeCase(ctx, w, m, f, seen);
            });
          }
        });
        w.writeLine(`if (${R}.skip(${TAG}, ${GROUP})) break;`);
        w.writeLine(keepRaw(ctx));
      });
      w.writeLine(`${R}.endMessage(${END}, ${GROUP}, ${TAG});`);
      if (required.length > 0) {
        w.write(`if (${TARGET} === undefined)`).block(() => {
          required.forEach((f, i) => {
            const bit = 1 << (i % 30);
            w.writeLine(`if ((${SEEN}${Math.floor(i / 30)} & ${bit}) === 0) throw new ${ctx.rt("DecodeError")}("missing required field", ${JSON.stringify(m.fullName)}, ${JSON.stringify(f.name)}, ${f.number});`);
          });
        });
      }
    });
    const E = tsLocal("err");
    w.write(` catch (${E})`).block(() => {
      const names = m.fields.map((f) => `${f.number}: ${JSON.stringify(f.name)}`).join(", ");
      w.writeLine(`throw ${ctx.rt("decodeFailure")}(${E}, ${JSON.stringify(m.fullName)}, ${TAG}, { ${names} });`);
    });
    w.writeLine(`if (${U} !== undefined) ${M}.$unknown = ${ctx.rt("unknownFields")}(${M}.$unknown, ${U});`);
    w.writeLine(`return ${M};`);
  });
  w.write(",").newLine();
}
