/**
 * protobufjs reflection -> protozmq IR. Resolves every type reference, attaches source positions and
 * comments, synthesizes map-entry messages, and orders members as protoc does (declaration order).
 */
import * as protobuf from "protobufjs";
import type { Diagnostic } from "../model/diagnostics";
import { pascalCase, protoJsonName } from "../model/names";
import type {
  Cardinality, Comments, Enum, EnumValue, Extension, Field, Message, Method, Oneof, Options, OptionValue,
  ProtoFile, ReservedRange, ScalarType, Service, SourcePos, ValueType,
} from "../model/types";
import { scalarDefaultText } from "./defaults";
import { unmangleProto, type LoadedFile } from "./load";
import type { SymbolTable } from "./symbols";

export const SCALARS: ReadonlySet<string> = new Set<ScalarType>([
  "double", "float", "int32", "int64", "uint32", "uint64", "sint32", "sint64",
  "fixed32", "fixed64", "sfixed32", "sfixed64", "bool", "string", "bytes",
]);

const MAX_FIELD_NUMBER = 536870911;

const PACKABLE_EXCLUDED: ReadonlySet<string> = new Set(["string", "bytes"]);

/** Option keys protobufjs stores on fields that are not descriptor options. */
const NON_OPTION_KEYS: ReadonlySet<string> = new Set(["proto3_optional", "default", "json_name"]);

type Mutable<T> = { -readonly [K in keyof T]: T[K] };

/**
 * The comments of a declaration: protobufjs's comment (the leading one, or the trailing one when
 * there is no leading one) and the trailing one from locate.ts, once.
 */
function comments(obj: { comment: string | null } | undefined, trailing: string | undefined): Comments {
  const c = obj?.comment;
  const leading = typeof c === "string" && c.trim() !== "" && c !== trailing ? c : undefined;
  return {
    ...(leading !== undefined ? { leading } : {}),
    ...(trailing !== undefined && trailing.trim() !== "" ? { trailing } : {}),
  };
}

function options(raw: { [k: string]: unknown } | undefined, drop: ReadonlySet<string> = new Set()): Options {
  const out: { [k: string]: OptionValue } = {};
  if (!raw) return out;
  for (const [k, v] of Object.entries(raw)) {
    if (drop.has(k) || v === undefined || v === null) continue;
    out[k] = v as OptionValue;
  }
  return out;
}

function ranges(raw: ReadonlyArray<number[] | string> | undefined): { ranges: ReservedRange[]; names: string[] } {
  const out = { ranges: [] as ReservedRange[], names: [] as string[] };
  for (const r of raw ?? []) {
    if (typeof r === "string") out.names.push(r);
    else out.ranges.push({ start: r[0]!, end: r[1]! });
  }
  return out;
}

const byPos = <T extends { pos: SourcePos }>(a: T, b: T): number => a.pos.line - b.pos.line || a.pos.col - b.pos.col;

/** Builds the IR of one loaded file. Problems are appended to `diagnostics`. */
export class FileBuilder {
  private readonly pkg: string;
  private readonly visible: ReadonlySet<string>;

  constructor(
    private readonly file: LoadedFile,
    private readonly symbols: SymbolTable,
    private readonly diagnostics: Diagnostic[],
  ) {
    this.pkg = file.parsed.package ?? "";
    this.visible = symbols.visibleFiles(file.name);
  }

  build(): ProtoFile {
    const root = this.file.parsed.root;
    const ns = this.pkg === "" ? root : root.lookup(this.pkg);
    const nested = ns instanceof protobuf.Namespace ? ns.nestedArray : [];
    const fileOptions = { ...(root.options ?? {}), ...(ns && ns !== root ? ns.options ?? {} : {}) };
    const { messages, enums, extensions } = this.members(nested, this.pkg, "");
    const services = nested
      .filter((o): o is protobuf.Service => o instanceof protobuf.Service)
      .map((s) => this.service(s))
      .sort(byPos);
    const header = this.file.locations.headerComment;
    return {
      name: this.file.name,
      path: this.file.absPath,
      syntax: this.file.syntax,
      package: this.pkg,
      imports: this.file.locations.imports.map((i) => ({ name: i.name, kind: i.kind, pos: this.pos(i.pos) })),
      messages,
      enums,
      services,
      extensions,
      options: options(fileOptions),
      wellKnown: this.file.wellKnown,
      comments: header !== undefined ? { leading: header } : {},
    };
  }

  private pos(p: { line: number; col: number }): SourcePos {
    return { file: this.file.name, line: p.line, col: p.col };
  }

  /** The trailing comment of the declaration at a locator key, if any. */
  private trailing(key: string): string | undefined {
    return this.file.locations.trailing.get(key);
  }

