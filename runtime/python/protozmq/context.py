"""``ServicerContext``: what a handler knows about its call, and how it shapes the reply.

One class for ``Server`` and ``AsyncServer`` alike (re-exported by ``protozmq.server``); its
private fields are the server's per-call state, driven by ``_server.ServerCore``.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, NoReturn

from ._transport import LOG
from .errors import RpcError
from .metadata import Metadata, MetadataValue
from .method import MethodDescriptor
from .status import StatusCode

if TYPE_CHECKING:
    from ._server import ServerCore

__all__ = ["ServicerContext"]

Key = tuple[bytes, int]


class ServicerContext:
    """What a handler knows about its call, and how it shapes the reply.

    Passed as the second argument to every handler, in ``Server`` and ``AsyncServer`` alike.

    Example::

        def evaluate(request, context):
            user = context.invocation_metadata().get("x-user")
            if user is None:
                context.abort(StatusCode.UNAUTHENTICATED, "x-user missing")
            context.set_header("x-server", "node-1")
            context.set_trailer("cost-bin", b"\\x01")
            if context.time_remaining() is not None and context.time_remaining() < 0.01:
                context.abort(StatusCode.DEADLINE_EXCEEDED, "no time left to think")
            return EvalReply(score=engine.score(request.position, cancelled=context.cancelled))
    """

    __slots__ = (
        "_core", "_peer", "_call_id", "_key", "_descriptor", "_handler", "deadline", "_deadline_mono",
        "_metadata", "_headers", "_headers_sent", "_trailers", "_cancelled", "_callbacks", "_oneway",
        "_requests", "_task", "_timer", "_ended",
    )

    def __init__(
        self,
        core: ServerCore,
        peer: bytes,
        call_id: int,
        descriptor: MethodDescriptor[Any, Any],
        handler: Callable[..., Any],
        timeout_ms: int,
        metadata: Metadata | None,
        oneway: bool,
    ) -> None:
        self._core = core
        self._peer = peer
        self._call_id = call_id
        self._key: Key = (peer, call_id)
        self._descriptor = descriptor
        self._handler = handler
        #: Absolute deadline as a ``time.time()`` value, or ``None`` if the client set none.
        self.deadline: float | None = None
        self._deadline_mono: float | None = None
        if timeout_ms:
            # Remaining time on the wire (PZMQ/1 5.1): clocks of the two peers need not agree.
            self.deadline = time.time() + timeout_ms / 1000.0
            self._deadline_mono = time.monotonic() + timeout_ms / 1000.0
        self._metadata = metadata
        self._headers: Metadata | None = None
        self._headers_sent = False
        self._trailers: Metadata | None = None
        self._cancelled = False
        self._callbacks: list[Callable[[], object]] | None = None
        self._oneway = oneway
        self._requests: Any = None  # the request stream of client/bidi streaming calls
        self._task: Any = None  # AsyncServer: the handler's task
        self._timer: Any = None  # AsyncServer: the deadline's TimerHandle
        self._ended = False

    @property
    def method(self) -> str:
        """The called method, ``"<package>.<Service>/<Method>"``.

        Example::

            log.info("%s from %s", context.method, context.peer())
        """
        return self._descriptor.path

    def time_remaining(self) -> float | None:
        """Seconds left until the deadline (never negative), or ``None`` without a deadline.

        Example::

            budget = context.time_remaining() or 1.0
        """
        if self._deadline_mono is None:
            return None
        return max(0.0, self._deadline_mono - time.monotonic())

    def invocation_metadata(self) -> Metadata:
        """The request headers the client sent (empty if none).

        Example::

            context.invocation_metadata().get("x-user")
        """
        if self._metadata is None:
            self._metadata = Metadata()
        return self._metadata

    def peer(self) -> str:
        """The client's ZeroMQ routing id, in hex: stable for one connection, for logs.

        Example::

            log.info("call from %s", context.peer())
        """
        return self._peer.hex()

    def set_header(self, key: str, value: MetadataValue) -> None:
        """Add a response header. Headers go out with the first response packet, so set them first.

        Raises ``RuntimeError`` once headers were sent (after the first streamed response).

        Example::

            context.set_header("x-server", "node-1")
        """
        if self._headers_sent:
            raise RuntimeError("response headers were already sent")
        if self._headers is None:
            self._headers = Metadata()
        self._headers.add(key, value)

    def set_trailer(self, key: str, value: MetadataValue) -> None:
        """Add a trailer, sent with the final status (also when the handler raises).

        Example::

            context.set_trailer("x-cost", "12")
        """
        if self._trailers is None:
            self._trailers = Metadata()
        self._trailers.add(key, value)

    def abort(self, code: StatusCode | int, message: str = "", details: bytes | None = None) -> NoReturn:
        """End the call with ``code`` and ``message`` by raising ``RpcError``; never returns.

        Example::

            context.abort(StatusCode.NOT_FOUND, f"no unit {request.id}")
        """
        raise RpcError(code, message, details)

    def cancelled(self) -> bool:
        """True once the call ended without the handler: client CANCEL, deadline, client gone, shutdown.

        A blocking handler should check it in long loops; an async handler is cancelled anyway.

        Example::

            for chunk in work:
                if context.cancelled():
                    return Empty()
        """
        return self._cancelled

    def add_callback(self, callback: Callable[[], object]) -> None:
        """Call ``callback()`` once when the call ends, however it ends (right away if it has).

        It runs on the thread that ended the call (possibly the server's I/O thread): keep it short.

        Example::

            context.add_callback(worker.stop)
        """
        if self._ended:
            callback()
            return
        if self._callbacks is None:
            self._callbacks = []
        self._callbacks.append(callback)

    def _fire_callbacks(self) -> None:
        self._ended = True
        callbacks, self._callbacks = self._callbacks, None
        for cb in callbacks or ():
            try:
                cb()
            except Exception:
                LOG.exception("protozmq: a ServicerContext callback raised")

    def _take_headers(self) -> Metadata | None:
        # The response headers if they still have to go out with this packet.
        if self._headers_sent:
            return None
        self._headers_sent = True
        return self._headers
