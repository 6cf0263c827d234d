/**
 * The codec half of the protozmq runtime: what generated message modules import.
 *
 * How generated messages represent protobuf values (and why):
 *
 * - A message is a plain object (`interface Person`) plus a codec const of the same name
 *   (`Person: MessageType<Person>`): `create`, `encode`/`decode`, `toJSON`/`fromJSON`, `equals`.
 *   The internal nesting forms are `encodeTo(msg, writer)` and `decodeFrom(reader, end, target, group)`.
 * - Scalars without presence (proto3) are plain values defaulting to 0 / "" / false / empty bytes.
 *   Fields with presence (proto3 `optional`, proto2 `optional`, message fields) are `?: T | undefined`,
 *   `undefined` meaning absent. proto2 `required` fields are plain; decoding without them throws a
 *   {@link DecodeError} naming the field (checked per occurrence of the message on the wire).
 * - proto2 `[default = ...]`: absent fields stay `undefined` (so presence survives re-encoding); the
 *   declared defaults are on the codec, `Person.defaults.count`, and in each field's TSDoc.
 * - int64 family: `bigint`; `[jstype = JS_STRING]` a decimal string, `[jstype = JS_NUMBER]` a number
 *   (precision lost above 2^53, as in every JS runtime). Writers accept all three forms.
 * - bytes: `Uint8Array`. Decoded bytes are views into the input buffer (no copy, like protobufjs
 *   and protobuf-es); copy them if the input buffer is reused.
 * - Maps: `{ [key: string]: V }` objects with a null prototype, so any key (`"__proto__"` included)
 *   is an ordinary entry. Keys use their proto3 JSON spelling: integers (64-bit too) as decimal
 *   strings, bools as `"true"` / `"false"`.
 * - Oneofs: one optional property holding `{ $case: "member"; member: value }`.
 * - Enums: TS numeric enums with the proto value names. Open (proto3) enums keep unknown numbers;
 *   closed (proto2) enums move them to unknown fields, as the official runtimes do.
 * - Unknown fields: raw wire bytes in `$unknown`, written back after the known fields by `encode`.
 * - Strings: proto3 strings must be valid UTF-8 (a {@link DecodeError} otherwise, like upb/Python);
 *   proto2 strings decode leniently (U+FFFD), like protoc's C++ runtime.
 * - JSON: canonical proto3 JSON, all well-known types in their special forms; `Any` resolves types
 *   in {@link globalRegistry}, which every generated module registers its messages into.
 */
export { DecodeError, EncodeError, decodeFailure } from "./errors.js";
export { WireType } from "./wire.js";
export { BinaryReader, MAX_DEPTH } from "./reader.js";
export { BinaryWriter, varintSize } from "./writer.js";
export {
  EMPTY_BYTES, decodeMessage, encodeMessage, enumType, unknownFields,
  type AnyMessageType, type EnumType, type MessageType, type PartialMessage, type PartialValue,
} from "./message-type.js";
export type { JsonObject, JsonReadOptions, JsonValue, JsonWriteOptions } from "./json-types.js";
export {
  bytesToJson, enumToJson, float32ToJson, floatToJson, jsonArray, jsonBool, jsonBytes, jsonDouble, jsonEnum, jsonFloat,
  jsonInt32, jsonInt64, jsonMapKey, jsonObject, jsonOneofConflict, jsonString, jsonUint32, jsonUint64,
  jsonUnknownField, type MapKeyType,
} from "./json.js";
export { base64Decode, base64Encode } from "./base64.js";
export { TypeRegistry, globalRegistry, registerTypes } from "./registry.js";
export {
  anyFromJson, anyPack, anyToJson, anyUnpack, durationFromJson, durationToJson, fieldMaskFromJson,
  fieldMaskToJson, timestampFromJson, timestampToJson, type AnyLike,
} from "./wkt.js";
export { bytesEquals, floatEquals, listEquals, mapEquals } from "./equals.js";
export { utf8Encode, utf8Read, utf8Write, utf8Length } from "./utf8.js";
