/**
 * Call metadata: request headers, response headers and trailers (PZMQ/1 section 4.3).
 *
 * Modelled on grpc-js `Metadata`: an ordered multi-map whose keys are lower-case ASCII and whose
 * values are text, except for keys ending in `-bin`, whose values are raw bytes. Order and
 * repeats are kept because the wire keeps them, and a Python peer sees the same list.
 */

/**
 * A metadata value: text for ordinary keys, bytes for keys ending in `-bin`.
 *
 * @example
 * ```ts
 * const v: MetadataValue = md.get("trace-bin") ?? new Uint8Array();
 * ```
 */
export type MetadataValue = string | Uint8Array;

/**
 * Anything {@link Metadata} can be built from: another `Metadata`, `[key, value]` pairs, or a record.
 *
 * @example
 * ```ts
 * ctx.setTrailer({ "x-cost": "3", tags: ["a", "b"] });
 * ctx.setTrailer([["x-cost", "3"]]);
 * ```
 */
export type MetadataInit =
  | Metadata
  | Iterable<readonly [string, MetadataValue]>
  | Readonly<Record<string, MetadataValue | readonly MetadataValue[]>>;

/**
 * Longest key the wire allows (PZMQ/1 4.3).
 *
 * @example
 * ```ts
 * const ok = key.length <= MAX_METADATA_KEY_BYTES;
 * ```
 */
export const MAX_METADATA_KEY_BYTES = 255;
/**
 * Keys with this prefix are reserved for the protocol itself and refused by {@link Metadata.add}.
 *
 * @example
 * ```ts
 * new Metadata().add(`${RESERVED_METADATA_PREFIX}x`, "1"); // throws TypeError
 * ```
 */
export const RESERVED_METADATA_PREFIX = "pzmq-";
/**
 * Suffix marking a key whose values are bytes.
 *
 * @example
 * ```ts
 * md.add(`trace${BINARY_METADATA_SUFFIX}`, new Uint8Array([1, 2]));
 * ```
 */
export const BINARY_METADATA_SUFFIX = "-bin";

const KEY_PATTERN = /^[0-9a-z_.-]{1,255}$/;

/**
 * True if `key` (already lower-case) is a valid wire key: 1..255 characters of `[0-9a-z-_.]`.
 *
 * @example
 * ```ts
 * isValidMetadataKey("x-trace-id"); // true
 * isValidMetadataKey("X-Trace");    // false: keys are lower-case on the wire
 * ```
 */
export function isValidMetadataKey(key: string): boolean {
  return KEY_PATTERN.test(key);
}

/**
 * True if values of `key` are bytes (`Uint8Array`), i.e. the key ends in `-bin`.
 *
 * @example
 * ```ts
 * isBinaryMetadataKey("trace-bin"); // true
 * ```
 */
export function isBinaryMetadataKey(key: string): boolean {
  return key.endsWith(BINARY_METADATA_SUFFIX);
}

/**
 * Ordered multi-map of call metadata.
 *
 * Keys are normalized to lower case on insertion and then validated (`[0-9a-z-_.]`, 1..255 bytes,
 * no `pzmq-` prefix); a `-bin` key takes `Uint8Array` values, any other key takes strings. A
 * violation throws `TypeError` at the call site that made it, not later on the wire.
 *
 * @example
 * ```ts
 * const md = new Metadata({ "x-user": "ada" });
 * md.add("x-tag", "a").add("x-tag", "b");
 * md.set("trace-bin", new Uint8Array([1, 2, 3]));
 * md.get("x-tag");    // "a" (the first value)
 * md.getAll("x-tag"); // ["a", "b"]
 * for (const [key, value] of md) console.log(key, value);
 * ```
 */
export class Metadata implements Iterable<[string, MetadataValue]> {
  // Flat, insertion-ordered list: metadata blocks are short (a handful of entries), so a scan
  // beats a Map of arrays and keeps the wire order for free.
  private readonly list: Array<[string, MetadataValue]> = [];

  constructor(init?: MetadataInit) {
    if (init === undefined) return;
    if (init instanceof Metadata) {
      for (const [k, v] of init.list) this.list.push([k, copyValue(v)]);
    } else if (Symbol.iterator in init) {
      for (const [k, v] of init as Iterable<readonly [string, MetadataValue]>) this.add(k, v);
    } else {
      for (const k of Object.keys(init)) {
        const v = (init as Record<string, MetadataValue | readonly MetadataValue[]>)[k]!;
        if (Array.isArray(v)) for (const one of v as readonly MetadataValue[]) this.add(k, one);
        else this.add(k, v as MetadataValue);
      }
    }
  }

  /** Number of entries (a repeated key counts once per value). */
  get size(): number {
    return this.list.length;
  }

