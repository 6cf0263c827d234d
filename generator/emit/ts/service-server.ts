/**
 * The server side of a service: the interface an implementation satisfies (`FooService`), a base
 * class whose methods fail UNIMPLEMENTED (grpc's servicer base), and `registerFoo(server, impl)`.
 *
 *   unary            getState(request, ctx): Promise<Resp> | Resp
 *   server streaming watch(request, ctx): AsyncIterable<Resp>          (an async generator)
 *   client streaming upload(requests, ctx): Promise<Resp> | Resp       (requests: AsyncIterable<Req>)
 *   bidi streaming   chat(requests, ctx): AsyncIterable<Resp>
 *   oneway (unary)   report(request, ctx): Promise<void> | void
 */
import {
  StructureKind, type ClassDeclarationStructure, type FunctionDeclarationStructure, type InterfaceDeclarationStructure,
  type MethodSignatureStructure,
} from "ts-morph";
import type { TsRpcServiceNames } from "../../model/names";
import type { Service } from "../../model/types";
import type { FileContext } from "./context";
import { methodDocs, serviceDocs, wrap, type MethodInfo } from "./service-info";

/** Parameters and return type of a handler, per method kind. */
function handlerSignature(ctx: FileContext, info: MethodInfo, unusedPrefix = ""): Pick<MethodSignatureStructure, "parameters" | "returnType"> {
  const context = { name: `${unusedPrefix}ctx`, type: ctx.rt("ServerCallContext", "type") };
  const streamIn = info.kind === "client_streaming" || info.kind === "bidi_streaming";
  const input = streamIn
    ? { name: `${unusedPrefix}requests`, type: `AsyncIterable<${info.input}>` }
    : { name: `${unusedPrefix}request`, type: info.input };
  const returnType = info.oneway ? "Promise<void> | void"
    : info.kind === "server_streaming" || info.kind === "bidi_streaming" ? `AsyncIterable<${info.output}>`
      : `Promise<${info.output}> | ${info.output}`;
  return { parameters: [input, context], returnType };
}

/** Extra TSDoc of a handler, by kind. */
function handlerNotes(info: MethodInfo): string[] {
  if (info.oneway) return ["One-way: the client gets no reply; a thrown error goes to the server's `onOnewayError`."];
  if (info.kind === "server_streaming" || info.kind === "bidi_streaming") {
    return ["Yield the responses (an `async function*`); stop when `ctx.signal` aborts."];
  }
  return [];
}

/** `export interface FooService { getState(request: Req, ctx: ServerCallContext): Promise<Resp> | Resp; ... }`. */
export function serviceInterface(ctx: FileContext, s: Service, names: TsRpcServiceNames, infos: readonly MethodInfo[]): InterfaceDeclarationStructure {
  return {
    kind: StructureKind.Interface,
    name: names.service,
    isExported: true,
    docs: serviceDocs(s, [
      `The handlers of the service. Pass an implementation to {@link ${names.register}}; extend {@link ${names.unimplemented}}`
        + " to implement only some methods. Throw an `RpcError` to choose the status the caller sees (any other error is UNKNOWN).",
    ]),
    methods: infos.map((info) => ({ name: info.name, ...handlerSignature(ctx, info), docs: methodDocs(info, handlerNotes(info)) })),
  };
}

/** `export class UnimplementedFooService implements FooService`: every method throws UNIMPLEMENTED. */
export function unimplementedClass(ctx: FileContext, s: Service, names: TsRpcServiceNames, infos: readonly MethodInfo[]): ClassDeclarationStructure {
  return {
    kind: StructureKind.Class,
    name: names.unimplemented,
    isExported: true,
    implements: [names.service],
    docs: [{
      description: `${wrap(`{@link ${names.service}} with every method failing UNIMPLEMENTED: extend it and override the methods`
        + " you implement, so adding a method to the schema does not break the build.")}\n`,
      tags: [{ tagName: "generated", text: `from service ${s.fullName}` }, ...(s.deprecated ? [{ tagName: "deprecated" }] : [])],
    }],
    methods: infos.map((info) => ({
      name: info.name,
      ...handlerSignature(ctx, info, "_"),
      statements: [
        `throw new ${ctx.rt("RpcError")}(${ctx.rt("Status")}.UNIMPLEMENTED, ${JSON.stringify(`method ${info.path} is not implemented`)});`,
      ],
    })),
  };
}

/** `export function registerFoo(server: Server, impl: FooService): void`: adds every method, bound to `impl`. */
export function registerFunction(ctx: FileContext, s: Service, names: TsRpcServiceNames, infos: readonly MethodInfo[]): FunctionDeclarationStructure {
  const statements = infos.map((info) => {
    const descriptor = `${names.methods}.${info.name}`;
    if (!info.oneway) return `server.addMethod(${descriptor}, impl.${info.name}.bind(impl));`;
    // A oneway handler returns nothing; a client calling the method without ONEWAY gets an empty reply.
    return `server.addMethod(${descriptor}, async (request, ctx) => {\n  await impl.${info.name}(request, ctx);\n  return ${info.output}.create();\n});`;
  });
  if (infos.length === 0) statements.push("void server;", "void impl;");
  return {
    kind: StructureKind.Function,
    name: names.register,
    isExported: true,
    parameters: [{ name: "server", type: ctx.rt("Server", "type") }, { name: "impl", type: names.service }],
    returnType: "void",
    statements,
    docs: serviceDocs(s, [
      `Registers every method of the service on \`server\`, each bound to \`impl\` (replacing earlier registrations of the same paths).`,
    ]),
  };
}
