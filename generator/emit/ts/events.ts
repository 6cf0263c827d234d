/**
 * An event service (`option (protozmq.events) = true`, PZMQ/1 section 7): every method is an event
 * topic `"<package>.<Service>/<Method>"` carrying the method's response type.
 *
 *   Foo$events      { unitMoved: { topic, type }, ... }
 *   FooEvent        { $case: "unitMoved"; event: UnitMoved; topic: string; seq: number } | ...
 *   FooPublisher    unitMoved(event, topicSuffix?): publishes on `topic` or `topic + "/" + suffix`
 *   FooSubscriber   subscribe("unitMoved" | [...] | "all", topicSuffix?), then `for await (const ev of sub)`
 *
 * The subscriber skips (and counts in `undecodable`) events whose payload does not decode or whose
 * topic names a method the schema does not know: PUB/SUB is lossy by design, and one bad publisher
 * must not end every subscriber's loop.
 */
import { Scope, StructureKind, type ClassDeclarationStructure, type StatementStructures, type WriterFunction } from "ts-morph";
import type { TsEventServiceNames } from "../../model/names";
import type { Service } from "../../model/types";
import { newWriter } from "./codec";
import { docs, writeDoc } from "./comments";
import type { FileContext } from "./context";
import { methodDocs, note, rpcDecl, serviceDocs, textStatement, type MethodInfo } from "./service-info";

/** `export const Foo$events = { unitMoved: { topic: "pkg.Foo/UnitMoved", type: UnitMoved }, ... } as const;`. */
function eventsObject(s: Service, names: TsEventServiceNames, infos: readonly MethodInfo[]): string {
  const w = newWriter();
  writeDoc(w, serviceDocs(s, [
    `Topic and message type of each event of the service; {@link ${names.publisher}} and {@link ${names.subscriber}} use them.`,
  ])[0]!);
  w.write(`export const ${names.events} = `).inlineBlock(() => {
    for (const info of infos) {
      writeDoc(w, docs({}, `from rpc: ${rpcDecl(info)}`, { deprecated: info.method.deprecated })[0]!);
      w.writeLine(`${info.name}: { topic: ${JSON.stringify(info.path)}, type: ${info.output} },`);
    }
  }).write(" as const;");
  return w.toString();
}

/** `export type FooEvent = | { $case: "unitMoved"; event: UnitMoved; topic: string; seq: number } | ...;`. */
function eventUnion(s: Service, names: TsEventServiceNames, infos: readonly MethodInfo[]): string {
  const w = newWriter();
  writeDoc(w, serviceDocs(s, [
    `One event received by {@link ${names.subscriber}}: \`$case\` names the method, \`event\` is the decoded message,`
      + " `topic` the full topic (with any suffix), `seq` the publisher's per-topic sequence number.",
  ])[0]!);
  if (infos.length === 0) return `${w.toString()}export type ${names.event} = never;`;
  w.writeLine(`export type ${names.event} =`);
  infos.forEach((info, i) => {
    w.indent().write(`| { $case: ${JSON.stringify(info.name)}; event: ${info.output}; topic: string; seq: number }`);
    w.write(i === infos.length - 1 ? ";" : "").newLine();
  });
  return w.toString();
}