  /** Appends a value, keeping any existing values of the key. Returns `this` for chaining. */
  add(key: string, value: MetadataValue): this {
    const k = normalizeKey(key);
    checkValue(k, value);
    this.list.push([k, value]);
    return this;
  }

  /** Replaces all values of the key by one value, at the position of its first occurrence. */
  set(key: string, value: MetadataValue): this {
    const k = normalizeKey(key);
    checkValue(k, value);
    const at = this.list.findIndex((e) => e[0] === k);
    if (at < 0) {
      this.list.push([k, value]);
      return this;
    }
    this.list[at] = [k, value];
    for (let i = this.list.length - 1; i > at; i--) if (this.list[i]![0] === k) this.list.splice(i, 1);
    return this;
  }

  /** The first value of the key, or `undefined`. Lookup is case-insensitive. */
  get(key: string): MetadataValue | undefined {
    const k = key.toLowerCase();
    for (const e of this.list) if (e[0] === k) return e[1];
    return undefined;
  }

  /** All values of the key, in order (empty if none). */
  getAll(key: string): MetadataValue[] {
    const k = key.toLowerCase();
    const out: MetadataValue[] = [];
    for (const e of this.list) if (e[0] === k) out.push(e[1]);
    return out;
  }

  /** True if the key has at least one value. */
  has(key: string): boolean {
    return this.get(key) !== undefined;
  }

  /** Removes every value of the key. Returns true if something was removed. */
  delete(key: string): boolean {
    const k = key.toLowerCase();
    const before = this.list.length;
    for (let i = this.list.length - 1; i >= 0; i--) if (this.list[i]![0] === k) this.list.splice(i, 1);
    return this.list.length !== before;
  }

  /** Appends every entry of `other` (after this metadata's own entries). */
  merge(other: MetadataInit): this {
    const src = other instanceof Metadata ? other : new Metadata(other);
    for (const [k, v] of src.list) this.list.push([k, v]);
    return this;
  }

  /** A deep copy (byte values are copied too). */
  clone(): Metadata {
    return new Metadata(this);
  }

  /** `[key, value]` entries in wire order. */
  entries(): IterableIterator<[string, MetadataValue]> {
    return this.list[Symbol.iterator]();
  }

  /** Distinct keys in order of first occurrence. */
  keys(): string[] {
    return [...new Set(this.list.map((e) => e[0]))];
  }

  [Symbol.iterator](): IterableIterator<[string, MetadataValue]> {
    return this.list[Symbol.iterator]();
  }

  /** A plain object for logs: repeated keys become arrays, bytes become `number[]`. */
  toJSON(): Record<string, unknown> {
    const out: Record<string, unknown> = {};
    for (const k of this.keys()) {
      const values = this.getAll(k).map((v) => (typeof v === "string" ? v : Array.from(v)));
      out[k] = values.length === 1 ? values[0] : values;
    }
    return out;
  }

  /**
   * Appends an entry received from the wire. The key was already checked by the decoder; the
   * reserved `pzmq-` prefix is allowed here because the protocol itself may use it.
   * @internal
   */
  appendFromWire(key: string, value: MetadataValue): void {
    this.list.push([key, value]);
  }
}

function normalizeKey(key: string): string {
  if (typeof key !== "string") throw new TypeError(`metadata key must be a string, got ${typeof key}`);
  const k = key.toLowerCase();
  if (!KEY_PATTERN.test(k)) {
    throw new TypeError(`invalid metadata key ${JSON.stringify(key)}: 1..255 characters of [0-9a-z-_.]`);
  }
  if (k.startsWith(RESERVED_METADATA_PREFIX)) {
    throw new TypeError(`metadata key ${JSON.stringify(key)} uses the reserved prefix "${RESERVED_METADATA_PREFIX}"`);
  }
  return k;
}

function checkValue(key: string, value: MetadataValue): void {
  if (isBinaryMetadataKey(key)) {
    if (!(value instanceof Uint8Array)) throw new TypeError(`metadata key "${key}" ends in -bin: its value must be a Uint8Array`);
  } else if (typeof value !== "string") {
    throw new TypeError(`metadata key "${key}" takes string values (only -bin keys take bytes)`);
  }
}

function copyValue(v: MetadataValue): MetadataValue {
  return typeof v === "string" ? v : new Uint8Array(v);
}

/**
 * A `Metadata` from call options: the same object when it already is one (no copy on the hot path),
 * a new one built from anything else, `undefined` for none.
 *
 * @example
 * ```ts
 * toMetadata({ "x-trace": "1" })?.get("x-trace"); // "1"
 * ```
 */
export function toMetadata(init: MetadataInit | undefined): Metadata | undefined {
  return init === undefined || init instanceof Metadata ? init : new Metadata(init);
}
