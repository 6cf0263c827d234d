/**
 * Import collection for one generated module. Code generators ask for a symbol when they print a
 * reference to it ({@link ImportCollector.runtime}, {@link ImportCollector.from}); the import
 * declarations are derived from those uses afterwards, never written by hand. Names that clash
 * with a local declaration or with another import get an alias from names.ts.
 */
import type { ImportDeclarationStructure, OptionalKind } from "ts-morph";
import { tsImportAlias } from "../../model/names";
import { TS_RUNTIME_EXPORTS, TS_RUNTIME_RPC_EXPORTS } from "../../model/reserved";

interface Imported {
  readonly name: string;
  readonly alias: string;
  /** True once the symbol is used as a value (not only in type positions). */
  value: boolean;
}

export class ImportCollector {
  /** module specifier -> exported name -> import. */
  private readonly modules = new Map<string, Map<string, Imported>>();
  /** Every identifier bound at module level (locals and import aliases). */
  private readonly taken: Set<string>;

  constructor(localNames: Iterable<string>, private readonly runtimeModule: string) {
    this.taken = new Set(localNames);
  }

  /**
   * Use a runtime export. Codec names never clash with local declarations: names.ts escapes
   * generated names found in TS_RUNTIME_EXPORTS. RPC names (TS_RUNTIME_RPC_EXPORTS) are not
   * reserved, so they are aliased when the module already binds the name. Every runtime name used
   * here must be in one of the two sets.
   */
  runtime(name: string, usage: "value" | "type" = "value"): string {
    if (TS_RUNTIME_EXPORTS.has(name)) return this.use(this.runtimeModule, name, usage, false);
    if (TS_RUNTIME_RPC_EXPORTS.has(name)) return this.use(this.runtimeModule, name, usage, true);
    throw new Error(`emit/ts: runtime symbol ${name} is missing from TS_RUNTIME_EXPORTS / TS_RUNTIME_RPC_EXPORTS`);
  }

  /** Use a symbol exported by another generated module (specifier from `tsRelativeImport`). */
  from(module: string, name: string, usage: "value" | "type"): string {
    return this.use(module, name, usage, true);
  }

  private use(module: string, name: string, usage: "value" | "type", mayClash: boolean): string {
    let names = this.modules.get(module);
    if (names === undefined) this.modules.set(module, (names = new Map()));
    let imp = names.get(name);
    if (imp === undefined) {
      let alias = name;
      if (mayClash) for (let n = 1; this.taken.has(alias); n++) alias = tsImportAlias(name, n);
      this.taken.add(alias);
      imp = { name, alias, value: false };
      names.set(name, imp);
    }
    if (usage === "value") imp.value = true;
    return imp.alias;
  }

  /** Import declarations: the runtime first, then other modules by specifier; names sorted. */
  declarations(): OptionalKind<ImportDeclarationStructure>[] {
    const specs = [...this.modules.keys()].sort((a, b) =>
      a === this.runtimeModule ? -1 : b === this.runtimeModule ? 1 : a < b ? -1 : a > b ? 1 : 0);
    return specs.map((spec) => {
      const imps = [...this.modules.get(spec)!.values()].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
      const allTypes = imps.every((i) => !i.value);
      return {
        moduleSpecifier: spec,
        isTypeOnly: allTypes,
        namedImports: imps.map((i) => ({
          name: i.name,
          ...(i.alias !== i.name ? { alias: i.alias } : {}),
          ...(!allTypes && !i.value ? { isTypeOnly: true } : {}),
        })),
      };
    });
  }
}
