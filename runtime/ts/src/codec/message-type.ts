/**
 * The contract between generated code and the runtime: what a generated codec object (`MessageType`)
 * and enum descriptor (`EnumType`) provide, and the shared entry points that wrap them.
 */
import { DecodeError } from "./errors.js";
import type { JsonReadOptions, JsonValue, JsonWriteOptions } from "./json-types.js";
import { BinaryReader } from "./reader.js";
import { BinaryWriter } from "./writer.js";

// Read once: under tsx (esbuild's CommonJS) each use of an imported name is a getter call through
// a megamorphic `module[key]` load, on every decode.
const BinaryReaderClass = BinaryReader;

/**
 * The codec of one message type. Generated modules export one per message, under the same name as
 * the message's interface, so `Person` is both the type of a plain object and its codec:
 *
 * @example
 * ```ts
 * import { Person } from "./gen/people.js";
 *
 * const p: Person = Person.create({ name: "Ada", id: 1 });
 * const bytes = Person.encode(p);
 * const back = Person.decode(bytes);
 * Person.equals(p, back); // true
 * JSON.stringify(Person.toJSON(p)); // '{"name":"Ada","id":1}'
 * ```
 */
export interface MessageType<T> {
  /** Full proto name without a leading dot, e.g. `"pkg.Person"`. */
  readonly typeName: string;
  /** A new message with every field at its default, then the fields of `partial` (deep-copied) set. */
  create(partial?: PartialMessage<T>): T;
  /** Serialize to protobuf binary (fields in number order, unknown fields last, like upb and C++). */
  encode(message: T): Uint8Array;
  /** Parse protobuf binary. Throws {@link DecodeError} (and nothing else) on malformed input. */
  decode(bytes: Uint8Array): T;
  /** Canonical proto3 JSON (https://protobuf.dev/programming-guides/json/). */
  toJSON(message: T, options?: JsonWriteOptions): JsonValue;
  /** Parse proto3 JSON (a value from `JSON.parse`). Throws {@link DecodeError} on invalid input. */
  fromJSON(json: JsonValue, options?: JsonReadOptions): T;
  /**
   * Field-by-field equality. Floats compare with `===` except that NaN equals NaN; unknown fields
   * are not compared.
   */
  equals(a: T, b: T): boolean;
  /**
   * Internal form of `encode` used for nesting: writes the fields of `message` (not its tag or
   * length) to `writer`.
   * @internal
   */
  encodeTo(message: T, writer: BinaryWriter): void;
  /**
   * Internal form of `decode` used for nesting: reads fields until `end` (or, for a group, until the
   * end-group tag of field `group`), merging into `target` if given (protobuf merge semantics for
   * repeated occurrences of a message field).
   * @internal
   */
  decodeFrom(reader: BinaryReader, end: number, target: T | undefined, group: number): T;
}

/**
 * The empty byte array every new message starts its `bytes` fields with. Shared, so `create()`
 * does not allocate a typed array per field; a zero-length array has no elements to modify.
 *
 * @example
 * ```ts
 * Event.create().payload === EMPTY_BYTES; // true
 * ```
 */
export const EMPTY_BYTES: Uint8Array = new Uint8Array(0);

/** Any message's codec, for registries and `Any`. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type AnyMessageType = MessageType<any>;

/** Types a {@link PartialMessage} leaves as they are. */
type PartialLeaf = string | number | boolean | bigint | Uint8Array | null | undefined;

/**
 * What `create()` accepts: any subset of the fields, recursively (a nested message may itself be
 * partial). A oneof member is given whole: `{ $case: "lobby", lobby: { ... } }`.
 *
 * @example
 * ```ts
 * const p = Person.create({ address: { city: "Oslo" } }); // other fields get defaults
 * ```
 */
export type PartialMessage<T> = { [K in keyof T]?: PartialValue<T[K]> };

/** Partial form of one field value. */
export type PartialValue<V> =
  V extends PartialLeaf ? V
  : V extends readonly (infer E)[] ? PartialValue<E>[]
  : V extends { readonly $case: string } ? PartialOneof<V>
  : V extends object ? PartialMessage<V>
  : V;

/** A oneof member with its value made partial; `$case` stays required. */
type PartialOneof<V> = V extends { readonly $case: infer C }
  ? { $case: C } & { [K in Exclude<keyof V, "$case">]: PartialValue<V[K]> }
  : never;

/**
 * Descriptor of a generated enum, exported next to it as `<Enum>$type`. The proto JSON mapping
 * needs the value *names* as written in the schema and, for aliases, which name is canonical;
 * a TS enum's reverse mapping gives the last alias instead, so generated code uses this.
 *
 * @example
 * ```ts
 * Color$type.name(1); // "COLOR_RED"
 * Color$type.value("COLOR_RED"); // 1
 * ```
 */
export interface EnumType<E extends number = number> {
  /** Full proto name, e.g. `"pkg.Color"`. */
  readonly typeName: string;
  /** Closed (proto2) enums keep unknown numbers out of fields: they go to unknown fields. */
  readonly closed: boolean;
  /** The canonical (first declared) name of a number, or undefined for unknown numbers. */
  name(value: number): string | undefined;
  /** The number of a name (aliases included), or undefined. */
  value(name: string): E | undefined;
  /** True if `value` is a declared number. */
  has(value: number): boolean;
}

