"""Many threads on one blocking ``Channel``, and a blocking ``Server`` stopped at awkward moments.

``Channel`` lets one calling thread at a time read its DEALER (the leader); the others wait for
their replies on their own queues (followers) and take over the socket when it is handed to
them. These tests exercise the hand-offs: many callers at once, streams mixed with unary calls,
close() while every role is taken, and a waiting thread that is interrupted by an exception::

    thread 1 (leader)  --REQUEST-->  server        reads every reply, queues the others'
    thread 2..N        --outbox---^                 get theirs from their queue, or lead next

Every wait is bounded (joins with timeouts, call deadlines); nothing asserts on speed.
"""

from __future__ import annotations

import asyncio
import random
import signal
import threading
import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest
import zmq
from google.protobuf.wrappers_pb2 import StringValue as S

import pzmq_testkit as kit
from conftest import ServerHandle
from protozmq import Channel, MethodDescriptor, RpcError, Server, ServicerContext, StatusCode

BLOCK = MethodDescriptor.for_messages("test.Conc/Block", "unary", S, S)  # waits for a test's Event


def _join_all(threads: list[threading.Thread], seconds: float) -> None:
    end = time.monotonic() + seconds
    for t in threads:
        t.join(max(0.0, end - time.monotonic()))
    assert not any(t.is_alive() for t in threads), "a calling thread hung"


def test_many_threads_mix_unary_calls_streams_and_deadlines(channel: Channel) -> None:
    # 8 threads of unary calls (some with deadlines that expire), 2 threads reading server
    # streams with pauses, 1 bidi chat: every call gets its own replies, complete and in order.
    errors: list[BaseException] = []

    def guarded(fn: Callable[[], None]) -> Callable[[], None]:
        def run() -> None:
            try:
                fn()
            except BaseException as e:  # noqa: BLE001 - reported below
                errors.append(e)

        return run

    def unary_calls(n: int) -> None:
        rnd = random.Random(n)
        for i in range(60):
            if rnd.random() < 0.1:
                with pytest.raises(RpcError) as err:
                    channel.unary(kit.SLEEP, S(value="1"), timeout=0.01)
                assert err.value.code is StatusCode.DEADLINE_EXCEEDED
            else:
                assert channel.unary(kit.UNARY, S(value=f"{n}-{i}"), timeout=5).value == f"{n}-{i}"

    def streams(n: int) -> None:
        for _ in range(3):
            got = []
            for reply in channel.server_stream(kit.STREAM, S(value="150"), timeout=10):
                got.append(reply.value)
                if len(got) % 40 == n:
                    time.sleep(0.005)
            assert got == [str(i) for i in range(150)]

    def chat() -> None:
        with channel.bidi_stream(kit.CHAT, timeout=10) as stream:
            for i in range(30):
                stream.write(S(value=f"m{i}"))
                assert next(stream).value == f"M{i}"
            stream.done_writing()
            assert list(stream) == []

    threads = [threading.Thread(target=guarded(lambda n=n: unary_calls(n))) for n in range(8)]
    threads += [threading.Thread(target=guarded(lambda n=n: streams(n))) for n in range(2)]
    threads.append(threading.Thread(target=guarded(chat)))
    for t in threads:
        t.start()
    _join_all(threads, 60)
    assert not errors, errors[:3]
    assert channel.unary(kit.UNARY, S(value="after"), timeout=5).value == "after"


def test_close_fails_every_waiting_thread(make_channel: Callable[..., Channel], server: ServerHandle) -> None:
    # 12 threads wait for slow calls (one leads, the rest follow) when the channel closes: all
    # must end with CANCELLED at once, and close() must return.
    channel = make_channel(server.endpoint)
    codes: list[StatusCode] = []
    lock = threading.Lock()

    def call() -> None:
        try:
            channel.unary(kit.SLEEP, S(value="10"), timeout=20)
            code = StatusCode.OK
        except RpcError as e:
            code = e.code
        with lock:
            codes.append(code)

    threads = [threading.Thread(target=call) for _ in range(12)]
    for t in threads:
        t.start()
    assert server.rec.sleep_started.wait(3)
    time.sleep(0.05)
    closer = threading.Thread(target=channel.close)
    closer.start()
    closer.join(5)
    assert not closer.is_alive(), "close() hung with calls in flight"
    _join_all(threads, 5)
    assert codes == [StatusCode.CANCELLED] * 12
    channel.close()  # again: a no-op


