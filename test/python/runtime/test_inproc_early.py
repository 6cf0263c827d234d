"""inproc peers that connect BEFORE the other side binds (libzmq allows it for inproc only).

libzmq queues what the early peer sends (requests, subscriptions) in a pipe and attaches that pipe
to the binding socket inside ``bind``, without signalling the bound socket's ``ZMQ_FD``. A reader
that waits for that (edge-triggered) descriptor while the bind happens never hears of those
messages: the call made before the bind hangs until its deadline, a publisher never sees the
subscription. These tests make the early peer first, bind ~100 ms later, and expect the normal
outcome. Every wait is bounded (calls carry a deadline, threads are joined with a timeout).

::

    Channel (DEALER) --connect, REQUEST-->  [pipe, queued]        (nobody bound yet)
                       ~100 ms later        Server.bind(inproc)   attaches the pipe, no ZMQ_FD edge
                       <---- reply -------  the server must still read the REQUEST
"""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Callable
from typing import Any

import pytest
import zmq
from google.protobuf.wrappers_pb2 import StringValue as S

import pzmq_testkit as kit
from conftest import ServerHandle, new_endpoint
from protozmq import AsyncChannel, AsyncServer, AsyncSubscriber, Channel, Event, Publisher, Server, Subscriber

EARLY_S = 0.1  # how long the early peer waits before the other side binds
CALL_TIMEOUT_S = 5.0  # the call's deadline: a missed request fails with DEADLINE_EXCEEDED, not a hang
TOPIC = "game.Events/UnitMoved"


def _call_in_thread(channel: Channel, value: str) -> tuple[threading.Thread, list[Any]]:
    """Start ``channel.unary(UNARY, value)`` on a thread; the list gets the reply or the exception."""
    result: list[Any] = []

    def call() -> None:
        try:
            result.append(channel.unary(kit.UNARY, S(value=value), timeout=CALL_TIMEOUT_S))
        except BaseException as e:  # noqa: BLE001 - reported by the test
            result.append(e)

    t = threading.Thread(target=call, name="test-early-call", daemon=True)
    t.start()
    return t, result


def _finished(t: threading.Thread, result: list[Any]) -> Any:
    t.join(CALL_TIMEOUT_S + 2)
    assert not t.is_alive(), "the call made before the bind never finished"
    assert len(result) == 1
    if isinstance(result[0], BaseException):
        raise result[0]
    return result[0]


# -- (a) blocking Channel, then the server binds -----------------------------------------------------


def test_blocking_channel_calls_before_the_server_binds(
    make_channel: Callable[..., Channel], make_server: Callable[..., ServerHandle], flavour: str, ipc_dir: str
) -> None:
    endpoint = new_endpoint("inproc", ipc_dir)
    channel = make_channel(endpoint)
    t, result = _call_in_thread(channel, "early")
    time.sleep(EARLY_S)
    assert t.is_alive()  # still waiting: nobody bound yet
    make_server(flavour, endpoint)
    assert _finished(t, result).value == "early"
    # And the channel goes on working normally.
    assert channel.unary(kit.UNARY, S(value="after"), timeout=CALL_TIMEOUT_S).value == "after"


def test_blocking_channel_call_without_deadline_before_the_server_binds(
    make_channel: Callable[..., Channel], make_server: Callable[..., ServerHandle], flavour: str, ipc_dir: str
) -> None:
    # No deadline on the call: a missed request would hang for good (the join bounds the test).
    endpoint = new_endpoint("inproc", ipc_dir)
    channel = make_channel(endpoint)
    result: list[Any] = []
    t = threading.Thread(
        target=lambda: result.append(channel.unary(kit.UNARY, S(value="no deadline"))), daemon=True
    )
    t.start()
    time.sleep(EARLY_S)
    make_server(flavour, endpoint)
    t.join(CALL_TIMEOUT_S)
    assert not t.is_alive(), "the call made before the bind never finished"
    assert result[0].value == "no deadline"


# -- (b) AsyncChannel, then the server binds ---------------------------------------------------------


def test_async_channel_calls_before_an_async_server_binds_on_the_same_loop(
    zctx: zmq.Context[Any], ipc_dir: str
) -> None:
    endpoint = new_endpoint("inproc", ipc_dir)

    async def main() -> None:
        channel = AsyncChannel(endpoint, context=zctx)
        server = AsyncServer(context=zctx)
        kit.add_async(server, kit.Recorder())
        try:
            early = asyncio.ensure_future(channel.unary(kit.UNARY, S(value="early"), timeout=CALL_TIMEOUT_S))
            await asyncio.sleep(EARLY_S)
            assert not early.done()
            server.bind(endpoint)
            await server.start()
            assert (await asyncio.wait_for(early, CALL_TIMEOUT_S + 1)).value == "early"
            assert (await channel.unary(kit.UNARY, S(value="after"), timeout=CALL_TIMEOUT_S)).value == "after"
        finally:
            await channel.close()
            await server.stop(None)

    asyncio.run(asyncio.wait_for(main(), 20))


