/**
 * The `_pzmq.py` module of a `.proto` file with services, in grpc_tools' `_pb2_grpc.py` shape on the
 * protozmq runtime. A plain service `Foo` gives `FooMethods` (one `MethodDescriptor` per rpc),
 * `FooClient` / `FooAsyncClient` (over `protozmq.Channel` / `AsyncChannel`), `FooServicer` /
 * `FooAsyncServicer` (methods fail UNIMPLEMENTED until overridden) and
 * `add_FooServicer_to_server`; an event service is events.ts's. The module is a plain `.py`, fully
 * annotated, so `mypy --strict` checks it and its users without a stub.
 */
import { BANNER_TEXT, type Model, type ProtoFile, type Service } from "../../model/types";
import { type PyEventServiceNames, type PyRpcServiceNames, pyFileServiceNames } from "../../model/names";
import { isEventService } from "../../model/options";
import { PY_CLIENT_MEMBER_NAMES, PY_EVENT_PUBLISHER_MEMBER_NAMES } from "../../model/reserved";
import { bracketed, docstring, pyDef, render, trimLineEnds } from "./helpers";
import { eventServiceText } from "./events";
import { declarationDoc, PY_SERVICE_MODULE_IMPORTS, type PyMethodInfo, prose, ServiceModule } from "./service-module";
import { ADD_FUNCTION, CLIENT_CLASS, METHODS_CLASS, PZMQ_HEADER, SERVICER_CLASS } from "./templates-service";

/**
 * The runtime API level generated services need: `protozmq.RUNTIME_API` must be at least this, or
 * importing the module fails with a fix-it message. Raise it (with the runtime's) when generated
 * code starts using something new from the runtime.
 */
export const PY_RUNTIME_API = 1;

const CONTEXT = "protozmq.ServicerContext";
const TIMEOUT = "timeout: float | None";
const METADATA = "metadata: protozmq.MetadataLike | None";

type Flavour = "sync" | "async";

function serviceOrigin(s: Service): string {
  return `@generated from service ${s.fullName}`;
}

function methodOrigin(info: PyMethodInfo): string {
  return `@generated from rpc: ${info.declaration}`;
}

/** `FooMethods`. */
function methodsClass(mod: ServiceModule, s: Service, names: PyRpcServiceNames, infos: readonly PyMethodInfo[]): string {
  const final = mod.typing("Final");
  return render(METHODS_CLASS, {
    name: names.methods,
    doc: declarationDoc(s.comments, [
      "The method descriptors of the service: the path each call names, its kind and the (de)serializers of its"
        + ` messages. \`\`${names.client}\`\`, \`\`${names.asyncClient}\`\` and \`\`${names.addToServer}\`\` use them; a`
        + " ``protozmq.Channel`` or ``protozmq.Server`` takes them directly.",
    ], serviceOrigin(s), 4, s.deprecated),
    methods: infos.map((info) => ({
      statement: bracketed("    ", `${info.name}: ${final} = protozmq.MethodDescriptor.for_messages`,
        [JSON.stringify(info.path), JSON.stringify(info.kind), info.input.value, info.output.value], ""),
      doc: docstring(methodOrigin(info), "    "),
    })),
  });
}

