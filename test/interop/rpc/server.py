"""The Python interop server: gRPC's interop ``TestService`` (schemas/interop/test.proto) on the
generated ``add_TestServiceServicer_to_server``, plus a ``TestEvents`` publisher on a second endpoint.

::

    clients == DEALER ==> AsyncServer (ROUTER, <rpc endpoint>) -- add_TestServiceServicer_to_server(InteropServicer())
    subscriber == SUB ==> TestEventsPublisher (XPUB, <events endpoint>)
        SUB ".../TestEvents/Ticks"  --> the publisher sees the subscription (wait_for_subscriber)
                                    <-- 10,000 Ticks, seq 0..9999, one Alert every 10 (filtered out), then Tick "end"
        (re-armed once no subscription is left, for the next subscriber)

Usage: ``python server.py <rpc endpoint> <events endpoint> [--ticks N]`` (``generated/python`` on
``PYTHONPATH``). Binds both (tcp port 0 picks a free port), prints one line
``ready <rpc endpoint> <events endpoint>`` and serves until SIGTERM, SIGINT or the end of stdin.
``client.py --inproc-server`` runs it inside the client's process instead, over inproc.

Why ``AsyncServer`` and not the blocking ``Server``: the interop cases cancel calls and let deadlines
expire on handlers that are sleeping or waiting for requests. In asyncio the runtime cancels the
handler's task, so such a handler stops at once wherever it waits; a blocking handler would hold one
of a few worker threads until it polled ``context.cancelled()``. Tasks also take the 1,000 calls of
``concurrent_large_unary`` without sizing a pool, and they run in arrival order, which ``oneway``
relies on (Notify calls are handled before the LastNotified sent after them).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import signal
import sys
import threading
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass

from google.protobuf.empty_pb2 import Empty
from interop.test_pb2 import (
    EchoStatus,
    Payload,
    Ping,
    ResponseParameters,
    SimpleRequest,
    SimpleResponse,
    StreamingInputCallRequest,
    StreamingInputCallResponse,
    StreamingOutputCallRequest,
    StreamingOutputCallResponse,
    Tick,
)
from interop.test_pzmq import (
    TestEventsPublisher,
    TestEventsTopics,
    TestServiceAsyncServicer,
    add_TestServiceServicer_to_server,
)
from protozmq import AsyncServer, Publisher, RpcError, ServicerContext

from cases import ALERT_EVERY, ECHO_INITIAL_KEY, ECHO_TRAILING_KEY, END_LABEL, EVENT_TICKS, EVENTS_HWM



def _echo_metadata(context: ServicerContext) -> None:
    """gRPC's "Echo Metadata": the echo keys of the request come back as a response header and a trailer."""
    metadata = context.invocation_metadata()
    for value in metadata.get_all(ECHO_INITIAL_KEY):
        context.set_header(ECHO_INITIAL_KEY, value)
    for value in metadata.get_all(ECHO_TRAILING_KEY):
        context.set_trailer(ECHO_TRAILING_KEY, value)


def _echo_status(status: EchoStatus) -> None:
    """gRPC's "Echo Status": a request carrying a non-zero status ends the call with it."""
    if status.code != 0:
        raise RpcError(status.code, status.message)


async def _respond(params: Sequence[ResponseParameters]) -> AsyncIterator[StreamingOutputCallResponse]:
    """One response per parameter, each after its ``interval_us``."""
    for p in params:
        if p.interval_us > 0:
            await asyncio.sleep(p.interval_us / 1e6)
        yield StreamingOutputCallResponse(payload=Payload(body=bytes(p.size)))