function publisherClass(ctx: FileContext, s: Service, names: TsEventServiceNames, infos: readonly MethodInfo[]): ClassDeclarationStructure {
  const publisher = ctx.rt("Publisher");
  const partial = ctx.rt("PartialMessage", "type");
  return {
    kind: StructureKind.Class,
    name: names.publisher,
    isExported: true,
    docs: serviceDocs(s, [
      `Publishes the service's events: one method per event, on the topic \`"${s.fullName}/<Method>"\`, or`
        + " `\"<topic>/<topicSuffix>\"` when a suffix is given (subscribers can filter on it). Publishing never blocks; a slow"
        + " subscriber loses events past its high-water mark (it sees a sequence gap).",
    ]),
    properties: [{ name: "publisher", isReadonly: true, type: publisher, docs: note("The runtime publisher (an XPUB socket): `waitForSubscriber`, `flush`, `subscriptions`.") }],
    ctors: [{
      parameters: [{ name: "publisher", type: publisher, initializer: `new ${publisher}()` }],
      statements: ["this.publisher = publisher;"],
    }],
    methods: [
      { name: "bind", parameters: [{ name: "endpoint", type: "string" }], returnType: "Promise<void>", statements: ["return this.publisher.bind(endpoint);"], docs: note("Binds to an endpoint (`ipc://`, `tcp://`, `inproc://`); may be called several times.") },
      { name: "connect", parameters: [{ name: "endpoint", type: "string" }], returnType: "void", statements: ["this.publisher.connect(endpoint);"], docs: note("Connects to a subscriber (or proxy) that binds.") },
      { name: "close", returnType: "Promise<void>", statements: ["return this.publisher.close();"], docs: note("Flushes queued events (up to 1 s), then closes the socket.") },
      ...infos.map((info) => {
        const topic = `${names.events}.${info.name}.topic`;
        return {
          name: info.name,
          parameters: [{ name: "event", type: `${partial}<${info.output}>` }, { name: "topicSuffix", hasQuestionToken: true, type: "string" }],
          returnType: "void",
          statements: [
            `this.publisher.publish(topicSuffix === undefined ? ${topic} : \`\${${topic}}/\${topicSuffix}\`, ${info.output}.encode(${info.output}.create(event)));`,
          ],
          docs: methodDocs(info, ["Missing fields of `event` get their defaults (`create()`)."]),
        };
      }),
    ],
  };
}

/** The subscriber's private decoding: the method part of the topic picks the codec. */
function decodeBody(infos: readonly MethodInfo[]): string {
  const w = newWriter();
  w.writeLine("const $t = $m.topic;");
  w.writeLine("// Prefix matching can deliver more than asked (`Svc/Tick` also matches `Svc/Ticks`): keep what was subscribed.");
  w.writeLine("if (!this.$subscriptions.some(([$p, $method]) => $t.startsWith($p) && (!$method || $t.length === $p.length || $t[$p.length] === \"/\"))) return undefined;");
  w.writeLine("const $end = $t.indexOf(\"/\", $t.indexOf(\"/\") + 1);");
  w.write("try ").inlineBlock(() => {
    w.write("switch ($end < 0 ? $t : $t.slice(0, $end)) ").block(() => {
      for (const info of infos) {
        w.writeLine(`case ${JSON.stringify(info.path)}:`);
        w.indent().write(`return { $case: ${JSON.stringify(info.name)}, event: ${info.output}.decode($m.payload), topic: $t, seq: $m.seq };`).newLine();
      }
    });
  }).write(" catch ").inlineBlock(() => {
    w.writeLine("// Not a valid message of the method's type: counted below.");
  }).newLine();
  w.writeLine(`this.${UNDECODABLE}++;`);
  w.write("return undefined;");
  return w.toString();
}

const UNDECODABLE = "undecodable";

