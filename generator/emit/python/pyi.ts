/**
 * The `.pyi` stub of a `_pb2.py` module, in mypy-protobuf's style so `mypy --strict` users get precise
 * types: message classes with typed attributes and containers, keyword-only `__init__`, `Literal`
 * field names for `HasField`/`ClearField`/`WhichOneof`, and enums as `EnumTypeWrapper` subclasses with
 * a `ValueType` NewType. `.proto` comments become docstrings.
 *
 * Type references go through module-level `Global___X` aliases (mypy-protobuf's trick): inside a class
 * body a field or nested class could otherwise shadow the name of the type it refers to.
 */
import { BANNER_TEXT } from "../../model/types";
import type { Enum, EnumValue, Field, Message, Model, Oneof, ProtoFile, ScalarType, ValueType } from "../../model/types";
import { pyIsKeyword, pyModuleAlias, pyModuleName } from "../../model/names";
import { docstring, docText, render, trimLineEnds } from "./helpers";
import { PYI_BODY, PYI_HEADER } from "./templates-pyi";

/** Names an enum value cannot take as a stub attribute: members of `_EnumTypeWrapper` itself. */
const ENUM_WRAPPER_MEMBERS: ReadonlySet<string> = new Set(["DESCRIPTOR", "Name", "Value", "keys", "values", "items"]);

const PY_SCALAR: Readonly<Record<ScalarType, string>> = {
  double: "float", float: "float", int32: "int", int64: "int", uint32: "int", uint64: "int", sint32: "int",
  sint64: "int", fixed32: "int", fixed64: "int", sfixed32: "int", sfixed64: "int", bool: "bool", string: "str",
  bytes: "bytes",
};

/** Imports of a stub, recorded as the body uses them and printed in a fixed order by the header. */
class StubImports {
  private readonly lines = new Set<string>();

  use(line: string): void {
    this.lines.add(line);
  }

  /** Sorted: stdlib (`import x`), then `from collections`, then google.protobuf, then schema modules. */
  list(): string[] {
    const rank = (l: string): number =>
      l.startsWith("import builtins") || l.startsWith("import typing") ? 0
        : l.startsWith("from collections") ? 1 : l.startsWith("from google.protobuf") ? 2 : 3;
    return [...this.lines].sort((a, b) => rank(a) - rank(b) || a.localeCompare(b));
  }
}

const literalOf = (names: readonly string[]): string =>
  `_typing.Literal[${[...names].sort().map((n) => `"${n}", b"${n}"`).join(", ")}]`;

class StubBuilder {
  readonly imports = new StubImports();

  constructor(private readonly model: Model, private readonly file: ProtoFile) {}

  private get builtins(): string {
    this.imports.use("import builtins as _builtins");
    return "_builtins";
  }

  private get typing(): string {
    this.imports.use("import typing as _typing");
    return "_typing";
  }

  /** The module-level expression of a message or enum: `Global___Outer.Inner` or `alias.Outer.Inner`. */
  typeRef(fullName: string): string {
    const type = this.model.lookup(fullName);
    if (type === undefined) throw new Error(`unknown type ${fullName}`);
    const file = this.model.file(type.file);
    const local = file.package === "" ? fullName : fullName.slice(file.package.length + 1);
    const [top, ...rest] = local.split(".");
    if (file.name === this.file.name) return [`Global___${top}`, ...rest].join(".");
    const mod = pyModuleName(file);
    const alias = pyModuleAlias(file);
    const dot = mod.lastIndexOf(".");
    this.imports.use(dot < 0 ? `import ${mod} as ${alias}` : `from ${mod.slice(0, dot)} import ${mod.slice(dot + 1)} as ${alias}`);
    return [alias, top, ...rest].join(".");
  }

  valueType(t: ValueType): string {
    if (t.kind === "scalar") return `${this.builtins}.${PY_SCALAR[t.scalar]}`;
    if (t.kind === "enum") return `${this.typeRef(t.typeName)}.ValueType`;
    return this.typeRef(t.typeName);
  }