/**
 * Build an {@link EnumType}. Called once per enum at module load by generated code.
 *
 * @param values `[name, number]` pairs in declaration order (an array, not an object: a value may be
 *   named `__proto__`).
 * @example
 * ```ts
 * export const Color$type = enumType<Color>("pkg.Color", false, [["COLOR_UNSPECIFIED", 0], ["COLOR_RED", 1]]);
 * ```
 */
export function enumType<E extends number>(
  typeName: string, closed: boolean, values: readonly (readonly [string, number])[],
): EnumType<E> {
  const byNumber = new Map<number, string>();
  const byName = new Map<string, E>();
  for (const [name, value] of values) {
    if (!byNumber.has(value)) byNumber.set(value, name);
    byName.set(name, value as E);
  }
  return {
    typeName,
    closed,
    name: (value) => byNumber.get(value),
    value: (name) => byName.get(name),
    has: (value) => byNumber.has(value),
  };
}

/**
 * A scratch writer shared by top-level `encode()` calls: one buffer grows to the largest message
 * size seen and is reused, so encoding allocates only the exact-size result (for results up to
 * 2 KiB, not even that: a view carved from a shared slab, see `copyOut` in writer.ts). Re-entrant use (a
 * getter that encodes while being encoded) gets a fresh writer. A large result (64 KiB or more)
 * is the writer's buffer itself, handed over rather than copied ({@link BinaryWriter.takeOutput}):
 * a 1 MiB `bytes` field is then copied once on encode, into the output.
 */
let shared: BinaryWriter | undefined = new BinaryWriter(1024);
/** A shared buffer bigger than this is dropped after use, so one huge message does not pin memory. */
const SHARED_MAX = 1 << 20;

/**
 * Encode a message with its codec; generated `encode()` methods call this.
 *
 * @example
 * ```ts
 * const bytes = encodeMessage(Person, person); // same as Person.encode(person)
 * ```
 */
export function encodeMessage<T>(type: MessageType<T>, message: T): Uint8Array {
  return encodeMessageTransient(type, message, -1); // never a view: always the caller's own
}

/**
 * Decode a message with its codec; generated `decode()` methods call this. Guarantees the
 * {@link DecodeError}-only contract even for non-`Uint8Array` input.
 *
 * @example
 * ```ts
 * const person = decodeMessage(Person, bytes); // same as Person.decode(bytes)
 * ```
 */
export function decodeMessage<T>(type: MessageType<T>, bytes: Uint8Array): T {
  if (!(bytes instanceof Uint8Array)) throw new DecodeError("input is not a Uint8Array", type.typeName);
  return decodeMessageAt(type, bytes, 0);
}

/**
 * Encode a message to be copied elsewhere at once: when its encoding is at most `maxView` bytes,
 * the result is a view of the shared writer's buffer (no copy, no slab), valid only until the next
 * encode on this thread; larger, an owned result as from {@link encodeMessage}. The RPC runtime
 * encodes a message this way and copies it straight into its packet's frame (PZMQ/1 3, inline).
 * @internal used by the RPC runtime.
 *
 * @example
 * ```ts
 * const bytes = encodeMessageTransient(Person, person, 16384);
 * frame.set(bytes, headerSize); // before anything else encodes
 * ```
 */
export function encodeMessageTransient<T>(type: MessageType<T>, message: T, maxView: number): Uint8Array {
  // Re-entrant use (a getter that encodes while being encoded) finds no shared writer: a fresh one.
  const w = shared ?? new BinaryWriter();
  shared = undefined;
  try {
    type.encodeTo(message, w);
    return w.pos <= maxView ? w.buf.subarray(0, w.pos) : w.takeOutput();
  } finally {
    w.reset();
    if (w.buf.length <= SHARED_MAX) shared = w;
  }
}

/**
 * Decode a message that fills `bytes` from `start` to the end, without cutting a view first: how
 * the RPC runtime decodes the message of an inline packet (PZMQ/1 3) where it lies in its frame.
 * Same result and errors as `decodeMessage(type, bytes.subarray(start))`.
 * @internal used by the RPC runtime.
 *
 * @example
 * ```ts
 * const person = decodeMessageAt(Person, frame, bodyEnd);
 * ```
 */
export function decodeMessageAt<T>(type: MessageType<T>, bytes: Uint8Array, start: number): T {
  const r = new BinaryReaderClass(bytes);
  r.pos = start;
  try {
    return type.decodeFrom(r, r.len, undefined, 0);
  } catch (e) {
    if (e instanceof DecodeError) throw e;
    throw new DecodeError(e instanceof Error ? e.message : String(e), type.typeName);
  }
}

/**
 * Finish a decoded message's unknown fields: append what `collected` gathered to what the message
 * already held (merging decodes keep both, in wire order).
 * @internal used by generated code.
 */
export function unknownFields(existing: Uint8Array | undefined, collected: BinaryWriter): Uint8Array {
  const add = collected.finish();
  if (existing === undefined || existing.length === 0) return add;
  const all = new Uint8Array(existing.length + add.length);
  all.set(existing, 0);
  all.set(add, existing.length);
  return all;
}