def test_interrupted_waiter_does_not_strand_the_socket(channel: Channel, server: ServerHandle) -> None:
    # Thread A reads the socket waiting for Sleep(0.4). The main thread waits behind it and is
    # interrupted by an exception from a signal handler (as Ctrl-C would). When A's reply comes,
    # the reading role must not be handed to the main thread's abandoned call: calls made
    # afterwards, from any thread, must still be answered.
    class Interrupted(Exception):
        pass

    def on_alarm(signum: int, frame: Any) -> None:
        raise Interrupted

    result: dict[str, Any] = {}
    a = threading.Thread(target=lambda: result.setdefault("a", channel.unary(kit.SLEEP, S(value="0.4"), timeout=5)))
    previous = signal.signal(signal.SIGALRM, on_alarm)
    try:
        a.start()
        assert server.rec.sleep_started.wait(3)
        signal.setitimer(signal.ITIMER_REAL, 0.1)
        with pytest.raises(Interrupted):
            channel.unary(kit.SLEEP, S(value="5"), timeout=10)
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)
    a.join(5)
    assert result["a"].value == "slept"
    assert channel.unary(kit.UNARY, S(value="main"), timeout=3).value == "main"
    other: dict[str, Any] = {}
    b = threading.Thread(target=lambda: other.setdefault("b", channel.unary(kit.UNARY, S(value="b"), timeout=3)))
    b.start()
    b.join(5)
    assert other["b"].value == "b"


def test_interrupted_leader_hands_the_socket_on(channel: Channel, server: ServerHandle) -> None:
    # The main thread reads the socket (it called first) and is interrupted; thread B, waiting
    # behind it, must get the role and its reply.
    class Interrupted(Exception):
        pass

    def on_alarm(signum: int, frame: Any) -> None:
        raise Interrupted

    result: dict[str, Any] = {}
    b = threading.Thread(target=lambda: result.setdefault("b", channel.unary(kit.SLEEP, S(value="0.3"), timeout=5)))
    previous = signal.signal(signal.SIGALRM, on_alarm)
    try:
        signal.setitimer(signal.ITIMER_REAL, 0.15)
        with pytest.raises(Interrupted):
            # Leads: nobody else reads yet. B starts once the main thread's REQUEST is out.
            threading.Timer(0.05, b.start).start()
            channel.unary(kit.SLEEP, S(value="5"), timeout=10)
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)
    b.join(5)
    assert result["b"].value == "slept"
    assert channel.unary(kit.UNARY, S(value="after"), timeout=3).value == "after"


@pytest.fixture
def block_server(zctx: zmq.Context[Any], endpoint: str) -> Iterator[tuple[Server, str, threading.Event]]:
    release = threading.Event()
    server = Server(context=zctx, max_workers=2)

    def block(request: S, context: ServicerContext) -> S:
        release.wait(30)  # ignores cancellation on purpose: a handler stuck in user code
        return S(value="released")

    server.add_method(BLOCK, block)
    server.add_method(kit.UNARY, lambda request, context: request)
    bound = server.bind(endpoint)
    server.start()
    try:
        yield server, bound, release
    finally:
        release.set()
        server.stop()


@pytest.mark.parametrize("delay", [0.0, 0.05])
def test_stop_returns_while_an_inline_handler_is_stuck(
    block_server: tuple[Server, str, threading.Event], make_channel: Callable[..., Channel], delay: float
) -> None:
    # A fast method runs on the I/O thread; this handler then blocks for good. stop() must
    # return anyway, whether it comes before the sentinel moved the socket to a new thread
    # (delay 0) or after (50 ms), and the stuck call's client hears UNAVAILABLE.
    server, endpoint, release = block_server
    channel = make_channel(endpoint)
    assert channel.unary(kit.UNARY, S(value="warm"), timeout=3).value == "warm"
    result: dict[str, Any] = {}

    def call() -> None:
        try:
            channel.unary(BLOCK, S(), timeout=10)
            result["code"] = StatusCode.OK
        except RpcError as e:
            result["code"] = e.code

    t = threading.Thread(target=call)
    t.start()
    time.sleep(0.02 + delay)  # the REQUEST is in, the handler blocks
    stopper = threading.Thread(target=server.stop, args=(None,))
    stopper.start()
    stopper.join(5)
    assert not stopper.is_alive(), "stop() hung on a stuck inline handler"
    assert server.wait_for_termination(1)
    t.join(5)
    assert result["code"] is StatusCode.UNAVAILABLE
    release.set()