  private at(key: string): SourcePos {
    return this.pos(this.file.locations.at(key));
  }

  private error(pos: SourcePos, message: string): void {
    this.diagnostics.push({ file: this.file.displayPath, line: pos.line, col: pos.col, message });
  }

  private local(fullName: string): string {
    return this.pkg === "" ? fullName : fullName.slice(this.pkg.length + 1);
  }

  /** Messages, enums and extension fields declared directly in a namespace or message. */
  private members(nested: readonly protobuf.ReflectionObject[], scope: string, parentFull: string | "") {
    const messages: Message[] = [];
    const enums: Enum[] = [];
    const extensions: Extension[] = [];
    for (const obj of nested) {
      if (obj instanceof protobuf.Type) messages.push(this.message(obj, scope, parentFull));
      else if (obj instanceof protobuf.Enum) enums.push(this.enumeration(obj, scope, parentFull));
      else if (obj instanceof protobuf.Field && obj.extend !== undefined) {
        const ext = this.extension(obj, scope);
        if (ext) extensions.push(ext);
      }
    }
    return { messages: messages.sort(byPos), enums: enums.sort(byPos), extensions: extensions.sort(byPos) };
  }

  private message(type: protobuf.Type, scope: string, parentFull: string): Message {
    const fullName = scope === "" ? type.name : `${scope}.${type.name}`;
    const local = this.local(fullName);
    const fields: Field[] = [];
    const mapEntries: Message[] = [];
    const realOneofs = new Map<string, string[]>();
    for (const f of type.fieldsArray) {
      // protobufjs also adds each extension to the message it extends (named `.pkg.ext`, with
      // `declaringField` set); the extension belongs to its declaring scope, not here.
      if ((f as { declaringField?: unknown }).declaringField) continue;
      const field = this.field(f, fullName, local, "/");
      if (!field) continue;
      fields.push(field);
      if (field.oneof) {
        const list = realOneofs.get(field.oneof) ?? [];
        list.push(field.name);
        realOneofs.set(field.oneof, list);
      }
      if (field.map) mapEntries.push(this.mapEntry(field, fullName));
    }
    fields.sort(byPos);
    const oneofs: Oneof[] = [];
    for (const o of type.oneofsArray) {
      const synthetic = this.isSyntheticOneof(o);
      if (synthetic) continue;
      oneofs.push({
        name: o.name,
        fields: fields.filter((f) => f.oneof === o.name).map((f) => f.name),
        synthetic: false,
        options: options(o.options),
        comments: comments(o, this.trailing(`${local}/${o.name}`)),
        pos: this.at(`${local}/${o.name}`),
      });
    }
    oneofs.sort(byPos);
    // protoc appends the synthetic oneofs of proto3 `optional` fields after all real ones, in field order.
    for (const f of fields.filter((x) => x.proto3Optional)) {
      oneofs.push({ name: this.syntheticOneofName(f.name, fields, oneofs), fields: [f.name], synthetic: true, options: {}, comments: {}, pos: f.pos });
    }
    const members = this.members(type.nestedArray, fullName, fullName);
    const reserved = ranges(type.reserved as Array<number[] | string> | undefined);
    const opts = options(type.options);
    // `to max` means 2^29-1 for ordinary messages but INT32_MAX-1 (inclusive) with message_set_wire_format.
    const ext = ranges(type.extensions as Array<number[]> | undefined);
    if (opts["message_set_wire_format"] === true) {
      ext.ranges = ext.ranges.map((r) => (r.end === MAX_FIELD_NUMBER ? { start: r.start, end: 2147483646 } : r));
    }
    const msg: Message = {
      kind: "message",
      name: type.name,
      fullName,
      file: this.file.name,
      ...(parentFull !== "" ? { parent: parentFull } : {}),
      fields,
      oneofs,
      messages: [...members.messages, ...mapEntries].sort(byPos),
      enums: members.enums,
      extensions: members.extensions,
      mapEntry: false,
      group: (type as { group?: boolean }).group === true,
      reservedRanges: reserved.ranges,
      reservedNames: reserved.names,
      extensionRanges: ext.ranges,
      deprecated: opts["deprecated"] === true,
      options: opts,
      comments: comments(type, this.trailing(local)),
      pos: this.at(local),
    };
    return msg;
  }

  /** protoc names the synthetic oneof `_name`, prefixing more `_` or `X` until it is unique. */
  private syntheticOneofName(fieldName: string, fields: readonly Field[], oneofs: readonly Oneof[]): string {
    const taken = new Set<string>([...fields.map((f) => f.name), ...oneofs.map((o) => o.name)]);
    let name = `_${fieldName}`;
    while (taken.has(name)) name = `X${name}`;
    return name;
  }

