"""Events over PUB/SUB, over inproc, ipc and tcp.

::

    Publisher (XPUB, binds)                       Subscriber (SUB, connects)
          <-- subscribe "game.Events/UnitMoved" --   (wait_for_subscriber sees it: no slow joiner)
      topic | EVENT seq | payload  -------------->   only topics with the prefix arrive, in order
"""

from __future__ import annotations

import asyncio
import threading
import time
from typing import Any

import zmq

import pzmq_testkit as kit
from protozmq import AsyncSubscriber, Event, Publisher, Subscriber
from protozmq import protocol as P

N = 10_000
MOVED = "game.Events/UnitMoved"
TOPICS = [MOVED, MOVED + "/red", "game.Events/UnitDied", "other.Service/UnitMoved", "game.Events/UnitMovedX"]


def _publish_all(pub: Publisher) -> dict[str, list[int]]:
    """Publish N events over TOPICS round-robin; return the expected (topic -> payload ids)."""
    expected: dict[str, list[int]] = {}
    for i in range(N):
        topic = TOPICS[i % len(TOPICS)]
        pub.publish(topic, i.to_bytes(4, "little"))
        if topic.startswith(MOVED):
            expected.setdefault(topic, []).append(i)
    return expected


def _check(events: list[Event], expected: dict[str, list[int]]) -> None:
    by_topic: dict[str, list[Event]] = {}
    for e in events:
        by_topic.setdefault(e.topic, []).append(e)
    assert set(by_topic) == set(expected)  # "game.Events/UnitMovedX" matches the prefix too
    for topic, evs in by_topic.items():
        assert [int.from_bytes(e.payload, "little") for e in evs] == expected[topic]
        assert [e.seq for e in evs] == list(range(len(evs)))
    # Global order is kept as well (one publisher, one connection).
    ids = [int.from_bytes(e.payload, "little") for e in events]
    assert ids == sorted(ids)


def test_10000_events_in_order_with_prefix_filtering(zctx: zmq.Context[Any], endpoint: str) -> None:
    with Publisher(endpoint, context=zctx, sndhwm=0) as pub:
        with Subscriber(pub.endpoints[0], topics=[MOVED], context=zctx, rcvhwm=0) as sub:
            assert pub.wait_for_subscriber(MOVED, timeout=5)
            assert not pub.wait_for_subscriber("game.Events/UnitDied", timeout=0.01)
            expected = _publish_all(pub)
            want = sum(len(v) for v in expected.values())
            events: list[Event] = []
            while len(events) < want:
                event = sub.recv(timeout=5)
                assert event is not None, f"only {len(events)} of {want} events arrived"
                events.append(event)
            _check(events, expected)
            assert sub.recv(timeout=0.05) is None  # nothing else
            assert (sub.gaps, sub.dropped_messages) == (0, 0)


def test_async_subscriber(zctx: zmq.Context[Any], endpoint: str) -> None:
    async def main() -> None:
        with Publisher(endpoint, context=zctx, sndhwm=0) as pub:
            sub = AsyncSubscriber(pub.endpoints[0], topics=[MOVED], context=zctx, rcvhwm=0)
            try:
                assert await asyncio.get_running_loop().run_in_executor(None, pub.wait_for_subscriber, MOVED, 5.0)
                expected = _publish_all(pub)
                want = sum(len(v) for v in expected.values())
                events: list[Event] = []
                async for event in sub:
                    events.append(event)
                    if len(events) == want:
                        break
                _check(events, expected)
                assert await sub.recv(timeout=0.05) is None
            finally:
                sub.close()

    asyncio.run(asyncio.wait_for(main(), 30))


def test_async_subscriber_callback(zctx: zmq.Context[Any], endpoint: str) -> None:
    async def main() -> None:
        with Publisher(endpoint, context=zctx) as pub:
            sub = AsyncSubscriber(pub.endpoints[0], context=zctx)
            sub.subscribe("game.Events/")
            got: list[Event] = []
            done = asyncio.Event()

            async def on_event(event: Event) -> None:
                got.append(event)
                if len(got) == 3:
                    done.set()

            try:
                sub.start(on_event)
                assert await asyncio.get_running_loop().run_in_executor(None, pub.wait_for_subscriber, "game.Events/x", 5.0)
                for topic in ("game.Events/A", "nope/B", "game.Events/C", "game.Events/A"):
                    pub.publish(topic, b"p")
                await asyncio.wait_for(done.wait(), 5)
                assert [(e.topic, e.seq) for e in got] == [("game.Events/A", 0), ("game.Events/C", 0), ("game.Events/A", 1)]
            finally:
                sub.close()

    asyncio.run(asyncio.wait_for(main(), 30))