  /** Enum declarations (helper class, wrapper metaclass, the enum class, value constants). */
  enumCtx(e: Enum, path: string) {
    const valueRef = `${path}_${e.name}.ValueType`;
    const values = e.values.map((v) => this.enumValueCtx(v));
    this.imports.use("from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper");
    this.imports.use("from google.protobuf import descriptor as _descriptor");
    return {
      name: e.name,
      keyword: pyIsKeyword(e.name),
      typing: this.typing,
      builtins: this.builtins,
      valueRef,
      publicValueRef: path === "" ? `Global___${e.name}.ValueType` : `${path}${e.name}.ValueType`,
      doc: this.doc(docText(e.comments, `@generated from enum ${e.fullName}`), 4),
      values,
    };
  }

  private enumValueCtx(v: EnumValue) {
    const omitted = pyIsKeyword(v.name) || ENUM_WRAPPER_MEMBERS.has(v.name);
    return { name: v.name, number: v.number, omitted, doc: this.doc(docText(v.comments), 0) };
  }

  private doc(text: string | undefined, indent: number): string | undefined {
    return text === undefined ? undefined : docstring(text, " ".repeat(indent));
  }

  messageCtx(m: Message, path: string): object {
    // Top-level names go through their Global___ alias, nested ones through the enclosing path.
    const self = path === "" ? `Global___${m.name}` : `${path}${m.name}`;
    this.imports.use("from google.protobuf import message as _message");
    this.imports.use("from google.protobuf import descriptor as _descriptor");
    const nestedPath = `${self}.`;
    const fields = m.fields.map((f) => this.fieldCtx(f));
    const usable = fields.filter((f) => !f.keyword);
    const presence = m.fields.filter((f) => hasPresence(f)).map((f) => f.name);
    const oneofNames = m.oneofs.map((o) => o.name);
    return {
      name: m.name,
      keyword: pyIsKeyword(m.name),
      typing: this.typing,
      builtins: this.builtins,
      doc: this.doc(docText(m.comments, `@generated from message ${m.fullName}`), 4),
      enums: m.enums.map((e) => this.enumCtx(e, nestedPath)),
      messages: m.messages.map((n) => this.messageCtx(n, nestedPath)),
      fieldNumbers: m.fields.map((f) => `${f.name.toUpperCase()}_FIELD_NUMBER`),
      attributes: usable.filter((f) => !f.property),
      properties: usable.filter((f) => f.property),
      keywordFields: fields.filter((f) => f.keyword),
      // A field named `self` would clash with the method's first parameter.
      selfName: m.fields.some((f) => f.name === "self") ? "self_" : "self",
      initParams: usable,
      hasFieldArg: [...presence, ...oneofNames].length > 0 ? literalOf([...presence, ...oneofNames]) : `${this.typing}.NoReturn`,
      clearFieldArg: [...m.fields.map((f) => f.name), ...oneofNames].length > 0
        ? literalOf([...m.fields.map((f) => f.name), ...oneofNames]) : `${this.typing}.NoReturn`,
      oneofs: m.oneofs.map((o) => this.oneofCtx(o)),
      overloadOneofs: m.oneofs.length > 1,
    };
  }

  private oneofCtx(o: Oneof) {
    return {
      arg: literalOf([o.name]),
      result: `${this.typing}.Literal[${o.fields.map((f) => `"${f}"`).join(", ")}]`,
    };
  }

