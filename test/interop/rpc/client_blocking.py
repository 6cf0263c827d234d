"""The interop cases with the generated blocking client: ``TestServiceClient`` and
``UnimplementedServiceClient`` on a ``protozmq.Channel``, and ``TestEventsSubscriber``.
``client.py --blocking`` runs them; the cases are the asyncio client's (client.py), step for step,
except where noted.

::

    client.py --blocking -- Channel (DEALER, I/O thread) == <rpc endpoint> ==> server.ts | server.py
                         -- Subscriber (SUB) == <events endpoint> ==> their TestEventsPublisher

Each case runs on a thread of its own, so that a case that hangs is reported after its timeout
while the next cases still run (the thread is left behind; closing the channel at the end fails
whatever call it still waits for).
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

from google.protobuf.empty_pb2 import Empty
from interop.test_pb2 import (
    EchoStatus,
    Payload,
    Ping,
    ResponseParameters,
    SimpleRequest,
    SimpleResponse,
    StreamingInputCallRequest,
    StreamingOutputCallRequest,
)
from interop.test_pzmq import TestEventsSubscriber, TestEventsTicksEvent, TestServiceClient, UnimplementedServiceClient
from protozmq import Channel, RpcError, StatusCode, Subscriber

from cases import (
    CASE_TIMEOUT_S,
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


@dataclass(frozen=True)
class Env:
    """What a case runs against."""

    channel: Channel
    client: TestServiceClient
    events_endpoint: str


def expect_status(call: Callable[[], object], code: StatusCode, message: str | None = None, what: str = "call") -> None:
    """Runs ``call``, which must fail with ``code`` (and ``message``, when given, exactly)."""
    try:
        call()
    except RpcError as e:
        check_status(e, code, message, what)
        return
    raise CaseFailure(f"{what}: expected {code.name}, got success")


def empty_unary(env: Env) -> None:
    reply = env.client.EmptyCall(Empty())
    check(isinstance(reply, Empty) and reply.ByteSize() == 0, f"EmptyCall: response {reply!r} is not an empty Empty")


def large_unary(env: Env) -> None:
    check_zeros(env.client.UnaryCall(large_request()).payload.body, LARGE_RESPONSE_BYTES, "UnaryCall")


def client_streaming(env: Env) -> None:
    reply = env.client.StreamingInputCall(StreamingInputCallRequest(payload=Payload(body=bytes(n))) for n in REQUEST_SIZES)
    check(reply.aggregated_payload_size == 74_922, f"aggregated_payload_size {reply.aggregated_payload_size}, expected 74922")


def server_streaming(env: Env) -> None:
    request = StreamingOutputCallRequest(response_parameters=[ResponseParameters(size=n) for n in RESPONSE_SIZES])
    check_sizes(list(env.client.StreamingOutputCall(request)), RESPONSE_SIZES)


def ping_pong(env: Env) -> None:
    call = env.client.FullDuplexCall()
    for i in range(len(REQUEST_SIZES)):
        call.write(ping_pong_request(i))
        reply = next(call, None)
        if reply is None:
            raise CaseFailure(f"response {i + 1}: the stream ended")
        check_zeros(reply.payload.body, RESPONSE_SIZES[i], f"response {i + 1}")
    call.done_writing()
    rest = list(call)
    check(not rest, f"{len(rest)} responses more than four")


def empty_stream(env: Env) -> None:
    call = env.client.FullDuplexCall()
    call.done_writing()
    replies = list(call)
    check(not replies, f"{len(replies)} responses, expected none")


def custom_metadata(env: Env) -> None:
    reply, info = env.client.UnaryCall(large_request(), metadata=echo_metadata(), with_call=True)
    check_zeros(reply.payload.body, LARGE_RESPONSE_BYTES, "UnaryCall")
    check_echo("UnaryCall", info.headers, info.trailers)
    call = env.client.FullDuplexCall(metadata=echo_metadata())
    call.write(large_bidi_request())
    call.done_writing()
    check_sizes(list(call), [LARGE_RESPONSE_BYTES])
    check_echo("FullDuplexCall", call.headers(), call.trailers())


def status_code_and_message(env: Env) -> None:
    status = EchoStatus(code=StatusCode.UNKNOWN, message=STATUS_MESSAGE)
    expect_status(lambda: env.client.UnaryCall(SimpleRequest(response_status=status)), StatusCode.UNKNOWN, STATUS_MESSAGE, "UnaryCall")
    call = env.client.FullDuplexCall()
    call.write(StreamingOutputCallRequest(response_status=status))
    call.done_writing()
    expect_status(lambda: list(call), StatusCode.UNKNOWN, STATUS_MESSAGE, "FullDuplexCall")


def special_status_message(env: Env) -> None:
    status = EchoStatus(code=StatusCode.UNKNOWN, message=SPECIAL_STATUS_MESSAGE)
    expect_status(
        lambda: env.client.UnaryCall(SimpleRequest(response_status=status)), StatusCode.UNKNOWN, SPECIAL_STATUS_MESSAGE, "UnaryCall"
    )


def unimplemented_method(env: Env) -> None:
    expect_status(lambda: env.client.UnimplementedCall(Empty()), StatusCode.UNIMPLEMENTED, None, "TestService/UnimplementedCall")


def unimplemented_service(env: Env) -> None:
    other = UnimplementedServiceClient(env.channel)
    expect_status(lambda: other.UnimplementedCall(Empty()), StatusCode.UNIMPLEMENTED, None, "UnimplementedService/UnimplementedCall")


class _Cancel(Exception):
    """Raised by the request stream to cancel the call."""


def cancel_after_begin(env: Env) -> None:
    # A blocking client-streaming call has no handle to cancel from elsewhere: its request stream
    # raising is how it is cancelled (the runtime sends CANCEL and re-raises the error).
    def requests() -> Iterator[StreamingInputCallRequest]:
        time.sleep(0.01)  # the REQUEST (the call's "metadata") goes out first
        raise _Cancel
        yield StreamingInputCallRequest()  # a generator that never yields

    try:
        env.client.StreamingInputCall(requests())
    except _Cancel:
        return
    raise CaseFailure("StreamingInputCall: the cancelled call completed")


def cancel_after_first_response(env: Env) -> None:
    call = env.client.FullDuplexCall()
    call.write(ping_pong_request(0))
    first = next(call)
    check_zeros(first.payload.body, RESPONSE_SIZES[0], "first response")
    check(call.cancel(), "cancel() found the call already over")
    expect_status(lambda: next(call), StatusCode.CANCELLED, None, "FullDuplexCall after cancel")


def timeout_on_sleeping_server(env: Env) -> None:
    # gRPC's procedure: a bidi call with a 1 ms deadline whose server waits for more requests.
    call = env.client.FullDuplexCall(timeout=0.001)
    call.write(StreamingOutputCallRequest(payload=Payload(body=bytes(REQUEST_SIZES[0]))))
    expect_status(lambda: next(call), StatusCode.DEADLINE_EXCEEDED, None, "FullDuplexCall with 1 ms")
    # protozmq's addition: a unary handler that sleeps (sleep_ms) past a 50 ms deadline.
    started = time.monotonic()
    expect_status(
        lambda: env.client.UnaryCall(SimpleRequest(sleep_ms=2000), timeout=0.05),
        StatusCode.DEADLINE_EXCEEDED,
        None,
        "UnaryCall sleeping 2 s",
    )
    took = time.monotonic() - started
    check(took < 1.0, f"the 50 ms deadline took {took * 1000:.0f} ms to fire")


def concurrent_large_unary(env: Env) -> None:
    # A blocking call holds its thread: 1,000 calls in flight take 1,000 threads on one channel.
    request = large_request()
    barrier = threading.Barrier(CONCURRENT_CALLS)

    def one(_: int) -> SimpleResponse:
        barrier.wait(10)  # every thread is ready before any call starts
        return env.client.UnaryCall(request)

    with ThreadPoolExecutor(max_workers=CONCURRENT_CALLS) as pool:
        replies = list(pool.map(one, range(CONCURRENT_CALLS)))
    for i, reply in enumerate(replies):
        check_zeros(reply.payload.body, LARGE_RESPONSE_BYTES, f"call {i + 1} of {CONCURRENT_CALLS}")


def events(env: Env) -> None:
    deadline = time.monotonic() + CASE_TIMEOUT_S["events"]
    with TestEventsSubscriber(Subscriber(env.events_endpoint, rcvhwm=EVENTS_HWM)) as sub:
        sub.subscribe("Ticks")  # the server publishes a burst once it sees this subscription
        n = 0
        first_seq = 0
        while True:
            event = sub.recv(timeout=max(0.0, deadline - time.monotonic()))
            if event is None:
                raise CaseFailure(f"the stream of events stopped after {n} ticks")
            if not isinstance(event, TestEventsTicksEvent):
                raise CaseFailure(f"received a {event.method} event on {event.topic}: the subscription is for ticks only")
            if n == 0:
                first_seq = event.seq
            check(event.seq == (first_seq + n) % 2**32, f"event {n}: wire sequence number {event.seq}, expected {first_seq + n}")
            if event.event.label == END_LABEL:
                check(event.event.seq == EVENT_TICKS, f"end tick says {event.event.seq} ticks, expected {EVENT_TICKS}")
                break
            check(event.event.seq == n, f"tick {n} arrived as Tick.seq {event.event.seq}: out of order or lost")
            n += 1
        check(n == EVENT_TICKS, f"{n} ticks, expected {EVENT_TICKS}")
        gaps, undecodable = sub.subscriber.gaps, sub.undecodable
        check(gaps == 0 and undecodable == 0, f"gaps {gaps}, undecodable {undecodable}")


def oneway(env: Env) -> None:
    base = time.time_ns() // 1000  # distinct from any earlier run against the same server
    for i in range(1, ONEWAY_CALLS + 1):
        env.client.Notify(Ping(seq=base + i))
    last = env.client.LastNotified(Empty())
    check(last.seq == base + ONEWAY_CALLS, f"LastNotified {last.seq}, expected {base + ONEWAY_CALLS}")


CASE_FUNCTIONS: dict[str, Callable[[Env], None]] = {
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


def run_case(name: str, env: Env) -> dict[str, Any]:
    limit = CASE_TIMEOUT_S[name]
    started = time.perf_counter()
    errors: list[str] = []

    def body() -> None:
        try:
            CASE_FUNCTIONS[name](env)
        except Exception as e:  # reported; the next case still runs
            errors.append(describe(e))

    thread = threading.Thread(target=body, name=f"case {name}", daemon=True)
    thread.start()
    thread.join(limit)
    if thread.is_alive():
        errors.append(f"timed out after {limit * 1000:.0f} ms")
    return result_line(name, started, errors[0] if errors else None)


def run_blocking(wanted: Sequence[str], rpc: str, events_endpoint: str) -> int:
    """Runs the cases with the blocking client; returns the number that failed."""
    failed = 0
    with Channel(rpc, connect_timeout=5.0) as channel:
        env = Env(channel, TestServiceClient(channel), events_endpoint)
        for name in wanted:
            result = run_case(name, env)
            failed += not result["ok"]
            print(json.dumps(result), flush=True)
    return failed
