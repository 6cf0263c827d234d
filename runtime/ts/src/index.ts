/**
 * protozmq's TypeScript runtime. Generated modules import everything they need from here
 * (`import { BinaryReader, ... } from "protozmq"`), and so can applications.
 *
 * - `codec/`: binary and JSON encoding of generated messages.
 * - the other modules: RPC over ZeroMQ (status, metadata, errors, channel, server, ...).
 *
 * Relative re-exports carry the `.js` suffix so the compiled declarations also resolve for ESM
 * consumers (`moduleResolution: nodenext`).
 *
 * Every name is listed, no `export *`: a star re-export compiles (tsc's `__exportStar`, esbuild's
 * `__reExport`) to getters that all share one function doing `module[key]`, a megamorphic load,
 * and generated codecs read `encodeMessage`, `BinaryWriter`, ... through them on every call
 * (~3% of a sequential inproc round trip in `perf`). A named re-export gets a getter of its own,
 * monomorphic, which the JIT inlines. test/runtime/exports.test.ts checks that nothing is missing.
 * The codec names come from their own modules, not through codec/index.ts: under tsx (esbuild's
 * CommonJS) each module boundary crossed is two more getter calls per use.
 */
export { DecodeError, EncodeError, decodeFailure } from "./codec/errors.js";
export { WireType } from "./codec/wire.js";
export { BinaryReader, MAX_DEPTH } from "./codec/reader.js";
export { BinaryWriter, varintSize } from "./codec/writer.js";
export {
  EMPTY_BYTES, decodeMessage, encodeMessage, enumType, unknownFields,
  type AnyMessageType, type EnumType, type MessageType, type PartialMessage, type PartialValue,
} from "./codec/message-type.js";
export type { JsonObject, JsonReadOptions, JsonValue, JsonWriteOptions } from "./codec/json-types.js";
export {
  bytesToJson, enumToJson, float32ToJson, floatToJson, jsonArray, jsonBool, jsonBytes, jsonDouble, jsonEnum, jsonFloat,
  jsonInt32, jsonInt64, jsonMapKey, jsonObject, jsonOneofConflict, jsonString, jsonUint32, jsonUint64,
  jsonUnknownField, type MapKeyType,
} from "./codec/json.js";
export { base64Decode, base64Encode } from "./codec/base64.js";
export { TypeRegistry, globalRegistry, registerTypes } from "./codec/registry.js";
export {
  anyFromJson, anyPack, anyToJson, anyUnpack, durationFromJson, durationToJson, fieldMaskFromJson,
  fieldMaskToJson, timestampFromJson, timestampToJson, type AnyLike,
} from "./codec/wkt.js";
export { bytesEquals, floatEquals, listEquals, mapEquals } from "./codec/equals.js";
export { utf8Encode, utf8Read, utf8Write, utf8Length } from "./codec/utf8.js";
export {
  statusFromCode, statusName, Status, MAX_STATUS_CODE,
} from "./status.js";
export {
  isValidMetadataKey, isBinaryMetadataKey, toMetadata, type MetadataValue, type MetadataInit,
  MAX_METADATA_KEY_BYTES, RESERVED_METADATA_PREFIX, BINARY_METADATA_SUFFIX, Metadata,
} from "./metadata.js";
export {
  isRpcError, type RpcErrorOptions, RpcError,
} from "./errors.js";
export {
  createEach, type Codec, type MethodKind, type MethodDescriptor, type CallOptions,
} from "./call-options.js";
export {
  methodBytes, encodeRequest, encodeTrailers, encodeSimple, inlineFlags, encodeHeader,
} from "./packet-encode.js";
export {
  decodeHeader, decodeHeaderInto,
} from "./packet-decode.js";
export {
  checkFraming, isInline, inlineMessage, hasMessage, PROTOCOL_VERSION, HEADER_SIZE, Kind, KIND_NAMES, Flag,
  KNOWN_FLAGS, INLINE_MAX_BYTES, DEFAULT_MAX_MESSAGE_BYTES, DEFAULT_HEARTBEAT_IVL_MS,
  DEFAULT_HEARTBEAT_TIMEOUT_MS, DEFAULT_HEARTBEAT_TTL_MS, MAX_METHOD_BYTES, MAX_METADATA_ENTRIES, MAX_U32,
  MAX_TIMER_MS, EARLY_FLUSH_PACKETS, EMPTY_FRAME, type ProtocolErrorReason, ProtocolError, type PacketFields,
  PacketHeader,
} from "./protocol.js";
export {
  MessageStream,
} from "./stream.js";
export {
  type ChannelOptions, type ConnectOptions, Channel,
} from "./channel.js";
export {
  type ServerCallContext, type UnaryHandler, type ServerStreamingHandler, type ClientStreamingHandler,
  type BidiStreamingHandler, type Handler, type HandlerFor, type ServerOptions, type ServerCloseOptions,
  Server,
} from "./server.js";
export {
  type PublisherOptions, Publisher, type EventMessage, Subscriber, type SubscriberOptions,
} from "./events.js";
