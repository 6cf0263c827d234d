/**
 * All naming decisions for generated code live here: how a `.proto` name becomes a TypeScript or
 * Python identifier, and how clashes with reserved words are escaped. Emitters never invent names.
 */
import type { Enum, Field, Message, Method, Oneof, ProtoFile, Service } from "./types";
import {
  OBJECT_PROTOTYPE_NAMES, PY_BUILTINS, PY_KEYWORDS, TS_GENERATED_PARAMETERS, TS_GLOBALS, TS_KEYWORDS, TS_RUNTIME_EXPORTS,
  TS_RUNTIME_PROPERTY_NAMES,
} from "./reserved";

/**
 * protoc's JSON name rule (`ToJsonName` in descriptor.cc): drop each `_` and upper-case the letter
 * after it. Unlike a general camel-caser it keeps other characters and existing capitals untouched.
 */
export function protoJsonName(name: string): string {
  let out = "";
  let upper = false;
  for (const ch of name) {
    if (ch === "_") {
      upper = true;
    } else if (upper) {
      out += ch.toUpperCase();
      upper = false;
    } else {
      out += ch;
    }
  }
  return out;
}

/** Lower-case the first letter: `Result` -> `result`. */
export function lowerFirst(s: string): string {
  return s.length === 0 ? s : s[0]!.toLowerCase() + s.slice(1);
}

/** Upper-case the first letter: `result` -> `Result`. */
export function upperFirst(s: string): string {
  return s.length === 0 ? s : s[0]!.toUpperCase() + s.slice(1);
}

/** `foo_bar_baz` / `fooBar` -> `FooBarBaz`, for class-like names derived from fields and methods. */
export function pascalCase(name: string): string {
  return upperFirst(protoJsonName(name));
}

/**
 * The property name of a field on a generated TS message object: lowerCamelCase of the proto name
 * (the JSON name rule without `json_name`), with `$` appended when it would clash with an
 * `Object.prototype` member or a runtime property (`constructor` -> `constructor$`).
 */
export function tsFieldName(field: Pick<Field, "name">): string {
  return tsSafeProperty(protoJsonName(field.name));
}

/** The property name of a oneof's discriminated-union property: `phase` for `oneof phase`. */
export function tsOneofName(oneof: Pick<Oneof, "name">): string {
  return tsSafeProperty(protoJsonName(oneof.name));
}

/** Escape a property name that would shadow Object.prototype or a runtime-owned property. */
export function tsSafeProperty(name: string): string {
  return OBJECT_PROTOTYPE_NAMES.has(name) || TS_RUNTIME_PROPERTY_NAMES.has(name) ? `${name}$` : name;
}

/**
 * Escape a top-level identifier (type, const, function) for TS: keywords, globals, reserved runtime
 * names, and the parameter names of generated service code (a message `request` would be shadowed
 * by the parameter `request` inside a client method).
 */
export function tsSafeIdentifier(name: string): string {
  return TS_KEYWORDS.has(name) || TS_GLOBALS.has(name) || TS_RUNTIME_EXPORTS.has(name) || TS_GENERATED_PARAMETERS.has(name)
    ? `${name}$`
    : name;
}

/** The name a message or enum would have without clashes: its nesting path joined with `_`, escaped. */
function tsIdealTypeName(type: Pick<Message | Enum, "fullName">, pkg: string): string {
  const local = pkg === "" ? type.fullName : type.fullName.slice(pkg.length + 1);
  return tsSafeIdentifier(local.split(".").join("_"));
}

/** What protobuf-es appends to the i-th try of a taken name: nothing, `$`, `$1`, `$2`, ... */
function clashSalt(i: number): string {
  return i === 0 ? "" : i === 1 ? "$" : `$${i - 1}`;
}

/** Names given by {@link tsFileTypeNames}, by type, and the files already named. */
const assignedTypeNames = new WeakMap<object, string>();
const namedFiles = new WeakMap<object, ReadonlyMap<Message | Enum, string>>();