class InteropServicer(TestServiceAsyncServicer):
    """gRPC's interop server features (EmptyCall, UnaryCall, StreamingOutputCall, StreamingInputCall,
    FullDuplexCall, Echo Status, Echo Metadata) and protozmq's Notify/LastNotified and ``sleep_ms``.
    UnimplementedCall is left to the generated base class (UNIMPLEMENTED)."""

    def __init__(self) -> None:
        self._last_seq = 0

    async def EmptyCall(self, request: Empty, context: ServicerContext) -> Empty:
        return Empty()

    async def UnaryCall(self, request: SimpleRequest, context: ServicerContext) -> SimpleResponse:
        _echo_metadata(context)
        if request.sleep_ms > 0:
            await asyncio.sleep(request.sleep_ms / 1000)  # the runtime cancels the task at the deadline
        _echo_status(request.response_status)
        return SimpleResponse(payload=Payload(body=bytes(request.response_size)))

    async def StreamingOutputCall(
        self, request: StreamingOutputCallRequest, context: ServicerContext
    ) -> AsyncIterator[StreamingOutputCallResponse]:
        _echo_metadata(context)
        _echo_status(request.response_status)
        async for response in _respond(request.response_parameters):
            yield response

    async def StreamingInputCall(
        self, request_iterator: AsyncIterator[StreamingInputCallRequest], context: ServicerContext
    ) -> StreamingInputCallResponse:
        size = 0
        async for request in request_iterator:
            size += len(request.payload.body)
        return StreamingInputCallResponse(aggregated_payload_size=size)

    async def FullDuplexCall(
        self, request_iterator: AsyncIterator[StreamingOutputCallRequest], context: ServicerContext
    ) -> AsyncIterator[StreamingOutputCallResponse]:
        _echo_metadata(context)
        async for request in request_iterator:
            _echo_status(request.response_status)
            async for response in _respond(request.response_parameters):
                yield response

    async def Notify(self, request: Ping, context: ServicerContext) -> None:
        self._last_seq = request.seq

    async def LastNotified(self, request: Empty, context: ServicerContext) -> Ping:
        return Ping(seq=self._last_seq)


def _publish_burst(pub: TestEventsPublisher, ticks: int) -> None:
    for i in range(ticks):
        pub.Ticks(Tick(seq=i, label="tick"))
        if i % ALERT_EVERY == 0:
            pub.Alerts(Tick(seq=i, label="alert"))
    pub.Ticks(Tick(seq=ticks, label=END_LABEL))


def _serve_events(pub: TestEventsPublisher, ticks: int, stop: threading.Event) -> None:
    """A burst whenever a subscriber subscribes to Ticks; re-armed once no subscription is left."""
    while not stop.is_set():
        if not pub.publisher.wait_for_subscriber(TestEventsTopics.Ticks, timeout=0.5):
            continue
        _publish_burst(pub, ticks)
        while pub.publisher.subscriptions > 0 and not stop.wait(0.02):
            pass


@dataclass
class RunningServer:
    """A running interop server: its bound endpoints and how to stop it."""

    rpc_endpoint: str
    events_endpoint: str
    _server: AsyncServer
    _publisher: Publisher
    _stop: threading.Event
    _events: threading.Thread

    async def close(self) -> None:
        self._stop.set()
        await asyncio.get_running_loop().run_in_executor(None, self._events.join)
        await self._server.stop(grace=0.5)
        self._publisher.close()


async def start_interop_server(rpc_endpoint: str, events_endpoint: str, ticks: int = EVENT_TICKS) -> RunningServer:
    """Binds the RPC server and the events publisher on the running loop; see the module docstring."""
    server = AsyncServer()
    add_TestServiceServicer_to_server(InteropServicer(), server)
    rpc = server.bind(rpc_endpoint)
    await server.start()
    publisher = Publisher(sndhwm=EVENTS_HWM)
    events = publisher.bind(events_endpoint)
    stop = threading.Event()
    thread = threading.Thread(
        target=_serve_events, args=(TestEventsPublisher(publisher), ticks, stop), name="interop-events", daemon=True
    )
    thread.start()
    return RunningServer(rpc, events, server, publisher, stop, thread)


async def _main(argv: Sequence[str]) -> int:
    parser = argparse.ArgumentParser(description="protozmq interop server (Python)")
    parser.add_argument("rpc_endpoint")
    parser.add_argument("events_endpoint")
    parser.add_argument("--ticks", type=int, default=EVENT_TICKS)
    args = parser.parse_args(argv)
    running = await start_interop_server(args.rpc_endpoint, args.events_endpoint, args.ticks)

    loop = asyncio.get_running_loop()
    stopped = asyncio.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stopped.set)

    def read_stdin() -> None:
        # The end of stdin (the parent closed it, or died) stops the server too. os.read, not
        # sys.stdin: a daemon thread blocked inside a buffered reader aborts the interpreter's exit.
        try:
            while os.read(0, 4096):
                pass
        except OSError:
            pass
        try:
            loop.call_soon_threadsafe(stopped.set)
        except RuntimeError:
            pass  # the loop already ended (SIGTERM came first)

    threading.Thread(target=read_stdin, name="interop-stdin", daemon=True).start()
    print(f"ready {running.rpc_endpoint} {running.events_endpoint}", flush=True)
    await stopped.wait()
    await running.close()
    return 0


if __name__ == "__main__":
    sys.exit(asyncio.run(_main(sys.argv[1:])))
