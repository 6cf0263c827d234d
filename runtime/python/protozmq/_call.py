"""One client call's types, shared by the client core and its two faces (not public API).

``ClientCall`` is a call as the socket side sees it (``stream`` adds the waiting), ``Outcome`` how
it ended, ``CallInfo`` what ``with_call=True`` hands the caller; ``unary_response`` turns an
outcome into a response or an ``RpcError``.
"""

from __future__ import annotations

import time
from typing import Any, Final, TypeVar

from .errors import RpcError
from .metadata import Metadata
from .method import MethodDescriptor
from .status import StatusCode

__all__ = ["CallInfo", "ClientCall", "Outcome", "Outgoing", "deadline_of", "unary_response"]

Resp = TypeVar("Resp")

_OK: Final = StatusCode.OK


class Outcome:
    """How a call ended: status, response headers and trailers, and the last message if any."""

    __slots__ = ("code", "message", "details", "headers", "trailers", "payload")

    def __init__(
        self,
        code: StatusCode,
        message: str = "",
        details: bytes | None = None,
        headers: Metadata | None = None,
        trailers: Metadata | None = None,
        payload: bytes | None = None,
    ) -> None:
        self.code = code
        self.message = message
        self.details = details
        self.headers = headers
        self.trailers = trailers
        self.payload = payload

    def error(self) -> RpcError:
        return RpcError(self.code, self.message, self.details, self.trailers, headers=self.headers)


class CallInfo:
    """The outcome of a finished call, returned next to the response by ``with_call=True``.

    Example::

        reply, info = channel.unary(EVALUATE, request, with_call=True)
        info.headers.get("x-server"), info.trailers.get("x-cost"), info.code  # StatusCode.OK
    """

    __slots__ = ("code", "message", "headers", "trailers")

    def __init__(self, code: StatusCode, message: str, headers: Metadata, trailers: Metadata) -> None:
        #: The final status (``StatusCode.OK`` whenever a response is returned).
        self.code = code
        #: The status message (usually empty for OK).
        self.message = message
        #: Response headers sent by the server (empty if none).
        self.headers = headers
        #: Trailers sent by the server (empty if none).
        self.trailers = trailers

    @classmethod
    def _of(cls, final: Outcome) -> CallInfo:
        return cls(final.code, final.message, final.headers or Metadata(), final.trailers or Metadata())

    def __repr__(self) -> str:
        return f"CallInfo({self.code.name}, headers={self.headers!r}, trailers={self.trailers!r})"


class ClientCall:
    """State of one open call as the socket side sees it; subclasses add the waiting.

    (The subclasses in ``stream`` repeat ``__init__``'s assignments instead of calling it: it runs
    once per call, on the caller's critical path. Keep them in step.)
    """

    __slots__ = ("call_id", "method", "sent", "finished", "oneway", "headers")

    def __init__(self, call_id: int, method: MethodDescriptor[Any, Any], oneway: bool = False) -> None:
        self.call_id = call_id
        self.method = method
        self.sent = False  # the REQUEST went into ZeroMQ: the server may know the call
        self.finished = False  # set by whoever popped the call from _calls
        self.oneway = oneway
        self.headers: Metadata | None = None  # response headers, set by the first server packet

    def on_message(self, payload: bytes) -> None:
        raise NotImplementedError

    def on_finish(self, final: Outcome) -> None:
        raise NotImplementedError

    def on_ok(self, payload: bytes) -> None:
        """The call ended OK with ``payload`` as its response and nothing else (the usual reply)."""
        self.on_finish(Outcome(_OK, "", None, self.headers, None, payload))


#: A packet in the outbox: (call, header frame, payload frame); payload ``None`` = an inline
#: packet, the header frame holds it all.
Outgoing = tuple[ClientCall, bytes, "bytes | None"]


def unary_response(method: MethodDescriptor[Any, Resp], final: Outcome, last: bytes | None) -> Resp:
    """The response of a unary or client-streaming call, or the call's error."""
    if final.code is not _OK:
        raise final.error()
    payload = final.payload if final.payload is not None else last
    if payload is None:
        raise RpcError(StatusCode.INTERNAL, "the server sent no response message", headers=final.headers)
    try:
        return method.response_deserializer(payload)
    except Exception as e:
        raise RpcError(StatusCode.INTERNAL, f"response does not decode: {e}") from e


def deadline_of(timeout: float | None) -> float | None:
    """Absolute ``time.monotonic`` deadline for a relative timeout (None = no deadline)."""
    return None if timeout is None else time.monotonic() + timeout