/**
 * The exported TS names of every message and enum of a file, clashes resolved. Joining the nesting
 * path with `_` can give two types one name (`M.Inner` and a top-level `M_Inner`; `M.Kind` and an
 * enum `M_Kind`). protobuf-es's rule (`allNames` in protoplugin's names.ts) settles it: types claim
 * their names in its order (each message, then its nested messages, then its nested enums; the
 * top-level enums last), and a type whose name is taken tries `$`, then `$1`, `$2`, ... appended.
 * The first declared keeps the plain name, so adding a type never renames an earlier one. Proto
 * names cannot contain `$`, so an escaped name cannot collide with a plain one, nor (ending in a
 * salt, never in `type`) with an enum's `X$type` descriptor.
 */
export function tsFileTypeNames(file: Pick<ProtoFile, "package" | "messages" | "enums">): ReadonlyMap<Message | Enum, string> {
  const known = namedFiles.get(file);
  if (known !== undefined) return known;
  const names = new Map<Message | Enum, string>();
  const taken = new Set<string>();
  const claim = (type: Message | Enum): void => {
    const ideal = tsIdealTypeName(type, file.package);
    let name = ideal;
    for (let i = 1; taken.has(name); i++) name = ideal + clashSalt(i);
    taken.add(name);
    names.set(type, name);
    assignedTypeNames.set(type, name);
  };
  const visit = (m: Message): void => {
    claim(m);
    m.messages.forEach(visit);
    m.enums.forEach(claim);
  };
  file.messages.forEach(visit);
  file.enums.forEach(claim);
  namedFiles.set(file, names);
  return names;
}

/**
 * The exported TS name of a message or enum: the nesting path joined with `_` (`Outer_Inner`), as
 * protobuf-es and ts-proto do, escaped if it clashes with a keyword or a global (`Object` -> `Object$`)
 * or, once its file was named by {@link tsFileTypeNames}, with another type of the file (`Outer_Inner$`).
 */
export function tsTypeName(type: Pick<Message | Enum, "fullName" | "file">, pkg: string): string {
  return assignedTypeNames.get(type) ?? tsIdealTypeName(type, pkg);
}

/** The TS enum member name of an enum value: kept as written (`COLOR_RED`), escaped if reserved. */
export function tsEnumMemberName(valueName: string): string {
  // Enum members are accessed as `Color.X`, so only names that break the enum itself need escaping.
  return valueName === "__proto__" || valueName === "constructor" ? `${valueName}$` : valueName;
}

/** The TS declarations generated for a plain (RPC) service. */
export interface TsRpcServiceNames {
  readonly kind: "rpc";
  /** `Foo$methods`: the object of `MethodDescriptor`s. */
  readonly methods: string;
  /** `FooClient`. */
  readonly client: string;
  /** `FooService`: the interface a server implements (`TestService` stays `TestService`). */
  readonly service: string;
  /** `UnimplementedFooService`: a base class whose methods fail UNIMPLEMENTED. */
  readonly unimplemented: string;
  /** `registerFoo`. */
  readonly register: string;
}

/** The TS declarations generated for an event service (`option (protozmq.events) = true`). */
export interface TsEventServiceNames {
  readonly kind: "events";
  /** `Foo$events`: topic and codec of each event. */
  readonly events: string;
  /** `FooPublisher`. */
  readonly publisher: string;
  /** `FooSubscriber`. */
  readonly subscriber: string;
  /** `FooEvent`: the discriminated union a subscriber yields. */
  readonly event: string;
}

/**
 * Names for a service `Foo`, before clashes within the module are resolved (see
 * {@link tsFileServiceNames}). The server interface appends `Service` unless the name already ends
 * with it, so `service TestService` gives `TestService`, not `TestServiceService`.
 */
export function tsServiceNames(service: Pick<Service, "name">, events: boolean): TsRpcServiceNames | TsEventServiceNames {
  const n = service.name;
  if (events) {
    return {
      kind: "events",
      events: `${n}$events`,
      publisher: tsSafeIdentifier(`${n}Publisher`),
      subscriber: tsSafeIdentifier(`${n}Subscriber`),
      event: tsSafeIdentifier(`${n}Event`),
    };
  }
  const iface = n.endsWith("Service") ? n : `${n}Service`;
  return {
    kind: "rpc",
    methods: `${n}$methods`,
    client: tsSafeIdentifier(`${n}Client`),
    service: tsSafeIdentifier(iface),
    unimplemented: tsSafeIdentifier(`Unimplemented${iface}`),
    register: tsSafeIdentifier(`register${n}`),
  };
}

