"""The 17 status codes of a finished call (PZMQ/1 section 6).

The numbers are gRPC's, so a status read in a log means the same thing here, in TypeScript
(``runtime/ts/src/status.ts``, enum ``Status``) and in any gRPC service the caller already knows.
They travel as a u16 in the TRAILERS header.
"""

from __future__ import annotations

from enum import IntEnum
from typing import Final

__all__ = ["MAX_STATUS_CODE", "StatusCode", "status_from_code", "status_name"]


class StatusCode(IntEnum):
    """Outcome of a call. ``OK`` is the only success; every other code arrives as an ``RpcError``.

    Example::

        try:
            reply = channel.unary(EVALUATE, request, timeout=0.05)
        except RpcError as e:
            if e.code is StatusCode.DEADLINE_EXCEEDED:
                reply = cached_answer()
            else:
                raise
    """

    #: Not an error; returned on success.
    OK = 0
    #: The call was cancelled, typically by the caller (a cancelled task, a closed channel).
    CANCELLED = 1
    #: An error without a more precise code, e.g. a handler that raised a plain exception.
    UNKNOWN = 2
    #: The client sent a bad argument, e.g. a request that does not decode.
    INVALID_ARGUMENT = 3
    #: The deadline passed before the call finished.
    DEADLINE_EXCEEDED = 4
    #: A requested entity was not found.
    NOT_FOUND = 5
    #: The entity the client tried to create already exists.
    ALREADY_EXISTS = 6
    #: The caller may not perform this operation.
    PERMISSION_DENIED = 7
    #: A resource ran out, e.g. a message over the size limit.
    RESOURCE_EXHAUSTED = 8
    #: The system is not in a state required for the operation.
    FAILED_PRECONDITION = 9
    #: The operation was aborted, typically because of a concurrency conflict.
    ABORTED = 10
    #: The operation was attempted past the valid range.
    OUT_OF_RANGE = 11
    #: The method is not implemented (or not known) by the server.
    UNIMPLEMENTED = 12
    #: An invariant of the system is broken, e.g. a malformed packet from the server.
    INTERNAL = 13
    #: The server cannot be reached: not connected, disconnected, or its heartbeats stopped.
    UNAVAILABLE = 14
    #: Unrecoverable data loss or corruption.
    DATA_LOSS = 15
    #: The request lacks valid authentication credentials.
    UNAUTHENTICATED = 16


#: The highest status code PZMQ/1 defines; a received code above it is read as UNKNOWN.
MAX_STATUS_CODE: Final = 16

# Indexed by code: a tuple lookup is cheaper than the enum's own value lookup on the hot path.
_BY_CODE: Final[tuple[StatusCode, ...]] = tuple(StatusCode)


def status_from_code(code: int) -> StatusCode:
    """Map a code received from the wire to a ``StatusCode``; anything outside 0..16 is UNKNOWN.

    PZMQ/1 section 6 requires the mapping (the caller keeps the status message as received).

    Example::

        status_from_code(14)  # StatusCode.UNAVAILABLE
        status_from_code(99)  # StatusCode.UNKNOWN
    """
    if 0 <= code <= MAX_STATUS_CODE:
        return _BY_CODE[code]
    return StatusCode.UNKNOWN


def status_name(code: int) -> str:
    """The enum name of a code, e.g. ``"NOT_FOUND"``, or ``"STATUS_99"`` for an unknown number.

    Example::

        status_name(5)  # "NOT_FOUND"
    """
    if 0 <= code <= MAX_STATUS_CODE:
        return _BY_CODE[code].name
    return f"STATUS_{code}"
