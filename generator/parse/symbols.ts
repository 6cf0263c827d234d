/**
 * Name resolution with protobuf's scoping rules, across all loaded files, plus import visibility:
 * a file may use only types from itself, the files it imports, and what those re-export with
 * `import public`.
 */
import * as protobuf from "protobufjs";
import type { LoadedFile } from "./load";

export interface SymbolInfo {
  readonly kind: "message" | "enum" | "service" | "package";
  /** Import name of the declaring file ("" for packages). */
  readonly file: string;
  /** For messages: true for proto2 groups. For enums: true when closed (proto2). */
  readonly group?: boolean;
  readonly closed?: boolean;
}

export class SymbolTable {
  private readonly symbols = new Map<string, SymbolInfo>();
  private readonly publicDeps = new Map<string, readonly string[]>();
  private readonly directDeps = new Map<string, readonly string[]>();

  constructor(files: readonly LoadedFile[]) {
    for (const f of files) {
      const pkg = f.parsed.package ?? "";
      const parts = pkg === "" ? [] : pkg.split(".");
      for (let i = 1; i <= parts.length; i++) {
        const p = parts.slice(0, i).join(".");
        if (!this.symbols.has(p)) this.symbols.set(p, { kind: "package", file: "" });
      }
      const ns = pkg === "" ? f.parsed.root : f.parsed.root.lookup(pkg);
      if (ns instanceof protobuf.Namespace) this.collect(ns, pkg, f);
      this.directDeps.set(f.name, f.deps);
      const pub = new Set(f.locations.imports.filter((i) => i.kind === "public").map((i) => i.name));
      this.publicDeps.set(f.name, f.deps.filter((d) => pub.has(d)));
    }
  }

  private collect(ns: protobuf.NamespaceBase, prefix: string, f: LoadedFile): void {
    for (const obj of ns.nestedArray) {
      const full = prefix === "" ? obj.name : `${prefix}.${obj.name}`;
      if (obj instanceof protobuf.Type) {
        this.symbols.set(full, { kind: "message", file: f.name, group: (obj as { group?: boolean }).group === true });
        this.collect(obj, full, f);
      } else if (obj instanceof protobuf.Enum) {
        this.symbols.set(full, { kind: "enum", file: f.name, closed: f.syntax === "proto2" });
      } else if (obj instanceof protobuf.Service) {
        this.symbols.set(full, { kind: "service", file: f.name });
      }
    }
  }

  get(fullName: string): SymbolInfo | undefined {
    return this.symbols.get(fullName);
  }

  /**
   * Resolve a type reference written in `scope` (a package or message full name). Returns the full
   * name without a leading dot, or undefined. Like protoc: look up the first component from the
   * innermost scope outwards, then the rest of the dotted name inside what was found.
   */
  resolve(ref: string, scope: string): string | undefined {
    if (ref.startsWith(".")) {
      const abs = ref.slice(1);
      return this.isType(abs) ? abs : undefined;
    }
    const first = ref.split(".")[0]!;
    const parts = scope === "" ? [] : scope.split(".");
    for (let n = parts.length; n >= 0; n--) {
      const prefix = parts.slice(0, n).join(".");
      const head = prefix === "" ? first : `${prefix}.${first}`;
      if (!this.symbols.has(head)) continue;
      const candidate = prefix === "" ? ref : `${prefix}.${ref}`;
      if (this.isType(candidate)) return candidate;
    }
    return undefined;
  }

  private isType(name: string): boolean {
    const k = this.symbols.get(name)?.kind;
    return k === "message" || k === "enum" || k === "service";
  }

  /** Files whose types `file` may use: itself, its direct imports, and public re-exports, transitively. */
  visibleFiles(file: string): ReadonlySet<string> {
    const out = new Set<string>([file]);
    const addPublic = (f: string): void => {
      for (const p of this.publicDeps.get(f) ?? []) {
        if (!out.has(p)) {
          out.add(p);
          addPublic(p);
        }
      }
    };
    for (const d of this.directDeps.get(file) ?? []) {
      out.add(d);
      addPublic(d);
    }
    return out;
  }
}