/** One method of `FooClient` (sync) or `FooAsyncClient` (async). */
function clientMethod(mod: ServiceModule, names: PyRpcServiceNames, info: PyMethodInfo, flavour: Flavour) {
  const aio = flavour === "async";
  const req = info.input.annotation;
  const resp = info.output.annotation;
  const descriptor = `${names.methods}.${info.name}`;
  const options = ["timeout=timeout", "metadata=metadata"];
  const requests = aio
    ? `${mod.abc("Iterable")}[${req}] | ${mod.abc("AsyncIterable")}[${req}]`
    : `${mod.abc("Iterable")}[${req}]`;
  const head = (async: boolean): string => `${async ? "async def" : "def"} ${info.name}`;
  const def = (async: boolean, params: string[], ret: string, end = ":"): string =>
    pyDef("    ", head(async), ["self", ...params], ret, end);
  const call = (indent: string, prefix: string, fn: string, arg: string, extra: string[] = []): string =>
    bracketed(indent, `${prefix}self._channel.${fn}`, [descriptor, arg, ...options, ...extra], "");
  const awaited = aio ? "await " : "";
  let overloads: string[] = [];
  let signature: string;
  let body: string[];
  let extra: string[] = [];
  if (info.oneway) {
    signature = def(aio, [`request: ${req}`, "*", `${TIMEOUT} = None`, `${METADATA} = None`], "None");
    body = [call("        ", awaited, "oneway", "request")];
    extra = ["One-way: returns once the request is handed to ZeroMQ. The server sends no reply, so whether it ran"
      + " is not reported."];
  } else if (info.kind === "unary" || info.kind === "client_streaming") {
    const param = info.kind === "unary" ? `request: ${req}` : `requests: ${requests}`;
    const arg = info.kind === "unary" ? "request" : "requests";
    const fn = info.kind === "unary" ? "unary" : "client_stream";
    const literal = mod.typing("Literal");
    const withCall = `tuple[${resp}, protozmq.CallInfo]`;
    overloads = [
      def(aio, [param, "*", `${TIMEOUT} = ...`, `${METADATA} = ...`, `with_call: ${literal}[False] = ...`], resp, ": ..."),
      def(aio, [param, "*", `${TIMEOUT} = ...`, `${METADATA} = ...`, `with_call: ${literal}[True]`], withCall, ": ..."),
    ];
    signature = def(aio, [param, "*", `${TIMEOUT} = None`, `${METADATA} = None`, "with_call: bool = False"], `${resp} | ${withCall}`);
    body = [
      "        if with_call:",
      `${call("            ", `return ${awaited}`, fn, arg, ["with_call=True"])}`,
      call("        ", `return ${awaited}`, fn, arg),
    ];
  } else if (info.kind === "server_streaming") {
    const stream = aio ? "protozmq.AsyncResponseStream" : "protozmq.ResponseStream";
    signature = def(false, [`request: ${req}`, "*", `${TIMEOUT} = None`, `${METADATA} = None`], `${stream}[${resp}]`);
    body = [call("        ", "return ", "server_stream", "request")];
  } else {
    const stream = aio ? "protozmq.AsyncBidiStream" : "protozmq.BidiStream";
    signature = def(false, [`requests: ${requests} | None = None`, "*", `${TIMEOUT} = None`, `${METADATA} = None`],
      `${stream}[${req}, ${resp}]`);
    body = [call("        ", "return ", "bidi_stream", "requests")];
  }
  return {
    overloads,
    signature,
    doc: declarationDoc(info.method.comments, extra, methodOrigin(info), 8, info.method.deprecated),
    warn: info.method.deprecated ? mod.deprecationWarning(info.path, "        ") : undefined,
    body,
  };
}

/** `FooClient` or `FooAsyncClient`. */
function clientClass(mod: ServiceModule, s: Service, names: PyRpcServiceNames, infos: readonly PyMethodInfo[], flavour: Flavour): string {
  const aio = flavour === "async";
  const about = aio
    ? "asyncio client of the service over a ``protozmq.AsyncChannel`` (use it from one event loop). Unary and"
      + " client-streaming methods are coroutines; streaming methods return the stream at once, to iterate with"
      + " ``async for``."
    : "Blocking client of the service over a ``protozmq.Channel`` (thread-safe: share one channel among the clients"
      + " of one server). Streaming methods return the stream, to iterate.";
  const methods = infos.map((info) => clientMethod(mod, names, info, flavour));
  return render(CLIENT_CLASS, {
    name: aio ? names.asyncClient : names.client,
    doc: declarationDoc(s.comments, [
      about,
      "Every method takes ``timeout`` (seconds) and ``metadata`` (request headers); unary and client-streaming"
        + " methods also take ``with_call=True``, to return ``(response, protozmq.CallInfo)`` with the response"
        + " headers and trailers. A call that ends with a status other than OK raises ``protozmq.RpcError``.",
    ], serviceOrigin(s), 4, s.deprecated),
    channelType: aio ? "protozmq.AsyncChannel" : "protozmq.Channel",
    warn: s.deprecated ? mod.deprecationWarning(s.fullName, "        ") : undefined,
    overload: methods.some((m) => m.overloads.length > 0) ? mod.typing("overload") : "",
    methods,
  });
}

