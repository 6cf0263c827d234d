"""Generated event services (`<name>_pzmq.py`), end to end over inproc, ipc and tcp::

    TestEventsPublisher (XPUB, binds)                   TestEventsSubscriber / AsyncSubscriber (SUB)
          <-- subscribe "<pkg>.TestEvents/Ticks" ---------  subscribe("Ticks"), subscribe([...], suffix)
      topic | EVENT seq | Tick  -------------------------->  ZeroMQ prefix filter, then the generated
                                                            exact-name check ("Ticks" != "TicksX"),
                                                            decode into TestEventsTicksEvent, ...

Checked: filtering by event name and topic suffix, `unsubscribe`, `"all"`, per-topic sequence
numbers, undecodable events skipped and counted, and (with the edge fixture's `Tick` and `Ticks`)
that a subscription to one event never delivers another whose name it prefixes.
"""

from __future__ import annotations

import asyncio
from types import SimpleNamespace
from typing import Any

import pytest
import zmq

import protozmq

from generated_kit import TIMEOUT, endpoint, gen, zctx  # noqa: F401 - fixtures


def test_events_by_name_and_suffix(gen: SimpleNamespace, zctx: zmq.Context[Any], endpoint: str) -> None:
    pb, topics = gen.pb, gen.svc.TestEventsTopics
    with gen.svc.TestEventsPublisher(protozmq.Publisher(endpoint, context=zctx)) as pub:
        with gen.svc.TestEventsSubscriber(protozmq.Subscriber(pub.publisher.endpoints[0], context=zctx)) as sub:
            sub.subscribe("Ticks")
            sub.subscribe(["Alerts"], topic_suffix="red")
            sub.subscribe("Alerts", "gone")
            sub.unsubscribe("Alerts", "gone")
            assert pub.publisher.wait_for_subscriber(topics.Ticks, TIMEOUT)
            assert pub.publisher.wait_for_subscriber(topics.Alerts + "/red", TIMEOUT)
            assert pub.Alerts(pb.Tick(seq=1)) == 0  # no suffix: ZeroMQ filters it out
            pub.Alerts(pb.Tick(seq=2), "gone")  # unsubscribed
            pub.publisher.publish(topics.Ticks + "X", pb.Tick(seq=3).SerializeToString())  # prefix of a name: dropped
            pub.Ticks(pb.Tick(seq=4, label="a"))
            pub.Alerts(pb.Tick(seq=5), "reddish")  # a suffix is matched as a prefix, like ZeroMQ does
            pub.Ticks(pb.Tick(seq=6), "blue")  # a method subscription takes any suffix
            pub.publisher.publish(topics.Ticks, b"\xff")  # not a Tick
            assert pub.Ticks(pb.Tick(seq=7)) == 2  # its sequence number on the topic "Ticks" (no suffix)
            got = [sub.recv(TIMEOUT) for _ in range(4)]
            assert [(e.method, e.event.seq, e.topic, e.seq) for e in got] == [
                ("Ticks", 4, topics.Ticks, 0),
                ("Alerts", 5, topics.Alerts + "/reddish", 0),
                ("Ticks", 6, topics.Ticks + "/blue", 0),
                ("Ticks", 7, topics.Ticks, 2),
            ]
            assert isinstance(got[0], gen.svc.TestEventsTicksEvent) and isinstance(got[1], gen.svc.TestEventsAlertsEvent)
            assert sub.recv(0.05) is None
            assert sub.undecodable == 1
            with pytest.raises(ValueError, match="has no event 'Nope'"):
                sub.subscribe(["Nope"])


def test_async_subscriber_all_events(gen: SimpleNamespace, zctx: zmq.Context[Any], endpoint: str) -> None:
    pb, topics = gen.pb, gen.svc.TestEventsTopics
    service = topics.Ticks.rsplit("/", 1)[0] + "/"

    async def main() -> None:
        with gen.svc.TestEventsPublisher(protozmq.Publisher(endpoint, context=zctx)) as pub:
            with gen.svc.TestEventsAsyncSubscriber(protozmq.AsyncSubscriber(pub.publisher.endpoints[0], context=zctx)) as sub:
                sub.subscribe("all")
                assert await asyncio.to_thread(pub.publisher.wait_for_subscriber, service, TIMEOUT)
                pub.publisher.publish(service + "Nope", b"")  # an event this schema does not have
                pub.Ticks(pb.Tick(seq=1), "x/y")
                pub.Alerts(pb.Tick(seq=2))
                got = []
                async for event in sub:
                    got.append((event.method, event.event.seq, event.topic))
                    if len(got) == 2:
                        break
                assert got == [("Ticks", 1, topics.Ticks + "/x/y"), ("Alerts", 2, topics.Alerts)]
                assert await sub.recv(0.05) is None
                assert sub.undecodable == 1

    asyncio.run(main())


def test_a_subscription_to_tick_never_delivers_ticks(gen: SimpleNamespace, zctx: zmq.Context[Any]) -> None:
    edge, pb = gen.edge, gen.edge_pb
    with edge.EvPublisher(protozmq.Publisher("inproc://pzmq-services-tick", context=zctx)) as pub:
        with edge.EvSubscriber(protozmq.Subscriber(pub.publisher.endpoints[0], context=zctx)) as sub:
            sub.subscribe("Tick")
            sub.subscribe(["all"])  # the event named "all"
            assert pub.publisher.wait_for_subscriber(edge.EvTopics.Tick, TIMEOUT)
            assert pub.publisher.wait_for_subscriber(edge.EvTopics.all, TIMEOUT)
            pub.Ticks(gen.types_pb.Thing(name="no"))  # "Ev/Tick" is a prefix of "Ev/Ticks"
            pub.close_(pb.Req(id=1))  # not subscribed
            pub.Tick(pb.Req(id=2))
            pub.all(getattr(pb, "None")(x=3))
            got = [sub.recv(TIMEOUT) for _ in range(2)]
            assert [(e.method, e.topic) for e in got] == [("Tick", edge.EvTopics.Tick), ("all", edge.EvTopics.all)]
            assert (got[0].event.id, got[1].event.x) == (2, 3)
            assert sub.recv(0.05) is None
            assert sub.undecodable == 0
