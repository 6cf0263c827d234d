"""Server side of protozmq: ``Server`` (blocking, thread pool) and ``AsyncServer`` (asyncio).

``Server`` threading model (``_sync_server``): one I/O thread owns the ROUTER socket and waits
in a blocking receive on it, like a raw pyzmq echo server. Unary handlers that prove fast (under
``INLINE_MAX_S``, 100 µs, on average) run right there on the I/O thread, so such a call costs no
thread hand-off at all; a sentinel thread moves the socket to a fresh I/O thread if an inline
handler runs long (10-20 ms), so a slow or blocked handler stalls other calls no longer than
that. Streaming handlers, slower unary ones and those of ``Server(inline=False)`` run on
``max_workers`` pool threads, which queue their replies and wake the I/O thread; replies queued
together for one client leave as one multipart message (batching).

Handler shapes (``context`` is a ``ServicerContext``)::

    unary             def handler(request, context) -> response
    server_streaming  def handler(request, context) -> Iterable[response]   (e.g. a generator)
    client_streaming  def handler(request_iterator, context) -> response
    bidi_streaming    def handler(request_iterator, context) -> Iterable[response]

A handler that raises ``RpcError`` (or calls ``context.abort``) ends the call with that status;
any other exception ends it with UNKNOWN and the exception's text; the server keeps serving.
When a call ends without the handler (client CANCEL, deadline, client gone, shutdown),
``context.cancelled()`` turns True, ``context.add_callback`` hooks run, a blocked request
iterator raises ``RpcError(CANCELLED)``, and whatever the handler returns later is dropped.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable, Iterator
from types import TracebackType
from typing import Any, TypeVar

import zmq

from . import protocol as P
from ._sync_server import INLINE_MAX_S, SyncServerCore
from .aio_server import AsyncServer
from .context import ServicerContext
from .method import MethodDescriptor

__all__ = ["INLINE_MAX_S", "AsyncServer", "Server", "ServicerContext"]

Req = TypeVar("Req")
Resp = TypeVar("Resp")

#: Any of the four blocking handler shapes (see the module docstring).
Handler = (
    Callable[[Req, ServicerContext], Resp]
    | Callable[[Req, ServicerContext], Iterable[Resp]]
    | Callable[[Iterator[Req], ServicerContext], Resp]
    | Callable[[Iterator[Req], ServicerContext], Iterable[Resp]]
)


class Server(SyncServerCore):
    """A blocking protozmq server: a ROUTER socket, an I/O thread and a pool of handler threads.

    ``max_workers`` bounds how many handlers run at once on the pool (default
    ``min(32, cpus + 4)``); more calls wait in a queue. Streaming handlers hold a worker for
    their whole call.

    ``inline`` (default ``True``): run unary handlers on the I/O thread while their average time
    stays under ``INLINE_MAX_S`` (100 µs); others go to the pool. This removes the two thread
    hand-offs (I/O thread -> worker -> I/O thread) from fast calls, which measured 2.4x the round
    trip of a raw pyzmq echo with them, and about 1.1x without. A method starts inline; an inline
    handler still running after 10-20 ms gets the I/O moved to a new thread (it finishes like a
    worker) and its method moves to the pool, so a slow handler delays other calls by at most
    that once. ``inline=False`` sends every call to the pool, e.g. when handlers rely on
    thread-local state of pool threads; ``add_method(..., inline=...)`` decides per method.
    Inline handlers run one at a time, so with ``inline=True`` up to ``max_workers + 1`` handlers
    run at once.

    Example::

        server = Server(max_workers=8)
        server.add_method(EVALUATE, lambda request, context: EvalReply(score=1.0))
        server.bind("ipc:///tmp/game.sock")
        port_endpoint = server.bind("tcp://127.0.0.1:*")  # returns the chosen port
        server.start()
        try:
            server.wait_for_termination()
        finally:
            server.stop(grace=2.0)
    """

    def __init__(
        self,
        *,
        max_workers: int | None = None,
        context: zmq.Context[Any] | None = None,
        max_message_bytes: int = P.DEFAULT_MAX_MESSAGE_BYTES,
        heartbeat_ivl_ms: int = P.DEFAULT_HEARTBEAT_IVL_MS,
        heartbeat_timeout_ms: int = P.DEFAULT_HEARTBEAT_TIMEOUT_MS,
        heartbeat_ttl_ms: int = P.DEFAULT_HEARTBEAT_TTL_MS,
        inline: bool = True,
    ) -> None:
        super().__init__(
            max_workers=max_workers,
            inline=inline,
            context=context,
            max_message_bytes=max_message_bytes,
            heartbeat_ivl_ms=heartbeat_ivl_ms,
            heartbeat_timeout_ms=heartbeat_timeout_ms,
            heartbeat_ttl_ms=heartbeat_ttl_ms,
        )

    # -- configuration ---------------------------------------------------------------------------

    def add_method(
        self, descriptor: MethodDescriptor[Req, Resp], handler: Handler[Req, Resp], *, inline: bool | None = None
    ) -> None:
        """Serve ``descriptor`` with ``handler`` (shape by ``descriptor.kind``, see the module docs).

        ``inline`` (unary methods only): ``True`` always runs the handler on the I/O thread (you
        know it is fast; a long run still gets the I/O moved away), ``False`` always on the pool,
        ``None`` (default) as the server's ``inline`` option says.

        Example::

            server.add_method(EVALUATE, evaluate)
            server.add_method(LOOKUP, lookup, inline=True)  # a dict lookup: never worth a thread
        """
        self._add_method(descriptor, handler)
        self._set_inline(descriptor.path, inline)

    def bind(self, endpoint: str) -> str:
        """Listen on ``endpoint`` (call before ``start``, as often as needed); returns the endpoint.

        For ``tcp://host:*`` (or ``:0``) the returned endpoint names the port ZeroMQ chose.

        Example::

            endpoint = server.bind("tcp://127.0.0.1:*")  # "tcp://127.0.0.1:41234"
        """
        self._check_not_started()
        return self._bind(endpoint)

    def connect(self, endpoint: str) -> None:
        """Connect to a client that binds (``Channel(..., bind=True)``); call before ``start``.

        Example::

            server.connect("ipc:///tmp/clients.sock")
        """
        self._check_not_started()
        self._connect(endpoint)

    def _check_not_started(self) -> None:
        if self._thread is not None:
            raise RuntimeError("bind/connect before start(): the socket then belongs to the I/O thread")

    # -- lifecycle -------------------------------------------------------------------------------

    def start(self) -> None:
        """Start the I/O thread and the workers.

        Example::

            server.start()
        """
        if self._thread is not None:
            raise RuntimeError("server already started")
        self._start_threads()

    def stop(self, grace: float | None = None) -> None:
        """Stop: refuse new calls (UNAVAILABLE), let running ones finish for up to ``grace`` seconds,
        end the rest with UNAVAILABLE (handlers see ``cancelled()``), then close (linger 0).

        Idempotent. ``grace=None`` ends running calls right away.

        Example::

            server.stop(grace=2.0)
        """
        with self._stop_lock:
            if self._thread is None:
                self._close_socket()
                self._sentinel_waker.close()
                self._thread = threading.Thread()  # mark as stopped
                return
            if not self._stop_requested:
                self._draining = True
                if grace and grace > 0:
                    self._settle = True
                    self._kick_now()
                    if self._calls:
                        self._drained.wait(grace)
                self._stop_requested = True
                self._kick_now()
        self._join_io(None)
        self._stop_workers()

    def _kick_now(self) -> None:
        self._idle = False
        self._wake()

    def close(self) -> None:
        """``stop(None)``: end running calls now and close.

        Example::

            server.close()
        """
        self.stop(None)

    def wait_for_termination(self, timeout: float | None = None) -> bool:
        """Block until the server stopped (or ``timeout``); True if it did.

        Example::

            server.wait_for_termination()
        """
        return self._join_io(timeout)

    def __enter__(self) -> Server:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop(None)
