"""Client side of protozmq: ``Channel`` (blocking, thread-safe) and ``AsyncChannel`` (asyncio).

``Channel`` threading model: leader/follower (``_sync_client``). A calling thread that finds the
DEALER free sends its REQUEST itself and reads the socket until its reply arrives, so a
sequential caller pays one send and one wait, like raw pyzmq, and wakes no other thread. Callers
that find another thread reading append their packets to the outbox, wake the reader, and block
on their call's ``queue.SimpleQueue``; the reader routes every received packet to its call by
call id and, when its own reply is in, hands the reading role to a waiting caller. A channel
I/O thread takes the role only while calls are open that nobody waits on (streams being
consumed slowly, callers busy elsewhere). So any number of threads can have calls in flight on
one socket, packets queued together leave as one multipart message (batching), and no call
creates a thread (except ``bidi_stream`` given an iterable of requests, which needs someone to
iterate it).

A lone unary caller (no other thread using the channel lately) waits for its reply in a plain
blocking receive rather than ``zmq_poll``, which saves ~2 µs of CPU per call but cannot be woken by
other threads. It is bounded to 5 ms (the DEALER's ``ZMQ_RCVTIMEO``), after which the caller polls
as usual; so when a second thread starts using a quiet channel, its first packets may wait up to
5 ms, once, and the next 1000 lone calls poll from the start.

Deadlines are enforced by the waiting caller, leader or follower: at the deadline the call fails
with DEADLINE_EXCEEDED (the server's own timer ends the handler). Response headers and
trailers: ``unary(..., with_call=True)`` returns ``(response, CallInfo)``; streams have
``headers()`` and ``trailers()``; an ``RpcError`` carries both.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterable
from types import TracebackType
from typing import Any, Final, Literal, TypeVar, overload

import zmq

from . import protocol as P
from ._call import CallInfo, Outcome, deadline_of, unary_response
from ._sync_client import SyncClientCore
from .aio_channel import AsyncChannel
from .errors import RpcError
from .metadata import MetadataLike
from .method import MethodDescriptor
from .status import StatusCode
from .stream import AsyncBidiStream, AsyncResponseStream, BidiStream, ResponseStream, _SyncCall

__all__ = [
    "AsyncBidiStream",
    "AsyncChannel",
    "AsyncResponseStream",
    "BidiStream",
    "CallInfo",
    "Channel",
    "ResponseStream",
]

Req = TypeVar("Req")
Resp = TypeVar("Resp")

_UNARY_FLAGS: Final = int(P.Flag.HAS_MESSAGE | P.Flag.END)
_ONEWAY_FLAGS: Final = int(P.Flag.HAS_MESSAGE | P.Flag.END | P.Flag.ONEWAY)
_OK: Final = StatusCode.OK


class Channel(SyncClientCore):
    """A blocking, thread-safe client connection to one protozmq server endpoint.

    ``endpoint`` is a ZeroMQ endpoint (``ipc://``, ``tcp://``, ``inproc://``); moving the server
    to another machine means changing only this string. The channel connects (or binds with
    ``bind=True``) a DEALER, with ``ZMQ_IMMEDIATE`` and ZMTP heartbeats. Calls made before the
    first connection wait up to ``connect_timeout`` seconds for it; after a connection is lost
    they fail fast with UNAVAILABLE until ZeroMQ reconnects. Nothing is ever retried. (inproc:
    libzmq queues for an ``inproc://`` name nobody has bound yet, so such a call waits for a
    server until its deadline instead.)

    ``context`` defaults to ``zmq.Context.instance()``; ``inproc://`` needs the server's context.

    Share one channel among threads: a thread calling while no other reads the socket sends and
    receives on it itself (no hand-off to another thread, so a lone caller's round trip costs
    what a raw pyzmq DEALER's does); concurrent calls are multiplexed on the same socket.

    Example::

        with Channel("ipc:///tmp/game.sock") as channel:
            reply = channel.unary(EVALUATE, EvalRequest(position="e4"), timeout=0.5)
            for update in channel.server_stream(WATCH, WatchRequest(), metadata={"x-user": "ada"}):
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

    # -- calls -----------------------------------------------------------------------------------

    @overload
    def unary(
        self,
        method: MethodDescriptor[Req, Resp],
        request: Req,
        *,
        timeout: float | None = ...,
        metadata: MetadataLike | None = ...,
        with_call: Literal[False] = ...,
    ) -> Resp: ...
    @overload
    def unary(
        self,
        method: MethodDescriptor[Req, Resp],
        request: Req,
        *,
        timeout: float | None = ...,
        metadata: MetadataLike | None = ...,
        with_call: Literal[True],
    ) -> tuple[Resp, CallInfo]: ...
    def unary(
        self,
        method: MethodDescriptor[Req, Resp],
        request: Req,
        *,
        timeout: float | None = None,
        metadata: MetadataLike | None = None,
        with_call: bool = False,
    ) -> Resp | tuple[Resp, CallInfo]:
        """Call a unary method and return its response; raise ``RpcError`` on any other status.

        ``timeout`` (seconds) sets the deadline; ``metadata`` is sent as request headers. With
        ``with_call=True`` the result is ``(response, CallInfo)``, giving the response headers
        and trailers.

        Example::

            reply = channel.unary(EVALUATE, EvalRequest(position="e4"), timeout=0.5)
            reply, info = channel.unary(EVALUATE, request, metadata={"x-user": "ada"}, with_call=True)
            print(info.trailers.get("x-cost"))
        """
        data = method.request_serializer(request)
        deadline = None if timeout is None else time.monotonic() + timeout
        got = None
        if metadata is None and not with_call:
            # A sequential caller's usual call, in one piece (see _unary_alone).
            got = self._unary_alone(method, data, timeout, deadline)
            if type(got) is bytes:
                try:
                    return method.response_deserializer(got)
                except Exception as e:
                    raise RpcError(StatusCode.INTERNAL, f"response does not decode: {e}") from e
        if got is None:
            # No kick: this thread sends the REQUEST itself if the socket is free (see _next_item).
            call = self._start(method, _UNARY_FLAGS, data, timeout, metadata, kick=False)
        else:
            assert isinstance(got, _SyncCall)
            call = got  # holding the role: _next_item leads
        item = self._next_item(call, deadline)
        if type(item) is Outcome and item.code is _OK and item.payload is not None and not with_call:
            # The usual reply, one TRAILERS with the response: skip the general bookkeeping.
            try:
                return method.response_deserializer(item.payload)
            except Exception as e:
                raise RpcError(StatusCode.INTERNAL, f"response does not decode: {e}") from e
        final, last = self._wait_outcome(call, deadline, item)
        response = unary_response(method, final, last)
        return (response, CallInfo._of(final)) if with_call else response

    def server_stream(
        self,
        method: MethodDescriptor[Req, Resp],
        request: Req,
        *,
        timeout: float | None = None,
        metadata: MetadataLike | None = None,
    ) -> ResponseStream[Resp]:
        """Call a server-streaming method; iterate the result for the responses.

        The iterator raises ``RpcError`` if the call ends with a non-OK status. Leaving the loop
        early does not end the call: use the stream as a context manager, or call ``cancel()``.

        Example::

            with channel.server_stream(WATCH, WatchRequest(unit=7), timeout=10) as updates:
                for update in updates:
                    if update.done:
                        break
        """
        data = method.request_serializer(request)
        call = self._start(method, _UNARY_FLAGS, data, timeout, metadata)
        return ResponseStream(self, call, deadline_of(timeout))

    @overload
    def client_stream(
        self,
        method: MethodDescriptor[Req, Resp],
        requests: Iterable[Req],
        *,
        timeout: float | None = ...,
        metadata: MetadataLike | None = ...,
        with_call: Literal[False] = ...,
    ) -> Resp: ...
    @overload
    def client_stream(
        self,
        method: MethodDescriptor[Req, Resp],
        requests: Iterable[Req],
        *,
        timeout: float | None = ...,
        metadata: MetadataLike | None = ...,
        with_call: Literal[True],
    ) -> tuple[Resp, CallInfo]: ...
    def client_stream(
        self,
        method: MethodDescriptor[Req, Resp],
        requests: Iterable[Req],
        *,
        timeout: float | None = None,
        metadata: MetadataLike | None = None,
        with_call: bool = False,
    ) -> Resp | tuple[Resp, CallInfo]:
        """Call a client-streaming method: send every request of ``requests``, return the response.

        Sending stops early if the server ends the call first. If ``requests`` raises, the call
        is cancelled and the exception propagates.

        Example::

            total = channel.client_stream(SUM, (Number(value=i) for i in range(10)), timeout=1)
        """
        deadline = deadline_of(timeout)
        call = self._start(method, 0, None, timeout, metadata)
        stream = BidiStream[Req, Resp](self, call, deadline)
        stream._pump(requests, deadline, reraise=True)
        final, last = self._wait_outcome(call, deadline)
        response = unary_response(method, final, last)
        return (response, CallInfo._of(final)) if with_call else response

    def bidi_stream(
        self,
        method: MethodDescriptor[Req, Resp],
        requests: Iterable[Req] | None = None,
        *,
        timeout: float | None = None,
        metadata: MetadataLike | None = None,
    ) -> BidiStream[Req, Resp]:
        """Call a bidi-streaming method. Iterate the result for the responses.

        With ``requests``, a helper thread sends them (it may block on its source without
        blocking the caller) and half-closes at the end. Without, send with ``write()`` and
        finish with ``done_writing()``.

        Example::

            with channel.bidi_stream(CHAT, timeout=30) as chat:
                chat.write(Line(text="hello"))
                print(next(chat).text)
                chat.done_writing()
        """
        call = self._start(method, 0, None, timeout, metadata)
        stream = BidiStream[Req, Resp](self, call, deadline_of(timeout))
        if requests is not None:
            threading.Thread(
                target=stream._pump, args=(requests, None, False), name=f"protozmq-requests {method.path}", daemon=True
            ).start()
        return stream

    def oneway(
        self,
        method: MethodDescriptor[Req, Any],
        request: Req,
        *,
        timeout: float | None = None,
        metadata: MetadataLike | None = None,
    ) -> None:
        """Send a request the server runs without replying (fire-and-forget, flag ONEWAY).

        Returns once ZeroMQ accepted the request; raises ``RpcError`` UNAVAILABLE if no server is
        connected (after ``connect_timeout`` before the first connection). The server's outcome
        is never known. ``timeout`` still bounds the handler on the server.

        Example::

            channel.oneway(LOG_EVENT, LogLine(text="started"))
        """
        if method.kind != "unary":
            raise ValueError(f"oneway needs a unary method; {method.path} is {method.kind}")
        data = method.request_serializer(request)
        call = self._start(method, _ONEWAY_FLAGS, data, timeout, metadata, oneway=True, kick=False)
        final, _ = self._wait_outcome(call, None)
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
        kick: bool = True,
    ) -> _SyncCall:
        """Register a call and queue its REQUEST; ``kick=False`` when this thread waits next."""
        if data is not None:
            self._check_size(data)
        if timeout is not None and timeout <= 0:
            raise RpcError(StatusCode.DEADLINE_EXCEEDED, "deadline exceeded before the call started")
        call = _SyncCall(self._new_id(), method, oneway)
        packet = self._request_packet(call, flags, timeout, metadata, data)
        self._register(call)
        self._outbox.append(packet)
        if kick:
            self._kick()
        return call

    def _wait_outcome(
        self, call: _SyncCall, deadline: float | None, item: bytes | Outcome | None = None
    ) -> tuple[Outcome, bytes | None]:
        """The call's final Outcome and its last response message (``item``: one taken already)."""
        last: bytes | None = None
        while True:
            if item is None:
                item = self._next_item(call, deadline)
            if type(item) is bytes:
                last, item = item, None
                continue
            assert isinstance(item, Outcome)
            return item, last

    # -- lifecycle -------------------------------------------------------------------------------

    def close(self) -> None:
        """Fail open calls with CANCELLED, tell the server (best effort), close the socket (linger 0).

        Idempotent; called by ``with`` on exit.

        Example::

            channel = Channel("tcp://10.0.0.2:5555")
            try:
                ...
            finally:
                channel.close()
        """
        self._close()

    def __enter__(self) -> Channel:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()