def test_async_channel_calls_before_the_server_binds(
    zctx: zmq.Context[Any], make_server: Callable[..., ServerHandle], flavour: str, ipc_dir: str
) -> None:
    # The server (either flavour; the asyncio one on its own loop thread) binds from another thread.
    endpoint = new_endpoint("inproc", ipc_dir)

    async def main() -> None:
        channel = AsyncChannel(endpoint, context=zctx)
        try:
            early = asyncio.ensure_future(channel.unary(kit.UNARY, S(value="early"), timeout=CALL_TIMEOUT_S))
            await asyncio.sleep(EARLY_S)
            assert not early.done()
            await asyncio.get_running_loop().run_in_executor(None, make_server, flavour, endpoint)
            assert (await asyncio.wait_for(early, CALL_TIMEOUT_S + 1)).value == "early"
        finally:
            await channel.close()

    asyncio.run(asyncio.wait_for(main(), 20))


# -- (c) a running server binds the inproc endpoint later -------------------------------------------


def test_running_async_server_binds_inproc_after_a_channel_called_it(
    zctx: zmq.Context[Any], make_server: Callable[..., ServerHandle], make_channel: Callable[..., Channel], ipc_dir: str
) -> None:
    handle = make_server("asyncio", new_endpoint("ipc", ipc_dir))
    # Serve a call first, so the server's reader has consumed its descriptor's edge and waits.
    assert make_channel(handle.endpoint).unary(kit.UNARY, S(value="ipc"), timeout=CALL_TIMEOUT_S).value == "ipc"
    inproc = new_endpoint("inproc", ipc_dir)
    channel = make_channel(inproc)
    t, result = _call_in_thread(channel, "early")
    time.sleep(EARLY_S)
    assert t.is_alive()

    async def bind() -> str:
        return str(handle.server.bind(inproc))

    assert asyncio.run_coroutine_threadsafe(bind(), handle.loop).result(5) == inproc
    assert _finished(t, result).value == "early"
    assert channel.unary(kit.UNARY, S(value="after"), timeout=CALL_TIMEOUT_S).value == "after"


def test_running_async_server_binds_inproc_after_async_channel_called_it(
    zctx: zmq.Context[Any], ipc_dir: str
) -> None:
    # Everything on one loop: the bind happens between two runs of the server's reader.
    first, inproc = new_endpoint("ipc", ipc_dir), new_endpoint("inproc", ipc_dir)

    async def main() -> None:
        server = AsyncServer(context=zctx)
        kit.add_async(server, kit.Recorder())
        server.bind(first)
        await server.start()
        ipc_channel = AsyncChannel(first, context=zctx)
        channel = AsyncChannel(inproc, context=zctx)
        try:
            assert (await ipc_channel.unary(kit.UNARY, S(value="ipc"), timeout=CALL_TIMEOUT_S)).value == "ipc"
            early = asyncio.ensure_future(channel.unary(kit.UNARY, S(value="early"), timeout=CALL_TIMEOUT_S))
            await asyncio.sleep(EARLY_S)
            assert not early.done()
            server.bind(inproc)
            assert (await asyncio.wait_for(early, CALL_TIMEOUT_S + 1)).value == "early"
        finally:
            await channel.close()
            await ipc_channel.close()
            await server.stop(None)

    asyncio.run(asyncio.wait_for(main(), 20))


def test_blocking_server_binds_ipc_and_inproc_after_a_channel_called_it(
    zctx: zmq.Context[Any], make_channel: Callable[..., Channel], ipc_dir: str
) -> None:
    # A blocking Server binds only before start(): both binds come after the early call.
    inproc = new_endpoint("inproc", ipc_dir)
    channel = make_channel(inproc)
    t, result = _call_in_thread(channel, "early")
    time.sleep(EARLY_S)
    server = Server(context=zctx, max_workers=2)
    try:
        kit.add_blocking(server, kit.Recorder())
        ipc = server.bind(new_endpoint("ipc", ipc_dir))
        server.bind(inproc)
        server.start()
        assert _finished(t, result).value == "early"
        assert make_channel(ipc).unary(kit.UNARY, S(value="ipc"), timeout=CALL_TIMEOUT_S).value == "ipc"
        with pytest.raises(RuntimeError):
            server.bind(new_endpoint("inproc", ipc_dir))
    finally:
        server.stop(None)


