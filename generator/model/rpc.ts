/**
 * Facts about RPC methods that every emitter needs the same way: the call shape and the method as
 * declared in the schema (the origin line of generated docs).
 */
import type { Method } from "./types";

/** The call shape of a method, named as the runtimes' `MethodKind` (grpc's, lower-case). */
export type MethodKind = "unary" | "server_streaming" | "client_streaming" | "bidi_streaming";

export function methodKind(m: Pick<Method, "clientStreaming" | "serverStreaming">): MethodKind {
  if (m.clientStreaming) return m.serverStreaming ? "bidi_streaming" : "client_streaming";
  return m.serverStreaming ? "server_streaming" : "unary";
}

/**
 * The method as declared, with the options that change generated code:
 * `rpc Get(pkg.Req) returns (stream pkg.Resp) { option (protozmq.oneway) = true; }`.
 */
export function rpcDeclaration(m: Method, oneway: boolean): string {
  const opts = [
    ...(oneway ? ["option (protozmq.oneway) = true;"] : []),
    ...(m.deprecated ? ["option deprecated = true;"] : []),
  ];
  const sig = `rpc ${m.name}(${m.clientStreaming ? "stream " : ""}${m.inputType}) returns (${m.serverStreaming ? "stream " : ""}${m.outputType})`;
  return opts.length === 0 ? `${sig};` : `${sig} { ${opts.join(" ")} }`;
}