  private isSyntheticOneof(o: protobuf.OneOf): boolean {
    if (o.fieldsArray.length !== 1) return false;
    return o.fieldsArray[0]!.options?.["proto3_optional"] === true;
  }

  private mapEntry(field: Field, parentFull: string): Message {
    const map = field.map!;
    const kv = (name: "key" | "value", number: number, type: ValueType): Field => ({
      name, number, jsonName: name, explicitJsonName: false,
      cardinality: this.file.syntax === "proto3" && type.kind !== "message" ? "singular" : "optional",
      type, proto3Optional: false, packed: false, deprecated: false, jstype: "normal", options: {}, comments: {}, pos: field.pos,
    });
    return {
      kind: "message",
      name: map.entryName,
      fullName: `${parentFull}.${map.entryName}`,
      file: this.file.name,
      parent: parentFull,
      fields: [kv("key", 1, { kind: "scalar", scalar: map.key }), kv("value", 2, map.value)],
      oneofs: [], messages: [], enums: [], extensions: [],
      mapEntry: true, group: false,
      reservedRanges: [], reservedNames: [], extensionRanges: [],
      deprecated: false, options: {}, comments: {}, pos: field.pos,
    };
  }

  private resolveType(ref: string, scope: string, pos: SourcePos, fieldDesc: string): ValueType | undefined {
    if (SCALARS.has(ref)) return { kind: "scalar", scalar: ref as ScalarType };
    const full = this.symbols.resolve(ref, scope);
    if (full === undefined) {
      this.error(pos, `unknown type "${ref}" for ${fieldDesc}`);
      return undefined;
    }
    const info = this.symbols.get(full)!;
    if (!this.visible.has(info.file)) {
      this.error(pos, `"${full}" is defined in "${info.file}", which is not imported by "${this.file.name}"; add: import "${info.file}";`);
      return undefined;
    }
    if (info.kind === "enum") return { kind: "enum", typeName: full };
    if (info.kind === "message") return { kind: "message", typeName: full, group: info.group === true };
    this.error(pos, `"${full}" is a ${info.kind}, not a message or enum type (${fieldDesc})`);
    return undefined;
  }

  /** Build one field; `keyPrefix` is "/" for message fields and "/+" for extensions (locator keys). */
  private field(f: protobuf.Field, scope: string, localScope: string, keyPrefix: "/" | "/+"): Field | undefined {
    const typeInfo = this.symbols.get(this.symbols.resolve(f.type, scope) ?? "");
    const isGroup = typeInfo?.kind === "message" && typeInfo.group === true;
    // protoc names a group's field after the lower-cased group type name; protobufjs only lower-cases the first letter.
    const name = isGroup ? f.type.split(".").pop()!.toLowerCase() : f.name;
    const key = `${localScope}${keyPrefix}${name}`;
    const pos = this.at(key);
    const typePos = this.at(`${key}:type`);
    const desc = `field "${name}"`;
    const raw = (f.options ?? {}) as { [k: string]: unknown };
    const isMap = f instanceof protobuf.MapField;
    const type = this.resolveType(f.type, scope, typePos, desc);
    if (!type) return undefined;
    const proto3Optional = raw["proto3_optional"] === true;
    const oneofName = f.partOf && !this.isSyntheticOneof(f.partOf) ? f.partOf.name : undefined;
    let cardinality: Cardinality;
    if (isMap) cardinality = "map";
    else if (f.repeated) cardinality = "repeated";
    // `Field#required` is derived from resolved edition features, which we never resolve; `rule` is as written.
    else if ((f as { rule?: string }).rule === "required") cardinality = "required";
    else if (proto3Optional || oneofName !== undefined || this.file.syntax === "proto2" || type.kind === "message") cardinality = "optional";
    else cardinality = "singular";
    const jsonOpt = raw["json_name"];
    const jstypeOpt = raw["jstype"];
    const field: Mutable<Field> = {
      name,
      number: f.id,
      // Derived names are computed from the real name, not the parse-time `__proto__` placeholder.
      jsonName: typeof jsonOpt === "string" ? jsonOpt : protoJsonName(unmangleProto(name)),
      explicitJsonName: typeof jsonOpt === "string",
      cardinality,
      type,
      proto3Optional,
      packed: false,
      deprecated: raw["deprecated"] === true,
      jstype: jstypeOpt === "JS_STRING" ? "string" : jstypeOpt === "JS_NUMBER" ? "number" : "normal",
      options: options(raw, NON_OPTION_KEYS),
      comments: comments(f, this.trailing(key)),
      pos,
    };
    if (oneofName !== undefined) field.oneof = oneofName;
    if (isMap) {
      const keyType = (f as protobuf.MapField).keyType;
      field.map = { key: keyType as ScalarType, value: type, entryName: `${pascalCase(unmangleProto(name))}Entry` };
    }
    if (cardinality === "repeated" && (type.kind === "enum" || (type.kind === "scalar" && !PACKABLE_EXCLUDED.has(type.scalar)))) {
      field.packed = this.file.syntax === "proto3" ? raw["packed"] !== false : raw["packed"] === true;
    }
    if (raw["default"] !== undefined) {
      const d = this.defaultText(raw["default"], type, key, pos, desc);
      if (d !== undefined) field.defaultText = d;
    }
    return field;
  }

