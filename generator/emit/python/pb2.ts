/**
 * The `_pb2.py` module of a `.proto` file, shaped like protoc's own Python output (protobuf 5.26+
 * "builder" style): the serialized FileDescriptorProto handed to the default pool, classes built by
 * `_builder`, and the pure-Python fix-up block that re-reads options and records where each
 * descriptor sits in the serialized bytes. Everything after the banner and the version guard is
 * line-for-line what protoc writes, which test/python/test_descriptors.py checks.
 */
import { BANNER_TEXT, type Model, type ProtoFile } from "../../model/types";
import { pyIsKeyword, pyModuleAlias, pyModuleName } from "../../model/names";
import type { DescriptorProto, EnumDescriptorProto, FileDescriptorProto } from "./descriptor-types";
import { encodeEnum, encodeFile, encodeMessage, encodeService } from "./descriptor-encode";
import { buildFileDescriptor } from "./descriptor";
import { cEscape } from "./protoc-text";
import { indexOfBytes } from "./wire";
import { render } from "./helpers";
import { PB2_BODY, PB2_HEADER } from "./templates";

/**
 * The protobuf Python runtime the generated modules need: `runtime_version` and `_loaded_options`
 * exist since 5.26, and 6.x runtimes warn about gencode one major version older, so we claim 6.30
 * (the first 6.x). 7.x runtimes accept any older gencode.
 */
export const PY_PROTOBUF_MIN_VERSION: readonly [number, number, number] = [6, 30, 0];

/** protoc's `IsPythonKeyword` list also has `print` (a Python 2 keyword). */
export function moduleNeedsImportlib(moduleName: string): boolean {
  return moduleName.split(".").some((part) => pyIsKeyword(part) || part === "print");
}

/** Import lines for the dependencies, exactly as protoc's `PrintImports` writes them. */
function importLines(model: Model, file: ProtoFile): { imports: string[]; publicImports: string[] } {
  const imports: string[] = [];
  let haveImportlib = false;
  // protoc copies the aliases that a dependency re-exports through `import public`, recursively.
  const copyPublicAliases = (copyFrom: string, dep: ProtoFile): void => {
    for (const pub of dep.imports.filter((i) => i.kind === "public")) {
      const pubFile = model.file(pub.name);
      const alias = pyModuleAlias(pubFile);
      imports.push(
        "try:",
        `  ${alias} = ${copyFrom}.${alias}`,
        "except AttributeError:",
        `  ${alias} = ${copyFrom}.${pyModuleName(pubFile)}`,
      );
      copyPublicAliases(copyFrom, pubFile);
    }
  };
  for (const imp of file.imports) {
    const dep = model.file(imp.name);
    const mod = pyModuleName(dep);
    const alias = pyModuleAlias(dep);
    if (moduleNeedsImportlib(mod)) {
      // `from a.class.b import c` would be a syntax error, so protoc imports by string.
      if (!haveImportlib) imports.push("import importlib");
      haveImportlib = true;
      imports.push(`${alias} = importlib.import_module('${mod}')`);
    } else {
      const dot = mod.lastIndexOf(".");
      imports.push(dot < 0 ? `import ${mod} as ${alias}` : `from ${mod.slice(0, dot)} import ${mod.slice(dot + 1)} as ${alias}`);
    }
    copyPublicAliases(alias, dep);
  }
  const publicImports = file.imports.filter((i) => i.kind === "public").map((i) => `from ${pyModuleName(model.file(i.name))} import *`);
  return { imports, publicImports };
}

/** `_globals['X'].rest` from `X.rest`, as protoc's `PrintDescriptorOptionsFixingCode` spells it. */
function globalsRef(descriptor: string): string {
  const dot = descriptor.indexOf(".");
  return dot < 0 ? `_globals['${descriptor}']` : `_globals['${descriptor.slice(0, dot)}']${descriptor.slice(dot)}`;
}

interface OptionFix {
  readonly target: string;
  readonly options: string;
}