/**
 * The names of every service of one module. `taken` holds the module's other top-level names
 * (messages, enums, enum descriptors), which are claimed first; a service name found taken gets `$`
 * appended until free, so adding a service never renames a message. Services claim in declaration
 * order.
 */
export function tsFileServiceNames(
  services: readonly Service[], isEvents: (s: Service) => boolean, taken: Iterable<string>,
): Map<Service, TsRpcServiceNames | TsEventServiceNames> {
  const used = new Set(taken);
  const claim = (base: string): string => {
    let name = base;
    while (used.has(name)) name += "$";
    used.add(name);
    return name;
  };
  const out = new Map<Service, TsRpcServiceNames | TsEventServiceNames>();
  for (const s of services) {
    const b = tsServiceNames(s, isEvents(s));
    out.set(s, b.kind === "rpc"
      ? {
        kind: "rpc", methods: claim(b.methods), client: claim(b.client), service: claim(b.service),
        unimplemented: claim(b.unimplemented), register: claim(b.register),
      }
      : { kind: "events", events: claim(b.events), publisher: claim(b.publisher), subscriber: claim(b.subscriber), event: claim(b.event) });
  }
  return out;
}

/** The method name on a generated TS client or handler interface: lowerCamelCase (`GetState` -> `getState`). */
export function tsMethodName(methodName: string): string {
  return tsSafeProperty(lowerFirst(methodName));
}

/**
 * Unique member names for the methods of one service, used for the client's and handler's methods,
 * the keys of `Foo$methods` / `Foo$events`, and an event's `$case`. Proto allows methods `GetState`
 * and `getState` side by side, so a name found taken gets `$` appended; `reserved` are members the
 * generated class already has (an event publisher's `close`, ...).
 */
export function tsServiceMethodNames(
  service: Pick<Service, "methods">, reserved: ReadonlySet<string> = new Set(),
): (method: Pick<Method, "name">) => string {
  const names = new Map<string, string>();
  const taken = new Set(reserved);
  for (const m of service.methods) {
    let name = tsMethodName(m.name);
    while (taken.has(name)) name += "$";
    taken.add(name);
    names.set(m.name, name);
  }
  return (m) => names.get(m.name) ?? tsMethodName(m.name);
}

/** Output path (without extension) of the TS module for a `.proto` file: `scalars/scalars`. */
export function tsModulePath(file: Pick<ProtoFile, "name">): string {
  return file.name.replace(/\.proto$/, "");
}

/** Relative import specifier from one generated TS module to another, with the `.js` suffix nodenext needs. */
export function tsRelativeImport(fromFile: Pick<ProtoFile, "name">, toFile: Pick<ProtoFile, "name">): string {
  const from = tsModulePath(fromFile).split("/").slice(0, -1);
  const to = tsModulePath(toFile).split("/");
  let common = 0;
  while (common < from.length && common < to.length - 1 && from[common] === to[common]) common++;
  const ups = from.length - common;
  const rest = to.slice(common).join("/");
  return `${ups === 0 ? "./" : "../".repeat(ups)}${rest}.js`;
}

/** Python module path of a `.proto` file, as protoc names it: `imports/base/common.proto` -> `imports.base.common_pb2`. */
export function pyModuleName(file: Pick<ProtoFile, "name">): string {
  return file.name.replace(/\.proto$/, "").replace(/-/g, "_").split("/").join(".") + "_pb2";
}

/** Output path (without extension) of the Python module of a `.proto` file: `imports/base/common_pb2`. */
export function pyModulePath(file: Pick<ProtoFile, "name">): string {
  return file.name.replace(/\.proto$/, "").replace(/-/g, "_") + "_pb2";
}

/**
 * The alias protoc uses when importing another `_pb2` module: `imports/base/common.proto` ->
 * `imports_dot_base_dot_common__pb2` (protoc's `ModuleAlias`: `_` doubled, `.` and `/` spelled out).
 */
export function pyModuleAlias(file: Pick<ProtoFile, "name">): string {
  const mod = pyModuleName(file).replace(/_/g, "__");
  return mod.replace(/\./g, "_dot_");
}

/** True when a name cannot be used as a Python identifier/attribute as written. */
export function pyIsKeyword(name: string): boolean {
  return PY_KEYWORDS.has(name);
}