function subscriberClass(ctx: FileContext, s: Service, names: TsEventServiceNames, infos: readonly MethodInfo[]): ClassDeclarationStructure {
  const subscriber = ctx.rt("Subscriber");
  const which = `"all" | ${names.event}["$case"] | readonly ${names.event}["$case"][]`;
  const select = [{ name: "events", type: which }, { name: "topicSuffix", hasQuestionToken: true, type: "string" }];
  const service = JSON.stringify(`${s.fullName}/`);
  return {
    kind: StructureKind.Class,
    name: names.subscriber,
    isExported: true,
    implements: [`AsyncIterable<${names.event}>`],
    docs: serviceDocs(s, [
      "Receives the service's events, decoded: `subscribe(...)`, then iterate with `for await` (one consumer at a time);"
        + ` each item is a {@link ${names.event}}. Events that do not decode, or that name a method this schema does not know,`
        + ` are skipped and counted in \`${UNDECODABLE}\`.`,
    ]),
    properties: [
      { name: "subscriber", isReadonly: true, type: subscriber, docs: note("The runtime subscriber (a SUB socket): `gaps`, `droppedMessages`.") },
      { name: UNDECODABLE, initializer: "0", docs: note("Events skipped because their payload did not decode or their topic names an unknown method.") },
      { name: "$subscriptions", scope: Scope.Private, isReadonly: true, type: "[prefix: string, method: boolean][]", initializer: "[]" },
    ],
    ctors: [{
      parameters: [{ name: "subscriber", type: subscriber, initializer: `new ${subscriber}()` }],
      statements: ["this.subscriber = subscriber;"],
    }],
    methods: [
      { name: "connect", parameters: [{ name: "endpoint", type: "string" }], returnType: "void", statements: ["this.subscriber.connect(endpoint);"], docs: note("Connects to a publisher; may be called for several publishers.") },
      { name: "bind", parameters: [{ name: "endpoint", type: "string" }], returnType: "Promise<void>", statements: ["return this.subscriber.bind(endpoint);"], docs: note("Binds, for publishers that connect.") },
      { name: "close", returnType: "void", statements: ["this.subscriber.close();"], docs: note("Closes the socket; a pending iteration ends.") },
      {
        name: "subscribe",
        parameters: select,
        returnType: "void",
        statements: ["for (const $s of this.$topics(events, topicSuffix)) {\n  this.$subscriptions.push($s);\n  this.subscriber.subscribe($s[0]);\n}"],
        docs: note("Receives the events named (`\"all\"`: every event of the service). With `topicSuffix`, only events"
          + " published with a suffix starting with it (ZeroMQ matches prefixes: `\"red\"` also matches `\"red/1\"`)."),
      },
      {
        name: "unsubscribe",
        parameters: select,
        returnType: "void",
        statements: [
          "for (const $s of this.$topics(events, topicSuffix)) {\n"
            + "  const $i = this.$subscriptions.findIndex(([$p, $method]) => $p === $s[0] && $method === $s[1]);\n"
            + "  if ($i < 0) continue;\n  this.$subscriptions.splice($i, 1);\n  this.subscriber.unsubscribe($s[0]);\n}",
        ],
        docs: note("Undoes one `subscribe` with the same arguments."),
      },
      {
        name: "[Symbol.asyncIterator]",
        docs: note("The subscribed events, decoded, as they arrive; ends when the subscriber is closed."),
        isAsync: true,
        isGenerator: true,
        returnType: `AsyncIterator<${names.event}>`,
        statements: ["for await (const $m of this.subscriber) {\n  const $ev = this.$decode($m);\n  if ($ev !== undefined) yield $ev;\n}"],
      },
      {
        name: "$topics",
        scope: Scope.Private,
        parameters: select,
        returnType: "[prefix: string, method: boolean][]",
        statements: infos.length === 0
          ? [`return events === "all" && topicSuffix === undefined ? [[${service}, false]] : [];`]
          : [
            `if (events === "all" && topicSuffix === undefined) return [[${service}, false]];`,
            `const $names = events === "all" ? (Object.keys(${names.events}) as ${names.event}["$case"][]) : typeof events === "string" ? [events] : events;`,
            `return $names.map(($n) => topicSuffix === undefined ? [${names.events}[$n].topic, true] : [\`\${${names.events}[$n].topic}/\${topicSuffix}\`, false]);`,
          ],
      },
      {
        name: "$decode",
        scope: Scope.Private,
        parameters: [{ name: "$m", type: ctx.rt("EventMessage", "type") }],
        returnType: `${names.event} | undefined`,
        statements: [decodeBody(infos)],
      },
    ],
  };
}

/** Every declaration of an event service. */
export function eventStatements(
  ctx: FileContext, s: Service, names: TsEventServiceNames, infos: readonly MethodInfo[],
): (StatementStructures | WriterFunction)[] {
  return [
    textStatement(eventsObject(s, names, infos)),
    textStatement(eventUnion(s, names, infos)),
    publisherClass(ctx, s, names, infos),
    subscriberClass(ctx, s, names, infos),
  ];
}
