/**
 * What every per-concern emitter needs while printing one module: the model, the file, the import
 * collector, and name resolution for types declared here or elsewhere.
 */
import {
  tsEnumDescriptorName, tsFileServiceNames, tsFileTypeNames, tsMemberNames, tsModulePath, tsRelativeImport, tsTypeName,
  type TsEventServiceNames, type TsRpcServiceNames,
} from "../../model/names";
import { isEventService } from "../../model/options";
import type { Enum, Field, Message, Model, ProtoFile, Service } from "../../model/types";
import { ImportCollector } from "./imports";

export class FileContext {
  readonly imports: ImportCollector;
  /** The module-level names of each service's declarations (clashes resolved). */
  readonly serviceNames: ReadonlyMap<Service, TsRpcServiceNames | TsEventServiceNames>;

  constructor(readonly model: Model, readonly file: ProtoFile, runtimeModule: string) {
    tsFileTypeNames(file);
    const types = typeNames(file);
    this.serviceNames = tsFileServiceNames(file.services, (s) => isEventService(s, model), types);
    const services = [...this.serviceNames.values()].flatMap((n) => Object.entries(n).filter(([k]) => k !== "kind").map(([, v]) => v));
    this.imports = new ImportCollector([...types, ...services], runtimeModule);
  }

  /** A runtime export, imported on first use. */
  rt(name: string, usage: "value" | "type" = "value"): string {
    return this.imports.runtime(name, usage);
  }

  /** The file declaring a type, its types named (so `tsTypeName` gives their clash-free names). */
  private declaringFile(type: Message | Enum): ProtoFile {
    const file = this.model.file(type.file);
    tsFileTypeNames(file);
    return file;
  }

  /** The identifier of a message or enum (interface/codec or TS enum) as usable in this module. */
  typeRef(fullName: string, usage: "value" | "type"): string {
    const type = this.lookup(fullName);
    const decl = this.declaringFile(type);
    const name = tsTypeName(type, decl.package);
    if (decl.name === this.file.name) return name;
    return this.imports.from(tsRelativeImport(this.file, decl), name, usage);
  }

  /** The `EnumType` descriptor of an enum, as usable in this module. */
  enumDescriptor(fullName: string): string {
    const type = this.model.enum(fullName);
    const decl = this.declaringFile(type);
    const name = tsEnumDescriptorName(type, decl.package);
    if (decl.name === this.file.name) return name;
    return this.imports.from(tsRelativeImport(this.file, decl), name, "value");
  }

  lookup(fullName: string): Message | Enum {
    const t = this.model.lookup(fullName);
    if (t === undefined) throw new Error(`emit/ts: unresolved type ${fullName} in ${this.file.name}`);
    return t;
  }

  /** Output path of this module. */
  get path(): string {
    return `${tsModulePath(this.file)}.ts`;
  }
}

const memberCache = new WeakMap<Message, ReturnType<typeof tsMemberNames>>();

/** Unique property names of a message's plain fields and oneofs (see `tsMemberNames`). */
export function memberNames(m: Message): ReturnType<typeof tsMemberNames> {
  let names = memberCache.get(m);
  if (names === undefined) memberCache.set(m, (names = tsMemberNames(m)));
  return names;
}

/** The property of a field that is not in a oneof. */
export function propOf(m: Message, f: Field): string {
  return memberNames(m).field(f);
}

/** All messages of a file, nested ones included, in declaration order (map entries excluded). */
export function allMessages(file: Pick<ProtoFile, "messages">): Message[] {
  const out: Message[] = [];
  const walk = (ms: readonly Message[]): void => {
    for (const m of ms) {
      if (m.mapEntry) continue;
      out.push(m);
      walk(m.messages);
    }
  };
  walk(file.messages);
  return out;
}

/** All enums of a file, nested ones included, in declaration order. */
export function allEnums(file: Pick<ProtoFile, "messages" | "enums">): Enum[] {
  const out: Enum[] = [...file.enums];
  const walk = (ms: readonly Message[]): void => {
    for (const m of ms) {
      out.push(...m.enums);
      walk(m.messages);
    }
  };
  walk(file.messages);
  return out;
}

/** The module-level names of a file's messages and enums (services come on top, see FileContext). */
function typeNames(file: ProtoFile): string[] {
  return [
    ...allMessages(file).map((m) => tsTypeName(m, file.package)),
    ...allEnums(file).flatMap((e) => [tsTypeName(e, file.package), tsEnumDescriptorName(e, file.package)]),
  ];
}
