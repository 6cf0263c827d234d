/**
 * One generated module per `.proto` file: banner, imports (collected while the body was rendered),
 * enums and their descriptors, then per message its interface and codec, then the registration of
 * the module's message types for `Any`, then the services (clients, handler interfaces, events).
 */
import { Project, StructureKind, type StatementStructures, type WriterFunction } from "ts-morph";
import { tsTypeName } from "../../model/names";
import { BANNER_TEXT, type GeneratedFile, type Model, type ProtoFile } from "../../model/types";
import { codecStatement } from "./codec";
import { escapeComment } from "./comments";
import { FileContext, allEnums, allMessages } from "./context";
import { enumDeclaration, enumDescriptor } from "./enum";
import { messageInterface } from "./message";
import { serviceStatements } from "./service";

/** A printer project: in memory, 2-space indentation, double quotes. Reused across files. */
function printerProject(): Project {
  return new Project({
    useInMemoryFileSystem: true,
    manipulationSettings: { indentationText: "  " as never, useTrailingCommas: true },
  });
}

let printer: Project | undefined;

export function emitFile(model: Model, file: ProtoFile, runtimeModule: string): GeneratedFile {
  const ctx = new FileContext(model, file, runtimeModule);
  // The body first: rendering it records every import the module needs.
  const body: (StatementStructures | WriterFunction | string)[] = [];
  for (const e of allEnums(file)) {
    body.push(enumDeclaration(ctx, e));
    body.push(enumDescriptor(ctx, e));
  }
  const messages = allMessages(file);
  for (const m of messages) {
    body.push(messageInterface(ctx, m));
    const text = codecStatement(ctx, m);
    body.push((w) => { w.write(text); });
  }
  if (messages.length > 0) {
    const names = messages.map((m) => tsTypeName(m, file.package)).join(", ");
    const register = ctx.rt("registerTypes");
    body.push((w) => { w.writeLine(`${register}(${names});`); });
  }
  for (const s of file.services) body.push(...serviceStatements(ctx, s));
  const header = [`// ${BANNER_TEXT}`, `// source: ${file.name.replace(/[\r\n]/g, " ")}`];
  const fileDoc = file.comments.leading;
  const leading = header.join("\n") + "\n" + (fileDoc !== undefined && fileDoc.trim() !== ""
    ? `\n/*\n${escapeComment(fileDoc).split("\n").map((l) => ` *${l === "" ? "" : ` ${l}`}`).join("\n")}\n */\n`
    : "");
  const imports = ctx.imports.declarations().map((d) => ({ kind: StructureKind.ImportDeclaration as const, ...d }));
  printer ??= printerProject();
  const sf = printer.createSourceFile(`/${ctx.path}`, { leadingTrivia: leading, statements: [...imports, ...body] }, { overwrite: true });
  // No trailing whitespace (ts-morph leaves a space after `phase?:` before a multi-line union).
  const content = sf.getFullText().replace(/[ \t]+$/gm, "");
  printer.removeSourceFile(sf);
  return { path: ctx.path, content };
}