/** One method of `FooServicer` (sync) or `FooAsyncServicer` (async). */
function servicerMethod(info: PyMethodInfo, flavour: Flavour, mod: ServiceModule) {
  const aio = flavour === "async";
  const req = info.input.annotation;
  const resp = info.output.annotation;
  const streamIn = info.method.clientStreaming;
  const param = streamIn
    ? `request_iterator: ${mod.abc(aio ? "AsyncIterator" : "Iterator")}[${req}]`
    : `request: ${req}`;
  let ret: string;
  let isAsync = aio;
  const extra: string[] = [];
  if (info.oneway) {
    ret = "None";
    extra.push("One-way: the caller gets no reply, whatever this returns or raises.");
  } else if (info.method.serverStreaming) {
    ret = `${mod.abc(aio ? "AsyncIterable" : "Iterable")}[${resp}]`;
    // An async generator is a plain `def` returning an async iterator: so is the method it overrides.
    isAsync = false;
    extra.push(aio
      ? "Override it with an async generator (``async def`` that ``yield``s the responses); it is cancelled when the"
        + " call ends early."
      : "Return or ``yield`` the responses; check ``context.cancelled()`` in long loops.");
  } else {
    ret = resp;
  }
  return {
    signature: pyDef("    ", `${isAsync ? "async def" : "def"} ${info.name}`, ["self", param, `context: ${CONTEXT}`], ret),
    doc: declarationDoc(info.method.comments, extra, methodOrigin(info), 8, info.method.deprecated),
    raise: bracketed("        ", "raise protozmq.RpcError", [
      "protozmq.StatusCode.UNIMPLEMENTED", JSON.stringify(`method ${info.path} is not implemented`),
    ], ""),
  };
}

/** `FooServicer` or `FooAsyncServicer`. */
function servicerClass(mod: ServiceModule, s: Service, names: PyRpcServiceNames, infos: readonly PyMethodInfo[], flavour: Flavour): string {
  const aio = flavour === "async";
  const about = aio
    ? `Base class of an asyncio implementation of the service, for a \`\`protozmq.AsyncServer\`\`: subclass it,`
      + ` override the methods you implement (\`\`async def\`\`) and register it with \`\`${names.addToServer}\`\`.`
    : `Base class of a blocking implementation of the service, for a \`\`protozmq.Server\`\` (methods run on its`
      + ` worker threads): subclass it, override the methods you implement and register it with`
      + ` \`\`${names.addToServer}\`\`.`;
  return render(SERVICER_CLASS, {
    name: aio ? names.asyncServicer : names.servicer,
    doc: declarationDoc(s.comments, [
      about,
      "Methods not overridden fail with UNIMPLEMENTED, so adding a method to the schema breaks no server. Raise"
        + " ``protozmq.RpcError`` (or call ``context.abort``) to choose the status the caller sees; any other"
        + " exception is UNKNOWN.",
    ], serviceOrigin(s), 4, s.deprecated),
    methods: infos.map((info) => servicerMethod(info, flavour, mod)),
  });
}

/** The registrations of one branch (sync or async) of `add_FooServicer_to_server`. */
function registrations(names: PyRpcServiceNames, infos: readonly PyMethodInfo[], flavour: Flavour, indent: string): string[] {
  const aio = flavour === "async";
  const lines: string[] = [];
  for (const info of infos) {
    const descriptor = `${names.methods}.${info.name}`;
    if (!info.oneway) {
      lines.push(bracketed(indent, "server.add_method", [descriptor, `servicer.${info.name}`], ""));
      continue;
    }
    // A one-way method returns nothing; a caller that did not send ONEWAY still gets an (empty) reply.
    const local = aio ? `_${info.name}_async` : `_${info.name}`;
    lines.push(
      "",
      pyDef(indent, `${aio ? "async def" : "def"} ${local}`, [`request: ${info.input.annotation}`, `context: ${CONTEXT}`],
        info.output.annotation),
      `${indent}    ${aio ? "await " : ""}servicer.${info.name}(request, context)`,
      `${indent}    return ${info.output.value}()`,
      "",
      bracketed(indent, "server.add_method", [descriptor, local], ""),
    );
  }
  return lines;
}

