/**
 * Handlebars templates of `_pzmq.py` service modules: the skeleton of each generated class and
 * function. Signatures, calls and docstrings arrive pre-rendered (wrapped and indented by
 * service.ts / events.ts), so the templates only place them.
 */

/** Banner, module docstring, imports, the runtime version guard and `__all__`. */
export const PZMQ_HEADER = `# {{banner}}
# source: {{source}}
{{doc}}

from __future__ import annotations

{{#each stdlib}}
{{this}}
{{/each}}
{{#if schema.length}}

{{#each schema}}
{{this}}
{{/each}}
{{/if}}

try:
    import protozmq
    from protozmq import check_runtime_api as _check_runtime_api
except ImportError as _error:
    raise ImportError(
        {{sourceLiteral}}
        ": this generated module needs the protozmq runtime with API level {{apiLevel}} or newer;"
        " fix: pip install -U protozmq"
    ) from _error
_check_runtime_api({{apiLevel}}, {{sourceLiteral}})

__all__ = [
{{#each exports}}
    "{{this}}",
{{/each}}
]
`;

/** `FooMethods`: one `MethodDescriptor` per rpc. */
export const METHODS_CLASS = `class {{name}}:
    {{doc}}
{{#each methods}}

{{statement}}
    {{doc}}
{{/each}}
`;

/** `FooClient` / `FooAsyncClient`. */
export const CLIENT_CLASS = `class {{name}}:
    {{doc}}

    def __init__(self, channel: {{channelType}}) -> None:
{{#if warn}}
{{warn}}
{{/if}}
        self._channel = channel
{{#each methods}}

{{#each overloads}}
    @{{../../overload}}
{{this}}
{{/each}}
{{signature}}
        {{doc}}
{{#if warn}}
{{warn}}
{{/if}}
{{#each body}}
{{this}}
{{/each}}
{{/each}}
`;

/** `FooServicer` / `FooAsyncServicer`: every method fails UNIMPLEMENTED until overridden. */
export const SERVICER_CLASS = `class {{name}}:
    {{doc}}
{{#each methods}}

{{signature}}
        {{doc}}
{{raise}}
{{/each}}
`;

/** `add_FooServicer_to_server`, overloaded for (servicer, Server) and (async servicer, AsyncServer). */
export const ADD_FUNCTION = `@{{overload}}
{{syncOverload}}
@{{overload}}
{{asyncOverload}}
{{signature}}
    {{doc}}
    if isinstance(server, protozmq.AsyncServer):
        if isinstance(servicer, {{servicer}}):
{{asyncMismatch}}
{{#each asyncLines}}
{{this}}
{{/each}}
        return
    if isinstance(servicer, {{asyncServicer}}):
{{syncMismatch}}
{{#each syncLines}}
{{this}}
{{/each}}
`;

/** `FooTopics`: the topic of each event. */
export const TOPICS_CLASS = `class {{name}}:
    {{doc}}
{{#each events}}

    {{name}}: {{final}} = {{topic}}
    {{doc}}
{{/each}}
`;

/** The received-event class of one event, a frozen dataclass tagged by \`method\`. */
export const EVENT_CLASS = `@dataclasses.dataclass(frozen=True, slots=True)
class {{name}}:
    {{doc}}

    event: {{type}}
    """The event message."""
    topic: str
    """The full topic: \`\`{{topicLiteral}}\`\`, plus \`\`"/" + suffix\`\` if the publisher gave one."""
    seq: int
    """The publisher's sequence number on this topic (u32, wrapping): a gap means lost events."""
    method: {{literal}}[{{methodLiteral}}] = dataclasses.field(default={{methodLiteral}}, init=False)
    """The event's name, which tells the members of \`\`{{union}}\`\` apart."""
`;

/** `FooEvent` and `FooEventName`. */
export const EVENT_ALIASES = `{{event}}: {{typeAlias}} = {{eventUnion}}
{{eventDoc}}

{{eventName}}: {{typeAlias}} = {{nameUnion}}
{{nameDoc}}
`;

/** `FooPublisher`: one method per event. */
export const PUBLISHER_CLASS = `class {{name}}:
    {{doc}}

    def __init__(self, publisher: protozmq.Publisher) -> None:
{{#if warn}}
{{warn}}
{{/if}}
        self.publisher = publisher
        """The runtime publisher (an XPUB socket): \`\`bind\`\`, \`\`wait_for_subscriber\`\`, \`\`subscriptions\`\`."""
{{#each events}}

{{signature}}
        {{doc}}
{{#if warn}}
{{warn}}
{{/if}}
{{topicLine}}
        return self.publisher.publish(topic, event.SerializeToString())
{{/each}}

    def close(self) -> None:
        """Close the runtime publisher (events not yet sent are dropped)."""
        self.publisher.close()

    def __enter__(self) -> {{name}}:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()
`;

