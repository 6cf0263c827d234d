/**
 * Hand-built IR for emitter unit tests: every element gets the defaults a parser would give, so a test
 * only spells out what it is about. Positions count up so declaration order is well defined.
 */
import type {
  Enum, EnumValue, Extension, Field, Message, Method, Model, Oneof, ProtoFile, Service, ValueType,
} from "../../../generator/model/types";
import { protoJsonName } from "../../../generator/model/names";

let line = 1;
const pos = (file = "test.proto") => ({ file, line: line++, col: 1 });

export const scalar = (s: Extract<ValueType, { kind: "scalar" }>["scalar"]): ValueType => ({ kind: "scalar", scalar: s });
export const msgType = (typeName: string, group = false): ValueType => ({ kind: "message", typeName, group });
export const enumType = (typeName: string): ValueType => ({ kind: "enum", typeName });

export function field(name: string, number: number, type: ValueType, extra: Partial<Field> = {}): Field {
  return {
    name, number, jsonName: protoJsonName(name), explicitJsonName: false, cardinality: "singular", type,
    proto3Optional: false, packed: false, deprecated: false, jstype: "normal", options: {}, comments: {},
    pos: pos(), ...extra,
  };
}

export function oneof(name: string, fields: string[], extra: Partial<Oneof> = {}): Oneof {
  return { name, fields, synthetic: false, options: {}, comments: {}, pos: pos(), ...extra };
}

export function message(fullName: string, extra: Partial<Message> = {}): Message {
  const name = fullName.slice(fullName.lastIndexOf(".") + 1);
  return {
    kind: "message", name, fullName, file: "test.proto", fields: [], oneofs: [], messages: [], enums: [],
    extensions: [], mapEntry: false, group: false, reservedRanges: [], reservedNames: [], extensionRanges: [],
    deprecated: false, options: {}, comments: {}, pos: pos(), ...extra,
  };
}

export function enumValue(name: string, number: number, extra: Partial<EnumValue> = {}): EnumValue {
  return { name, number, deprecated: false, options: {}, comments: {}, pos: pos(), ...extra };
}

export function enumOf(fullName: string, values: EnumValue[], extra: Partial<Enum> = {}): Enum {
  const name = fullName.slice(fullName.lastIndexOf(".") + 1);
  return {
    kind: "enum", name, fullName, file: "test.proto", values, closed: false, allowAlias: false,
    reservedRanges: [], reservedNames: [], deprecated: false, options: {}, comments: {}, pos: pos(), ...extra,
  };
}

export function extension(f: Field, extendee: string, scope: string): Extension {
  return { ...f, extendee, scope };
}

export function method(name: string, inputType: string, outputType: string, extra: Partial<Method> = {}): Method {
  return {
    name, inputType, outputType, clientStreaming: false, serverStreaming: false, deprecated: false, options: {},
    hasBody: false, comments: {}, pos: pos(), ...extra,
  };
}

export function service(fullName: string, methods: Method[], extra: Partial<Service> = {}): Service {
  const name = fullName.slice(fullName.lastIndexOf(".") + 1);
  return {
    kind: "service", name, fullName, file: "test.proto", methods, deprecated: false, options: {}, comments: {},
    pos: pos(), ...extra,
  };
}

/** Stamp `file` on every message, enum and service declared in a file, so tests need not repeat it. */
function messageInFile(file: string, m: Message): Message {
  return { ...m, file, messages: m.messages.map((n) => messageInFile(file, n)), enums: m.enums.map((e) => ({ ...e, file })) };
}

export function protoFile(name: string, extra: Partial<ProtoFile> = {}): ProtoFile {
  const f: ProtoFile = {
    name, path: `/schemas/${name}`, syntax: "proto3", package: "", imports: [], messages: [], enums: [],
    services: [], extensions: [], options: {}, wellKnown: false, comments: {}, ...extra,
  };
  return {
    ...f,
    messages: f.messages.map((m) => messageInFile(name, m)),
    enums: f.enums.map((e) => ({ ...e, file: name })),
    services: f.services.map((s) => ({ ...s, file: name })),
  };
}

/** A model over `files` (dependencies first); the last file is the target unless `targets` says otherwise. */
export function modelOf(files: ProtoFile[], targets?: string[]): Model {
  const messages = new Map<string, Message>();
  const enums = new Map<string, Enum>();
  const visit = (ms: readonly Message[], es: readonly Enum[]): void => {
    for (const e of es) enums.set(e.fullName, e);
    for (const m of ms) {
      messages.set(m.fullName, m);
      visit(m.messages, m.enums);
    }
  };
  for (const f of files) visit(f.messages, f.enums);
  return {
    files,
    targets: targets ?? [files[files.length - 1]!.name],
    file(name) {
      const f = files.find((x) => x.name === name);
      if (f === undefined) throw new Error(`no file ${name}`);
      return f;
    },
    message(fullName) {
      const m = messages.get(fullName);
      if (m === undefined) throw new Error(`no message ${fullName}`);
      return m;
    },
    enum(fullName) {
      const e = enums.get(fullName);
      if (e === undefined) throw new Error(`no enum ${fullName}`);
      return e;
    },
    lookup: (fullName) => messages.get(fullName) ?? enums.get(fullName),
  };
}
