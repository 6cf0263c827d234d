/**
 * A proto enum as a TS `enum` with the proto value names, plus its `EnumType` descriptor
 * (`Color$type`) carrying the canonical names for JSON and the closed/open flag.
 */
import { StructureKind, VariableDeclarationKind, type EnumDeclarationStructure, type VariableStatementStructure } from "ts-morph";
import { tsEnumDescriptorName, tsEnumMemberName, tsTypeName } from "../../model/names";
import type { Enum } from "../../model/types";
import { docs } from "./comments";
import type { FileContext } from "./context";

export function enumDeclaration(ctx: FileContext, e: Enum): EnumDeclarationStructure {
  return {
    kind: StructureKind.Enum,
    name: tsTypeName(e, ctx.file.package),
    isExported: true,
    docs: docs(e.comments, `from enum ${e.fullName}`, {
      deprecated: e.deprecated,
      extra: [e.closed
        ? "Closed enum (proto2): decoding puts numbers not listed here into the message's unknown fields."
        : "Open enum: decoding keeps numbers not listed here as plain numbers."],
    }),
    members: e.values.map((v) => ({
      name: tsEnumMemberName(v.name),
      value: v.number,
      docs: docs(v.comments, `from enum value: ${v.name} = ${v.number};`, { deprecated: v.deprecated }),
    })),
  };
}

export function enumDescriptor(ctx: FileContext, e: Enum): VariableStatementStructure {
  const name = tsTypeName(e, ctx.file.package);
  const pairs = e.values.map((v) => `[${JSON.stringify(v.name)}, ${v.number}]`).join(", ");
  return {
    kind: StructureKind.VariableStatement,
    isExported: true,
    declarationKind: VariableDeclarationKind.Const,
    docs: [{ description: `Descriptor of {@link ${name}}: canonical value names for JSON, and whether the enum is closed.` }],
    declarations: [{
      name: tsEnumDescriptorName(e, ctx.file.package),
      type: `${ctx.rt("EnumType", "type")}<${name}>`,
      initializer: `${ctx.rt("enumType")}<${name}>(${JSON.stringify(e.fullName)}, ${e.closed}, [${pairs}])`,
    }],
  };
}
