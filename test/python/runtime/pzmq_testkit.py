"""The test service ``test.Echo`` used by the runtime tests, in a blocking and an asyncio version.

Messages are the well-known ``google.protobuf.StringValue`` (no generated code needed). Every
method is registered on both server flavours with the same behaviour, so each test can run
against either. ``Recorder`` lets a test see what a handler saw (cancellation, deadline, ...).
"""

from __future__ import annotations

import asyncio
import queue
import threading
import time
from collections.abc import AsyncIterator, Iterator
from typing import Any

from google.protobuf.wrappers_pb2 import StringValue

from protozmq import AsyncServer, MethodDescriptor, RpcError, Server, ServicerContext, StatusCode
from protozmq import protocol as P

S = StringValue


def packets(frames: list[bytes], start: int = 0) -> list[tuple[P.PacketHeader, bytes, bool]]:
    """The packets of a received message, for raw-socket tests: (header, message, inline?) each.

    Walks the frames by the INLINE flag (PZMQ/1 3); message is b"" without HAS_MESSAGE. Asserts
    the framing is right (no short header, no missing payload frame).
    """
    assert P.check_framing(frames, start) is None, P.check_framing(frames, start)
    out: list[tuple[P.PacketHeader, bytes, bool]] = []
    i = start
    while i < len(frames):
        h = P.decode_header(frames[i])
        if h.flags & P.Flag.INLINE:
            out.append((h, frames[i][h.size :] if h.flags & P.Flag.HAS_MESSAGE else b"", True))
            i += 1
        else:
            out.append((h, frames[i + 1] if h.flags & P.Flag.HAS_MESSAGE else b"", False))
            i += 2
    return out


def _m(name: str, kind: Any) -> MethodDescriptor[StringValue, StringValue]:
    return MethodDescriptor.for_messages(f"test.Echo/{name}", kind, StringValue, StringValue)


UNARY = _m("Unary", "unary")  # echo; request headers come back as response headers
FAIL = _m("Fail", "unary")  # value "<code>|<message>": raises RpcError with details and trailers
CRASH = _m("Crash", "unary")  # raises ValueError(value)
SLEEP = _m("Sleep", "unary")  # sleeps float(value) seconds unless cancelled; records what it saw
BIG = _m("Big", "unary")  # answers int(value) bytes of text
STREAM = _m("Stream", "server_streaming")  # int(value) messages "0".."n-1", then OK
SLOW_STREAM = _m("SlowStream", "server_streaming")  # a message every 20 ms until cancelled
COLLECT = _m("Collect", "client_streaming")  # joins all request values with ","
CHAT = _m("Chat", "bidi_streaming")  # echoes each request upper-cased
NOTIFY = _m("Notify", "unary")  # oneway target: records the value
UNKNOWN_METHOD = _m("Missing", "unary")  # never registered


class Recorder:
    """What the handlers saw, for assertions; thread-safe."""

    def __init__(self) -> None:
        self.notified: queue.SimpleQueue[str] = queue.SimpleQueue()
        self.sleep_started = threading.Event()
        self.sleep_ended: queue.SimpleQueue[dict[str, Any]] = queue.SimpleQueue()
        self.callbacks = threading.Event()


def _echo_metadata(request: StringValue, context: ServicerContext) -> StringValue:
    for key, value in context.invocation_metadata():
        context.set_header(key, value)
    context.set_trailer("x-method", context.method)
    context.set_trailer("echo-bin", b"\x00\xffbin")
    return request


def _fail(request: StringValue) -> RpcError:
    code, _, message = request.value.partition("|")
    return RpcError(int(code), message, b"\x08\x05detail", {"x-reason": "asked", "why-bin": b"\x01\x02"})


