"""``AsyncChannel``: the asyncio client (re-exported by ``protozmq.channel``).

Threading model: none. The event loop owns the DEALER. The socket's ``ZMQ_FD`` is registered with
``loop.add_reader``; that descriptor is edge-triggered (it signals that ``ZMQ_EVENTS`` may have
changed), so ``_service`` reads and sends until ``ZMQ_EVENTS`` says there is nothing left, after
every socket operation. This is what ``zmq.asyncio`` does internally, minus a Future per
``recv``/``send``: a round trip costs one loop wake-up instead of three.

Calls append packets to the outbox and schedule one ``_service`` per loop iteration, so packets
from many tasks in the same iteration leave as one multipart message (batching); a call made
while nothing else is due in the iteration is sent at once instead (nothing could join its
batch). A batch is sent earlier, mid-iteration, once it holds as many packets as the server
already has in flight (and at least ``_SPLIT_MIN``): so two batches are in flight and the server
works on one while the callers build the other. When replies arrive and nothing else is due,
the reader callback resumes the waiting tasks right away (``_aio.resume_ready``) rather than on
the next iteration, and sends their new requests when they are done: a lone caller's round trip
costs one loop wake-up, like a blocking socket, and a batch of replies one as well. Deadlines are
``loop.call_later`` timers; cancelling the awaiting task sends CANCEL.
"""

from __future__ import annotations

import asyncio
import functools
from collections.abc import AsyncIterable, Callable, Iterable
from types import TracebackType
from typing import Any, Final, Literal, TypeVar, overload

import zmq

from . import protocol as P
from ._call import CallInfo, Outcome, Outgoing, unary_response
from ._client import ClientCore
from ._aio import resume_ready
from ._transport import socket_events
from .errors import RpcError
from .metadata import Metadata, MetadataLike
from .method import MethodDescriptor
from .status import StatusCode
from .stream import AsyncBidiStream, AsyncResponseStream, _AsyncCall

__all__ = ["AsyncBidiStream", "AsyncChannel", "AsyncResponseStream"]

Req = TypeVar("Req")
Resp = TypeVar("Resp")

_UNARY_FLAGS: Final = int(P.Flag.HAS_MESSAGE | P.Flag.END)
_ONEWAY_FLAGS: Final = int(P.Flag.HAS_MESSAGE | P.Flag.END | P.Flag.ONEWAY)
_OK: Final = StatusCode.OK
_POLLIN: Final = int(zmq.POLLIN)  # plain ints: "&" on an IntFlag member costs ~1 µs
_POLLOUT: Final = int(zmq.POLLOUT)
_EVENTS: Final = zmq.EVENTS
_MAX_U32: Final = P.MAX_U32
_V: Final = P.PROTOCOL_VERSION
_REQUEST: Final = P._REQUEST
_F_INLINE: Final = P._F_INLINE
_INLINE_MAX: Final = P.INLINE_MAX_BYTES
_REQUEST_PACK: Final = P._REQUEST_HEAD.pack
_get_running_loop: Final = asyncio._get_running_loop
#: A batch is sent before the end of the loop iteration (see ``_start``) only from this many
#: packets: smaller messages cost more in wake-ups of both processes than the overlap gains.
_SPLIT_MIN: Final = 8


def _no_loop() -> asyncio.Future[Any]:
    raise RuntimeError("AsyncChannel used before it attached to an event loop")  # pragma: no cover


