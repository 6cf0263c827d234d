/**
 * Event services (`option (protozmq.events) = true`, docs/EVENTS.md) in a `_pzmq.py` module:
 * `FooTopics`, one received-event dataclass per event (`FooUnitMovedEvent`, tagged by a `Literal`
 * `method`, so `if ev.method == "UnitMoved":` narrows `ev.event` under mypy), the `FooEvent` union and
 * `FooEventName` literal, `FooPublisher`, and `FooSubscriber` / `FooAsyncSubscriber` over a shared
 * private base that keeps the subscriptions and does the exact-name topic check of the TS subscriber.
 */
import type { Service } from "../../model/types";
import type { PyEventServiceNames } from "../../model/names";
import { bracketed, docstring, PY_WIDTH, render } from "./helpers";
import { declarationDoc, prose, type PyMethodInfo, ServiceModule } from "./service-module";
import {
  EVENT_ALIASES, EVENT_CLASS, PUBLISHER_CLASS, SUBSCRIBER_BASE, SUBSCRIBER_CLASS, TOPICS_CLASS,
} from "./templates-service";

/** `A | B | C`, in parentheses one per line when it does not fit after `prefix`. */
function union(prefix: string, items: readonly string[]): string {
  const one = items.join(" | ");
  if (prefix.length + one.length <= PY_WIDTH) return one;
  return `(\n    ${items.join("\n    | ")}\n)`;
}

