/**
 * Reserved words, in one place. Every identifier the emitters print goes through `names.ts`, which
 * consults these sets, so a schema can never produce code that does not compile or that shadows
 * something it must not.
 */

/** ECMAScript and TypeScript reserved and contextual words that cannot be bare identifiers. */
export const TS_KEYWORDS: ReadonlySet<string> = new Set([
  "break", "case", "catch", "class", "const", "continue", "debugger", "default", "delete", "do", "else",
  "enum", "export", "extends", "false", "finally", "for", "function", "if", "import", "in", "instanceof",
  "new", "null", "return", "super", "switch", "this", "throw", "true", "try", "typeof", "var", "void",
  "while", "with", "as", "implements", "interface", "let", "package", "private", "protected", "public",
  "static", "yield", "any", "boolean", "constructor", "declare", "get", "module", "require", "number",
  "set", "string", "symbol", "type", "from", "of", "async", "await", "arguments", "eval", "undefined",
  "never", "unknown", "object", "bigint", "keyof", "readonly", "infer", "is", "asserts", "namespace",
  "abstract", "accessor", "satisfies", "out", "override",
]);

/**
 * Global names that a generated top-level declaration must not shadow: generated code (and users'
 * code importing it) relies on the real `Object`, `Uint8Array`, `BigInt`, ...
 */
export const TS_GLOBALS: ReadonlySet<string> = new Set([
  "Object", "Array", "String", "Number", "Boolean", "Symbol", "BigInt", "Function", "Date", "Error",
  "TypeError", "RangeError", "Map", "Set", "WeakMap", "WeakSet", "Promise", "Proxy", "Reflect", "JSON",
  "Math", "RegExp", "Uint8Array", "Int8Array", "Uint16Array", "Int16Array", "Uint32Array", "Int32Array",
  "Float32Array", "Float64Array", "BigInt64Array", "BigUint64Array", "ArrayBuffer", "DataView",
  "TextEncoder", "TextDecoder", "Buffer", "Record", "Partial", "Readonly", "Required", "Pick", "Omit",
  "Exclude", "Extract", "NonNullable", "ReturnType", "Iterable", "AsyncIterable", "Infinity", "NaN",
  "globalThis", "console", "process", "AbortSignal", "AbortController", "exports", "module", "require",
]);

/**
 * Properties of `Object.prototype` (and `__proto__`). A plain-object message property with one of these
 * names would shadow or, for `__proto__`, *replace* the prototype, so fields with these names are
 * renamed (see `names.ts`).
 */
export const OBJECT_PROTOTYPE_NAMES: ReadonlySet<string> = new Set([
  "__proto__", "constructor", "hasOwnProperty", "isPrototypeOf", "propertyIsEnumerable", "toLocaleString",
  "toString", "valueOf", "__defineGetter__", "__defineSetter__", "__lookupGetter__", "__lookupSetter__",
  "prototype",
]);

/**
 * Names the protozmq runtime puts on generated objects. A message field cannot use them.
 * `$case` is the oneof discriminator, `$unknown` holds unknown fields.
 */
export const TS_RUNTIME_PROPERTY_NAMES: ReadonlySet<string> = new Set(["$case", "$unknown", "$typeName"]);

/**
 * Names the TS runtime exports and that generated modules import unqualified. A generated top-level
 * name equal to one of these is suffixed. Keep in sync with runtime/ts/src/index.ts (a test checks).
 */
