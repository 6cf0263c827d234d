"""``AsyncServer``: the asyncio server (re-exported by ``protozmq.server``).

Threading model: none. The event loop owns the ROUTER (``loop.add_reader`` on its edge-triggered
``ZMQ_FD``, drained until ``ZMQ_EVENTS`` is clear, as in ``AsyncChannel``); each call's handler
runs as a task. The handler's first step runs at once, inside the loop callback that received
the request (``_aio``): a unary handler that returns without suspending is answered right there,
with no task created and no loop iteration spent; one that suspends goes on as a task, the same
one it saw as ``asyncio.current_task()``. Streaming handlers get their task up front, its first
step run at once too. A reply goes out right away when no other call is open; while others are,
replies are queued and sent once per loop iteration, so replies produced in the same iteration
leave together (batching).

Handler shapes (``context`` is a ``ServicerContext``)::

    unary             async def handler(request, context) -> response
    server_streaming  async def handler(request, context): ... yield response   (async generator)
    client_streaming  async def handler(request_iterator, context) -> response  (async for ...)
    bidi_streaming    async def handler(request_iterator, context): ... yield response

On a client CANCEL, the deadline, or shutdown the handler's task is cancelled (it sees
``asyncio.CancelledError``) and ``context.cancelled()`` turns True.
"""

from __future__ import annotations

import asyncio
import collections
import inspect
import time
import types
from collections.abc import AsyncIterable, AsyncIterator, Awaitable, Callable
from types import TracebackType
from typing import Any, Final, TypeVar, cast

import zmq

from . import protocol as P
from ._server import CALL_ENDED, END_OF_STREAM, ServerCore
from ._aio import EagerRunner, step_now
from ._transport import LOG, socket_events
from .context import ServicerContext
from .errors import RpcError
from .method import MethodDescriptor
from .status import StatusCode

__all__ = ["AsyncHandler", "AsyncServer"]

Req = TypeVar("Req")
Resp = TypeVar("Resp")

_OK: Final = StatusCode.OK
_POLLIN: Final = int(zmq.POLLIN)  # plain ints: "&" on an IntFlag member costs ~1 µs
_POLLOUT: Final = int(zmq.POLLOUT)
_EVENTS: Final = zmq.EVENTS
_Coroutine: Final = types.CoroutineType
_send: Final = zmq.backend.Socket.send
_MORE: Final = int(zmq.SNDMORE | zmq.NOBLOCK)
_NOBLOCK: Final = int(zmq.NOBLOCK)

#: Any of the four asyncio handler shapes (see the module docstring).
AsyncHandler = (
    Callable[[Req, ServicerContext], Awaitable[Resp]]
    | Callable[[Req, ServicerContext], AsyncIterable[Resp]]
    | Callable[[AsyncIterator[Req], ServicerContext], Awaitable[Resp]]
    | Callable[[AsyncIterator[Req], ServicerContext], AsyncIterable[Resp]]
)


class _RequestQueue:
    __slots__ = ("items", "waiter")

    def __init__(self) -> None:
        self.items: collections.deque[object] = collections.deque()
        self.waiter: asyncio.Future[None] | None = None

    def put(self, item: object) -> None:
        self.items.append(item)
        w = self.waiter
        if w is not None and not w.done():
            w.set_result(None)