def test_graceful_stop_with_inline_and_pool_calls(
    block_server: tuple[Server, str, threading.Event], make_channel: Callable[..., Channel]
) -> None:
    # stop(grace) while one handler is stuck and fast calls keep coming from other threads:
    # the fast ones finish or get UNAVAILABLE, the stuck one ends UNAVAILABLE at the grace's end.
    server, endpoint, release = block_server
    channel = make_channel(endpoint)
    codes: list[StatusCode] = []
    stuck: dict[str, Any] = {}

    def blocked() -> None:
        try:
            channel.unary(BLOCK, S(), timeout=10)
        except RpcError as e:
            stuck["code"] = e.code

    def fast() -> None:
        for i in range(200):
            try:
                channel.unary(kit.UNARY, S(value=str(i)), timeout=2)
                codes.append(StatusCode.OK)
            except RpcError as e:
                codes.append(e.code)
                return

    threads = [threading.Thread(target=blocked)] + [threading.Thread(target=fast) for _ in range(3)]
    for t in threads:
        t.start()
    time.sleep(0.1)
    stopper = threading.Thread(target=server.stop, args=(0.3,))
    stopper.start()
    stopper.join(5)
    assert not stopper.is_alive(), "stop(grace) hung"
    _join_all(threads, 10)
    assert stuck["code"] is StatusCode.UNAVAILABLE
    # UNAVAILABLE: refused while draining, or the connection closed; inproc has no connection
    # events, so there a call sent after the close runs into its deadline instead.
    assert set(codes) <= {StatusCode.OK, StatusCode.UNAVAILABLE, StatusCode.DEADLINE_EXCEEDED}
    release.set()


def test_async_channel_mixed_calls_cancellations_and_close(zctx: zmq.Context[Any], server: ServerHandle) -> None:
    # 120 tasks on one AsyncChannel: unary calls (some cancelled by their task mid-flight, some
    # running into deadlines), server streams, then close() while slow calls are still open.
    # Every call ends with its own result or error, and nothing is left hanging.
    from protozmq import AsyncChannel

    async def main() -> None:
        ch = AsyncChannel(server.endpoint, context=zctx)
        rnd = random.Random(5)

        async def unary(i: int) -> str:
            if i % 10 == 3:
                try:
                    await ch.unary(kit.SLEEP, S(value="1"), timeout=0.02)
                except RpcError as e:
                    return e.code.name
                return "no deadline"
            return (await ch.unary(kit.UNARY, S(value=str(i)), timeout=5)).value

        async def stream(i: int) -> str:
            got = [r.value async for r in ch.server_stream(kit.STREAM, S(value="50"), timeout=5)]
            return "stream ok" if got == [str(k) for k in range(50)] else f"stream {got}"

        tasks = [asyncio.create_task(stream(i) if i % 15 == 0 else unary(i)) for i in range(120)]
        doomed = [t for i, t in enumerate(tasks) if i % 7 == 5]
        await asyncio.sleep(rnd.random() * 0.005)
        for t in doomed:
            t.cancel()
        results = await asyncio.wait_for(asyncio.gather(*tasks, return_exceptions=True), 20)
        for i, (t, r) in enumerate(zip(tasks, results)):
            if t in doomed and isinstance(r, asyncio.CancelledError):
                continue
            if i % 15 == 0:
                assert r == "stream ok", (i, r)
            elif i % 10 == 3:
                assert r == "DEADLINE_EXCEEDED", (i, r)
            else:
                assert r == str(i), (i, r)
        # close() with slow calls open: each fails CANCELLED at once.
        slow = [asyncio.create_task(ch.unary(kit.SLEEP, S(value="5"), timeout=10)) for _ in range(5)]
        await asyncio.sleep(0.05)
        await asyncio.wait_for(ch.close(), 5)
        for r in await asyncio.wait_for(asyncio.gather(*slow, return_exceptions=True), 5):
            assert isinstance(r, RpcError) and r.code is StatusCode.CANCELLED, r

    asyncio.run(asyncio.wait_for(main(), 40))