/** `_FooSubscriberBase`: subscriptions, the exact-name topic check and decoding, for both subscribers. */
export const SUBSCRIBER_BASE = `class {{name}}:
    """Subscriptions and decoding shared by \`\`{{subscriber}}\`\` and \`\`{{asyncSubscriber}}\`\`."""

    def __init__(self, subscriber: protozmq.Subscriber | protozmq.AsyncSubscriber) -> None:
{{#if warn}}
{{warn}}
{{/if}}
        self._runtime = subscriber
        # (topic prefix, whether the prefix names one event exactly), one per runtime subscription.
        self._subscriptions: list[tuple[str, bool]] = []
        self.undecodable = 0
        """Events skipped: their payload did not decode, or their topic names an event the schema lacks."""

{{subscribe}}
        {{subscribeDoc}}
        for subscription in self._topics(events, topic_suffix):
            self._subscriptions.append(subscription)
            self._runtime.subscribe(subscription[0])

{{unsubscribe}}
        """Undo one \`\`subscribe\`\` with the same arguments."""
        for subscription in self._topics(events, topic_suffix):
            if subscription in self._subscriptions:
                self._subscriptions.remove(subscription)
                self._runtime.unsubscribe(subscription[0])

    @staticmethod
{{topics}}
        if events == "all" and topic_suffix is None:
            return [({{prefix}}, False)]
        names = {{names}} if events == "all" else (events,) if isinstance(events, str) else tuple(events)
        for name in names:
            if name not in {{names}}:
                raise ValueError(f"{{serviceName}} has no event {name!r}")
        if topic_suffix is None:
            return [({{prefix}} + name, True) for name in names]
        return [({{prefix}} + name + "/" + topic_suffix, False) for name in names]

    def _decode(self, raw: protozmq.Event) -> {{event}} | None:
        topic = raw.topic
        # ZeroMQ matches prefixes, so "Svc/Tick" also brings "Svc/Ticks": keep what was subscribed.
        if not any(
            topic.startswith(prefix) and (not exact or len(topic) == len(prefix) or topic[len(prefix)] == "/")
            for prefix, exact in self._subscriptions
        ):
            return None
        end = topic.find("/", topic.find("/") + 1)
        path = topic if end < 0 else topic[:end]
        try:
{{#each events}}
            if path == {{topic}}:
{{decode}}
{{!-- else: an event service without events --}}
{{else}}
            pass
{{/each}}
        except Exception:  # not a valid message of the event's type: counted below
            pass
        self.undecodable += 1
        return None
`;

/** \`FooSubscriber\` (blocking) and \`FooAsyncSubscriber\` (asyncio). */
export const SUBSCRIBER_CLASS = `class {{name}}({{base}}):
    {{doc}}

    def __init__(self, subscriber: {{runtimeType}}) -> None:
        super().__init__(subscriber)
        self.subscriber = subscriber
        """The runtime subscriber (a SUB socket): \`\`connect\`\`, \`\`gaps\`\`, \`\`dropped_messages\`\`."""

{{#if async}}
    async def recv(self, timeout: float | None = None) -> {{event}} | None:
        """The next subscribed event, or \`\`None\`\` after \`\`timeout\`\` seconds (or once closed)."""
        deadline = None if timeout is None else time.monotonic() + timeout
        while True:
            left = None if deadline is None else max(0.0, deadline - time.monotonic())
            raw = await self.subscriber.recv(left)
            if raw is None:
                return None
            event = self._decode(raw)
            if event is not None:
                return event

    async def __aiter__(self) -> {{iterator}}[{{event}}]:
        """The subscribed events as they arrive (\`\`async for\`\`); ends when the subscriber is closed."""
        async for raw in self.subscriber:
            event = self._decode(raw)
            if event is not None:
                yield event
{{!-- else: the blocking subscriber --}}
{{else}}
    def recv(self, timeout: float | None = None) -> {{event}} | None:
        """The next subscribed event, or \`\`None\`\` after \`\`timeout\`\` seconds (or once closed)."""
        deadline = None if timeout is None else time.monotonic() + timeout
        while True:
            left = None if deadline is None else max(0.0, deadline - time.monotonic())
            raw = self.subscriber.recv(left)
            if raw is None:
                return None
            event = self._decode(raw)
            if event is not None:
                return event

    def __iter__(self) -> {{iterator}}[{{event}}]:
        """The subscribed events as they arrive; ends when the subscriber is closed."""
        for raw in self.subscriber:
            event = self._decode(raw)
            if event is not None:
                yield event
{{/if}}

    def close(self) -> None:
        """Close the runtime subscriber (linger 0); iteration ends."""
        self.subscriber.close()

    def __enter__(self) -> {{name}}:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()
`;
