"""``RpcError``: a call that ended with a status other than OK (PZMQ/1 section 6)."""

from __future__ import annotations

from .metadata import Metadata, MetadataLike
from .status import StatusCode, status_from_code

__all__ = ["RpcError"]


class RpcError(Exception):
    """A call ended with a non-OK status; raised by clients, and raised by handlers to choose it.

    On the client, ``code``/``message``/``details`` are exactly what the server sent (an unknown
    code reads as UNKNOWN, the message is kept) or what the client decided locally
    (DEADLINE_EXCEEDED, CANCELLED, UNAVAILABLE, RESOURCE_EXHAUSTED, INTERNAL). ``headers`` holds the
    response headers if the server sent any, ``trailers`` the trailing metadata.

    In a handler, raising ``RpcError`` sends its code, message, details and trailers (after the
    trailers the handler set with ``context.set_trailer``).

    Example::

        # server
        def get_unit(request, context):
            if request.id not in units:
                raise RpcError(StatusCode.NOT_FOUND, f"no unit {request.id}", trailers={"x-hint": "list"})
            return units[request.id]

        # client
        try:
            channel.unary(GET_UNIT, request, timeout=1.0)
        except RpcError as e:
            print(e.code.name, e.message, e.trailers.get("x-hint"))
    """

    code: StatusCode
    message: str
    details: bytes | None
    trailers: Metadata
    headers: Metadata

    def __init__(
        self,
        code: StatusCode | int,
        message: str = "",
        details: bytes | None = None,
        trailers: MetadataLike | None = None,
        *,
        headers: MetadataLike | None = None,
    ) -> None:
        super().__init__(code, message)
        self.code = code if isinstance(code, StatusCode) else status_from_code(code)
        self.message = message
        # Empty details on the wire mean "none": keep one representation of "none".
        self.details = details if details else None
        self.trailers = Metadata.coerce(trailers) or Metadata()
        self.headers = Metadata.coerce(headers) or Metadata()

    def __str__(self) -> str:
        return f"{self.code.name}: {self.message}" if self.message else self.code.name

    def __repr__(self) -> str:
        return f"RpcError({self.code.name}, {self.message!r})"

    def __reduce__(self) -> tuple[object, ...]:
        # Picklable (e.g. across a process pool) despite the keyword-only argument.
        return (_rebuild, (int(self.code), self.message, self.details, self.trailers.entries(), self.headers.entries()))


def _rebuild(
    code: int,
    message: str,
    details: bytes | None,
    trailers: list[tuple[str, str | bytes]],
    headers: list[tuple[str, str | bytes]],
) -> RpcError:
    return RpcError(code, message, details, Metadata._from_wire(trailers), headers=Metadata._from_wire(headers))
