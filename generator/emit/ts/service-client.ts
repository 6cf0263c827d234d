/**
 * The typed client of a service, `FooClient`: one method per rpc over a runtime `Channel`.
 *
 *   unary            getState(request, options?): Promise<Resp>
 *   server streaming watch(request, options?): AsyncIterable<Resp>
 *   client streaming upload(requests, options?): Promise<Resp>
 *   bidi streaming   chat(requests, options?): AsyncIterable<Resp>
 *   oneway (unary)   report(request, options?): Promise<void>
 *
 * Requests are partial messages, completed with the codec's `create()`.
 */
import { Scope, StructureKind, type ClassDeclarationStructure, type MethodDeclarationStructure, type OptionalKind } from "ts-morph";
import type { TsRpcServiceNames } from "../../model/names";
import type { Service } from "../../model/types";
import type { FileContext } from "./context";
import { methodDocs, serviceDocs, type MethodInfo } from "./service-info";

const CHANNEL = "$channel";

function clientMethod(ctx: FileContext, names: TsRpcServiceNames, info: MethodInfo): OptionalKind<MethodDeclarationStructure> {
  const partial = `${ctx.rt("PartialMessage", "type")}<${info.input}>`;
  const descriptor = `${names.methods}.${info.name}`;
  const options = { name: "options", hasQuestionToken: true, type: ctx.rt("CallOptions", "type") };
  const single = { name: "request", type: partial };
  const stream = { name: "requests", type: `AsyncIterable<${partial}> | Iterable<${partial}>` };
  const each = (): string => `${ctx.rt("createEach")}(${info.input}, requests)`;
  const create = `${info.input}.create(request)`;
  let parameters = [single, options];
  let returnType: string;
  let call: string;
  if (info.oneway) {
    returnType = "Promise<void>";
    call = `oneway(${descriptor}, ${create}, options)`;
  } else {
    switch (info.kind) {
      case "unary":
        returnType = `Promise<${info.output}>`;
        call = `unary(${descriptor}, ${create}, options)`;
        break;
      case "server_streaming":
        returnType = `AsyncIterable<${info.output}>`;
        call = `serverStream(${descriptor}, ${create}, options)`;
        break;
      case "client_streaming":
        parameters = [stream, options];
        returnType = `Promise<${info.output}>`;
        call = `clientStream(${descriptor}, ${each()}, options)`;
        break;
      case "bidi_streaming":
        parameters = [stream, options];
        returnType = `AsyncIterable<${info.output}>`;
        call = `bidiStream(${descriptor}, ${each()}, options)`;
        break;
    }
  }
  const extra = info.oneway
    ? ["One-way: resolves once the request is handed to ZeroMQ; the server sends no reply, so whether it ran is not reported."]
    : [];
  return {
    name: info.name,
    parameters,
    returnType,
    statements: [`return this.${CHANNEL}.${call};`],
    docs: methodDocs(info, extra),
  };
}

/** `export class FooClient { constructor(channel: Channel); getState(request, options?) ... }`. */
export function clientClass(ctx: FileContext, s: Service, names: TsRpcServiceNames, infos: readonly MethodInfo[]): ClassDeclarationStructure {
  const channel = ctx.rt("Channel", "type");
  return {
    kind: StructureKind.Class,
    name: names.client,
    isExported: true,
    docs: serviceDocs(s, [
      `Client of the service over a \`${channel}\` (share one channel among the clients of one server). Requests`
        + " are partial messages: missing fields get their defaults (`create()`). Every method takes `CallOptions`"
        + " (`timeoutMs`, `signal`, `metadata`, ...); a failed call rejects, or its stream throws, an `RpcError`.",
    ]),
    properties: [{ name: CHANNEL, scope: Scope.Private, isReadonly: true, type: channel }],
    ctors: [{ parameters: [{ name: "channel", type: channel }], statements: [`this.${CHANNEL} = channel;`] }],
    methods: infos.map((info) => clientMethod(ctx, names, info)),
  };
}
