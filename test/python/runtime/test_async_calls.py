"""``AsyncChannel`` against both server flavours, over inproc, ipc and tcp.

Cancellation flow tested here::

    task awaiting channel.unary(SLEEP)            server
      REQUEST  ---------------------------------->  handler running
      task.cancel() -> CancelledError in the task
      CANCEL   ---------------------------------->  handler task cancelled / context.cancelled()
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any, TypeVar

import pytest
import zmq
from google.protobuf.wrappers_pb2 import StringValue as S

import pzmq_testkit as kit
from conftest import ServerHandle
from protozmq import AsyncChannel, AsyncServer, Metadata, MethodDescriptor, RpcError, ServicerContext, StatusCode

T = TypeVar("T")


def run(body: Callable[[], Awaitable[T]], limit: float = 20.0) -> T:
    """Run one async test body with a hard time limit."""

    async def bounded() -> T:
        return await asyncio.wait_for(body(), limit)

    return asyncio.run(bounded())


def with_channel(
    zctx: zmq.Context[Any], endpoint: str, body: Callable[[AsyncChannel], Awaitable[T]], **options: Any
) -> T:
    async def main() -> T:
        channel = AsyncChannel(endpoint, context=zctx, **options)
        try:
            return await body(channel)
        finally:
            await channel.close()

    return run(main)


def test_unary(zctx: zmq.Context[Any], server: ServerHandle) -> None:
    async def body(ch: AsyncChannel) -> None:
        assert (await ch.unary(kit.UNARY, S(value="hi"), timeout=5)).value == "hi"
        md = Metadata([("x-user", "ada"), ("trace-bin", b"\x00\x01")])
        reply, info = await ch.unary(kit.UNARY, S(value="m"), metadata=md, timeout=5, with_call=True)
        assert reply.value == "m" and info.headers == md
        assert info.trailers.get("echo-bin") == b"\x00\xffbin"

    with_channel(zctx, server.endpoint, body)


def test_status_codes_and_errors(zctx: zmq.Context[Any], server: ServerHandle) -> None:
    async def body(ch: AsyncChannel) -> None:
        for code in StatusCode:
            if code is StatusCode.OK:
                continue
            with pytest.raises(RpcError) as err:
                await ch.unary(kit.FAIL, S(value=f"{int(code)}|🦄 {code.name} \t"), timeout=5)
            assert (err.value.code, err.value.message) == (code, f"🦄 {code.name} \t")
            assert err.value.details == b"\x08\x05detail"
        with pytest.raises(RpcError) as err:
            await ch.unary(kit.CRASH, S(value="bad"), timeout=5)
        assert (err.value.code, err.value.message) == (StatusCode.UNKNOWN, "bad")
        with pytest.raises(RpcError) as err:
            await ch.unary(kit.UNKNOWN_METHOD, S(), timeout=5)
        assert err.value.code is StatusCode.UNIMPLEMENTED
        raw = MethodDescriptor.raw("test.Echo/Unary", "unary")
        with pytest.raises(RpcError) as err:
            await ch.unary(raw, b"\xff\xff\xff", timeout=5)
        assert err.value.code is StatusCode.INVALID_ARGUMENT
        assert (await ch.unary(kit.UNARY, S(value="alive"), timeout=5)).value == "alive"

    with_channel(zctx, server.endpoint, body)


def test_oversized(zctx: zmq.Context[Any], server: ServerHandle) -> None:
    async def body(ch: AsyncChannel) -> None:
        for method, value in ((kit.UNARY, "x" * 3000), (kit.BIG, "3000")):
            with pytest.raises(RpcError) as err:
                await ch.unary(method, S(value=value), timeout=5)
            assert err.value.code is StatusCode.RESOURCE_EXHAUSTED

    with_channel(zctx, server.endpoint, body, max_message_bytes=2000)


def test_deadline_both_sides(zctx: zmq.Context[Any], server: ServerHandle) -> None:
    async def body(ch: AsyncChannel) -> None:
        start = time.monotonic()
        with pytest.raises(RpcError) as err:
            await ch.unary(kit.SLEEP, S(value="5"), timeout=0.1)
        assert err.value.code is StatusCode.DEADLINE_EXCEEDED
        assert 0.09 <= time.monotonic() - start < 1.0

    with_channel(zctx, server.endpoint, body)
    assert server.rec.sleep_ended.get(timeout=3)["cancelled"] is True


def test_task_cancellation_sends_cancel(zctx: zmq.Context[Any], server: ServerHandle) -> None:
    async def body(ch: AsyncChannel) -> None:
        task = asyncio.ensure_future(ch.unary(kit.SLEEP, S(value="5"), timeout=10))
        deadline = time.monotonic() + 3
        while not server.rec.sleep_started.is_set() and time.monotonic() < deadline:
            await asyncio.sleep(0.005)
        assert server.rec.sleep_started.is_set()
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        # The channel keeps working after a cancelled call.
        assert (await ch.unary(kit.UNARY, S(value="next"), timeout=5)).value == "next"

    with_channel(zctx, server.endpoint, body)
    seen = server.rec.sleep_ended.get(timeout=3)
    assert seen["cancelled"] is True
    assert server.rec.callbacks.wait(3)


def test_streams(zctx: zmq.Context[Any], server: ServerHandle) -> None:
    async def body(ch: AsyncChannel) -> None:
        stream = ch.server_stream(kit.STREAM, S(value="20"), timeout=5)
        assert (await stream.headers()).get("x-stream") == "yes"
        assert [r.value async for r in stream] == [str(i) for i in range(20)]
        assert await stream.code() is StatusCode.OK

        async def gen() -> AsyncIterator[S]:
            for v in "abc":
                yield S(value=v)

        assert (await ch.client_stream(kit.COLLECT, gen(), timeout=5)).value == "a,b,c"
        assert (await ch.client_stream(kit.COLLECT, [S(value="z")], timeout=5)).value == "z"
        chat = ch.bidi_stream(kit.CHAT, [S(value="x"), S(value="y")], timeout=5)
        assert [r.value async for r in chat] == ["X", "Y"]
        chat2 = ch.bidi_stream(kit.CHAT, timeout=5)
        await chat2.write(S(value="q"))
        assert (await chat2.__anext__()).value == "Q"
        await chat2.done_writing()
        assert [r async for r in chat2] == []

    with_channel(zctx, server.endpoint, body)


def test_stream_cancel_reaches_handler(zctx: zmq.Context[Any], server: ServerHandle) -> None:
    async def body(ch: AsyncChannel) -> None:
        async with ch.server_stream(kit.SLOW_STREAM, S(), timeout=10) as stream:
            async for r in stream:
                assert r.value == "0"
                break

    with_channel(zctx, server.endpoint, body)
    assert server.rec.sleep_ended.get(timeout=3)["cancelled"] is True


def test_oneway(zctx: zmq.Context[Any], server: ServerHandle) -> None:
    async def body(ch: AsyncChannel) -> None:
        await ch.oneway(kit.NOTIFY, S(value="fire"))
        assert (await ch.unary(kit.UNARY, S(value="sync"), timeout=5)).value == "sync"

    with_channel(zctx, server.endpoint, body)
    assert server.rec.notified.get(timeout=3) == "fire"


def test_1000_concurrent_calls(zctx: zmq.Context[Any], server: ServerHandle) -> None:
    # 1,000 tasks in flight on one DEALER: REQUESTs leave in batches, replies match by call id.
    async def body(ch: AsyncChannel) -> None:
        replies = await asyncio.gather(*(ch.unary(kit.UNARY, S(value=str(i)), timeout=20) for i in range(1000)))
        assert [r.value for r in replies] == [str(i) for i in range(1000)]

    with_channel(zctx, server.endpoint, body)


def test_async_server_and_channel_on_one_loop(zctx: zmq.Context[Any], endpoint: str) -> None:
    # Single-threaded application: server and client share the event loop.
    rec = kit.Recorder()

    async def main() -> None:
        server = AsyncServer(context=zctx)
        kit.add_async(server, rec)
        bound = server.bind(endpoint)
        await server.start()
        try:
            async with AsyncChannel(bound, context=zctx) as ch:
                assert (await ch.unary(kit.UNARY, S(value="loop"), timeout=5)).value == "loop"
                task = asyncio.ensure_future(ch.unary(kit.SLEEP, S(value="5"), timeout=10))
                await asyncio.sleep(0.05)
                task.cancel()
                with pytest.raises(asyncio.CancelledError):
                    await task
                await asyncio.sleep(0.05)
                seen = rec.sleep_ended.get(timeout=1)
                assert seen["cancelled"] is True and seen["flag"] is True
                replies = await asyncio.gather(*(ch.unary(kit.UNARY, S(value=str(i)), timeout=10) for i in range(300)))
                assert len(replies) == 300
        finally:
            await server.stop()

    run(main)


def test_async_handler_sees_deadline(zctx: zmq.Context[Any], endpoint: str) -> None:
    seen: dict[str, Any] = {}
    method = MethodDescriptor.for_messages("test.Deadline/Wait", "unary", S, S)

    async def handler(request: S, context: ServicerContext) -> S:
        seen["deadline"], seen["remaining"] = context.deadline, context.time_remaining()
        try:
            await asyncio.sleep(5)
        except asyncio.CancelledError:
            seen["cancelled"] = context.cancelled()
            raise
        return request

    async def main() -> None:
        server = AsyncServer(context=zctx)
        server.add_method(method, handler)
        bound = server.bind(endpoint)
        await server.start()
        try:
            async with AsyncChannel(bound, context=zctx) as ch:
                with pytest.raises(RpcError) as err:
                    await ch.unary(method, S(), timeout=0.2)
                assert err.value.code is StatusCode.DEADLINE_EXCEEDED
                await asyncio.sleep(0.05)
        finally:
            await server.stop()

    run(main)
    assert seen["cancelled"] is True
    assert 0.0 < seen["remaining"] <= 0.2
    assert abs(seen["deadline"] - time.time()) < 1.0


@pytest.mark.parametrize("transport", ["ipc"])
def test_no_server_is_unavailable(zctx: zmq.Context[Any], endpoint: str) -> None:
    async def body(ch: AsyncChannel) -> None:
        with pytest.raises(RpcError) as err:
            await ch.unary(kit.UNARY, S(), timeout=5)
        assert err.value.code is StatusCode.UNAVAILABLE

    with_channel(zctx, endpoint, body, connect_timeout=0.2)