/** `add_FooServicer_to_server`. */
function addFunction(mod: ServiceModule, s: Service, names: PyRpcServiceNames, infos: readonly PyMethodInfo[]): string {
  const overload = mod.typing("overload");
  const fn = names.addToServer;
  const mismatch = (indent: string, what: string, wants: string): string =>
    bracketed(indent, "raise TypeError", [JSON.stringify(`${fn}: a ${what} needs a ${wants}`)], "");
  return render(ADD_FUNCTION, {
    overload,
    syncOverload: bracketed("", `def ${fn}`, [`servicer: ${names.servicer}`, "server: protozmq.Server"], " -> None: ..."),
    asyncOverload: bracketed("", `def ${fn}`, [`servicer: ${names.asyncServicer}`, "server: protozmq.AsyncServer"], " -> None: ..."),
    signature: bracketed("", `def ${fn}`, [
      `servicer: ${names.servicer} | ${names.asyncServicer}`, "server: protozmq.Server | protozmq.AsyncServer",
    ], " -> None:"),
    doc: declarationDoc(s.comments, [
      `Registers every method of the service on \`\`server\`\`, each calling \`\`servicer\`\`: a \`\`${names.servicer}\`\` on`
        + ` a \`\`protozmq.Server\`\`, a \`\`${names.asyncServicer}\`\` on a \`\`protozmq.AsyncServer\`\`. A method registered`
        + " already raises ``ValueError``.",
    ], serviceOrigin(s), 4, s.deprecated),
    servicer: names.servicer,
    asyncServicer: names.asyncServicer,
    asyncMismatch: mismatch("            ", `${names.servicer} (blocking)`,
      `protozmq.Server; subclass ${names.asyncServicer} for an AsyncServer`),
    syncMismatch: mismatch("        ", names.asyncServicer, "protozmq.AsyncServer"),
    asyncLines: registrations(names, infos, "async", "        "),
    syncLines: registrations(names, infos, "sync", "    "),
  });
}

/** Every declaration of one plain service, in order. */
function rpcServiceText(mod: ServiceModule, s: Service, names: PyRpcServiceNames): string {
  const infos = mod.methodInfos(s, PY_CLIENT_MEMBER_NAMES);
  return [
    methodsClass(mod, s, names, infos),
    clientClass(mod, s, names, infos, "sync"),
    clientClass(mod, s, names, infos, "async"),
    servicerClass(mod, s, names, infos, "sync"),
    servicerClass(mod, s, names, infos, "async"),
    addFunction(mod, s, names, infos),
  ].join("\n\n");
}

/** The public names of a service's declarations, for `__all__`. */
function exportsOf(names: PyRpcServiceNames | PyEventServiceNames): string[] {
  if (names.kind === "rpc") {
    return [names.methods, names.client, names.asyncClient, names.servicer, names.asyncServicer, names.addToServer];
  }
  return [names.topics, ...names.events.values(), names.event, names.eventName, names.publisher, names.subscriber, names.asyncSubscriber];
}

/** The module docstring: what the module holds, by service. */
function moduleDoc(file: ProtoFile, all: Map<Service, PyRpcServiceNames | PyEventServiceNames>): string {
  const lines = [`protozmq services of ${file.name}: typed clients, servicers and events over ZeroMQ.`, ""];
  for (const [s, names] of all) {
    const list = names.kind === "rpc"
      ? [names.client, names.asyncClient, names.servicer, names.asyncServicer, names.addToServer]
      : [names.publisher, names.subscriber, names.asyncSubscriber];
    lines.push(prose(`${s.name}${names.kind === "events" ? " (events)" : ""}: ${list.join(", ")}.`, 0));
  }
  return docstring(lines.join("\n"), "");
}

/** Python source of `<file>_pzmq.py`, or undefined for a file without services. */
export function renderServices(model: Model, file: ProtoFile): string | undefined {
  if (file.services.length === 0) return undefined;
  const mod = new ServiceModule(model, file);
  const isEvents = (s: Service): boolean => isEventService(s, model);
  const all = pyFileServiceNames(file.services, isEvents, PY_SERVICE_MODULE_IMPORTS);
  const body = file.services.map((s) => {
    const names = all.get(s)!;
    return names.kind === "rpc"
      ? rpcServiceText(mod, s, names)
      : eventServiceText(mod, s, names, mod.methodInfos(s, PY_EVENT_PUBLISHER_MEMBER_NAMES));
  });
  const { stdlib, schema } = mod.imports.lines();
  const header = render(PZMQ_HEADER, {
    banner: BANNER_TEXT,
    source: file.name,
    sourceLiteral: JSON.stringify(file.name),
    doc: moduleDoc(file, all),
    stdlib,
    schema,
    apiLevel: PY_RUNTIME_API,
    exports: [...all.values()].flatMap(exportsOf),
  });
  return trimLineEnds(`${header}\n\n${body.join("\n\n")}`);
}
