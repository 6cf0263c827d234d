/**
 * JSON value types and the options of the proto3 JSON mapping
 * (https://protobuf.dev/programming-guides/json/).
 */
import type { TypeRegistry } from "./registry.js";

/** Any value `JSON.parse` can return. */
export type JsonValue = null | boolean | number | string | JsonValue[] | JsonObject;

/** A JSON object. Generated code builds these with a null prototype, so any key is safe. */
export type JsonObject = { [key: string]: JsonValue };

/**
 * Options of `toJSON`. The defaults give canonical proto3 JSON.
 *
 * @example
 * ```ts
 * Person.toJSON(p, { emitDefaultValues: true, useProtoFieldName: true });
 * ```
 */
export interface JsonWriteOptions {
  /**
   * Also write fields that hold their default value and have no presence (proto3 scalars, enums,
   * repeated and map fields). protoc calls this `always_print_fields_with_no_presence`.
   */
  readonly emitDefaultValues?: boolean;
  /** Write enum values as numbers instead of names. */
  readonly enumAsInteger?: boolean;
  /** Use the proto field name (`user_id`) instead of the JSON name (`userId`). */
  readonly useProtoFieldName?: boolean;
  /** Where `google.protobuf.Any` looks up message types; default {@link globalRegistry}. */
  readonly registry?: TypeRegistry;
}

/**
 * Options of `fromJSON`.
 *
 * @example
 * ```ts
 * Person.fromJSON(JSON.parse(text), { ignoreUnknownFields: true });
 * ```
 */
export interface JsonReadOptions {
  /** Skip unknown keys (and unknown enum value names) instead of failing. */
  readonly ignoreUnknownFields?: boolean;
  /** Where `google.protobuf.Any` looks up message types; default {@link globalRegistry}. */
  readonly registry?: TypeRegistry;
}
