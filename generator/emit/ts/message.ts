/**
 * The plain-object interface of a message: one property per field, oneofs as discriminated unions
 * (`phase?: { $case: "lobby"; lobby: Lobby } | ...`), and `$unknown` for unknown fields.
 */
import { StructureKind, type InterfaceDeclarationStructure, type PropertySignatureStructure, type OptionalKind, type JSDocStructure } from "ts-morph";
import { tsFieldName, tsTypeName } from "../../model/names";
import type { Field, Message, Oneof } from "../../model/types";
import { docs } from "./comments";
import { memberNames, propOf, type FileContext } from "./context";
import { defaultExpr } from "./defaults";
import { fieldDecl, isOptionalField, valueTsType } from "./fields";

/** The TS type of a field's value as stored on the message (without `| undefined` for presence). */
export function fieldType(ctx: FileContext, f: Field): string {
  if (f.cardinality === "map" && f.map !== undefined) {
    return `{ [key: string]: ${valueTsType(ctx, f.map.value, f.jstype)} }`;
  }
  const t = valueTsType(ctx, f.type, f.jstype);
  return f.cardinality === "repeated" ? `${t}[]` : t;
}

/** The union type of a oneof property, variants in declaration order. */
export function oneofType(ctx: FileContext, m: Message, o: Oneof, withDocs: boolean): string {
  const file = ctx.file;
  const variants = o.fields.map((name) => {
    const f = m.fields.find((x) => x.name === name)!;
    const prop = tsFieldName(f);
    const doc = withDocs ? renderDoc(docs(f.comments, `from field: ${fieldDecl(f, ctx.model, file.syntax)}`, { deprecated: f.deprecated })[0]!, "    ") : "";
    return `  | {\n      $case: ${JSON.stringify(prop)};\n${doc}      ${prop}: ${valueTsType(ctx, f.type, f.jstype)};\n    }`;
  });
  return `\n${variants.join("\n")}\n  | undefined`;
}

/** Print a JSDoc structure as comment text (for docs inside a type literal), each line indented. */
function renderDoc(d: OptionalKind<JSDocStructure>, indent: string): string {
  const desc = typeof d.description === "string" ? d.description.replace(/\n$/, "") : "";
  const lines = desc === "" ? [] : [...desc.split("\n"), ""];
  for (const t of d.tags ?? []) lines.push(`@${t.tagName}${typeof t.text === "string" && t.text !== "" ? ` ${t.text}` : ""}`);
  return `${indent}  /**\n${lines.map((l) => `${indent}   *${l === "" ? "" : ` ${l}`}\n`).join("")}${indent}   */\n`;
}

/** The interface declaration of a message. */
export function messageInterface(ctx: FileContext, m: Message): InterfaceDeclarationStructure {
  const name = tsTypeName(m, ctx.file.package);
  const properties: OptionalKind<PropertySignatureStructure>[] = [];
  const seenOneofs = new Set<string>();
  for (const f of m.fields) {
    if (f.oneof !== undefined) {
      if (seenOneofs.has(f.oneof)) continue;
      seenOneofs.add(f.oneof);
      const o = m.oneofs.find((x) => x.name === f.oneof)!;
      properties.push({
        name: memberNames(m).oneof(o),
        hasQuestionToken: true,
        type: oneofType(ctx, m, o, true),
        docs: docs(o.comments, `from oneof ${m.fullName}.${o.name}`),
      });
      continue;
    }
    const extra: string[] = [];
    const def = defaultExpr(ctx, f);
    if (def !== undefined) extra.push(`Default when absent: \`${def}\` (also in \`${name}.defaults\`).`);
    if (f.cardinality === "map" && f.map !== undefined && f.map.key !== "string") {
      extra.push(`Keys are ${f.map.key === "bool" ? `"true" / "false"` : "decimal strings"}, as in proto3 JSON.`);
    }
    const optional = isOptionalField(f);
    properties.push({
      name: propOf(m, f),
      hasQuestionToken: optional,
      type: optional ? `${fieldType(ctx, f)} | undefined` : fieldType(ctx, f),
      docs: docs(f.comments, `from field: ${fieldDecl(f, ctx.model, ctx.file.syntax)}`, { deprecated: f.deprecated, extra }),
    });
  }
  properties.push({
    name: "$unknown",
    hasQuestionToken: true,
    type: "Uint8Array | undefined",
    docs: [{ description: "Fields this schema does not know, as raw wire bytes; `encode` writes them back unchanged." }],
  });
  return {
    kind: StructureKind.Interface,
    name,
    isExported: true,
    properties,
    docs: docs(m.comments, `from message ${m.fullName}`, { deprecated: m.deprecated }),
  };
}