def test_listen_callback_and_cross_thread_subscribe(zctx: zmq.Context[Any], endpoint: str) -> None:
    with Publisher(endpoint, context=zctx) as pub, Subscriber(pub.endpoints[0], context=zctx) as sub:
        got: list[Event] = []
        seen_b = threading.Event()

        def on_event(event: Event) -> None:
            got.append(event)
            if event.topic == "svc.S/B":
                seen_b.set()

        sub.listen(on_event)
        sub.subscribe("svc.S/A")  # from this thread, while the listener owns the socket
        assert pub.wait_for_subscriber("svc.S/A", timeout=5)
        pub.publish("svc.S/A", b"1")
        sub.subscribe("svc.S/B")
        assert pub.wait_for_subscriber("svc.S/B", timeout=5)
        pub.publish("svc.S/C", b"ignored")
        pub.publish("svc.S/B", b"2")
        assert seen_b.wait(5)
        assert [(e.topic, e.payload) for e in got] == [("svc.S/A", b"1"), ("svc.S/B", b"2")]
        assert pub.subscriptions == 2
        sub.unsubscribe("svc.S/A")


def test_malformed_events_are_dropped(zctx: zmq.Context[Any], endpoint: str) -> None:
    raw = zctx.socket(zmq.XPUB)
    raw.setsockopt(zmq.LINGER, 0)
    try:
        raw.bind(endpoint)
        bound = raw.getsockopt_string(zmq.LAST_ENDPOINT) if endpoint.startswith("tcp") else endpoint
        with Subscriber(bound, topics=["t"], context=zctx) as sub:
            assert raw.poll(5000) and raw.recv() == b"\x01t"  # the subscription arrived
            raw.send_multipart([b"t1", b"payload"])  # 2 frames
            raw.send_multipart([b"t2", b"\x01\x05", b"p"])  # short header
            raw.send_multipart([b"t3", P._FIXED.pack(2, 5, 2, 0), b"p"])  # version 2
            raw.send_multipart([b"t4", P._FIXED.pack(1, 2, 2, 0), b"p"])  # MESSAGE, not EVENT
            raw.send_multipart([b"t6", P.encode_simple(P.Kind.EVENT, 2, 1), b"p", b"extra", b"x"])  # 5 frames
            raw.send_multipart([b"t7"])  # 1 frame
            raw.send_multipart([b"t5", P.encode_simple(P.Kind.EVENT, P.Flag.HAS_MESSAGE, 7), b"ok"])
            event = sub.recv(timeout=5)
            assert event == Event("t5", 7, b"ok")
            assert sub.dropped_messages == 6
    finally:
        raw.close(linger=0)


def test_sequence_gaps_are_counted() -> None:
    parser = Subscriber.__mro__[1]()  # the frame parser alone, no socket
    for seq in (0, 1, 4, P.MAX_U32, 0, 2):
        parser._parse([b"t", P.encode_simple(P.Kind.EVENT, 2, seq), b""])
    # 1 -> 4 loses 2; 4 -> MAX_U32 loses MAX_U32 - 5; MAX_U32 -> 0 wraps cleanly; 0 -> 2 loses 1.
    assert parser.gaps == 2 + (P.MAX_U32 - 5) + 1


def test_gaps_are_counted_per_topic_whichever_came_before() -> None:
    parser = Subscriber.__mro__[1]()
    for topic, seq in ((b"a", 0), (b"b", 0), (b"a", 1), (b"a", 3), (b"b", 5)):
        parser._parse([topic, P.encode_simple(P.Kind.EVENT, 2, seq), b""])
    assert parser.gaps == 1 + 4