# -- (d) subscribers before the publisher binds ------------------------------------------------------


def test_subscriber_before_the_publisher_binds(zctx: zmq.Context[Any], ipc_dir: str) -> None:
    endpoint = new_endpoint("inproc", ipc_dir)
    with Subscriber(endpoint, topics=[TOPIC], context=zctx) as sub:
        time.sleep(EARLY_S)
        with Publisher(endpoint, context=zctx) as pub:
            assert pub.wait_for_subscriber(TOPIC, timeout=5)
            assert pub.subscriptions == 1
            pub.publish(TOPIC + "/red", b"moved")
            event = sub.recv(timeout=5)
            assert event == Event(TOPIC + "/red", 0, b"moved")


def test_subscriber_before_a_publisher_bound_elsewhere_binds_inproc(zctx: zmq.Context[Any], ipc_dir: str) -> None:
    # The publisher already waited (found nothing) on another endpoint, then binds the inproc one.
    endpoint = new_endpoint("inproc", ipc_dir)
    with Publisher(new_endpoint("ipc", ipc_dir), context=zctx) as pub:
        assert not pub.wait_for_subscriber(TOPIC, timeout=0.05)
        with Subscriber(endpoint, topics=[TOPIC], context=zctx) as sub:
            time.sleep(EARLY_S)
            pub.bind(endpoint)
            assert pub.wait_for_subscriber(TOPIC, timeout=5)
            pub.publish(TOPIC, b"x")
            assert sub.recv(timeout=5) == Event(TOPIC, 0, b"x")


def test_listening_subscriber_before_the_publisher_binds(zctx: zmq.Context[Any], ipc_dir: str) -> None:
    endpoint = new_endpoint("inproc", ipc_dir)
    got: list[Event] = []
    seen = threading.Event()

    def on_event(event: Event) -> None:
        got.append(event)
        seen.set()

    with Subscriber(endpoint, context=zctx) as sub:
        sub.listen(on_event)
        sub.subscribe(TOPIC)  # through the listener thread, before anyone bound
        time.sleep(EARLY_S)
        with Publisher(endpoint, context=zctx) as pub:
            assert pub.wait_for_subscriber(TOPIC, timeout=5)
            pub.publish(TOPIC, b"x")
            assert seen.wait(5)
            assert got == [Event(TOPIC, 0, b"x")]


def test_async_subscriber_before_the_publisher_binds(zctx: zmq.Context[Any], ipc_dir: str) -> None:
    endpoint = new_endpoint("inproc", ipc_dir)

    async def main() -> None:
        sub = AsyncSubscriber(endpoint, topics=[TOPIC], context=zctx)
        try:
            # Already waiting for an event when the publisher binds.
            first = asyncio.ensure_future(sub.recv(timeout=5))
            await asyncio.sleep(EARLY_S)
            with Publisher(endpoint, context=zctx) as pub:
                loop = asyncio.get_running_loop()
                assert await loop.run_in_executor(None, pub.wait_for_subscriber, TOPIC, 5.0)
                pub.publish(TOPIC, b"x")
                assert await first == Event(TOPIC, 0, b"x")
        finally:
            sub.close()

    asyncio.run(asyncio.wait_for(main(), 20))


# -- the other way round: the server connects, the channel binds later ------------------------------


def test_server_connects_before_the_channel_binds(
    zctx: zmq.Context[Any], make_channel: Callable[..., Channel], flavour: str, ipc_dir: str
) -> None:
    endpoint = new_endpoint("inproc", ipc_dir)
    if flavour == "blocking":
        server: Any = Server(context=zctx, max_workers=2)
        kit.add_blocking(server, kit.Recorder())
        server.connect(endpoint)
        server.start()
        try:
            time.sleep(EARLY_S)
            channel = make_channel(endpoint, bind=True)
            assert channel.unary(kit.UNARY, S(value="x"), timeout=CALL_TIMEOUT_S).value == "x"
        finally:
            server.stop(None)
        return

    async def main() -> None:
        server = AsyncServer(context=zctx)
        kit.add_async(server, kit.Recorder())
        server.connect(endpoint)
        await server.start()
        try:
            await asyncio.sleep(EARLY_S)
            channel = AsyncChannel(endpoint, context=zctx, bind=True)
            try:
                assert (await channel.unary(kit.UNARY, S(value="x"), timeout=CALL_TIMEOUT_S)).value == "x"
            finally:
                await channel.close()
        finally:
            await server.stop(None)

    asyncio.run(asyncio.wait_for(main(), 20))