def add_blocking(server: Server, rec: Recorder) -> None:
    """Register every test.Echo method on a blocking server."""

    def sleep(request: StringValue, context: ServicerContext) -> StringValue:
        context.add_callback(rec.callbacks.set)
        rec.sleep_started.set()
        end = time.monotonic() + float(request.value)
        while time.monotonic() < end and not context.cancelled():
            time.sleep(0.002)
        rec.sleep_ended.put(
            {"cancelled": context.cancelled(), "deadline": context.deadline, "remaining": context.time_remaining()}
        )
        return S(value="slept")

    def stream(request: StringValue, context: ServicerContext) -> Iterator[StringValue]:
        context.set_header("x-stream", "yes")
        for i in range(int(request.value)):
            yield S(value=str(i))

    def slow_stream(request: StringValue, context: ServicerContext) -> Iterator[StringValue]:
        context.add_callback(rec.callbacks.set)
        rec.sleep_started.set()
        i = 0
        while not context.cancelled():
            yield S(value=str(i))
            i += 1
            time.sleep(0.02)
        rec.sleep_ended.put({"cancelled": True})

    def collect(requests: Iterator[StringValue], context: ServicerContext) -> StringValue:
        return S(value=",".join(r.value for r in requests))

    def chat(requests: Iterator[StringValue], context: ServicerContext) -> Iterator[StringValue]:
        for r in requests:
            yield S(value=r.value.upper())

    def notify(request: StringValue, context: ServicerContext) -> StringValue:
        rec.notified.put(request.value)
        return S()

    def crash(request: StringValue, context: ServicerContext) -> StringValue:
        raise ValueError(request.value)

    def fail(request: StringValue, context: ServicerContext) -> StringValue:
        raise _fail(request)

    server.add_method(UNARY, _echo_metadata)
    server.add_method(FAIL, fail)
    server.add_method(CRASH, crash)
    server.add_method(SLEEP, sleep)
    server.add_method(BIG, lambda request, context: S(value="x" * int(request.value)))
    server.add_method(STREAM, stream)
    server.add_method(SLOW_STREAM, slow_stream)
    server.add_method(COLLECT, collect)
    server.add_method(CHAT, chat)
    server.add_method(NOTIFY, notify)


def add_async(server: AsyncServer, rec: Recorder) -> None:
    """Register every test.Echo method on an asyncio server."""

    async def unary(request: StringValue, context: ServicerContext) -> StringValue:
        return _echo_metadata(request, context)

    async def sleep(request: StringValue, context: ServicerContext) -> StringValue:
        context.add_callback(rec.callbacks.set)
        rec.sleep_started.set()
        deadline, cancelled = context.deadline, False
        try:
            await asyncio.sleep(float(request.value))
        except asyncio.CancelledError:
            cancelled = True
            raise
        finally:
            rec.sleep_ended.put(
                {"cancelled": cancelled, "flag": context.cancelled(), "deadline": deadline,
                 "remaining": context.time_remaining()}
            )
        return S(value="slept")

    async def stream(request: StringValue, context: ServicerContext) -> AsyncIterator[StringValue]:
        context.set_header("x-stream", "yes")
        for i in range(int(request.value)):
            yield S(value=str(i))

    async def slow_stream(request: StringValue, context: ServicerContext) -> AsyncIterator[StringValue]:
        context.add_callback(rec.callbacks.set)
        rec.sleep_started.set()
        i = 0
        try:
            while True:
                yield S(value=str(i))
                i += 1
                await asyncio.sleep(0.02)
        except asyncio.CancelledError:
            rec.sleep_ended.put({"cancelled": True})
            raise

    async def collect(requests: AsyncIterator[StringValue], context: ServicerContext) -> StringValue:
        return S(value=",".join([r.value async for r in requests]))

    async def chat(requests: AsyncIterator[StringValue], context: ServicerContext) -> AsyncIterator[StringValue]:
        async for r in requests:
            yield S(value=r.value.upper())

    async def notify(request: StringValue, context: ServicerContext) -> StringValue:
        rec.notified.put(request.value)
        return S()

    async def crash(request: StringValue, context: ServicerContext) -> StringValue:
        raise ValueError(request.value)

    async def fail(request: StringValue, context: ServicerContext) -> StringValue:
        raise _fail(request)

    async def big(request: StringValue, context: ServicerContext) -> StringValue:
        return S(value="x" * int(request.value))

    server.add_method(UNARY, unary)
    server.add_method(FAIL, fail)
    server.add_method(CRASH, crash)
    server.add_method(SLEEP, sleep)
    server.add_method(BIG, big)
    server.add_method(STREAM, stream)
    server.add_method(SLOW_STREAM, slow_stream)
    server.add_method(COLLECT, collect)
    server.add_method(CHAT, chat)
    server.add_method(NOTIFY, notify)