class AsyncServer(ServerCore):
    """An asyncio protozmq server: a ROUTER socket served by the running event loop.

    Example::

        async def evaluate(request, context):
            return EvalReply(score=await engine.score(request.position))

        server = AsyncServer()
        server.add_method(EVALUATE, evaluate)
        server.bind("ipc:///tmp/game.sock")
        await server.start()
        try:
            await server.wait_for_termination()
        finally:
            await server.stop(grace=2.0)
    """

    def __init__(
        self,
        *,
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
        self._loop: asyncio.AbstractEventLoop | None = None
        self._service_pending = False
        self._in_service = False  # _service is on the stack (it checks ZMQ_EVENTS after sends)
        self._retry_timer: asyncio.TimerHandle | None = None
        self._tasks: set[asyncio.Task[Any]] = set()
        self._runner: EagerRunner | None = None
        self._drained: asyncio.Event | None = None
        self._terminated: asyncio.Event | None = None

    def add_method(self, descriptor: MethodDescriptor[Req, Resp], handler: AsyncHandler[Req, Resp]) -> None:
        """Serve ``descriptor`` with ``handler`` (shape by ``descriptor.kind``, see the module docs).

        Example::

            server.add_method(EVALUATE, evaluate)
        """
        self._add_method(descriptor, handler)

    def bind(self, endpoint: str) -> str:
        """Listen on ``endpoint``; returns it (with the chosen port for ``tcp://host:*``).

        May also be called after ``start`` (on the server's event loop), e.g. to add an endpoint.

        Example::

            endpoint = server.bind("tcp://127.0.0.1:*")
        """
        actual = self._bind(endpoint)
        if self._loop is not None:
            # Clients may connect to an inproc endpoint before anyone binds it (libzmq allows
            # that for inproc only). The bind attaches their pipes, with the requests already in
            # them, WITHOUT signalling our edge-triggered ZMQ_FD: the reader would never hear of
            # those requests. So look at ZMQ_EVENTS once now (_service). Before start() nothing
            # is needed: start() reads once anyway. (The TS server does the same after a bind.)
            self._kick()
        return actual

    def connect(self, endpoint: str) -> None:
        """Connect to a client that binds (``AsyncChannel(..., bind=True)``).

        Example::

            server.connect("ipc:///tmp/clients.sock")
        """
        self._connect(endpoint)

    async def start(self) -> None:
        """Start serving on the running event loop.

        Example::

            await server.start()
        """
        if self._loop is not None:
            raise RuntimeError("server already started")
        loop = self._loop = asyncio.get_running_loop()
        self._runner = EagerRunner(loop)
        self._terminated = asyncio.Event()
        loop.add_reader(self._sock.FD, self._on_readable)
        loop.add_reader(self._monitor.FD, self._on_monitor)
        # Read both once now: an edge-triggered ZMQ_FD only signals after a read found nothing,
        # and anything that arrived before we listened would otherwise wait for the next edge
        # (so would requests of inproc clients that connected before the bind: see bind).
        loop.call_soon(self._service)
        loop.call_soon(self._on_monitor)

    async def stop(self, grace: float | None = None) -> None:
        """Refuse new calls, let running ones finish for up to ``grace`` seconds, cancel the rest
        (their clients get UNAVAILABLE), then close the socket (linger 0). Idempotent.

        Example::

            await server.stop(grace=2.0)
        """
        if self._closed:
            return
        if self._loop is None:
            self._close_socket()
            return
        self._draining = True
        if grace and grace > 0:
            self._settle = True
            if self._calls:
                self._drained = asyncio.Event()
                try:
                    await asyncio.wait_for(self._drained.wait(), grace)
                except asyncio.TimeoutError:
                    pass
        self._cancel_all("server is shutting down")
        self._flush()
        if self._tasks:
            # Cancelled handlers get a moment to unwind (finally blocks); stuck ones are left.
            await asyncio.wait(list(self._tasks), timeout=1.0)
        settle = self._settle_seconds()
        if settle:
            await asyncio.sleep(settle)  # see _settle_seconds; the reader keeps serving
        if not self._loop.is_closed():
            self._loop.remove_reader(self._sock.FD)
            self._loop.remove_reader(self._monitor.FD)
        if self._retry_timer is not None:
            self._retry_timer.cancel()
        if self._runner is not None:
            await self._runner.close()
        self._close_socket()
        assert self._terminated is not None
        self._terminated.set()

    async def wait_for_termination(self) -> None:
        """Wait until ``stop`` finished.

        Example::

            await server.wait_for_termination()
        """
        if self._terminated is not None:
            await self._terminated.wait()

    async def __aenter__(self) -> AsyncServer:
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.stop(None)

    # -- hooks for ServerCore --------------------------------------------------------------------

    def _kick(self) -> None:
        if not self._service_pending and self._loop is not None:
            self._service_pending = True
            self._loop.call_soon(self._service)

    def _start(self, ctx: ServicerContext, payload: bytes | None) -> None:
        loop = self._loop
        assert loop is not None
        if ctx._deadline_mono is not None:
            ctx._timer = loop.call_at(
                loop.time() + (ctx._deadline_mono - time.monotonic()), self._expire, ctx
            )
        if ctx._descriptor.client_streaming:
            ctx._requests = _RequestQueue()
        coro = self._run_call(ctx, payload)
        runner = self._runner
        host = None
        if ctx._descriptor.kind == "unary" and runner is not None and runner.available(loop):
            host = runner.host()
        if host is not None:
            # No task unless the handler suspends: a fast one is answered within this call.
            assert runner is not None
            ctx._task = host
            task = runner.run(coro)
            if task is None:
                ctx._task = None
                return
        else:
            task = ctx._task = loop.create_task(coro)
            step_now(loop, task)  # a fast handler is done (and answered) after this
            if task.done():
                return
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    def _signal(self, ctx: ServicerContext) -> None:
        if ctx._timer is not None:
            ctx._timer.cancel()
        if ctx._requests is not None:
            ctx._requests.put(CALL_ENDED)
        if ctx._task is not None:
            ctx._task.cancel()

    def _feed(self, ctx: ServicerContext, item: object) -> None:
        ctx._requests.put(item)

    def _reply(self, ctx: ServicerContext, header: bytes, payload: bytes | None) -> None:
        # With no other call open there is nothing to batch with: send now, not one loop
        # iteration later. Not when more packets of the message being read follow either.
        resume = self._resume
        if self._calls or (resume is not None and resume[1] < len(resume[0])):
            self._outbox.append((ctx._peer, header, payload))
            self._kick()
            return
        if self._outbox or self._retry or self._draining or payload is not None:
            self._outbox.append((ctx._peer, header, payload))
            self._flush()
        else:
            sock = self._sock
            try:  # send_frames for an inline packet, unrolled
                _send(sock, ctx._peer, _MORE)
                _send(sock, header, _NOBLOCK)
            except zmq.Again:
                self._retry.append([ctx._peer, header])
                self._kick()
            except zmq.ZMQError as e:
                if e.errno == zmq.EHOSTUNREACH:
                    self._peer_gone(ctx._peer)
                else:  # pragma: no cover
                    LOG.warning("protozmq server: send failed: %s", e)
        if not self._in_service:
            # A send may consume the ZMQ_FD signal of a request that just arrived: have
            # _service look at ZMQ_EVENTS (inside _service, its own loop does).
            self._kick()

    def _schedule_probe(self, delay: float) -> None:
        if self._loop is not None:
            self._loop.call_later(delay, self._probe_now)

    def _probe_now(self) -> None:
        if not self._closed:
            self._probe()
            self._service()

    def _call_ended(self) -> None:
        if self._drained is not None and not self._calls:
            self._drained.set()

    # -- the loop's side of the socket -----------------------------------------------------------

    def _on_readable(self) -> None:
        self._service(readable=True)

    def _service(self, readable: bool = False) -> None:
        self._service_pending = False
        if self._closed:
            return
        sock = self._sock
        self._in_service = True
        try:
            for _ in range(64):
                if self._outbox or self._retry:
                    self._flush()
                # Edge-triggered ZMQ_FD: only stop once the socket shows nothing left to do.
                if readable:  # the descriptor fired: receive first, asking ZMQ_EVENTS costs more
                    readable = False
                    ev = self._drain_incoming()
                    if not ev and self._retry:
                        ev = socket_events(sock)
                else:
                    ev = socket_events(sock)
                    if ev & _POLLIN:
                        ev = self._drain_incoming()
                if ev & _POLLIN:
                    continue  # the drain stopped at its bound
                if self._outbox:
                    continue  # packets queued while reading (rejections, CANCELs): send them
                if self._retry and ev & _POLLOUT:
                    continue
                break
            else:
                self._kick()
        finally:
            self._in_service = False
        if self._retry and self._retry_timer is None and self._loop is not None:
            self._retry_timer = self._loop.call_later(0.001, self._on_retry_timer)

    def _on_monitor(self) -> None:
        # Edge-triggered like the ROUTER's ZMQ_FD: read until ZMQ_EVENTS is clear.
        while not self._closed and self._monitor.getsockopt(_EVENTS) & _POLLIN:  # type: ignore[operator]
            self._drain_monitor()
            self._service()

    def _on_retry_timer(self) -> None:
        self._retry_timer = None
        self._service()

    # -- handlers --------------------------------------------------------------------------------

    async def _run_call(self, ctx: ServicerContext, payload: bytes | None) -> None:
        d = ctx._descriptor
        try:
            if d.client_streaming:
                request: Any = _AsyncRequestIterator(self, ctx)
            else:
                try:
                    request = d.request_deserializer(payload)  # type: ignore[arg-type]
                except Exception as e:
                    self._complete(ctx, StatusCode.INVALID_ARGUMENT, f"request does not decode: {e}")
                    return
            result = ctx._handler(request, ctx)
            if d.server_streaming:
                if inspect.isawaitable(result):  # also accept "async def" returning an iterable
                    result = await result
                await self._stream_out(ctx, result)
                self._complete(ctx, _OK)
            else:
                if type(result) is _Coroutine or inspect.isawaitable(result):  # (the first test is the quick one)
                    result = await result
                try:
                    data = d.response_serializer(result)
                except Exception as e:
                    self._complete(ctx, StatusCode.INTERNAL, f"response does not serialize: {e}")
                    return
                self._complete(ctx, _OK, payload=data)
        except asyncio.CancelledError:
            if not ctx._ended:
                # Cancelled by someone else (e.g. loop shutdown): end the call, then let it go.
                self._end_call(ctx, StatusCode.CANCELLED, "handler cancelled", send=True)
                raise
            # We cancelled it because the call ended: the task just finishes.
        except Exception as e:
            self._complete_error(ctx, e)
        finally:
            if ctx._timer is not None:
                ctx._timer.cancel()

    async def _stream_out(self, ctx: ServicerContext, responses: Any) -> None:
        serialize = ctx._descriptor.response_serializer
        if isinstance(responses, AsyncIterable):
            it = aiter(responses)
            try:
                async for response in it:
                    if not self._send_message(ctx, serialize(response)):
                        break
            finally:
                aclose = getattr(it, "aclose", None)
                if aclose is not None:
                    await aclose()
        else:
            for response in responses:
                if not self._send_message(ctx, serialize(response)):
                    break


class _AsyncRequestIterator(AsyncIterator[Req]):
    """The request stream a client/bidi-streaming async handler iterates."""

    def __init__(self, server: AsyncServer, ctx: ServicerContext) -> None:
        self._server = server
        self._ctx = ctx
        self._finished = False

    def __aiter__(self) -> AsyncIterator[Req]:
        return self

    async def __anext__(self) -> Req:
        if self._finished:
            raise StopAsyncIteration
        ctx = self._ctx
        q: _RequestQueue = ctx._requests
        while not q.items:
            waiter = q.waiter = asyncio.get_running_loop().create_future()
            try:
                await waiter
            finally:
                q.waiter = None
        item = q.items[0]
        if item is CALL_ENDED:
            raise RpcError(StatusCode.CANCELLED, "the call ended")
        q.items.popleft()
        if item is END_OF_STREAM:
            self._finished = True
            raise StopAsyncIteration
        try:
            return ctx._descriptor.request_deserializer(cast(bytes, item))  # type: ignore[no-any-return]
        except Exception as e:
            message = f"request does not decode: {e}"
            self._server._end_call(ctx, StatusCode.INVALID_ARGUMENT, message, send=True)
            raise RpcError(StatusCode.INVALID_ARGUMENT, message) from e
