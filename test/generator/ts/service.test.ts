/**
 * Service emitter unit tests: inline `.proto` text in, specific generated lines out (protobuf-es
 * `createTestPluginAndRun` style), plus naming, option spellings and the schema checks of protozmq's
 * options. Every emit here also passes the emitter's in-memory type check.
 */
import * as fs from "fs";
import * as path from "path";
import * as runtime from "protozmq";
import { SchemaError } from "../../../generator/model/diagnostics";
import { customOptionName, isEventService, isOnewayMethod } from "../../../generator/model/options";
import { TS_RUNTIME_EXPORTS, TS_RUNTIME_RPC_EXPORTS } from "../../../generator/model/reserved";
import { emitTypeScript } from "../../../generator/emit/ts";
import { bindAddress, Sockets } from "../../runtime/rpc/helpers";
import { REPO, emitInline, inlineModel, lines, loadGenerated } from "./helpers";

const HEADER = `syntax = "proto3";
package game.v1;
import "google/protobuf/empty.proto";
import "protozmq/options.proto";
`;

const GAME = `${HEADER}
message Req { int32 id = 1; }
message Resp { string name = 1; }
message Moved { int32 unit = 1; }

// Game analysis.
service Analysis {
  // Evaluate one position.
  rpc GetState(Req) returns (Resp);
  rpc Watch(Req) returns (stream Resp);
  rpc Upload(stream Req) returns (Resp);
  rpc Chat(stream Req) returns (stream Resp);
  rpc Report(Req) returns (google.protobuf.Empty) { option (protozmq.oneway) = true; }
  rpc Old(Req) returns (Resp) { option deprecated = true; }
}

// What the engine publishes.
service GameEvents {
  option (protozmq.events) = true;
  // A unit moved.
  rpc UnitMoved(google.protobuf.Empty) returns (stream Moved);
  rpc Close(google.protobuf.Empty) returns (stream Moved);
}
`;