/** Every declaration of one event service, in order. */
export function eventServiceText(mod: ServiceModule, s: Service, names: PyEventServiceNames, infos: readonly PyMethodInfo[]): string {
  const origin = `@generated from service ${s.fullName}`;
  const literal = mod.typing("Literal");
  const typeAlias = mod.typing("TypeAlias");
  const recordOf = (info: PyMethodInfo): string => names.events.get(info.method.name)!;
  const warn = s.deprecated ? mod.deprecationWarning(s.fullName, "        ") : undefined;
  const prefix = JSON.stringify(`${s.fullName}/`);
  const eventNames = infos.map((i) => JSON.stringify(i.method.name));
  const eventsParam = `events: ${literal}["all"] | ${names.eventName} | ${mod.abc("Iterable")}[${names.eventName}]`;
  mod.imports.module("dataclasses");
  mod.imports.module("time");

  const topics = render(TOPICS_CLASS, {
    name: names.topics,
    doc: declarationDoc(s.comments, [
      "The topic of each event of the service. An event travels on its topic, or on the topic plus"
        + ` \`\`"/" + suffix\`\` when the publisher gives a suffix. \`\`${names.publisher}\`\` and the subscribers use`
        + " them.",
    ], origin, 4, s.deprecated),
    events: infos.map((info) => ({
      name: info.name,
      final: mod.typing("Final"),
      topic: JSON.stringify(info.path),
      doc: docstring(`@generated from rpc: ${info.declaration}`, "    "),
    })),
  });

  const records = infos.map((info) => render(EVENT_CLASS, {
    name: recordOf(info),
    doc: declarationDoc(info.method.comments, [
      `One \`\`${info.method.name}\`\` event, as \`\`${names.subscriber}\`\` and \`\`${names.asyncSubscriber}\`\` receive it.`,
    ], `@generated from rpc: ${info.declaration}`, 4, info.method.deprecated),
    type: info.output.annotation,
    topicLiteral: info.path,
    literal,
    methodLiteral: JSON.stringify(info.method.name),
    union: names.event,
  }));

  const never = infos.length === 0 ? mod.typing("NoReturn") : "";
  const nameLiteral = `${literal}[${eventNames.join(", ")}]`;
  const aliases = render(EVENT_ALIASES, {
    event: names.event,
    typeAlias,
    eventUnion: infos.length === 0 ? never : union(`${names.event}: ${typeAlias} = `, infos.map(recordOf)),
    eventDoc: docstring(`One event of ${s.name}, as the subscribers yield it: \`\`.method\`\` (or \`\`isinstance\`\`) tells`
      + " which, and narrows ``.event`` to its message type.", ""),
    eventName: names.eventName,
    nameUnion: infos.length === 0 ? never
      : `${names.eventName}: ${typeAlias} = ${nameLiteral}`.length <= PY_WIDTH ? nameLiteral
        : `${literal}[\n${eventNames.map((n) => `    ${n},`).join("\n")}\n]`,
    nameDoc: docstring(`The name of an event of ${s.name}, as \`\`subscribe\`\` takes it.`, ""),
  });

  const publisher = render(PUBLISHER_CLASS, {
    name: names.publisher,
    doc: declarationDoc(s.comments, [
      "Publishes the service's events over a ``protozmq.Publisher`` (thread-safe): one method per event, on the"
        + ` event's topic (\`\`${names.topics}\`\`), or on \`\`<topic>/<topic_suffix>\`\` when a suffix is given, so`
        + " subscribers can filter on it. Each method returns the event's sequence number on its topic. Publishing"
        + " never blocks: a subscriber slower than its high-water mark loses events (and sees a sequence gap).",
    ], origin, 4, s.deprecated),
    warn,
    events: infos.map((info) => ({
      signature: bracketed("    ", `def ${info.name}`, ["self", `event: ${info.output.annotation}`, "topic_suffix: str | None = None"], " -> int:"),
      doc: declarationDoc(info.method.comments, [], `@generated from rpc: ${info.declaration}`, 8, info.method.deprecated),
      warn: info.method.deprecated ? mod.deprecationWarning(info.path, "        ") : undefined,
      topicLine: [
        `        topic = ${names.topics}.${info.name}`,
        "        if topic_suffix is not None:",
        "            topic += \"/\" + topic_suffix",
      ].join("\n"),
    })),
  });

  const base = render(SUBSCRIBER_BASE, {
    name: names.subscriberBase,
    subscriber: names.subscriber,
    asyncSubscriber: names.asyncSubscriber,
    warn,
    subscribe: bracketed("    ", "def subscribe", ["self", eventsParam, "topic_suffix: str | None = None"], " -> None:"),
    subscribeDoc: docstring(prose("Receive the events named: ``\"all\"`` (every event of the service), one name, or several"
      + " (an iterable of names, also the way to name an event called ``all``). With ``topic_suffix``, only events"
      + " published with a suffix that starts with it (ZeroMQ matches prefixes: ``\"red\"`` also matches"
      + " ``\"red/1\"``).", 8), "        "),
    unsubscribe: bracketed("    ", "def unsubscribe", ["self", eventsParam, "topic_suffix: str | None = None"], " -> None:"),
    topics: bracketed("    ", "def _topics", [eventsParam, "topic_suffix: str | None"], " -> list[tuple[str, bool]]:"),
    prefix,
    names: `(${eventNames.join(", ")}${eventNames.length === 1 ? "," : ""})`,
    serviceName: s.fullName,
    event: names.event,
    events: infos.map((info) => ({
      topic: JSON.stringify(info.path),
      decode: bracketed("                ", `return ${recordOf(info)}`, [`${info.output.value}.FromString(raw.payload)`, "topic", "raw.seq"], ""),
    })),
  });

  const subscriberDoc = (runtime: string, how: string): string => declarationDoc(s.comments, [
    `Receives the service's events, decoded, over a \`\`${runtime}\`\`: \`\`subscribe(...)\`\`, then ${how}; each`
      + ` item is a \`\`${names.event}\`\`. Subscribe through this class, not the runtime subscriber: it delivers only what`
      + " was subscribed, checking event names exactly (a subscription to ``Tick`` does not deliver ``Ticks``,"
      + " although ZeroMQ matches prefixes). Events that do not decode, or whose name the schema lacks, are skipped"
      + " and counted in ``undecodable``.",
  ], origin, 4, s.deprecated);
  const subscribers = (["sync", "async"] as const).map((flavour) => render(SUBSCRIBER_CLASS, {
    name: flavour === "async" ? names.asyncSubscriber : names.subscriber,
    base: names.subscriberBase,
    doc: flavour === "async"
      ? subscriberDoc("protozmq.AsyncSubscriber", "``async for`` over it or ``await recv()``")
      : subscriberDoc("protozmq.Subscriber", "iterate it or call ``recv()``"),
    runtimeType: flavour === "async" ? "protozmq.AsyncSubscriber" : "protozmq.Subscriber",
    async: flavour === "async",
    event: names.event,
    iterator: mod.abc(flavour === "async" ? "AsyncIterator" : "Iterator"),
  }));

  return [topics, ...records, aliases, publisher, base, ...subscribers].join("\n\n");
}
