"""The Python interop client: runs gRPC's interop cases (adapted to protozmq, see
test/interop/README.md) against an interop server of either language, with the generated asyncio
client ``TestServiceAsyncClient``, ``UnimplementedServiceAsyncClient`` and
``TestEventsAsyncSubscriber``; with ``--blocking``, with the blocking ``TestServiceClient`` and
``TestEventsSubscriber`` instead (client_blocking.py).

::

    client.py -- AsyncChannel (DEALER) == <rpc endpoint> ==> server.ts | server.py
              -- subscriber (SUB) == <events endpoint> ==> their TestEventsPublisher

Usage::

    python client.py --server <rpc endpoint> --events <events endpoint> [--case NAME[,NAME...]|all]
    python client.py --inproc-server [--case ...]   # server.py's server in this process, over inproc
    python client.py --blocking --server <rpc endpoint> --events <events endpoint> [--case ...]

(``generated/python`` on ``PYTHONPATH``.) Prints one JSON line per case,
``{"case": ..., "ok": ..., "ms": ..., "error"?: ...}``, in order; exits 1 if any case failed (2 on bad
usage). Each case is bounded by its timeout.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

from google.protobuf.empty_pb2 import Empty
from interop.test_pb2 import (
    EchoStatus,
    Payload,
    Ping,
    ResponseParameters,
    SimpleRequest,
    StreamingInputCallRequest,
    StreamingOutputCallRequest,
)
from interop.test_pzmq import (
    TestEventsAsyncSubscriber,
    TestEventsTicksEvent,
    TestServiceAsyncClient,
    UnimplementedServiceAsyncClient,
)
from protozmq import AsyncChannel, AsyncSubscriber, RpcError, StatusCode

from cases import (
    CASE_TIMEOUT_S,
    CASES,
    CONCURRENT_CALLS,
    END_LABEL,
    EVENT_TICKS,
    EVENTS_HWM,
    LARGE_RESPONSE_BYTES,
    ONEWAY_CALLS,
    REQUEST_SIZES,
    RESPONSE_SIZES,
    SPECIAL_STATUS_MESSAGE,
    STATUS_MESSAGE,
    CaseFailure,
    check,
    check_echo,
    check_sizes,
    check_status,
    check_zeros,
    describe,
    echo_metadata,
    large_bidi_request,
    large_request,
    ping_pong_request,
    result_line,
)

T = TypeVar("T")


@dataclass(frozen=True)
class Env:
    """What a case runs against."""

    channel: AsyncChannel
    client: TestServiceAsyncClient
    events_endpoint: str


async def expect_status(
    call: Awaitable[Any], code: StatusCode, message: str | None = None, what: str = "call"
) -> RpcError:
    """Awaits ``call``, which must fail with ``code`` (and ``message``, when given, exactly)."""
    try:
        await call
    except RpcError as e:
        check_status(e, code, message, what)
        return e
    raise CaseFailure(f"{what}: expected {code.name}, got success")


async def collect(stream: AsyncIterator[T]) -> list[T]:
    return [item async for item in stream]


# -- the cases (definitions: test/interop/README.md) -------------------------------------------------


async def empty_unary(env: Env) -> None:
    reply = await env.client.EmptyCall(Empty())
    check(isinstance(reply, Empty) and reply.ByteSize() == 0, f"EmptyCall: response {reply!r} is not an empty Empty")


async def large_unary(env: Env) -> None:
    reply = await env.client.UnaryCall(large_request())
    check_zeros(reply.payload.body, LARGE_RESPONSE_BYTES, "UnaryCall")


async def client_streaming(env: Env) -> None:
    requests = [StreamingInputCallRequest(payload=Payload(body=bytes(n))) for n in REQUEST_SIZES]
    reply = await env.client.StreamingInputCall(requests)
    check(reply.aggregated_payload_size == 74_922, f"aggregated_payload_size {reply.aggregated_payload_size}, expected 74922")


async def server_streaming(env: Env) -> None:
    request = StreamingOutputCallRequest(response_parameters=[ResponseParameters(size=n) for n in RESPONSE_SIZES])
    check_sizes(await collect(env.client.StreamingOutputCall(request)), RESPONSE_SIZES)


async def ping_pong(env: Env) -> None:
    call = env.client.FullDuplexCall()
    for i in range(len(REQUEST_SIZES)):
        await call.write(ping_pong_request(i))
        try:
            reply = await anext(call)
        except StopAsyncIteration:
            raise CaseFailure(f"response {i + 1}: the stream ended") from None
        check_zeros(reply.payload.body, RESPONSE_SIZES[i], f"response {i + 1}")
    await call.done_writing()
    rest = await collect(call)
    check(not rest, f"{len(rest)} responses more than four")


async def empty_stream(env: Env) -> None:
    call = env.client.FullDuplexCall()
    await call.done_writing()
    replies = await collect(call)
    check(not replies, f"{len(replies)} responses, expected none")


async def custom_metadata(env: Env) -> None:
    reply, info = await env.client.UnaryCall(large_request(), metadata=echo_metadata(), with_call=True)
    check_zeros(reply.payload.body, LARGE_RESPONSE_BYTES, "UnaryCall")
    check_echo("UnaryCall", info.headers, info.trailers)

    call = env.client.FullDuplexCall(metadata=echo_metadata())
    await call.write(large_bidi_request())
    await call.done_writing()
    check_sizes(await collect(call), [LARGE_RESPONSE_BYTES])
    check_echo("FullDuplexCall", await call.headers(), await call.trailers())


async def status_code_and_message(env: Env) -> None:
    status = EchoStatus(code=StatusCode.UNKNOWN, message=STATUS_MESSAGE)
    await expect_status(env.client.UnaryCall(SimpleRequest(response_status=status)), StatusCode.UNKNOWN, STATUS_MESSAGE, "UnaryCall")
    call = env.client.FullDuplexCall()
    await call.write(StreamingOutputCallRequest(response_status=status))
    await call.done_writing()
    await expect_status(collect(call), StatusCode.UNKNOWN, STATUS_MESSAGE, "FullDuplexCall")


async def special_status_message(env: Env) -> None:
    status = EchoStatus(code=StatusCode.UNKNOWN, message=SPECIAL_STATUS_MESSAGE)
    await expect_status(
        env.client.UnaryCall(SimpleRequest(response_status=status)), StatusCode.UNKNOWN, SPECIAL_STATUS_MESSAGE, "UnaryCall"
    )


async def unimplemented_method(env: Env) -> None:
    await expect_status(env.client.UnimplementedCall(Empty()), StatusCode.UNIMPLEMENTED, None, "TestService/UnimplementedCall")


async def unimplemented_service(env: Env) -> None:
    other = UnimplementedServiceAsyncClient(env.channel)
    await expect_status(
        other.UnimplementedCall(Empty()),
        StatusCode.UNIMPLEMENTED,
        "unknown service protozmq.fixtures.interop.UnimplementedService",  # the same from either server
        "UnimplementedService/UnimplementedCall",
    )


async def cancel_after_begin(env: Env) -> None:
    never = asyncio.Event()

    async def nothing() -> AsyncIterator[StreamingInputCallRequest]:
        await never.wait()  # no request is ever sent
        yield StreamingInputCallRequest()

    # asyncio's cancellation is the Python client's way to cancel: the task ends cancelled and the
    # runtime sends CANCEL to the server.
    task = asyncio.ensure_future(env.client.StreamingInputCall(nothing()))
    await asyncio.sleep(0)  # the REQUEST (the call's "metadata") goes out first
    task.cancel()
    await asyncio.wait([task])  # returns when the task is done, without raising its outcome
    if not task.cancelled():
        raise CaseFailure(f"StreamingInputCall: the cancelled call ended with {task.exception() or task.result()!r}")


async def cancel_after_first_response(env: Env) -> None:
    call = env.client.FullDuplexCall()
    await call.write(ping_pong_request(0))
    first = await anext(call)
    check_zeros(first.payload.body, RESPONSE_SIZES[0], "first response")
    check(call.cancel(), "cancel() found the call already over")
    await expect_status(anext(call), StatusCode.CANCELLED, None, "FullDuplexCall after cancel")


async def timeout_on_sleeping_server(env: Env) -> None:
    # gRPC's procedure: a bidi call with a 1 ms deadline whose server waits for more requests.
    call = env.client.FullDuplexCall(timeout=0.001)
    await call.write(StreamingOutputCallRequest(payload=Payload(body=bytes(REQUEST_SIZES[0]))))
    await expect_status(anext(call), StatusCode.DEADLINE_EXCEEDED, None, "FullDuplexCall with 1 ms")
    # protozmq's addition: a unary handler that sleeps (sleep_ms) past a 50 ms deadline.
    started = time.monotonic()
    await expect_status(
        env.client.UnaryCall(SimpleRequest(sleep_ms=2000), timeout=0.05), StatusCode.DEADLINE_EXCEEDED, None, "UnaryCall sleeping 2 s"
    )
    took = time.monotonic() - started
    check(took < 1.0, f"the 50 ms deadline took {took * 1000:.0f} ms to fire")


async def concurrent_large_unary(env: Env) -> None:
    request = large_request()
    replies = await asyncio.gather(*(env.client.UnaryCall(request) for _ in range(CONCURRENT_CALLS)))
    for i, reply in enumerate(replies):
        check_zeros(reply.payload.body, LARGE_RESPONSE_BYTES, f"call {i + 1} of {CONCURRENT_CALLS}")


async def events(env: Env) -> None:
    sub = TestEventsAsyncSubscriber(AsyncSubscriber(env.events_endpoint, rcvhwm=EVENTS_HWM))
    try:
        sub.subscribe("Ticks")  # the server publishes a burst once it sees this subscription
        n = 0
        first_seq = 0
        ended = False
        async for event in sub:
            if not isinstance(event, TestEventsTicksEvent):
                raise CaseFailure(f"received a {event.method} event on {event.topic}: the subscription is for ticks only")
            if n == 0:
                first_seq = event.seq
            check(event.seq == (first_seq + n) % 2**32, f"event {n}: wire sequence number {event.seq}, expected {first_seq + n}")
            if event.event.label == END_LABEL:
                check(event.event.seq == EVENT_TICKS, f"end tick says {event.event.seq} ticks, expected {EVENT_TICKS}")
                ended = True
                break
            check(event.event.seq == n, f"tick {n} arrived as Tick.seq {event.event.seq}: out of order or lost")
            n += 1
        check(ended, f"the stream of events stopped after {n} ticks")
        check(n == EVENT_TICKS, f"{n} ticks, expected {EVENT_TICKS}")
        gaps, undecodable = sub.subscriber.gaps, sub.undecodable
        check(gaps == 0 and undecodable == 0, f"gaps {gaps}, undecodable {undecodable}")
    finally:
        sub.close()


async def oneway(env: Env) -> None:
    base = time.time_ns() // 1000  # distinct from any earlier run against the same server
    for i in range(1, ONEWAY_CALLS + 1):
        await env.client.Notify(Ping(seq=base + i))
    last = await env.client.LastNotified(Empty())
    check(last.seq == base + ONEWAY_CALLS, f"LastNotified {last.seq}, expected {base + ONEWAY_CALLS}")


CASE_FUNCTIONS: dict[str, Callable[[Env], Awaitable[None]]] = {
    "empty_unary": empty_unary,
    "large_unary": large_unary,
    "client_streaming": client_streaming,
    "server_streaming": server_streaming,
    "ping_pong": ping_pong,
    "empty_stream": empty_stream,
    "custom_metadata": custom_metadata,
    "status_code_and_message": status_code_and_message,
    "special_status_message": special_status_message,
    "unimplemented_method": unimplemented_method,
    "unimplemented_service": unimplemented_service,
    "cancel_after_begin": cancel_after_begin,
    "cancel_after_first_response": cancel_after_first_response,
    "timeout_on_sleeping_server": timeout_on_sleeping_server,
    "concurrent_large_unary": concurrent_large_unary,
    "events": events,
    "oneway": oneway,
}
assert tuple(CASE_FUNCTIONS) == CASES


# -- running -----------------------------------------------------------------------------------------


async def run_case(name: str, env: Env) -> dict[str, Any]:
    limit = CASE_TIMEOUT_S[name]
    started = time.perf_counter()
    error: str | None = None
    try:
        await asyncio.wait_for(CASE_FUNCTIONS[name](env), limit)
    except asyncio.TimeoutError:
        error = f"timed out after {limit * 1000:.0f} ms"
    except (Exception, asyncio.CancelledError) as e:  # reported; the next case still runs
        error = describe(e)
    return result_line(name, started, error)


async def run_async(wanted: Sequence[str], rpc: str | None, events_endpoint: str | None, inproc: bool) -> int:
    """Runs the cases with the asyncio client; returns the number that failed."""
    inproc_server = None
    if inproc:
        from server import start_interop_server  # the same directory: sys.path[0]

        inproc_server = await start_interop_server(
            f"inproc://pzmq-interop-rpc-{os.getpid()}", f"inproc://pzmq-interop-events-{os.getpid()}"
        )
        rpc, events_endpoint = inproc_server.rpc_endpoint, inproc_server.events_endpoint
    assert rpc is not None and events_endpoint is not None
    failed = 0
    async with AsyncChannel(rpc, connect_timeout=5.0) as channel:
        env = Env(channel, TestServiceAsyncClient(channel), events_endpoint)
        for name in wanted:
            result = await run_case(name, env)
            failed += not result["ok"]
            print(json.dumps(result), flush=True)
    if inproc_server is not None:
        await inproc_server.close()
    return failed


def main(argv: Sequence[str]) -> int:
    parser = argparse.ArgumentParser(description="protozmq interop client (Python)")
    parser.add_argument("--server", help="the interop server's RPC endpoint")
    parser.add_argument("--events", help="the interop server's events endpoint")
    parser.add_argument("--case", default="all", help="NAME[,NAME...] or all")
    parser.add_argument("--inproc-server", action="store_true", help="run server.py's server in this process, over inproc")
    parser.add_argument("--blocking", action="store_true", help="use the blocking TestServiceClient (client_blocking.py)")
    args = parser.parse_args(argv)
    wanted = list(CASES) if args.case == "all" else args.case.split(",")
    unknown = [c for c in wanted if c not in CASES]
    if unknown:
        parser.error(f"unknown case {', '.join(unknown)}; cases: {', '.join(CASES)}")
    if not args.inproc_server and (args.server is None or args.events is None):
        parser.error("--server and --events (or --inproc-server) are required")
    if args.blocking:
        if args.inproc_server:
            parser.error("--blocking runs against a server process: give --server and --events")
        from client_blocking import run_blocking  # the same directory: sys.path[0]

        failed = run_blocking(wanted, args.server, args.events)
    else:
        failed = asyncio.run(run_async(wanted, args.server, args.events, args.inproc_server))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
