/**
 * A type registry: full proto name -> codec. `google.protobuf.Any` needs it to turn a type URL into
 * a codec for its JSON form. Every generated module registers its message types in
 * {@link globalRegistry} when it is loaded, so importing a module is enough to make its types
 * usable inside `Any`.
 */
import type { AnyMessageType } from "./message-type.js";

/**
 * Maps full message names to their codecs.
 *
 * @example
 * ```ts
 * const registry = new TypeRegistry(Person, Address);
 * registry.get("pkg.Person") === Person; // true
 * registry.getByUrl("type.googleapis.com/pkg.Person") === Person; // true
 * Any.toJSON(any, { registry });
 * ```
 */
export class TypeRegistry {
  private readonly types = new Map<string, AnyMessageType>();

  constructor(...types: AnyMessageType[]) {
    this.add(...types);
  }

  /** Register codecs; a later registration of the same name replaces the earlier one. */
  add(...types: AnyMessageType[]): this {
    for (const t of types) this.types.set(t.typeName, t);
    return this;
  }

  /** The codec for a full name (`pkg.Person`), if registered. */
  get(typeName: string): AnyMessageType | undefined {
    return this.types.get(typeName);
  }

  /**
   * The codec for an `Any` type URL: the name is everything after the last `/`
   * (`type.googleapis.com/pkg.Person`), as every protobuf runtime resolves it.
   */
  getByUrl(typeUrl: string): AnyMessageType | undefined {
    return this.types.get(typeUrl.slice(typeUrl.lastIndexOf("/") + 1));
  }

  /** Names of all registered types. */
  names(): string[] {
    return [...this.types.keys()];
  }
}

/** The registry generated modules register into, and the default for JSON options. */
export const globalRegistry = new TypeRegistry();

/**
 * Register message codecs in {@link globalRegistry}. Generated modules call this once at load.
 *
 * @example
 * ```ts
 * registerTypes(Person, Person_Address);
 * ```
 */
export function registerTypes(...types: AnyMessageType[]): void {
  globalRegistry.add(...types);
}
