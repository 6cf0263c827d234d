"""Server side of protozmq: ``Server`` (blocking, thread pool) and ``AsyncServer`` (asyncio).

``Server`` threading model: one I/O thread owns the ROUTER socket (receives, enforces
deadlines, sends); ``max_workers`` threads run handlers. A REQUEST becomes a work item on a
``queue.SimpleQueue``; a worker runs the handler and appends the reply to the outbox, waking the
I/O thread through an eventfd only when it sleeps. Replies queued together for one client leave
as one multipart message (batching).

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

import heapq
import itertools
import os
import queue
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from types import TracebackType
from typing import Any, Final, TypeVar

import zmq

from . import protocol as P
from ._server import CALL_ENDED, END_OF_STREAM, ServerCore
from .context import ServicerContext
from ._transport import Waker
from .aio_server import AsyncServer
from .errors import RpcError
from .method import MethodDescriptor
from .status import StatusCode

__all__ = ["AsyncServer", "Server", "ServicerContext"]

Req = TypeVar("Req")
Resp = TypeVar("Resp")

_OK: Final = StatusCode.OK

#: Any of the four blocking handler shapes (see the module docstring).
Handler = (
    Callable[[Req, ServicerContext], Resp]
    | Callable[[Req, ServicerContext], Iterable[Resp]]
    | Callable[[Iterator[Req], ServicerContext], Resp]
    | Callable[[Iterator[Req], ServicerContext], Iterable[Resp]]
)


class Server(ServerCore):
    """A blocking protozmq server: a ROUTER socket, an I/O thread and a pool of handler threads.

    ``max_workers`` bounds how many handlers run at once (default ``min(32, cpus + 4)``); more
    calls wait in a queue. Streaming handlers hold a worker for their whole call.

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
    ) -> None:
        super().__init__(
            context=context,
            max_message_bytes=max_message_bytes,
            heartbeat_ivl_ms=heartbeat_ivl_ms,
            heartbeat_timeout_ms=heartbeat_timeout_ms,
            heartbeat_ttl_ms=heartbeat_ttl_ms,
        )
        self._max_workers = max_workers if max_workers is not None else min(32, (os.cpu_count() or 1) + 4)
        if self._max_workers < 1:
            raise ValueError("max_workers must be at least 1")
        self._work: queue.SimpleQueue[tuple[ServicerContext, bytes | None] | None] = queue.SimpleQueue()
        self._waker = Waker()
        self._idle = False
        self._deadlines: list[tuple[float, int, ServicerContext]] = []
        self._seq = itertools.count()
        self._thread: threading.Thread | None = None
        self._workers: list[threading.Thread] = []
        self._stop_requested = False
        self._probe_at: float | None = None  # when the I/O thread sends the next liveness probe
        self._drained = threading.Event()
        self._stop_lock = threading.Lock()

    # -- configuration ---------------------------------------------------------------------------

    def add_method(self, descriptor: MethodDescriptor[Req, Resp], handler: Handler[Req, Resp]) -> None:
        """Serve ``descriptor`` with ``handler`` (shape by ``descriptor.kind``, see the module docs).

        Example::

            server.add_method(EVALUATE, evaluate)
        """
        self._add_method(descriptor, handler)

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
        for i in range(self._max_workers):
            t = threading.Thread(target=self._work_loop, name=f"protozmq-worker-{i}", daemon=True)
            t.start()
            self._workers.append(t)
        self._thread = threading.Thread(target=self._run, name="protozmq-server", daemon=True)
        self._thread.start()

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
                self._waker.close()
                self._thread = threading.Thread()  # mark as stopped
                return
            if self._stop_requested:
                thread = self._thread
            else:
                self._draining = True
                if grace and grace > 0:
                    self._settle = True
                    self._waker.wake()
                    if self._calls:
                        self._drained.wait(grace)
                self._stop_requested = True
                self._waker.wake()
                thread = self._thread
        if thread.ident is not None and thread is not threading.current_thread():
            thread.join()
        for _ in self._workers:
            self._work.put(None)
        for t in self._workers:
            if t is not threading.current_thread():
                t.join(0.1)  # a handler stuck in user code cannot be interrupted: don't wait for it

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
        thread = self._thread
        if thread is None or thread.ident is None:
            return thread is not None
        thread.join(timeout)
        return not thread.is_alive()

    def __enter__(self) -> Server:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop(None)

    # -- hooks for ServerCore --------------------------------------------------------------------

    def _kick(self) -> None:
        if self._idle:
            self._waker.wake()

    def _start(self, ctx: ServicerContext, payload: bytes | None) -> None:
        if ctx._deadline_mono is not None:
            heapq.heappush(self._deadlines, (ctx._deadline_mono, next(self._seq), ctx))
        if ctx._descriptor.client_streaming:
            ctx._requests = queue.SimpleQueue()
        self._work.put((ctx, payload))

    def _signal(self, ctx: ServicerContext) -> None:
        if ctx._requests is not None:
            ctx._requests.put(CALL_ENDED)

    def _feed(self, ctx: ServicerContext, item: object) -> None:
        ctx._requests.put(item)

    def _schedule_probe(self, delay: float) -> None:
        self._probe_at = time.monotonic() + delay

    def _call_ended(self) -> None:
        # Only now is the call's reply in the outbox: stop() may let the I/O thread finish.
        if self._draining and not self._calls:
            self._drained.set()

    # -- the I/O thread --------------------------------------------------------------------------

    def _run(self) -> None:
        sock, waker = self._sock, self._waker
        poller = zmq.Poller()
        poller.register(sock, zmq.POLLIN)
        poller.register(waker.fd, zmq.POLLIN)
        poller.register(self._monitor, zmq.POLLIN)
        deadlines = self._deadlines
        try:
            while not self._stop_requested:
                self._flush()
                timeout: int | None = None
                if deadlines:
                    timeout = max(0, int((deadlines[0][0] - time.monotonic()) * 1000) + 1)
                if self._probe_at is not None:
                    wait_ms = max(0, int((self._probe_at - time.monotonic()) * 1000) + 1)
                    timeout = wait_ms if timeout is None else min(timeout, wait_ms)
                if self._retry:
                    timeout = 1  # a client's queue was full: try again soon
                self._idle = True  # see Channel._run for why this comes before the last look
                if self._outbox:
                    self._idle = False
                    continue
                events = poller.poll(timeout)
                self._idle = False
                for what, _ in events:
                    if what is sock:
                        self._drain_incoming()
                    elif what is self._monitor:
                        self._drain_monitor()
                    else:
                        waker.clear()
                if self._probe_at is not None and self._probe_at <= time.monotonic():
                    self._probe_at = None
                    self._probe()
                if deadlines and deadlines[0][0] <= time.monotonic():
                    now = time.monotonic()
                    while deadlines and deadlines[0][0] <= now:
                        self._expire(heapq.heappop(deadlines)[2])
        finally:
            self._idle = False
            self._cancel_all("server is shutting down")
            self._flush()
            # Stay open briefly (see _settle_seconds); requests arriving now get UNAVAILABLE.
            settle_end = time.monotonic() + self._settle_seconds()
            while (left := settle_end - time.monotonic()) > 0:
                if poller.poll(max(1, int(left * 1000))):
                    self._drain_incoming()
                    self._flush()
                    waker.clear()
                    self._drain_monitor()
            self._close_socket()
            waker.close()

    # -- workers ---------------------------------------------------------------------------------

    def _work_loop(self) -> None:
        work = self._work
        while True:
            item = work.get()
            if item is None:
                return
            ctx, payload = item
            if not ctx._ended:  # a call cancelled while it waited for a worker never starts
                self._run_call(ctx, payload)

    def _run_call(self, ctx: ServicerContext, payload: bytes | None) -> None:
        d = ctx._descriptor
        try:
            if d.client_streaming:
                request: Any = _RequestIterator(self, ctx)
            else:
                try:
                    request = d.request_deserializer(payload)  # type: ignore[arg-type]
                except Exception as e:
                    self._complete(ctx, StatusCode.INVALID_ARGUMENT, f"request does not decode: {e}")
                    return
            result = ctx._handler(request, ctx)
            if d.server_streaming:
                self._stream_out(ctx, result)
                self._complete(ctx, _OK)
            else:
                try:
                    data = d.response_serializer(result)
                except Exception as e:
                    self._complete(ctx, StatusCode.INTERNAL, f"response does not serialize: {e}")
                    return
                self._complete(ctx, _OK, payload=data)
        except Exception as e:
            self._complete_error(ctx, e)

    def _stream_out(self, ctx: ServicerContext, responses: Iterable[Any]) -> None:
        serialize = ctx._descriptor.response_serializer
        it = iter(responses)
        try:
            for response in it:
                if not self._send_message(ctx, serialize(response)):
                    break  # the call ended: stop the generator instead of running it to the end
        finally:
            close = getattr(it, "close", None)
            if close is not None:
                close()


class _RequestIterator(Iterator[Req]):
    """The request stream a client/bidi-streaming handler iterates (blocking)."""

    def __init__(self, server: Server, ctx: ServicerContext) -> None:
        self._server = server
        self._ctx = ctx
        self._finished = False

    def __iter__(self) -> Iterator[Req]:
        return self

    def __next__(self) -> Req:
        if self._finished:
            raise StopIteration
        ctx = self._ctx
        item = ctx._requests.get()
        if item is END_OF_STREAM:
            self._finished = True
            raise StopIteration
        if item is CALL_ENDED:
            ctx._requests.put(CALL_ENDED)  # raise again on the next call too
            raise RpcError(StatusCode.CANCELLED, "the call ended")
        try:
            return ctx._descriptor.request_deserializer(item)  # type: ignore[no-any-return]
        except Exception as e:
            message = f"request does not decode: {e}"
            self._server._end_call(ctx, StatusCode.INVALID_ARGUMENT, message, send=True)
            raise RpcError(StatusCode.INVALID_ARGUMENT, message) from e