/** A Python identifier safe for a local, parameter or module-level name: keywords and builtins get `_`. */
export function pySafeIdentifier(name: string): string {
  return PY_KEYWORDS.has(name) || PY_BUILTINS.has(name) ? `${name}_` : name;
}

/**
 * Python module path of the services module of a `.proto` file, next to its `_pb2` module:
 * `interop/test.proto` -> `interop.test_pzmq`.
 */
export function pyServiceModuleName(file: Pick<ProtoFile, "name">): string {
  return pyModuleName(file).replace(/_pb2$/, "_pzmq");
}

/** Output path (without extension) of the services module of a `.proto` file: `interop/test_pzmq`. */
export function pyServiceModulePath(file: Pick<ProtoFile, "name">): string {
  return pyModulePath(file).replace(/_pb2$/, "_pzmq");
}

/** The Python declarations generated for a plain (RPC) service `Foo`, in grpc_tools' shape. */
export interface PyRpcServiceNames {
  readonly kind: "rpc";
  /** `FooMethods`: a class whose attributes are the `MethodDescriptor`s, one per rpc. */
  readonly methods: string;
  /** `FooClient`: blocking client over a `protozmq.Channel` (grpc's `FooStub`). */
  readonly client: string;
  /** `FooAsyncClient`: asyncio client over a `protozmq.AsyncChannel`. */
  readonly asyncClient: string;
  /** `FooServicer`: base class of blocking implementations; its methods fail UNIMPLEMENTED. */
  readonly servicer: string;
  /** `FooAsyncServicer`: the same for asyncio implementations. */
  readonly asyncServicer: string;
  /** `add_FooServicer_to_server`: grpc's exact name. */
  readonly addToServer: string;
}

/** The Python declarations generated for an event service `Foo` (`option (protozmq.events) = true`). */
export interface PyEventServiceNames {
  readonly kind: "events";
  /** `FooTopics`: the topic of each event, as class attributes. */
  readonly topics: string;
  /** `FooPublisher`. */
  readonly publisher: string;
  /** `FooSubscriber`: blocking, over a `protozmq.Subscriber`. */
  readonly subscriber: string;
  /** `FooAsyncSubscriber`: asyncio, over a `protozmq.AsyncSubscriber`. */
  readonly asyncSubscriber: string;
  /** `_FooSubscriberBase`: subscriptions and decoding shared by both subscribers (private). */
  readonly subscriberBase: string;
  /** `FooEvent`: the union of the received-event classes. */
  readonly event: string;
  /** `FooEventName`: the `Literal` of the event (method) names. */
  readonly eventName: string;
  /** The received-event class of each method, by the method's name in the schema: `FooUnitMovedEvent`. */
  readonly events: ReadonlyMap<string, string>;
}

/**
 * Names for a service `Foo`, before clashes within the module are resolved (see
 * {@link pyFileServiceNames}). This is the one place Python service names are made.
 */
export function pyServiceNames(
  service: Pick<Service, "name" | "methods">, events: boolean,
): PyRpcServiceNames | PyEventServiceNames {
  const n = service.name;
  if (events) {
    return {
      kind: "events",
      topics: `${n}Topics`,
      publisher: `${n}Publisher`,
      subscriber: `${n}Subscriber`,
      asyncSubscriber: `${n}AsyncSubscriber`,
      subscriberBase: `_${n}SubscriberBase`,
      event: `${n}Event`,
      eventName: `${n}EventName`,
      events: new Map(service.methods.map((m) => [m.name, `${n}${upperFirst(m.name)}Event`])),
    };
  }
  return {
    kind: "rpc",
    methods: `${n}Methods`,
    client: `${n}Client`,
    asyncClient: `${n}AsyncClient`,
    servicer: `${n}Servicer`,
    asyncServicer: `${n}AsyncServicer`,
    addToServer: `add_${n}Servicer_to_server`,
  };
}

/**
 * The names of every service of one Python services module. `taken` holds the names the module
 * imports; a name found taken (by an import or an earlier service: `Foo`'s `FooAsyncClient` and
 * `FooAsync`'s `FooAsyncClient`) gets `_` appended until free. Services claim in declaration order,
 * so adding a service never renames an earlier one's declarations.
 */