class AsyncChannel(ClientCore):
    """An asyncio client connection to one protozmq server endpoint.

    Same options and semantics as ``Channel``; methods are coroutines, streams are async
    iterators. Use it from one event loop (it attaches to the running loop on first use).
    Cancelling a task that awaits a call cancels the call (CANCEL to the server).

    Example::

        async with AsyncChannel("ipc:///tmp/game.sock") as channel:
            reply = await channel.unary(EVALUATE, EvalRequest(position="e4"), timeout=0.5)
            async for update in channel.server_stream(WATCH, WatchRequest()):
                print(update)
    """

    def __init__(
        self,
        endpoint: str,
        *,
        context: zmq.Context[Any] | None = None,
        bind: bool = False,
        max_message_bytes: int = P.DEFAULT_MAX_MESSAGE_BYTES,
        heartbeat_ivl_ms: int = P.DEFAULT_HEARTBEAT_IVL_MS,
        heartbeat_timeout_ms: int = P.DEFAULT_HEARTBEAT_TIMEOUT_MS,
        heartbeat_ttl_ms: int = P.DEFAULT_HEARTBEAT_TTL_MS,
        connect_timeout: float = 1.0,
    ) -> None:
        super().__init__(
            endpoint,
            context=context,
            bind=bind,
            max_message_bytes=max_message_bytes,
            heartbeat_ivl_ms=heartbeat_ivl_ms,
            heartbeat_timeout_ms=heartbeat_timeout_ms,
            heartbeat_ttl_ms=heartbeat_ttl_ms,
            connect_timeout=connect_timeout,
        )
        self._loop: asyncio.AbstractEventLoop | None = None
        # Set by _attach: the loop's ready queue (None when unknown, see _aio) and how to make a
        # Future on it, both looked up once instead of once per call.
        self._ready: Any = None
        self._new_future: Callable[[], asyncio.Future[Any]] = _no_loop
        self._service_pending = False
        self._stall_timer: asyncio.TimerHandle | None = None
        # The reader callback, one bound method object: the loop's handle for it carries this
        # very object, which is how _service recognises it in the ready queue.
        self._reader = self._on_readable

    # -- calls -----------------------------------------------------------------------------------

    @overload
    async def unary(
        self,
        method: MethodDescriptor[Req, Resp],
        request: Req,
        *,
        timeout: float | None = ...,
        metadata: MetadataLike | None = ...,
        with_call: Literal[False] = ...,
    ) -> Resp: ...
    @overload
    async def unary(
        self,
        method: MethodDescriptor[Req, Resp],
        request: Req,
        *,
        timeout: float | None = ...,
        metadata: MetadataLike | None = ...,
        with_call: Literal[True],
    ) -> tuple[Resp, CallInfo]: ...
    async def unary(
        self,
        method: MethodDescriptor[Req, Resp],
        request: Req,
        *,
        timeout: float | None = None,
        metadata: MetadataLike | None = None,
        with_call: bool = False,
    ) -> Resp | tuple[Resp, CallInfo]:
        """Call a unary method; see ``Channel.unary``.

        Example::

            reply = await channel.unary(EVALUATE, EvalRequest(position="e4"), timeout=0.5)
        """
        data = method.request_serializer(request)
        call = self._start(method, _UNARY_FLAGS, data, timeout, metadata)
        items = call.items
        if not items:
            # _next, inlined for the usual case: wait once for the single TRAILERS. A plain OK
            # reply (no status message, metadata) comes as the waiter's result, the response's
            # bytes (_AsyncCall.on_ok); anything else as items, and the result is None.
            waiter: asyncio.Future[bytes | None] = self._new_future()
            call.waiter = waiter
            call.direct = True
            try:
                ok_payload = await waiter
            except asyncio.CancelledError:
                self._abandon(call, StatusCode.CANCELLED, "cancelled by the client")
                raise
            finally:
                call.waiter = None
                call.direct = False  # (later waits, in _next, take their items from the queue)
            if ok_payload is not None:
                try:
                    reply = method.response_deserializer(ok_payload)
                except Exception as e:
                    raise RpcError(StatusCode.INTERNAL, f"response does not decode: {e}") from e
                return (reply, CallInfo(_OK, "", call.headers or Metadata(), Metadata())) if with_call else reply
        item = items[0] if len(items) == 1 else None
        if type(item) is Outcome and item.code is _OK and item.payload is not None and not with_call:
            try:
                return method.response_deserializer(item.payload)
            except Exception as e:
                raise RpcError(StatusCode.INTERNAL, f"response does not decode: {e}") from e
        final, last = await self._outcome(call)
        response = unary_response(method, final, last)
        return (response, CallInfo._of(final)) if with_call else response

    def server_stream(
        self,
        method: MethodDescriptor[Req, Resp],
        request: Req,
        *,
        timeout: float | None = None,
        metadata: MetadataLike | None = None,
    ) -> AsyncResponseStream[Resp]:
        """Call a server-streaming method; ``async for`` over the result. The request is sent now.

        Example::

            async with channel.server_stream(WATCH, WatchRequest(unit=7)) as updates:
                async for update in updates:
                    print(update)
        """
        data = method.request_serializer(request)
        return AsyncResponseStream(self, self._start(method, _UNARY_FLAGS, data, timeout, metadata))

    @overload
    async def client_stream(
        self,
        method: MethodDescriptor[Req, Resp],
        requests: Iterable[Req] | AsyncIterable[Req],
        *,
        timeout: float | None = ...,
        metadata: MetadataLike | None = ...,
        with_call: Literal[False] = ...,
    ) -> Resp: ...
    @overload
    async def client_stream(
        self,
        method: MethodDescriptor[Req, Resp],
        requests: Iterable[Req] | AsyncIterable[Req],
        *,
        timeout: float | None = ...,
        metadata: MetadataLike | None = ...,
        with_call: Literal[True],
    ) -> tuple[Resp, CallInfo]: ...
    async def client_stream(
        self,
        method: MethodDescriptor[Req, Resp],
        requests: Iterable[Req] | AsyncIterable[Req],
        *,
        timeout: float | None = None,
        metadata: MetadataLike | None = None,
        with_call: bool = False,
    ) -> Resp | tuple[Resp, CallInfo]:
        """Call a client-streaming method with a (sync or async) iterable of requests.

        Example::

            total = await channel.client_stream(SUM, [Number(value=1), Number(value=2)])
        """
        call = self._start(method, 0, None, timeout, metadata)
        stream = AsyncBidiStream[Req, Resp](self, call)
        try:
            await stream._pump(requests)
        except asyncio.CancelledError:
            self._abandon(call, StatusCode.CANCELLED, "cancelled by the client")
            raise
        final, last = await self._outcome(call)
        response = unary_response(method, final, last)
        return (response, CallInfo._of(final)) if with_call else response

    def bidi_stream(
        self,
        method: MethodDescriptor[Req, Resp],
        requests: Iterable[Req] | AsyncIterable[Req] | None = None,
        *,
        timeout: float | None = None,
        metadata: MetadataLike | None = None,
    ) -> AsyncBidiStream[Req, Resp]:
        """Call a bidi-streaming method. ``requests`` are sent by a task; or use ``write()``.

        Example::

            chat = channel.bidi_stream(CHAT)
            await chat.write(Line(text="hi"))
            await chat.done_writing()
            async for line in chat:
                print(line.text)
        """
        stream = AsyncBidiStream[Req, Resp](self, self._start(method, 0, None, timeout, metadata))
        if requests is not None:
            stream._pump_task = asyncio.get_running_loop().create_task(stream._pump(requests))
        return stream

    async def oneway(
        self,
        method: MethodDescriptor[Req, Any],
        request: Req,
        *,
        timeout: float | None = None,
        metadata: MetadataLike | None = None,
    ) -> None:
        """Fire-and-forget; see ``Channel.oneway``. Returns once ZeroMQ accepted the request.

        Example::

            await channel.oneway(LOG_EVENT, LogLine(text="started"))
        """
        if method.kind != "unary":
            raise ValueError(f"oneway needs a unary method; {method.path} is {method.kind}")
        data = method.request_serializer(request)
        call = self._start(method, _ONEWAY_FLAGS, data, timeout, metadata, oneway=True)
        final, _ = await self._outcome(call)
        if final.code is not _OK:
            raise final.error()

    def _start(
        self,
        method: MethodDescriptor[Any, Any],
        flags: int,
        data: bytes | None,
        timeout: float | None,
        metadata: MetadataLike | None,
        oneway: bool = False,
    ) -> _AsyncCall:
        # Once per call on the caller's critical path: _attach, _check_size, _new_id and
        # _register inlined for the usual case (each a Python call of ~0.1 µs).
        loop = _get_running_loop()
        if loop is not self._loop or loop is None:
            loop = self._attach()
        if data is not None and len(data) > self._max_message_bytes:
            self._check_size(data)
        if timeout is not None and timeout <= 0:
            raise RpcError(StatusCode.DEADLINE_EXCEEDED, "deadline exceeded before the call started")
        calls = self._calls
        cid = next(self._ids) & _MAX_U32
        if not cid or cid in calls:
            cid = self._new_id()
        call = _AsyncCall(cid, method, oneway)
        if timeout is None and metadata is None and data is not None and len(data) <= _INLINE_MAX:
            # _request_packet for the usual call: one inline frame, header then request.
            path = method.path_bytes
            packet: Outgoing = (call, _REQUEST_PACK(_V, _REQUEST, flags | _F_INLINE, cid, 0, len(path)) + path + data, None)
        else:
            packet = self._request_packet(call, flags, timeout, metadata, data)
        if self._closing:
            raise RpcError(StatusCode.CANCELLED, "channel is closed")
        calls[cid] = call
        if timeout is not None:
            call.timer = loop.call_later(timeout, self._abandon, call, StatusCode.DEADLINE_EXCEEDED, "deadline exceeded")
        outbox = self._outbox
        outbox.append(packet)
        ready = self._ready
        if self._service_pending or ready is None or ready:  # the loop is not idle (see _aio)
            # Others run before a deferred flush: their packets join this one (batching). But
            # once the batch is as large as all the calls the server already has (and not tiny),
            # send it now: the server works on it while we build the next, instead of the two
            # taking turns. Without this, N callers settle into one batch of N in flight, and
            # pipelined calls cost the sum of both sides' time, not the larger of the two
            # (measured: 0.65x the calls/s of a raw pyzmq echo at N=64, see BENCHMARKS.md).
            n = len(outbox)
            if n >= _SPLIT_MIN and 2 * n >= len(calls) and self._stalled is None:
                self._flush()
            self._kick()
        else:
            # Nothing else runs before a deferred flush could: send now (a batch of one either
            # way), and leave anything more to a _service in the next iteration.
            self._flush()
            if outbox or self._stalled is not None or socket_events(self._sock) & _POLLIN:
                self._kick()  # (a send may consume the descriptor's signal: input is for _service)
        return call

    async def _next(self, call: _AsyncCall) -> bytes | Outcome:
        items = call.items
        while not items:
            waiter = call.waiter = self._new_future()
            try:
                await waiter
            except asyncio.CancelledError:
                self._abandon(call, StatusCode.CANCELLED, "cancelled by the client")
                raise
            finally:
                call.waiter = None
        return items.popleft()

    async def _outcome(self, call: _AsyncCall) -> tuple[Outcome, bytes | None]:
        last: bytes | None = None
        while True:
            item = await self._next(call)
            if type(item) is bytes:
                last = item
                continue
            assert isinstance(item, Outcome)
            return item, last

    # -- lifecycle -------------------------------------------------------------------------------

    async def close(self) -> None:
        """Fail open calls with CANCELLED, tell the server (best effort), close (linger 0). Idempotent.

        Example::

            await channel.close()
        """
        self._close_now()

    def _close_now(self) -> None:
        if self._closed:
            return
        self._closing = True
        if self._loop is not None and not self._loop.is_closed():
            self._loop.remove_reader(self._sock.FD)
            self._loop.remove_reader(self._monitor.FD)
        if self._stall_timer is not None:
            self._stall_timer.cancel()
        self._shutdown()

    async def __aenter__(self) -> AsyncChannel:
        self._attach()
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.close()

    # -- the loop's side of the socket -----------------------------------------------------------

    def _attach(self) -> asyncio.AbstractEventLoop:
        loop = asyncio.get_running_loop()
        if self._loop is None:
            if self._closing:
                raise RpcError(StatusCode.CANCELLED, "channel is closed")
            self._loop = loop
            self._ready = getattr(loop, "_ready", None)
            if type(loop).create_future is asyncio.BaseEventLoop.create_future:
                # What BaseEventLoop.create_future does, without its Python-level call per Future.
                self._new_future = functools.partial(asyncio.Future, loop=loop)
            else:
                self._new_future = loop.create_future
            loop.add_reader(self._sock.FD, self._reader)
            loop.add_reader(self._monitor.FD, self._on_monitor)
            loop.call_soon(self._on_monitor)  # events that arrived before we listened
        elif self._loop is not loop:
            raise RuntimeError("an AsyncChannel is bound to the event loop that first used it")
        return loop

    def _kick(self) -> None:
        if not self._service_pending:
            self._service_pending = True
            self._loop.call_soon(self._service, False, True)  # type: ignore[union-attr]

    def _on_readable(self) -> None:
        self._service(readable=True)

    def _service(self, readable: bool = False, kicked: bool = False) -> None:
        """Send what is queued, receive what arrived; runs on ZMQ_FD readiness and after _kick.

        Called by the loop itself, not from a task. If nothing else was due when it started,
        the tasks that the replies it read woke run right here (``_aio.resume_ready``), and the
        requests they make leave in one flush at the end: one loop iteration per batch of
        replies, not three (this callback, the callers, a deferred ``_service``).
        """
        self._service_pending = False
        if self._closed:
            return
        loop: asyncio.AbstractEventLoop = self._loop  # type: ignore[assignment]
        ready = self._ready
        idle = ready is not None and not ready  # nothing else due this iteration (see _aio)
        if kicked and not idle and self._reader_due():
            # (A deferred _service.) The descriptor fired and our reader runs later in this
            # iteration: leave the input to it. Read here, the replies would wake their callers
            # for the next iteration and their requests be sent by yet another _service after
            # them, for good: each batch of replies would cost two or three loop iterations
            # instead of one. (Not for the monitor's _service: replies that arrived before a
            # disconnect must be read before it fails the calls still open.)
            if self._outbox or self._stalled is not None:
                self._flush()
            return
        self._pump(readable)
        if idle and not self._service_pending and not self._closed:
            self._service_pending = True  # the callers' packets wait for the _pump below
            try:
                resumed = resume_ready(loop)
            finally:
                self._service_pending = False
            if resumed:
                self._pump(False)
        if self._stalled is not None and not self._closed:
            wait = self._check_stall()
            if wait is not None and self._stall_timer is None:
                self._stall_timer = loop.call_later(wait, self._on_stall_timer)

    def _reader_due(self) -> bool:
        """True if our reader callback is queued to run in this loop iteration.

        The loop appends the handles of ready descriptors after the callbacks queued before, so
        ours is among the last few; looking further is not worth it (False when unknown).
        """
        ready = self._ready
        if ready is None:
            return False
        reader = self._reader
        for i in range(1, min(len(ready), 4) + 1):
            if ready[-i]._callback is reader:
                return True
        return False

    def _pump(self, readable: bool) -> None:
        if self._closed:
            return
        sock = self._sock
        for _ in range(64):
            if self._outbox or self._stalled is not None:
                self._flush()
            # Edge-triggered ZMQ_FD: only stop once the socket shows nothing left to do.
            if readable:  # the descriptor fired: receive first, asking ZMQ_EVENTS costs more
                readable = False
                ev = self._drain_incoming()
                if not ev and self._stalled is not None:
                    ev = socket_events(sock)
            else:
                ev = socket_events(sock)
                if ev & _POLLIN:
                    ev = self._drain_incoming()
            if ev & _POLLIN:
                continue  # the drain stopped at its bound
            if self._outbox and self._stalled is None:
                continue  # packets queued while reading (CANCELs): send them
            if self._stalled is not None and ev & _POLLOUT:
                continue
            break
        else:
            self._kick()  # still busy: let other callbacks run, then continue

    def _on_monitor(self) -> None:
        if self._closed:
            return
        # Packets received before a disconnect still count: read them first.
        self._service()
        monitor = self._monitor
        while monitor.getsockopt(_EVENTS) & _POLLIN:  # type: ignore[operator]
            self._drain_monitor()
            self._service()

    def _on_stall_timer(self) -> None:
        self._stall_timer = None
        self._service()
