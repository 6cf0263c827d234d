/**
 * One generated module per `.proto` file: banner, imports (collected while the body was rendered),
 * enums and their descriptors, then per message its interface and codec, then the registration of
 * the module's message types for `Any`, then the services (clients, handler interfaces, events).
 */
import { Project, StructureKind, type CodeBlockWriter, type SourceFileStructure, type StatementStructures, type WriterFunction } from "ts-morph";
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

/** The part of ts-morph's internal printing context the fast path uses (ts-morph 28). */
interface PrintingContext {
  readonly structurePrinterFactory: {
    forSourceFile(options: { isAmbient: boolean }): { printText(writer: CodeBlockWriter, structure: SourceFileStructure): void };
  };
  createWriter(): CodeBlockWriter;
}

/**
 * Prints a source-file structure to text. `Project.createSourceFile(path, structure)` prints the
 * structure with ts-morph's structure printer and then parses the text into a SourceFile, which we
 * never use: the parse cost more than the printing (ts-morph docs, "performance"). So the fast path
 * calls the same printer directly, through the context every ts-morph node carries; the text is the
 * one `createSourceFile(...).getFullText()` returns (test/generator/ts/emit.test.ts compares both).
 * Should a ts-morph upgrade move that context, the slow path takes over.
 */
export class StructurePrinter {
  private readonly project = printerProject();
  private readonly context: PrintingContext | undefined;

  constructor(fast = true) {
    const probe = this.project.createSourceFile("/probe.ts", "", { overwrite: true });
    const context = (probe as unknown as { _context?: Partial<PrintingContext> })._context;
    this.context = fast && typeof context?.structurePrinterFactory?.forSourceFile === "function" && typeof context.createWriter === "function"
      ? (context as PrintingContext)
      : undefined;
    this.project.removeSourceFile(probe);
  }

  /** True when printing skips the parse (the internal context was found). */
  get fast(): boolean {
    return this.context !== undefined;
  }

  print(structure: SourceFileStructure): string {
    if (this.context !== undefined) {
      const writer = this.context.createWriter();
      this.context.structurePrinterFactory.forSourceFile({ isAmbient: false }).printText(writer, structure);
      return writer.toString();
    }
    const sf = this.project.createSourceFile("/print.ts", structure, { overwrite: true });
    const text = sf.getFullText();
    this.project.removeSourceFile(sf);
    return text;
  }
}

let shared: StructurePrinter | undefined;

export function emitFile(model: Model, file: ProtoFile, runtimeModule: string, printer = (shared ??= new StructurePrinter())): GeneratedFile {
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
  const text = printer.print({ kind: StructureKind.SourceFile, leadingTrivia: leading, statements: [...imports, ...body] });
  // No trailing whitespace (ts-morph leaves a space after `phase?:` before a multi-line union).
  return { path: ctx.path, content: text.replace(/[ \t]+$/gm, "") };
}