export function pyFileServiceNames(
  services: readonly Service[], isEvents: (s: Service) => boolean, taken: Iterable<string> = [],
): Map<Service, PyRpcServiceNames | PyEventServiceNames> {
  const used = new Set(taken);
  const claim = (base: string): string => {
    let name = base;
    while (used.has(name)) name += "_";
    used.add(name);
    return name;
  };
  const out = new Map<Service, PyRpcServiceNames | PyEventServiceNames>();
  for (const s of services) {
    const b = pyServiceNames(s, isEvents(s));
    out.set(s, b.kind === "rpc"
      ? {
        kind: "rpc", methods: claim(b.methods), client: claim(b.client), asyncClient: claim(b.asyncClient),
        servicer: claim(b.servicer), asyncServicer: claim(b.asyncServicer), addToServer: claim(b.addToServer),
      }
      : {
        kind: "events", topics: claim(b.topics), publisher: claim(b.publisher), subscriber: claim(b.subscriber),
        asyncSubscriber: claim(b.asyncSubscriber), subscriberBase: claim(b.subscriberBase), event: claim(b.event),
        eventName: claim(b.eventName), events: new Map([...b.events].map(([m, n]) => [m, claim(n)])),
      });
  }
  return out;
}

/**
 * Member names for the methods of one service in generated Python: the name as written in the
 * `.proto` (`GetState`, as grpc stubs have it), with `_` appended to a Python keyword (`None_`) or a
 * name in `reserved` (members the generated class already has), and again until unique.
 */
export function pyServiceMethodNames(
  service: Pick<Service, "methods">, reserved: ReadonlySet<string> = new Set(),
): (method: Pick<Method, "name">) => string {
  const names = new Map<string, string>();
  const taken = new Set(reserved);
  for (const m of service.methods) {
    let name = PY_KEYWORDS.has(m.name) ? `${m.name}_` : m.name;
    while (taken.has(name)) name += "_";
    taken.add(name);
    names.set(m.name, name);
  }
  return (m) => names.get(m.name) ?? m.name;
}

/**
 * The exported descriptor (`EnumType`) next to a generated TS enum: `Color` -> `Color$type`.
 * Proto identifiers cannot contain `$`, so this never clashes with a generated type name.
 */
export function tsEnumDescriptorName(type: Pick<Enum, "fullName" | "file">, pkg: string): string {
  return `${tsTypeName(type, pkg)}$type`;
}

/**
 * A local variable or parameter in generated TS: `$` + name (`$m`, `$w`). Proto identifiers cannot
 * start with `$`, so locals never shadow a generated or imported top-level name.
 */
export function tsLocal(name: string): string {
  return `$${name}`;
}

/** The alias of an imported TS symbol whose name is already taken in a module: `Timestamp$1`. */
export function tsImportAlias(name: string, n: number): string {
  return `${name}$${n}`;
}

/**
 * Property names of the members of one message object: each field outside a real oneof, and each
 * real oneof. {@link tsFieldName} / {@link tsOneofName} can collide inside one message (oneof
 * `class_` and field `class` both become `class`; proto2 allows fields `foo_bar` and `fooBar`), so a
 * member whose name is taken gets `$` appended until it is free. Plain fields claim names first (in
 * declaration order), then oneofs, so adding a oneof never renames a field. Oneof members keep
 * {@link tsFieldName} inside their variant object, where nothing else can collide.
 */
export function tsMemberNames(message: Pick<Message, "fields" | "oneofs">): {
  field(field: Pick<Field, "name">): string;
  oneof(oneof: Pick<Oneof, "name">): string;
} {
  const fields = new Map<string, string>();
  const oneofs = new Map<string, string>();
  const taken = new Set<string>();
  const claim = (base: string): string => {
    let name = base;
    while (taken.has(name)) name += "$";
    taken.add(name);
    return name;
  };
  // Plain fields first, so adding a oneof never renames an existing field.
  for (const f of message.fields) if (f.oneof === undefined) fields.set(f.name, claim(tsFieldName(f)));
  for (const f of message.fields) {
    if (f.oneof !== undefined && !oneofs.has(f.oneof)) oneofs.set(f.oneof, claim(tsOneofName({ name: f.oneof })));
  }
  return {
    field: (f) => fields.get(f.name) ?? tsFieldName(f),
    oneof: (o) => oneofs.get(o.name) ?? tsOneofName(o),
  };
}
