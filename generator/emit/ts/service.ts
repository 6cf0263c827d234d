/**
 * Services: what every per-service emitter shares (method facts, docs, the `Foo$methods`
 * descriptor object) and the entry point that picks the declarations for a service.
 *
 * A plain service `Foo` gives `Foo$methods`, `FooClient` (service-client.ts), `FooService`,
 * `UnimplementedFooService` and `registerFoo` (service-server.ts); an event service gives
 * `Foo$events`, `FooEvent`, `FooPublisher` and `FooSubscriber` (events.ts).
 */
import type { StatementStructures, WriterFunction } from "ts-morph";
import type { TsRpcServiceNames } from "../../model/names";
import type { Service } from "../../model/types";
import { newWriter } from "./codec";
import { docs, writeDoc } from "./comments";
import type { FileContext } from "./context";
import { eventStatements } from "./events";
import { clientClass } from "./service-client";
import { type MethodInfo, methodInfos, rpcDecl, serviceDocs, textStatement } from "./service-info";
import { registerFunction, serviceInterface, unimplementedClass } from "./service-server";

/**
 * `export const Foo$methods = { getState: { path, kind, requestType, responseType }, ... }`, one
 * `MethodDescriptor` per method, as a typed constant object (`as const`, so each `kind` keeps its
 * literal type and `Server.addMethod` picks the matching handler shape).
 */
function methodsObject(ctx: FileContext, s: Service, names: TsRpcServiceNames, infos: readonly MethodInfo[]): string {
  const w = newWriter();
  writeDoc(w, serviceDocs(s, [
    `Method descriptors of the service: the path each call names, its kind and codecs. {@link ${names.client}} and`
      + ` {@link ${names.register}} use them; a \`Channel\` or \`Server\` also takes them directly.`,
  ])[0]!);
  w.write(`export const ${names.methods} = `).inlineBlock(() => {
    for (const info of infos) {
      writeDoc(w, docs({}, `from rpc: ${rpcDecl(info)}`, { deprecated: info.method.deprecated })[0]!);
      w.write(`${info.name}: `).inlineBlock(() => {
        w.writeLine(`path: ${JSON.stringify(info.path)},`);
        w.writeLine(`kind: ${JSON.stringify(info.kind)},`);
        w.writeLine(`requestType: ${info.input},`);
        w.writeLine(`responseType: ${info.output},`);
        if (info.oneway) w.writeLine("oneway: true,");
      }).write(",").newLine();
    }
  }).write(` as const satisfies { readonly [method: string]: ${ctx.rt("MethodDescriptor", "type")}<unknown, unknown> };`);
  return w.toString();
}

/** Every declaration generated for one service, in order. */
export function serviceStatements(ctx: FileContext, s: Service): (StatementStructures | WriterFunction)[] {
  const names = ctx.serviceNames.get(s)!;
  if (names.kind === "events") return eventStatements(ctx, s, names, methodInfos(ctx, s, true));
  const infos = methodInfos(ctx, s, false);
  return [
    textStatement(methodsObject(ctx, s, names, infos)),
    clientClass(ctx, s, names, infos),
    serviceInterface(ctx, s, names, infos),
    unimplementedClass(ctx, s, names, infos),
    registerFunction(ctx, s, names, infos),
  ];
}
