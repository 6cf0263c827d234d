/**
 * Facts about a service's methods that the service emitters share (kind, member name, oneway,
 * request/response types, path) and their TSDoc.
 */
import type { JSDocStructure, OptionalKind, WriterFunction } from "ts-morph";
import { tsServiceMethodNames } from "../../model/names";
import { isOnewayMethod } from "../../model/options";
import { TS_EVENT_MEMBER_NAMES } from "../../model/reserved";
import { type MethodKind, methodKind, rpcDeclaration } from "../../model/rpc";
import type { Method, Service } from "../../model/types";
import { docs } from "./comments";
import type { FileContext } from "./context";

export { type MethodKind, methodKind } from "../../model/rpc";

/** What the per-service emitters need to know about one method. */
export interface MethodInfo {
  readonly method: Method;
  /** Member name on the client, the handler interface, and the key in `Foo$methods` / `Foo$events`. */
  readonly name: string;
  readonly kind: MethodKind;
  readonly oneway: boolean;
  /**
   * Request and response types as usable in this module (message interface and codec share the
   * name). Getters: reading one imports the type, and event services never read `input`.
   */
  readonly input: string;
  readonly output: string;
  /** `"<package>.<Service>/<Method>"`, PZMQ/1 section 5.1 (also the event topic, section 7). */
  readonly path: string;
}

/** Facts of every method of a service, in declaration order. */
export function methodInfos(ctx: FileContext, s: Service, events: boolean): MethodInfo[] {
  const nameOf = tsServiceMethodNames(s, events ? TS_EVENT_MEMBER_NAMES : undefined);
  return s.methods.map((m) => ({
    method: m,
    name: nameOf(m),
    kind: methodKind(m),
    oneway: isOnewayMethod(s, m, ctx.model),
    get input() {
      return ctx.typeRef(m.inputType, "value");
    },
    get output() {
      return ctx.typeRef(m.outputType, "value");
    },
    path: `${s.fullName}/${m.name}`,
  }));
}

/** The method as declared: `rpc Get(pkg.Req) returns (stream pkg.Resp);`, with the options that matter. */
export function rpcDecl(info: MethodInfo): string {
  return rpcDeclaration(info.method, info.oneway);
}

/** Break generated prose into lines of at most `width` characters (schema comments are kept as written). */
export function wrap(text: string, width = 100): string {
  const lines: string[] = [];
  let line = "";
  // `{@link X}` stays on one line.
  for (const word of text.match(/\{@link [^}]*\}\S*|\S+/g) ?? []) {
    if (line !== "" && line.length + 1 + word.length > width) {
      lines.push(line);
      line = word;
    } else {
      line = line === "" ? word : `${line} ${word}`;
    }
  }
  return [...lines, line].join("\n");
}

/** TSDoc of a generated member for a method: its comments, `extra` paragraphs, origin, `@deprecated`. */
export function methodDocs(info: MethodInfo, extra: readonly string[] = []): OptionalKind<JSDocStructure>[] {
  return docs(info.method.comments, `from rpc: ${rpcDecl(info)}`, { deprecated: info.method.deprecated, extra: extra.map((e) => wrap(e)) });
}

/** TSDoc of a generated declaration for a whole service. */
export function serviceDocs(s: Service, extra: readonly string[]): OptionalKind<JSDocStructure>[] {
  return docs(s.comments, `from service ${s.fullName}`, { deprecated: s.deprecated, extra: extra.map((e) => wrap(e)) });
}

/** A one-paragraph TSDoc without tags (for members that are not from the schema). */
export function note(text: string): OptionalKind<JSDocStructure>[] {
  return [{ description: wrap(text) }];
}

/**
 * A statement whose text was rendered eagerly (so the imports it uses are known before the module
 * header prints), separated from the previous statement by a blank line.
 */
export function textStatement(text: string): WriterFunction {
  return (w) => {
    w.blankLineIfLastNot().write(text);
  };
}