  private defaultText(value: unknown, type: ValueType, key: string, pos: SourcePos, desc: string): string | undefined {
    if (this.file.syntax === "proto3") {
      this.error(pos, `explicit default values are not allowed in proto3 (${desc})`);
      return undefined;
    }
    if (type.kind === "message") {
      this.error(pos, `message fields cannot have default values (${desc})`);
      return undefined;
    }
    // Enum defaults are value names; validate.ts checks the name exists once every enum is built.
    if (type.kind === "enum") return String(value);
    const res = scalarDefaultText(type.scalar, value, this.file.locations.defaults.get(key));
    if ("error" in res) {
      this.error(pos, `${res.error} (${desc})`);
      return undefined;
    }
    return res.text;
  }

  private extension(f: protobuf.Field, scope: string): Extension | undefined {
    const localScope = scope === this.pkg ? "" : this.local(scope);
    const base = this.field(f, scope, localScope, "/+");
    if (!base) return undefined;
    const extendee = this.symbols.resolve(f.extend!, scope);
    if (extendee === undefined) {
      this.error(base.pos, `unknown type "${f.extend}" in extend`);
      return undefined;
    }
    return { ...base, extendee, scope };
  }

  private enumeration(e: protobuf.Enum, scope: string, parentFull: string): Enum {
    const fullName = scope === "" ? e.name : `${scope}.${e.name}`;
    const local = this.local(fullName);
    const valuesOptions = (e as unknown as { valuesOptions?: { [k: string]: { [k: string]: unknown } } }).valuesOptions ?? {};
    const values: EnumValue[] = Object.keys(e.values).map((name) => {
      const opts = options(valuesOptions[name]);
      const comment = e.comments[name];
      return {
        name,
        number: e.values[name]!,
        deprecated: opts["deprecated"] === true,
        options: opts,
        comments: comments({ comment: typeof comment === "string" ? comment : null }, this.trailing(`${local}/${name}`)),
        pos: this.at(`${local}/${name}`),
      };
    });
    const reserved = ranges(e.reserved as Array<number[] | string> | undefined);
    const opts = options(e.options);
    return {
      kind: "enum",
      name: e.name,
      fullName,
      file: this.file.name,
      ...(parentFull !== "" ? { parent: parentFull } : {}),
      values,
      closed: this.file.syntax === "proto2",
      allowAlias: opts["allow_alias"] === true,
      reservedRanges: reserved.ranges,
      reservedNames: reserved.names,
      deprecated: opts["deprecated"] === true,
      options: opts,
      comments: comments(e, this.trailing(local)),
      pos: this.at(local),
    };
  }

  private service(s: protobuf.Service): Service {
    const fullName = this.pkg === "" ? s.name : `${this.pkg}.${s.name}`;
    const methods: Method[] = [];
    for (const m of s.methodsArray) {
      const key = `${s.name}/${m.name}`;
      const input = this.resolveType(m.requestType, fullName, this.at(`${key}:in`), `the input of rpc ${m.name}`);
      const output = this.resolveType(m.responseType, fullName, this.at(`${key}:out`), `the output of rpc ${m.name}`);
      for (const [t, which] of [[input, "input"], [output, "output"]] as const) {
        if (t && t.kind !== "message") this.error(this.at(key), `the ${which} of rpc ${m.name} must be a message type, not ${t.kind === "enum" ? t.typeName : t.scalar}`);
      }
      if (!input || !output || input.kind !== "message" || output.kind !== "message") continue;
      const opts = options(m.options);
      methods.push({
        name: m.name,
        inputType: input.typeName,
        outputType: output.typeName,
        clientStreaming: m.requestStream === true,
        serverStreaming: m.responseStream === true,
        deprecated: opts["deprecated"] === true,
        options: opts,
        hasBody: this.file.locations.decls.has(`${key}:body`),
        comments: comments(m, this.trailing(key)),
        pos: this.at(key),
      });
    }
    const opts = options(s.options);
    return {
      kind: "service",
      name: s.name,
      fullName,
      file: this.file.name,
      methods: methods.sort(byPos),
      deprecated: opts["deprecated"] === true,
      options: opts,
      comments: comments(s, this.trailing(s.name)),
      pos: this.at(s.name),
    };
  }
}