  private fieldCtx(f: Field) {
    const b = this.builtins;
    const element = this.valueType(f.type);
    let type: string;
    let initType: string;
    let property = true;
    if (f.map !== undefined) {
      const key = `${b}.${PY_SCALAR[f.map.key]}`;
      const container = f.map.value.kind === "message" ? "MessageMap" : "ScalarMap";
      type = `_containers.${container}[${key}, ${this.valueType(f.map.value)}]`;
      initType = `_abc.Mapping[${key}, ${this.valueType(f.map.value)}] | None`;
    } else if (f.cardinality === "repeated") {
      const container = f.type.kind === "message" ? "RepeatedCompositeFieldContainer" : "RepeatedScalarFieldContainer";
      type = `_containers.${container}[${element}]`;
      initType = `_abc.Iterable[${element}] | None`;
    } else {
      type = element;
      property = f.type.kind === "message";
      initType = hasPresence(f) ? `${element} | None` : element;
    }
    if (type.startsWith("_containers")) {
      this.imports.use("from google.protobuf.internal import containers as _containers");
    }
    if (initType.startsWith("_abc")) this.imports.use("from collections import abc as _abc");
    return {
      name: f.name,
      keyword: pyIsKeyword(f.name),
      declaration: fieldDeclaration(f),
      type,
      initType,
      property,
      doc: this.doc(docText(f.comments, `@generated from field: ${fieldDeclaration(f)}`), property ? 8 : 4),
    };
  }

  fileCtx() {
    const f = this.file;
    this.imports.use("from google.protobuf import descriptor as _descriptor");
    return {
      typing: this.typing,
      enums: f.enums.map((e) => this.enumCtx(e, "")),
      messages: f.messages.map((m) => this.messageCtx(m, "")),
    };
  }
}

/** Fields with explicit presence: the ones `HasField` accepts. */
function hasPresence(f: Field): boolean {
  if (f.cardinality === "repeated" || f.cardinality === "map") return false;
  return f.cardinality !== "singular" || f.type.kind === "message";
}

/** The field as declared in the .proto file, for the origin line of its docstring. */
function fieldDeclaration(f: Field): string {
  const typeName = (t: ValueType): string => (t.kind === "scalar" ? t.scalar : t.typeName);
  if (f.map !== undefined) return `map<${f.map.key}, ${typeName(f.map.value)}> ${f.name} = ${f.number}`;
  const label = f.cardinality === "repeated" ? "repeated "
    : f.cardinality === "required" ? "required " : f.proto3Optional ? "optional " : "";
  return `${label}${typeName(f.type)} ${f.name} = ${f.number}`;
}

/** Top-level names a module defines, plus those it re-exports itself through `import public`. */
function exportedNames(model: Model, file: ProtoFile): string[] {
  const own = [
    ...file.messages.map((m) => m.name),
    ...file.enums.flatMap((e) => [e.name, ...e.values.map((v) => v.name)]),
  ].filter((n) => !pyIsKeyword(n));
  const reexported = file.imports.filter((i) => i.kind === "public").flatMap((i) => exportedNames(model, model.file(i.name)));
  return [...own, ...reexported];
}

/**
 * `import public`: the .py does `from <module> import *`. A star import in the stub would also bring
 * in the other module's `DESCRIPTOR` (a redefinition error), so the stub names each symbol instead,
 * with the `X as X` form that marks a re-export.
 */
function publicReexport(model: Model, dep: ProtoFile): string {
  const names = [...new Set(exportedNames(model, dep))];
  return [`from ${pyModuleName(dep)} import (`, ...names.map((n) => `    ${n} as ${n},`), ")"].join("\n");
}

/** Python stub source of `<file>_pb2.pyi`. */
export function renderPyi(model: Model, file: ProtoFile): string {
  const builder = new StubBuilder(model, file);
  const body = render(PYI_BODY, builder.fileCtx());
  const header = render(PYI_HEADER, {
    banner: BANNER_TEXT,
    source: file.name,
    doc: docText(file.comments) === undefined ? undefined : docstring(docText(file.comments)!, ""),
    imports: builder.imports.list(),
    publicImports: file.imports.filter((i) => i.kind === "public").map((i) => publicReexport(model, model.file(i.name))),
  });
  return trimLineEnds(header + body);
}