describe("plain service", () => {
  let text: string;
  let ls: string[];
  beforeAll(() => {
    text = emitInline({ "game.proto": GAME });
    ls = lines(text);
  });

  test("runtime names are imported from \"protozmq\", collected from use", () => {
    const imp = ls.find((l) => l.startsWith("import") && l.endsWith(`from "protozmq";`))!;
    for (const name of ["type CallOptions", "type Channel", "type MethodDescriptor", "RpcError", "type Server", "type ServerCallContext", "Status", "createEach"]) {
      expect(imp).toContain(name);
    }
    expect(ls).toContain(`import { Empty } from "./google/protobuf/empty.js";`);
  });

  test("method descriptors: path, kind, codecs, oneway", () => {
    expect(ls).toContain("export const Analysis$methods = {");
    expect(text).toContain([
      "  getState: {",
      `    path: "game.v1.Analysis/GetState",`,
      `    kind: "unary",`,
      "    requestType: Req,",
      "    responseType: Resp,",
      "  },",
    ].join("\n"));
    for (const [name, kind] of [["watch", "server_streaming"], ["upload", "client_streaming"], ["chat", "bidi_streaming"]]) {
      expect(text).toMatch(new RegExp(`  ${name}: \\{\\n.*\\n    kind: "${kind}",`));
    }
    expect(text).toMatch(/ {2}report: \{\n(.*\n){3}    responseType: Empty,\n {4}oneway: true,\n/);
    expect(text.match(/oneway: true/g)).toHaveLength(1);
    expect(ls).toContain("} as const satisfies { readonly [method: string]: MethodDescriptor<unknown, unknown> };");
  });

  test("client: one lowerCamelCase method per rpc, shaped by kind", () => {
    expect(ls).toContain("export class AnalysisClient {");
    expect(ls).toContain("constructor(channel: Channel) {");
    expect(ls).toContain("getState(request: PartialMessage<Req>, options?: CallOptions): Promise<Resp> {");
    expect(ls).toContain("return this.$channel.unary(Analysis$methods.getState, Req.create(request), options);");
    expect(ls).toContain("watch(request: PartialMessage<Req>, options?: CallOptions): AsyncIterable<Resp> {");
    expect(ls).toContain("return this.$channel.serverStream(Analysis$methods.watch, Req.create(request), options);");
    expect(ls).toContain("upload(requests: AsyncIterable<PartialMessage<Req>> | Iterable<PartialMessage<Req>>, options?: CallOptions): Promise<Resp> {");
    expect(ls).toContain("return this.$channel.clientStream(Analysis$methods.upload, createEach(Req, requests), options);");
    expect(ls).toContain("chat(requests: AsyncIterable<PartialMessage<Req>> | Iterable<PartialMessage<Req>>, options?: CallOptions): AsyncIterable<Resp> {");
    expect(ls).toContain("return this.$channel.bidiStream(Analysis$methods.chat, createEach(Req, requests), options);");
    expect(ls).toContain("report(request: PartialMessage<Req>, options?: CallOptions): Promise<void> {");
    expect(ls).toContain("return this.$channel.oneway(Analysis$methods.report, Req.create(request), options);");
  });

  test("handler interface, UNIMPLEMENTED base class and register function", () => {
    expect(ls).toContain("export interface AnalysisService {");
    expect(ls).toContain("getState(request: Req, ctx: ServerCallContext): Promise<Resp> | Resp;");
    expect(ls).toContain("watch(request: Req, ctx: ServerCallContext): AsyncIterable<Resp>;");
    expect(ls).toContain("upload(requests: AsyncIterable<Req>, ctx: ServerCallContext): Promise<Resp> | Resp;");
    expect(ls).toContain("chat(requests: AsyncIterable<Req>, ctx: ServerCallContext): AsyncIterable<Resp>;");
    expect(ls).toContain("report(request: Req, ctx: ServerCallContext): Promise<void> | void;");
    expect(ls).toContain("export class UnimplementedAnalysisService implements AnalysisService {");
    expect(ls).toContain("getState(_request: Req, _ctx: ServerCallContext): Promise<Resp> | Resp {");
    expect(ls).toContain(`throw new RpcError(Status.UNIMPLEMENTED, "method game.v1.Analysis/GetState is not implemented");`);
    expect(ls).toContain("export function registerAnalysis(server: Server, impl: AnalysisService): void {");
    expect(ls).toContain("server.addMethod(Analysis$methods.getState, impl.getState.bind(impl));");
    // A oneway handler returns nothing; a caller without ONEWAY still gets an (empty) reply.
    expect(text).toContain([
      "  server.addMethod(Analysis$methods.report, async (request, ctx) => {",
      "    await impl.report(request, ctx);",
      "    return Empty.create();",
      "  });",
    ].join("\n"));
  });

  test("comments become TSDoc with @generated origins; deprecated methods are @deprecated", () => {
    expect(ls).toContain("* Game analysis.");
    expect(ls).toContain("* @generated from service game.v1.Analysis");
    expect(ls).toContain("* Evaluate one position.");
    expect(ls).toContain("* @generated from rpc: rpc GetState(game.v1.Req) returns (game.v1.Resp);");
    expect(ls).toContain("* @generated from rpc: rpc Chat(stream game.v1.Req) returns (stream game.v1.Resp);");
    expect(ls).toContain("* @generated from rpc: rpc Report(game.v1.Req) returns (google.protobuf.Empty) { option (protozmq.oneway) = true; }");
    expect(text).toMatch(/option deprecated = true; \}\n\s+\* @deprecated\n\s+\*\/\n\s+old\(request: PartialMessage<Req>/);
  });
});

describe("event service", () => {
  let text: string;
  let ls: string[];
  beforeAll(() => {
    text = emitInline({ "game.proto": GAME });
    ls = lines(text);
  });

  test("no client or server for an event service", () => {
    expect(text).not.toContain("GameEventsClient");
    expect(text).not.toContain("registerGameEvents");
    expect(text).not.toContain("GameEvents$methods");
  });

  test("topics and codecs, and the received-event union", () => {
    expect(ls).toContain(`unitMoved: { topic: "game.v1.GameEvents/UnitMoved", type: Moved },`);
    expect(text).toContain([
      "export type GameEventsEvent =",
      `  | { $case: "unitMoved"; event: Moved; topic: string; seq: number }`,
      `  | { $case: "close$"; event: Moved; topic: string; seq: number };`,
    ].join("\n"));
  });

  test("publisher: one method per event; a method named like a member gets `$`", () => {
    expect(ls).toContain("export class GameEventsPublisher {");
    expect(ls).toContain("constructor(publisher: Publisher = new Publisher()) {");
    expect(ls).toContain("unitMoved(event: PartialMessage<Moved>, topicSuffix?: string): void {");
    expect(ls).toContain("this.publisher.publish(topicSuffix === undefined ? GameEvents$events.unitMoved.topic"
      + " : `${GameEvents$events.unitMoved.topic}/${topicSuffix}`, Moved.encode(Moved.create(event)));");
    expect(ls).toContain("close(): Promise<void> {");
    expect(ls).toContain("close$(event: PartialMessage<Moved>, topicSuffix?: string): void {");
    expect(ls).toContain("* A unit moved.");
  });

  test("subscriber: subscribe by name(s) or \"all\", decode by topic", () => {
    expect(ls).toContain("export class GameEventsSubscriber implements AsyncIterable<GameEventsEvent> {");
    expect(ls).toContain(`subscribe(events: "all" | GameEventsEvent["$case"] | readonly GameEventsEvent["$case"][], topicSuffix?: string): void {`);
    expect(ls).toContain("async *[Symbol.asyncIterator](): AsyncIterator<GameEventsEvent> {");
    expect(ls).toContain(`case "game.v1.GameEvents/UnitMoved":`);
    expect(ls).toContain(`return { $case: "unitMoved", event: Moved.decode($m.payload), topic: $t, seq: $m.seq };`);
    expect(ls).toContain("this.undecodable++;");
  });
});

describe("naming", () => {
  test("`FooService` interface, but a service already named `...Service` keeps its name", () => {
    const ls = lines(emitInline({ "a.proto": `${HEADER}service Foo { rpc A(google.protobuf.Empty) returns (google.protobuf.Empty); }\nservice BarService {}\n` }));
    expect(ls).toContain("export interface FooService {");
    expect(ls).toContain("export class UnimplementedFooService implements FooService {");
    expect(ls).toContain("export interface BarService {");
    expect(ls).toContain("export class BarServiceClient {");
    expect(ls).toContain("export function registerBarService(server: Server, impl: BarService): void {");
  });

  test("service names never take a message's name; runtime RPC names are aliased, not reserved", () => {
    const ls = lines(emitInline({
      "a.proto": `${HEADER}
message FooClient { int32 x = 1; }
enum Status { STATUS_UNSPECIFIED = 0; }
message Channel { Status status = 1; }
message request { int32 x = 1; }
service Foo { rpc Get(request) returns (Channel); }
`,
    }));
    expect(ls).toContain("export interface FooClient {");
    expect(ls).toContain("export class FooClient$ {");
    expect(ls).toContain("export enum Status {");
    expect(ls).toContain("export interface Channel {");
    expect(ls).toContain("export interface request$ {");
    const imp = ls.find((l) => l.startsWith("import") && l.endsWith(`from "protozmq";`))!;
    expect(imp).toContain("type Channel as Channel$1");
    expect(imp).toContain("Status as Status$1");
    expect(ls).toContain("constructor(channel: Channel$1) {");
    expect(ls).toContain("get(request: PartialMessage<request$>, options?: CallOptions): Promise<Channel> {");
    expect(ls).toContain(`throw new RpcError(Status$1.UNIMPLEMENTED, "method game.v1.Foo/Get is not implemented");`);
  });

  test("methods whose member names collide get `$`; prototype names are escaped", () => {
    const ls = lines(emitInline({
      "a.proto": `${HEADER}service S {
  rpc GetState(google.protobuf.Empty) returns (google.protobuf.Empty);
  rpc getState(google.protobuf.Empty) returns (google.protobuf.Empty);
  rpc Constructor(google.protobuf.Empty) returns (google.protobuf.Empty);
}
service E {
  option (protozmq.events) = true;
  rpc All(google.protobuf.Empty) returns (stream google.protobuf.Empty);
}
`,
    }));
    expect(ls).toContain("getState(request: PartialMessage<Empty>, options?: CallOptions): Promise<Empty> {");
    expect(ls).toContain("getState$(request: PartialMessage<Empty>, options?: CallOptions): Promise<Empty> {");
    expect(ls).toContain("constructor$(request: PartialMessage<Empty>, options?: CallOptions): Promise<Empty> {");
    expect(ls).toContain(`path: "game.v1.S/getState",`);
    expect(ls).toContain("all$(event: PartialMessage<Empty>, topicSuffix?: string): void {");
  });

  test("empty services compile", () => {
    const ls = lines(emitInline({ "a.proto": `${HEADER}service Nothing {}\nservice Quiet { option (protozmq.events) = true; }\n` }));
    expect(ls).toContain("export class NothingClient {");
    expect(ls).toContain("export type QuietEvent = never;");
  });
});

describe("protozmq options", () => {
  test("every spelling of the option name is understood", () => {
    const model = inlineModel({
      "a.proto": `syntax = "proto3";
package protozmq.sub;
import "google/protobuf/empty.proto";
import "protozmq/options.proto";
service A {
  option (.protozmq.events) = true;
  rpc X(google.protobuf.Empty) returns (stream google.protobuf.Empty);
}
service B {
  rpc Abs(google.protobuf.Empty) returns (google.protobuf.Empty) { option (.protozmq.oneway) = true; }
  rpc Rel(google.protobuf.Empty) returns (google.protobuf.Empty) { option (oneway) = true; }
  rpc Pkg(google.protobuf.Empty) returns (google.protobuf.Empty) { option (protozmq.oneway) = true; }
  rpc Off(google.protobuf.Empty) returns (google.protobuf.Empty) { option (protozmq.oneway) = false; }
  rpc Plain(google.protobuf.Empty) returns (google.protobuf.Empty);
}
`,
    });
    const [a, b] = model.file(model.targets[0]!).services;
    expect(isEventService(a!, model)).toBe(true);
    expect(isEventService(b!, model)).toBe(false);
    expect(b!.methods.map((m) => isOnewayMethod(b!, m, model))).toEqual([true, true, true, false, false]);
  });

  test("names resolve like protoc's: absolute, then innermost scope outwards", () => {
    expect(customOptionName("(.protozmq.oneway)", "x.S.M")).toBe("protozmq.oneway");
    expect(customOptionName("(protozmq.oneway)", "x.S.M")).toBe("protozmq.oneway");
    expect(customOptionName("(protozmq.oneway).sub", "x.S.M")).toBeUndefined();
    expect(customOptionName("deprecated", "x.S.M")).toBeUndefined();
  });

  test.each([
    ["an event method that is not server-streaming",
      "service E {\n  option (protozmq.events) = true;\n  rpc Moved(google.protobuf.Empty) returns (google.protobuf.Empty);\n}\n",
      "a.proto:8:3: method Moved of game.v1.E must be server-streaming (`returns (stream T)` with a single request), because the service sets option (protozmq.events) = true"],
    ["an event method with a request stream",
      "service E {\n  option (protozmq.events) = true;\n  rpc Moved(stream google.protobuf.Empty) returns (stream google.protobuf.Empty);\n}\n",
      "a.proto:8:3: method Moved of game.v1.E must be server-streaming (`returns (stream T)` with a single request), because the service sets option (protozmq.events) = true"],
    ["a streaming oneway method",
      "service S {\n  rpc Log(stream google.protobuf.Empty) returns (google.protobuf.Empty) { option (protozmq.oneway) = true; }\n}\n",
      "a.proto:7:3: method Log of game.v1.S sets option (protozmq.oneway) = true, so it must be unary (no `stream`)"],
  ])("%s is a schema error at the method", (_name, service, message) => {
    let err: unknown;
    try {
      inlineModel({ "a.proto": `${HEADER}\n${service}` });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(SchemaError);
    const d = (err as SchemaError).diagnostics[0]!;
    expect(`${path.basename(d.file)}:${d.line}:${d.col}: ${d.message}`).toBe(message);
  });
});

describe("house rules", () => {
  test("runtime RPC names generated code imports exist in the runtime, and are not also reserved", () => {
    // Values are checked on the module; types (erased at run time) in the sources index.ts re-exports.
    const src = path.join(REPO, "runtime/ts/src");
    const exported = new Set(Object.keys(runtime));
    for (const f of fs.readdirSync(src).filter((x) => x.endsWith(".ts"))) {
      for (const m of fs.readFileSync(path.join(src, f), "utf8").matchAll(/^export (?:interface|type) (\w+)/gm)) exported.add(m[1]!);
    }
    expect([...TS_RUNTIME_RPC_EXPORTS].filter((n) => !exported.has(n))).toEqual([]);
    expect([...TS_RUNTIME_RPC_EXPORTS].filter((n) => TS_RUNTIME_EXPORTS.has(n))).toEqual([]);
  });
});

describe("generated code at run time", () => {
  const sockets = new Sockets();
  afterEach(() => sockets.closeAll());

  test("a subscriber keeps only what it subscribed to, though `Tick` is a prefix of `Ticks`", async () => {
    const model = inlineModel({
      "ev.proto": `${HEADER}
message T { int32 n = 1; }
service Ev {
  option (protozmq.events) = true;
  rpc Tick(google.protobuf.Empty) returns (stream T);
  rpc Ticks(google.protobuf.Empty) returns (stream T);
}
`,
    });
    type Ev = { $case: string; event: { n: number }; topic: string };
    interface Mod {
      EvPublisher: new () => { bind(e: string): Promise<void>; publisher: runtime.Publisher; tick(e: { n: number }, s?: string): void; ticks(e: { n: number }): void; close(): Promise<void> };
      EvSubscriber: new () => AsyncIterable<Ev> & { connect(e: string): void; subscribe(w: string | string[], s?: string): void; unsubscribe(w: string | string[], s?: string): void; close(): void };
    }
    const mod = loadGenerated<Mod>(emitTypeScript(model), "ev");
    const pub = sockets.add(new mod.EvPublisher());
    await pub.bind(bindAddress("inproc"));
    const sub = sockets.add(new mod.EvSubscriber());
    sub.connect(pub.publisher.endpoints[0]!);
    sub.subscribe("tick");
    sub.subscribe("ticks", "x");
    sub.unsubscribe("ticks", "x");
    sub.subscribe(["ticks"], "y");
    expect(await pub.publisher.waitForSubscriber("game.v1.Ev/Ticks/y", 5000)).toBe(true);
    pub.ticks({ n: 1 }); // matches the "Tick" prefix on the wire, but was not asked for
    pub.tick({ n: 2 });
    pub.tick({ n: 3 }, "red");
    pub.publisher.publish("game.v1.Ev/Ticks/x", new Uint8Array());
    pub.publisher.publish("game.v1.Ev/Ticks/y", new Uint8Array([8, 4]));
    const got: string[] = [];
    const timer = setTimeout(() => sub.close(), 5000);
    for await (const ev of sub) {
      got.push(`${ev.$case} ${ev.event.n} ${ev.topic}`);
      if (got.length === 3) break;
    }
    clearTimeout(timer);
    expect(got).toEqual(["tick 2 game.v1.Ev/Tick", "tick 3 game.v1.Ev/Tick/red", "ticks 4 game.v1.Ev/Ticks/y"]);
  });
});