/** protoc's `FixAllDescriptorOptions` order: file, enums, extensions, messages (depth first), services. */
function optionFixes(fd: FileDescriptorProto): OptionFix[] {
  const fixes: OptionFix[] = [];
  const add = (descriptor: string, options: Uint8Array | undefined): void => {
    if (options !== undefined && options.length > 0) {
      fixes.push({ target: globalsRef(descriptor), options: `b'${cEscape(options)}'` });
    }
  };
  const enumFixes = (e: EnumDescriptorProto, name: string): void => {
    add(name, e.options);
    for (const v of e.value) add(`${name}.values_by_name["${v.name}"]`, v.options);
  };
  const messageFixes = (m: DescriptorProto, name: string): void => {
    for (const n of m.nested_type) messageFixes(n, `${name}_${n.name.toUpperCase()}`);
    for (const o of m.oneof_decl) add(`${name}.oneofs_by_name['${o.name}']`, o.options);
    for (const e of m.enum_type) enumFixes(e, `${name}_${e.name.toUpperCase()}`);
    for (const f of m.field) add(`${name}.fields_by_name['${f.name}']`, f.options);
    for (const x of m.extension) add(`${name}.extensions_by_name['${x.name}']`, x.options);
    add(name, m.options);
  };
  add("DESCRIPTOR", fd.options);
  for (const e of fd.enum_type) enumFixes(e, `_${e.name.toUpperCase()}`);
  for (const x of fd.extension) add(x.name, x.options);
  for (const m of fd.message_type) messageFixes(m, `_${m.name.toUpperCase()}`);
  for (const s of fd.service) {
    const name = `_${s.name.toUpperCase()}`;
    add(name, s.options);
    for (const m of s.method) add(`${name}.methods_by_name['${m.name}']`, m.options);
  }
  return fixes;
}

interface Interval {
  readonly name: string;
  readonly start: number;
  readonly end: number;
}

/**
 * `_serialized_start`/`_serialized_end` of each message, enum and service. protoc finds them by
 * searching the file's bytes for the element's own serialization (first match), so we do the same:
 * two identical nested messages then share the first one's offsets, as in protoc's output.
 */
function intervals(fd: FileDescriptorProto, serialized: Uint8Array): Interval[] {
  const out: Interval[] = [];
  const add = (name: string, bytes: Uint8Array): void => {
    const start = indexOfBytes(serialized, bytes);
    out.push({ name, start, end: start + bytes.length });
  };
  const visitMessage = (m: DescriptorProto, name: string): void => {
    add(name, encodeMessage(m));
    for (const n of m.nested_type) visitMessage(n, `${name}_${n.name.toUpperCase()}`);
    for (const e of m.enum_type) add(`${name}_${e.name.toUpperCase()}`, encodeEnum(e));
  };
  for (const e of fd.enum_type) add(`_${e.name.toUpperCase()}`, encodeEnum(e));
  for (const m of fd.message_type) visitMessage(m, `_${m.name.toUpperCase()}`);
  for (const s of fd.service) add(`_${s.name.toUpperCase()}`, encodeService(s));
  return out;
}

/** Python source of `<file>_pb2.py`. */
export function renderPb2(model: Model, file: ProtoFile): string {
  const fd = buildFileDescriptor(model, file.name, { jsonNames: "explicit" });
  const serialized = encodeFile(fd);
  const { imports, publicImports } = importLines(model, file);
  const moduleName = pyModuleName(file);
  const body = render(PB2_BODY, {
    imports,
    publicImports,
    serialized: cEscape(serialized, true),
    moduleName,
    optionFixes: optionFixes(fd),
    fileHasOptions: fd.options !== undefined && fd.options.length > 0,
    intervals: intervals(fd, serialized),
    genericServices: file.options["py_generic_services"] === true,
  });
  const [major, minor, patch] = PY_PROTOBUF_MIN_VERSION;
  const header = render(PB2_HEADER, { banner: BANNER_TEXT, source: file.name, major, minor, patch, minVersion: PY_PROTOBUF_MIN_VERSION.join(".") });
  return header + body;
}
