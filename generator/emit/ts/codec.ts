/**
 * The codec object of a message, `export const X: MessageType<X> = { ... }`, assembled from the
 * per-concern method writers. Its text is rendered eagerly (so every import is known before the
 * module header is printed) and added as a statement.
 */
import { CodeBlockWriter } from "ts-morph";
import { tsLocal, tsTypeName } from "../../model/names";
import type { Message } from "../../model/types";
import { propOf, type FileContext } from "./context";
import { writeCreate, writeEquals } from "./create";
import { writeDecodeFrom } from "./decode";
import { defaultExpr } from "./defaults";
import { writeEncodeTo } from "./encode";
import { valueTsType } from "./fields";
import { writeFromJson } from "./json-read";
import { writeToJson } from "./json-write";

/** A CodeBlockWriter configured like the printer (2 spaces, double quotes). */
export function newWriter(): CodeBlockWriter {
  return new CodeBlockWriter({ indentNumberOfSpaces: 2, useTabs: false, useSingleQuote: false, newLine: "\n" });
}

/** proto2 defaults of a message: `[tsProperty, tsType, expression]` for fields that declare one. */
function declaredDefaults(ctx: FileContext, m: Message): [string, string, string][] {
  const out: [string, string, string][] = [];
  for (const f of m.fields) {
    const expr = defaultExpr(ctx, f);
    if (expr !== undefined) out.push([propOf(m, f), valueTsType(ctx, f.type, f.jstype), expr]);
  }
  return out;
}

/** The codec statement text, including its TSDoc. */
export function codecStatement(ctx: FileContext, m: Message): string {
  const name = tsTypeName(m, ctx.file.package);
  const defaults = declaredDefaults(ctx, m);
  let type = `${ctx.rt("MessageType", "type")}<${name}>`;
  if (defaults.length > 0) {
    type += ` & { readonly defaults: { ${defaults.map(([p, t]) => `readonly ${p}: ${t};`).join(" ")} } }`;
  }
  const w = newWriter();
  w.writeLine("/**");
  w.writeLine(` * Codec of {@link ${name}}: binary (\`encode\`/\`decode\`), proto3 JSON (\`toJSON\`/\`fromJSON\`), \`create\`, \`equals\`.`);
  if (defaults.length > 0) {
    w.writeLine(" *");
    w.writeLine(" * `defaults` holds the proto2 `[default = ...]` values; fields stay `undefined` when absent, so read");
    w.writeLine(` * them as \`msg.field ?? ${name}.defaults.field\`.`);
  }
  w.writeLine(" */");
  w.write(`export const ${name}: ${type} = `).inlineBlock(() => {
    w.writeLine(`typeName: ${JSON.stringify(m.fullName)},`);
    if (defaults.length > 0) {
      w.write("defaults: ").inlineBlock(() => {
        for (const [p, , e] of defaults) w.writeLine(`${p}: ${e},`);
      }).write(",").newLine();
    }
    writeCreate(w, ctx, m);
    const M = tsLocal("m");
    const B = tsLocal("b");
    w.write(`encode(${M}: ${name}): Uint8Array `).inlineBlock(() => {
      w.writeLine(`return ${ctx.rt("encodeMessage")}(${name}, ${M});`);
    }).write(",").newLine();
    w.write(`decode(${B}: Uint8Array): ${name} `).inlineBlock(() => {
      w.writeLine(`return ${ctx.rt("decodeMessage")}(${name}, ${B});`);
    }).write(",").newLine();
    writeEncodeTo(w, ctx, m);
    writeDecodeFrom(w, ctx, m);
    writeToJson(w, ctx, m);
    writeFromJson(w, ctx, m);
    writeEquals(w, ctx, m);
  }).write(";");
  return w.toString();
}
