"""The interop cases' names, timeouts and constants, and the checks both Python clients share.

The same values as ``cases.ts``, spelled out again on purpose: each language's programs stand on
their own, as gRPC's interop clients do. test/interop/README.md defines every case.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from typing import Any

from interop.test_pb2 import (
    Payload,
    ResponseParameters,
    SimpleRequest,
    StreamingOutputCallRequest,
    StreamingOutputCallResponse,
)
from protozmq import Metadata, RpcError, StatusCode

#: Every case, in the order a client runs them.
CASES = (
    "empty_unary",
    "large_unary",
    "client_streaming",
    "server_streaming",
    "ping_pong",
    "empty_stream",
    "custom_metadata",
    "status_code_and_message",
    "special_status_message",
    "unimplemented_method",
    "unimplemented_service",
    "cancel_after_begin",
    "cancel_after_first_response",
    "timeout_on_sleeping_server",
    "concurrent_large_unary",
    "events",
    "oneway",
)
#: How long one case may take before the client reports it failed, seconds.
CASE_TIMEOUT_S = {**{name: 10.0 for name in CASES}, "concurrent_large_unary": 40.0, "events": 20.0}

# large_unary, client_streaming, server_streaming, ping_pong: gRPC's sizes.
LARGE_REQUEST_BYTES = 271_828
LARGE_RESPONSE_BYTES = 314_159
REQUEST_SIZES = (27_182, 8, 1_828, 45_904)
RESPONSE_SIZES = (31_415, 9, 2_653, 58_979)
CONCURRENT_CALLS = 1_000
# custom_metadata: gRPC's x-grpc-test-echo-* keys, renamed for protozmq.
ECHO_INITIAL_KEY = "x-pzmq-test-echo-initial"
ECHO_INITIAL_VALUE = "test_initial_metadata_value"
ECHO_TRAILING_KEY = "x-pzmq-test-echo-trailing-bin"
ECHO_TRAILING_VALUE = b"\xab\xab\xab"
# status_code_and_message and special_status_message: status UNKNOWN (2) with these messages.
STATUS_MESSAGE = "test status message"
SPECIAL_STATUS_MESSAGE = "\t\ntest with whitespace\r\nand Unicode BMP \u263a and non-BMP \U0001f608\t\n"
# events: ticks per burst, an alert every ALERT_EVERY ticks (filtered out), the end tick's label, and the
# high-water marks of the events sockets (a burst must fit: PUB drops past them).
EVENT_TICKS = 10_000
ALERT_EVERY = 10
END_LABEL = "end"
EVENTS_HWM = 100_000
# oneway: Notify calls sent before LastNotified must report the last one.
ONEWAY_CALLS = 100


class CaseFailure(Exception):
    """An assertion of a case did not hold."""


def check(ok: bool, message: str) -> None:
    if not ok:
        raise CaseFailure(message)


_zeros: dict[int, bytes] = {}


def check_zeros(body: bytes, size: int, what: str) -> None:
    check(len(body) == size, f"{what}: payload of {len(body)} bytes, expected {size}")
    zeros = _zeros.setdefault(size, bytes(size))
    check(body == zeros, f"{what}: payload is not all zeros")


def check_sizes(replies: Sequence[StreamingOutputCallResponse], sizes: Sequence[int]) -> None:
    check(len(replies) == len(sizes), f"{len(replies)} responses, expected {len(sizes)}")
    for i, (reply, size) in enumerate(zip(replies, sizes)):
        check_zeros(reply.payload.body, size, f"response {i + 1}")


def check_status(error: RpcError, code: StatusCode, message: str | None, what: str) -> None:
    """``error`` has ``code`` (and ``message``, when given, exactly)."""
    check(error.code is code, f"{what}: expected {code.name}, got {error.code.name} {error.message!r}")
    if message is not None:
        check(error.message == message, f"{what}: status message {error.message!r}, expected {message!r}")


def echo_metadata() -> Metadata:
    """custom_metadata's request headers."""
    return Metadata().add(ECHO_INITIAL_KEY, ECHO_INITIAL_VALUE).add(ECHO_TRAILING_KEY, ECHO_TRAILING_VALUE)


def check_echo(what: str, headers: Metadata, trailers: Metadata) -> None:
    """The initial key came back as a header, the -bin key as a trailer, and neither in the other place."""
    check(headers.get(ECHO_INITIAL_KEY) == ECHO_INITIAL_VALUE, f"{what}: headers {headers!r}")
    check(trailers.get(ECHO_TRAILING_KEY) == ECHO_TRAILING_VALUE, f"{what}: trailers {trailers!r}")
    check(
        ECHO_TRAILING_KEY not in headers and ECHO_INITIAL_KEY not in trailers,
        f"{what}: an echo key came back in the wrong place: headers {headers!r}, trailers {trailers!r}",
    )


def describe(error: BaseException) -> str:
    """A failed case's error text."""
    if isinstance(error, CaseFailure):
        return str(error)
    if isinstance(error, RpcError):
        return f"RpcError: {error.code.name}: {error.message}"
    return f"{type(error).__name__}: {error}"


def result_line(name: str, started: float, error: str | None) -> dict[str, Any]:
    """One line of a client's output (``started``: ``time.perf_counter()`` when the case began)."""
    result: dict[str, Any] = {"case": name, "ok": error is None, "ms": round((time.perf_counter() - started) * 1000)}
    if error is not None:
        result["error"] = error
    return result


def large_request() -> SimpleRequest:
    return SimpleRequest(response_size=LARGE_RESPONSE_BYTES, payload=Payload(body=bytes(LARGE_REQUEST_BYTES)))


def large_bidi_request() -> StreamingOutputCallRequest:
    return StreamingOutputCallRequest(
        response_parameters=[ResponseParameters(size=LARGE_RESPONSE_BYTES)], payload=Payload(body=bytes(LARGE_REQUEST_BYTES))
    )


def ping_pong_request(i: int) -> StreamingOutputCallRequest:
    return StreamingOutputCallRequest(
        response_parameters=[ResponseParameters(size=RESPONSE_SIZES[i])], payload=Payload(body=bytes(REQUEST_SIZES[i]))
    )