export const TS_RUNTIME_EXPORTS: ReadonlySet<string> = new Set([
  "BinaryReader", "BinaryWriter", "MessageType", "DecodeError", "JsonValue", "JsonObject", "Long",
  // codec (runtime/ts/src/codec/index.ts); emit/ts refuses to import a runtime name missing here.
  "EncodeError", "decodeFailure", "WireType", "MAX_DEPTH", "varintSize", "decodeMessage", "encodeMessage",
  "enumType", "unknownFields", "AnyMessageType", "EnumType", "PartialMessage", "PartialValue",
  "JsonReadOptions", "JsonWriteOptions", "bytesToJson", "enumToJson", "floatToJson", "jsonArray", "jsonBool",
  "jsonBytes", "jsonDouble", "jsonEnum", "jsonFloat", "jsonInt32", "jsonInt64", "jsonMapKey", "jsonObject",
  "jsonOneofConflict", "jsonString", "jsonUint32", "jsonUint64", "jsonUnknownField", "MapKeyType",
  "base64Decode", "base64Encode", "TypeRegistry", "globalRegistry", "registerTypes", "anyFromJson", "anyPack",
  "anyToJson", "anyUnpack", "durationFromJson", "durationToJson", "fieldMaskFromJson", "fieldMaskToJson",
  "timestampFromJson", "timestampToJson", "AnyLike", "bytesEquals", "floatEquals", "listEquals", "mapEquals",
  "utf8Encode", "utf8Read", "utf8Write", "utf8Length", "EMPTY_BYTES", "float32ToJson",
]);

/**
 * RPC names of the TS runtime that generated service code imports. Unlike {@link TS_RUNTIME_EXPORTS}
 * they are not reserved: `Status`, `Channel`, `Server` or `Subscriber` are ordinary names for a
 * user's enum or message (schemas/enums/closed.proto has `enum Status`), and reserving them would
 * rename those types in every module. A module that declares or imports one of these names imports
 * the runtime's under an alias instead (`Status as Status$1`). Keep in sync with
 * runtime/ts/src/index.ts (a test checks).
 */
export const TS_RUNTIME_RPC_EXPORTS: ReadonlySet<string> = new Set([
  "CallOptions", "Channel", "EventMessage", "MethodDescriptor", "Publisher", "RpcError", "Server", "ServerCallContext",
  "Status", "Subscriber", "createEach",
]);

/**
 * Parameter names of generated service code. A module-level name equal to one would be shadowed
 * inside the method that declares the parameter, so generated top-level names avoid them
 * (`message request {}` becomes `request$`).
 */
export const TS_GENERATED_PARAMETERS: ReadonlySet<string> = new Set([
  "request", "requests", "options", "ctx", "impl", "server", "channel", "event", "events", "topicSuffix",
  "publisher", "subscriber", "endpoint",
]);

/**
 * Members of a generated event publisher besides its one method per event, and the `"all"` of
 * `subscribe("all")`: an event method with one of these names gets `$` appended.
 */
export const TS_EVENT_MEMBER_NAMES: ReadonlySet<string> = new Set(["publisher", "bind", "connect", "close", "all"]);

/** Python keywords (hard and soft): a message class or attribute with these names needs escaping. */
export const PY_KEYWORDS: ReadonlySet<string> = new Set([
  "False", "None", "True", "and", "as", "assert", "async", "await", "break", "class", "continue", "def",
  "del", "elif", "else", "except", "finally", "for", "from", "global", "if", "import", "in", "is",
  "lambda", "nonlocal", "not", "or", "pass", "raise", "return", "try", "while", "with", "yield",
]);

/**
 * Members of a generated Python client (`FooClient`, `FooAsyncClient`) besides its one method per rpc:
 * an rpc with one of these names gets `_` appended (in every generated class, so the client method,
 * the servicer method and the `FooMethods` attribute keep one name).
 */
export const PY_CLIENT_MEMBER_NAMES: ReadonlySet<string> = new Set(["_channel"]);

/** Members of a generated Python event publisher besides its one method per event. */
export const PY_EVENT_PUBLISHER_MEMBER_NAMES: ReadonlySet<string> = new Set(["publisher", "close"]);

/** Python soft keywords and builtins that generated Python must not shadow at module level. */
export const PY_BUILTINS: ReadonlySet<string> = new Set([
  "match", "case", "type", "_", "abs", "all", "any", "bool", "bytes", "callable", "dict", "float",
  "int", "isinstance", "issubclass", "iter", "len", "list", "map", "max", "min", "next", "object",
  "print", "property", "range", "repr", "set", "str", "super", "tuple", "typing", "builtins", "self",
]);