def test_large_payloads_and_topics_arrive_intact(zctx: zmq.Context[Any], endpoint: str) -> None:
    # The publisher sends a payload of 64 KiB or more without a copy (copy=False) and copies smaller
    # ones; it encodes each topic once. Every event must still carry its own topic, seq and payload.
    topics = ["t.E/A", "t.E/B/" + "x" * 200, "t.E/A/\u00fc"]
    sizes = [8, (1 << 16) - 1, 1 << 16, (1 << 20) + 3]
    n = 24
    payloads = [bytes((i * 31 + k) & 0xFF for k in range(sizes[i % len(sizes)])) for i in range(n)]
    with Publisher(endpoint, context=zctx, sndhwm=0) as pub:
        with Subscriber(pub.endpoints[0], topics=["t.E/"], context=zctx, rcvhwm=0) as sub:
            assert pub.wait_for_subscriber("t.E/", timeout=5)
            for i, p in enumerate(payloads):
                assert pub.publish(topics[i % 3], p) == i // 3
            got = []
            for _ in range(n):
                event = sub.recv(timeout=5)
                assert event is not None, f"only {len(got)} of {n} events arrived"
                got.append(event)
            assert [e.topic for e in got] == [topics[i % 3] for i in range(n)]
            assert [e.seq for e in got] == [i // 3 for i in range(n)]
            assert [e.payload == p for e, p in zip(got, payloads)] == [True] * n
            assert (sub.gaps, sub.dropped_messages) == (0, 0)


def test_async_subscriber_lets_other_tasks_run_while_events_are_queued(zctx: zmq.Context[Any], endpoint: str) -> None:
    # recv() reads queued events without awaiting; it must still yield to the loop now and then.
    async def main() -> None:
        with Publisher(endpoint, context=zctx, sndhwm=0) as pub:
            sub = AsyncSubscriber(pub.endpoints[0], topics=["q/"], context=zctx, rcvhwm=0)
            try:
                assert await asyncio.get_running_loop().run_in_executor(None, pub.wait_for_subscriber, "q/", 5.0)
                n = 5000
                for i in range(n):
                    pub.publish("q/x", i.to_bytes(4, "little"))
                ticks = 0

                async def ticker() -> None:
                    nonlocal ticks
                    while True:
                        ticks += 1
                        await asyncio.sleep(0)

                first = await sub.recv(timeout=5)  # waits for the first event, then the rest is queued
                assert first is not None
                await asyncio.sleep(0.2)
                task = asyncio.get_running_loop().create_task(ticker())
                got = [first]
                while len(got) < n:
                    event = await sub.recv(timeout=5)
                    assert event is not None, f"only {len(got)} of {n} events arrived"
                    got.append(event)
                task.cancel()
                assert [int.from_bytes(e.payload, "little") for e in got] == list(range(n))
                assert [e.seq for e in got] == list(range(n))
                assert ticks >= 5, ticks
                assert (sub.gaps, sub.dropped_messages) == (0, 0)
            finally:
                sub.close()

    asyncio.run(main())


def _send_batches(raw: zmq.Socket[bytes]) -> None:
    """topic, (header, payload) x n messages (PZMQ/1 7 batching), good and malformed."""
    h = lambda seq: P.encode_simple(P.Kind.EVENT, P.Flag.HAS_MESSAGE, seq)  # noqa: E731
    raw.send_multipart([b"m", h(0), b"p0", h(1)])  # even frame count: dropped whole
    raw.send_multipart([b"m", h(0), b"p0", P._FIXED.pack(1, 2, 2, 1), b"p1"])  # a MESSAGE header: dropped whole
    raw.send_multipart([b"m", h(0), b"p0", h(1), b"p1", h(2), b"p2"])
    raw.send_multipart([b"m", h(3), b"p3"])
    raw.send_multipart([b"n", h(0), b"q0", h(1), b"q1"])


_BATCHED = [Event("m", 0, b"p0"), Event("m", 1, b"p1"), Event("m", 2, b"p2"), Event("m", 3, b"p3"),
            Event("n", 0, b"q0"), Event("n", 1, b"q1")]


def _raw_xpub(zctx: zmq.Context[Any], endpoint: str) -> tuple[zmq.Socket[bytes], str]:
    raw = zctx.socket(zmq.XPUB)
    raw.setsockopt(zmq.LINGER, 0)
    raw.setsockopt(zmq.XPUB_VERBOSE, 1)  # every subscription, also a second one to the same prefix
    raw.bind(endpoint)
    return raw, raw.getsockopt_string(zmq.LAST_ENDPOINT) if endpoint.startswith("tcp") else endpoint


def _wait_subscribed(raw: zmq.Socket[bytes]) -> None:
    """Until the raw XPUB sees a subscription (skipping the unsubscription of a closed subscriber)."""
    while True:
        assert raw.poll(5000), "no subscription arrived"
        if raw.recv() == b"\x01":
            return


def test_batches_are_accepted_in_order_and_malformed_ones_dropped_whole(zctx: zmq.Context[Any], endpoint: str) -> None:
    raw, bound = _raw_xpub(zctx, endpoint)
    try:
        with Subscriber(bound, topics=[""], context=zctx) as sub:
            _wait_subscribed(raw)
            _send_batches(raw)
            got = [sub.recv(timeout=5) for _ in _BATCHED]
            assert got == _BATCHED
            assert (sub.gaps, sub.dropped_messages) == (0, 2)
    finally:
        raw.close(linger=0)


def test_batches_async_and_listen(zctx: zmq.Context[Any], endpoint: str) -> None:
    raw, bound = _raw_xpub(zctx, endpoint)
    try:
        async def main() -> list[Event]:
            sub = AsyncSubscriber(bound, topics=[""], context=zctx)
            try:
                _wait_subscribed(raw)
                _send_batches(raw)
                out = []
                for _ in _BATCHED:
                    event = await sub.recv(timeout=5)
                    assert event is not None
                    out.append(event)
                assert sub.dropped_messages == 2
                return out
            finally:
                sub.close()

        assert asyncio.run(main()) == _BATCHED

        with Subscriber(bound, topics=[""], context=zctx) as sub:
            _wait_subscribed(raw)
            seen: list[Event] = []
            done = threading.Event()

            def on_event(event: Event) -> None:
                seen.append(event)
                if len(seen) == len(_BATCHED):
                    done.set()

            sub.listen(on_event)
            _send_batches(raw)
            assert done.wait(5)
            assert seen == _BATCHED
    finally:
        raw.close(linger=0)


def test_publish_many_sends_batches_that_arrive_in_order(zctx: zmq.Context[Any], endpoint: str) -> None:
    # publish_many(batch=16) of 40 events, then publish: messages of 16, 16, 8 events, then 1.
    with Publisher(endpoint, context=zctx, sndhwm=0) as pub:
        raw = zctx.socket(zmq.SUB)
        raw.setsockopt(zmq.LINGER, 0)
        raw.setsockopt(zmq.SUBSCRIBE, b"b/")
        raw.connect(pub.endpoints[0])
        try:
            with Subscriber(pub.endpoints[0], topics=["b/"], context=zctx, rcvhwm=0) as sub:
                deadline = time.monotonic() + 5
                while pub.subscriptions < 2 and time.monotonic() < deadline:
                    time.sleep(0.01)
                assert pub.subscriptions == 2
                payloads = [bytes([i]) * (i * 1000) for i in range(40)]  # 0 B .. 39 KB
                assert pub.publish_many("b/x", payloads, batch=16) == 0
                assert pub.publish("b/x", b"last") == 40
                sizes = []
                forms: list[bool] = []
                for _ in range(4):
                    assert raw.poll(5000)
                    frames = raw.recv_multipart()
                    sizes.append(len(kit.packets(frames, 1)))
                    forms.extend(inline for _, _, inline in kit.packets(frames, 1))
                assert sizes == [16, 16, 8, 1]
                # Up to INLINE_MAX_BYTES (16 events of 0..16 KB) inline, larger ones two frames.
                assert forms == [len(p) <= P.INLINE_MAX_BYTES for p in payloads] + [True]
                got = [sub.recv(timeout=5) for _ in range(41)]
                assert got == [Event("b/x", i, p) for i, p in enumerate(payloads + [b"last"])]
                assert (sub.gaps, sub.dropped_messages) == (0, 0)
        finally:
            raw.close(linger=0)
