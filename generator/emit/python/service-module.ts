/**
 * The state of one `_pzmq.py` module while it renders: the imports its body used (printed by the
 * header, which renders last), references to message classes of `_pb2` modules, the facts about
 * each method that the service and event templates share, and docstrings.
 */
import type { Method, Model, ProtoFile, Service } from "../../model/types";
import { pyIsKeyword, pyModuleAlias, pyModuleName, pyServiceMethodNames } from "../../model/names";
import { isOnewayMethod } from "../../model/options";
import { type MethodKind, methodKind, rpcDeclaration } from "../../model/rpc";
import { docstring, docText, PY_WIDTH, wrapText } from "./helpers";
import { moduleNeedsImportlib } from "./pb2";

/**
 * Names a services module may bind through its imports. Generated declarations never take them
 * (see `pyFileServiceNames`), whichever of them a given module happens to import.
 */
export const PY_SERVICE_MODULE_IMPORTS: readonly string[] = [
  "annotations", "dataclasses", "importlib", "time", "warnings", "AsyncIterable", "AsyncIterator", "Iterable",
  "Iterator", "Any", "Final", "Literal", "NoReturn", "TypeAlias", "overload", "protozmq", "_check_runtime_api", "_error",
];

/** A message class as generated code uses it. */
export interface PyType {
  /** The class as a run-time expression: `interop_dot_test__pb2.Tick`. */
  readonly value: string;
  /** The class as an annotation: the same, or `Any` when the stub cannot name it (a keyword in its path). */
  readonly annotation: string;
}

/** What the templates need to know about one method. */
export interface PyMethodInfo {
  readonly method: Method;
  /** Member name in every generated class: the `.proto` name, escaped (`None_`). */
  readonly name: string;
  readonly kind: MethodKind;
  readonly oneway: boolean;
  readonly input: PyType;
  readonly output: PyType;
  /** `"<package>.<Service>/<Method>"`: the call's path (PZMQ/1 5.1) or the event's topic (section 7). */
  readonly path: string;
  /** `rpc Get(pkg.Req) returns (pkg.Resp);`, for the origin line of docstrings. */
  readonly declaration: string;
}

/** Imports a module's body used, printed in isort's order by the header. */
class ModuleImports {
  private readonly plain = new Set<string>();
  private readonly from = new Map<string, Set<string>>();
  private readonly schema = new Set<string>();

  /** `import <module>` (stdlib). */
  module(name: string): string {
    this.plain.add(name);
    return name;
  }

  /** `from <module> import <name>` (stdlib); returns the name. */
  name(module: string, name: string): string {
    const names = this.from.get(module) ?? new Set<string>();
    names.add(name);
    this.from.set(module, names);
    return name;
  }

  /** The import of a `_pb2` module, as protoc writes it (importlib for paths with a keyword). */
  pb2(line: string): void {
    this.schema.add(line);
  }

  /** Standard library imports, then schema modules (importlib lines last, as they need `importlib`). */
  lines(): { stdlib: string[]; schema: string[] } {
    const stdlib = [
      ...[...this.plain].sort().map((m) => `import ${m}`),
      ...[...this.from.keys()].sort().map((m) => `from ${m} import ${[...this.from.get(m)!].sort().join(", ")}`),
    ];
    const schema = [...this.schema].sort((a, b) => Number(a.includes("importlib")) - Number(b.includes("importlib")) || a.localeCompare(b));
    return { stdlib, schema };
  }
}

/** Wrap generated prose to the docstring's width at `indent`. */
export function prose(text: string, indent: number): string {
  return wrapText(text, PY_WIDTH - indent);
}

export class ServiceModule {
  readonly imports = new ModuleImports();

  constructor(readonly model: Model, readonly file: ProtoFile) {}

  /** A `typing` name, imported on use. */
  typing(name: "Any" | "Final" | "Literal" | "NoReturn" | "TypeAlias" | "overload"): string {
    return this.imports.name("typing", name);
  }

  /** A `collections.abc` name, imported on use. */
  abc(name: "AsyncIterable" | "AsyncIterator" | "Iterable" | "Iterator"): string {
    return this.imports.name("collections.abc", name);
  }

  /** A message class of a `_pb2` module (this file's or an import's), importing the module on use. */
  typeRef(fullName: string): PyType {
    const type = this.model.lookup(fullName);
    if (type === undefined) throw new Error(`unknown type ${fullName}`);
    const file = this.model.file(type.file);
    const local = (file.package === "" ? fullName : fullName.slice(file.package.length + 1)).split(".");
    const mod = pyModuleName(file);
    const alias = pyModuleAlias(file);
    let nameable = true;
    if (moduleNeedsImportlib(mod)) {
      this.imports.module("importlib");
      this.imports.pb2(`${alias} = importlib.import_module("${mod}")`);
      nameable = false;
    } else {
      const dot = mod.lastIndexOf(".");
      this.imports.pb2(dot < 0 ? `import ${mod} as ${alias}` : `from ${mod.slice(0, dot)} import ${mod.slice(dot + 1)} as ${alias}`);
    }
    // The stub has no class for a message named with a keyword (nor anything nested in it).
    if (local.some(pyIsKeyword)) {
      return { value: local.reduce((e, part) => `getattr(${e}, "${part}")`, alias), annotation: this.typing("Any") };
    }
    const value = [alias, ...local].join(".");
    return { value, annotation: nameable ? value : this.typing("Any") };
  }

  /** Facts of every method of a service, member names escaped against `reserved`. */
  methodInfos(service: Service, reserved: ReadonlySet<string>): PyMethodInfo[] {
    const nameOf = pyServiceMethodNames(service, reserved);
    return service.methods.map((m) => {
      const oneway = isOnewayMethod(service, m, this.model);
      return {
        method: m,
        name: nameOf(m),
        kind: methodKind(m),
        oneway,
        input: this.typeRef(m.inputType),
        output: this.typeRef(m.outputType),
        path: `${service.fullName}/${m.name}`,
        declaration: rpcDeclaration(m, oneway),
      };
    });
  }

  /** `warnings.warn(...)` for a deprecated service or method (grpc's way), at `indent`. */
  deprecationWarning(what: string, indent: string): string {
    this.imports.module("warnings");
    return `${indent}warnings.warn(${JSON.stringify(`${what} is deprecated`)}, DeprecationWarning, stacklevel=2)`;
  }
}

/** A docstring for a generated declaration at `indent`: `.proto` comment, our paragraphs, origin. */
export function declarationDoc(
  comments: { leading?: string; trailing?: string }, extra: readonly string[], origin: string, indent: number,
  deprecated = false,
): string {
  const paragraphs = extra.map((e) => prose(e, indent));
  if (deprecated) paragraphs.push("Deprecated: the schema marks it ``deprecated``.");
  return docstring(docText(comments, origin, paragraphs)!, " ".repeat(indent));
}
