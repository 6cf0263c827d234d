"""Calls in progress, as the caller holds them: the streams returned by the channels.

``ResponseStream`` / ``BidiStream`` (blocking, returned by ``Channel``) and ``AsyncResponseStream`` /
``AsyncBidiStream`` (asyncio, returned by ``AsyncChannel``), plus the per-call state each channel's
socket side fills: ``_SyncCall`` queues response messages and the final ``Outcome`` on a
``queue.SimpleQueue`` for the waiting thread; ``_AsyncCall`` keeps them in a deque and wakes one
waiting future. Mirrors ``runtime/ts/src/stream.ts``; re-exported by ``protozmq.channel``.
"""

from __future__ import annotations

import asyncio
import collections
import queue
import time
from collections.abc import AsyncIterable, AsyncIterator, Iterable, Iterator
from types import TracebackType
from typing import TYPE_CHECKING, Any, Final, Generic, TypeVar

from . import protocol as P
from ._call import ClientCall, Outcome
from .errors import RpcError
from .metadata import Metadata
from .method import MethodDescriptor
from .status import StatusCode

if TYPE_CHECKING:
    from .aio_channel import AsyncChannel
    from .channel import Channel

__all__ = ["AsyncBidiStream", "AsyncResponseStream", "BidiStream", "ResponseStream"]

Req = TypeVar("Req")
Resp = TypeVar("Resp")
# "with channel.bidi_stream(...) as chat" must keep BidiStream's type (write, done_writing).
_Stream = TypeVar("_Stream", bound="ResponseStream[Any]")
_AsyncStream = TypeVar("_AsyncStream", bound="AsyncResponseStream[Any]")

_OK: Final = StatusCode.OK


class _SyncCall(ClientCall):
    # One queue per call carries the response messages (bytes) and finally the Outcome, in order;
    # also the channel's hand-off token (see _sync_client), hence "object".
    __slots__ = ("queue",)

    def __init__(self, call_id: int, method: MethodDescriptor[Any, Any], oneway: bool = False) -> None:
        # ClientCall.__init__, inlined: one call per RPC on the caller's critical path.
        self.call_id = call_id
        self.method = method
        self.sent = False
        self.finished = False
        self.oneway = oneway
        self.headers: Metadata | None = None
        self.queue: queue.SimpleQueue[object] = queue.SimpleQueue()

    def on_message(self, payload: bytes) -> None:
        self.queue.put(payload)

    def on_finish(self, final: Outcome) -> None:
        self.queue.put(final)


class _AsyncCall(ClientCall):
    # Messages (bytes) and finally the Outcome, in order; the reader parks on `waiter`. With
    # `direct` (AsyncChannel.unary waits), a plain OK reply's response is the waiter's result.
    __slots__ = ("items", "waiter", "timer", "direct")

    def __init__(self, call_id: int, method: MethodDescriptor[Any, Any], oneway: bool = False) -> None:
        # ClientCall.__init__, inlined (see _SyncCall).
        self.call_id = call_id
        self.method = method
        self.sent = False
        self.finished = False
        self.oneway = oneway
        self.headers: Metadata | None = None
        self.items: collections.deque[bytes | Outcome] = collections.deque()
        self.waiter: asyncio.Future[bytes | None] | None = None
        self.timer: asyncio.TimerHandle | None = None
        self.direct = False

    def on_message(self, payload: bytes) -> None:
        self.items.append(payload)
        w = self.waiter
        if w is not None and not w.done():
            w.set_result(None)

    def on_ok(self, payload: bytes) -> None:
        # A unary caller waiting gets the response as its waiter's result: no Outcome to build
        # and take apart, once per pipelined call. Anyone else gets the Outcome, as on_finish.
        w = self.waiter
        if self.direct and w is not None and not w.done():
            if self.timer is not None:
                self.timer.cancel()
            w.set_result(payload)
            return
        self.on_finish(Outcome(_OK, "", None, self.headers, None, payload))

    def on_finish(self, final: Outcome) -> None:
        if self.timer is not None:
            self.timer.cancel()
        self.items.append(final)
        w = self.waiter
        if w is not None and not w.done():
            w.set_result(None)


class ResponseStream(Generic[Resp]):
    """The responses of a server-streaming (or bidi) call, as a blocking iterator.

    Also a context manager that cancels the call if it is still open on exit.

    Example::

        stream = channel.server_stream(WATCH, WatchRequest(), timeout=5)
        print(stream.headers().get("x-server"))
        for update in stream:
            print(update)
        print(stream.code(), stream.trailers())
    """

    def __init__(self, channel: Channel, call: _SyncCall, deadline: float | None) -> None:
        self._channel = channel
        self._call = call
        self._deadline = deadline
        # Items taken off the queue early by headers()/trailers(), served first by __next__.
        self._buffer: collections.deque[bytes | Outcome] = collections.deque()
        self._final: Outcome | None = None

    def __iter__(self) -> Iterator[Resp]:
        return self

    def __next__(self) -> Resp:
        if self._final is not None:
            return self._end()
        item = self._buffer.popleft() if self._buffer else self._take()
        if type(item) is bytes:
            try:
                return self._call.method.response_deserializer(item)  # type: ignore[no-any-return]
            except Exception as e:
                self._channel._abandon(self._call, StatusCode.INTERNAL, f"response does not decode: {e}")
                raise RpcError(StatusCode.INTERNAL, f"response does not decode: {e}") from e
        assert isinstance(item, Outcome)
        self._final = item
        return self._end()

    def _end(self) -> Resp:
        assert self._final is not None
        if self._final.code is _OK:
            raise StopIteration
        raise self._final.error()

    def _take(self) -> bytes | Outcome:
        # The next item; the channel reads the socket for it if nobody else does, and ends the
        # call with DEADLINE_EXCEEDED at the deadline.
        return self._channel._next_item(self._call, self._deadline)

    def headers(self) -> Metadata:
        """The response headers; waits for the first server packet (messages stay queued).

        Example::

            stream.headers().get("x-server")
        """
        while self._call.headers is None and self._final is None:
            item = self._take()
            self._buffer.append(item)
            if isinstance(item, Outcome):
                return item.headers or Metadata()
        if self._call.headers is not None:
            return self._call.headers
        assert self._final is not None
        return self._final.headers or Metadata()

    def _wait_final(self) -> Outcome:
        if self._final is not None:
            return self._final
        for item in self._buffer:
            if isinstance(item, Outcome):
                return item
        while True:
            item = self._take()
            self._buffer.append(item)
            if isinstance(item, Outcome):
                return item

    def trailers(self) -> Metadata:
        """The trailers; waits for the end of the call (responses not yet read stay queued).

        Example::

            stream.trailers().get("x-cost")
        """
        return self._wait_final().trailers or Metadata()

    def code(self) -> StatusCode:
        """The final status code; waits for the end of the call.

        Example::

            if stream.code() is StatusCode.OK: ...
        """
        return self._wait_final().code

    def cancel(self) -> bool:
        """Cancel the call (CANCEL to the server); iteration then raises CANCELLED. False if already over.

        Example::

            stream.cancel()
        """
        return self._channel._abandon(self._call, StatusCode.CANCELLED, "cancelled by the client")

    def __enter__(self: _Stream) -> _Stream:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.cancel()

    def __del__(self) -> None:
        # A stream dropped before its end would otherwise keep the server streaming to nobody.
        try:
            if not self._call.finished:
                self.cancel()
        except Exception:  # pragma: no cover - interpreter shutdown
            pass


class BidiStream(ResponseStream[Resp], Generic[Req, Resp]):
    """A bidi-streaming call: a ``ResponseStream`` you can also ``write()`` requests to.

    Example::

        chat = channel.bidi_stream(CHAT)
        chat.write(Line(text="hi"))
        chat.done_writing()
        for line in chat:
            print(line.text)
    """

    def __init__(self, channel: Channel, call: _SyncCall, deadline: float | None) -> None:
        super().__init__(channel, call, deadline)
        self._done_writing = False

    def write(self, request: Req) -> bool:
        """Queue one request; False (nothing sent) if the call is already over.

        Raises ``RpcError`` RESOURCE_EXHAUSTED (and cancels the call) for an oversized request.

        Example::

            chat.write(Line(text="hello"))
        """
        if self._done_writing:
            raise ValueError("write() after done_writing()")
        call = self._call
        if call.finished:
            return False
        data = call.method.request_serializer(request)
        try:
            self._channel._check_size(data)
        except RpcError as e:
            self._channel._abandon(call, e.code, e.message)
            raise
        self._channel._submit_message(call, 0, data)
        return True

    def done_writing(self) -> None:
        """Half-close: tell the server no more requests follow (MESSAGE with END).

        Example::

            chat.done_writing()
        """
        if not self._done_writing:
            self._done_writing = True
            self._channel._submit_message(self._call, P._F_END, None)

    def _pump(self, requests: Iterable[Req], deadline: float | None, reraise: bool) -> None:
        try:
            for request in requests:
                if self._call.finished:
                    return
                if deadline is not None and time.monotonic() >= deadline:
                    self._channel._abandon(self._call, StatusCode.DEADLINE_EXCEEDED, "deadline exceeded")
                    return
                self.write(request)
            self.done_writing()
        except RpcError:
            return  # write() already ended the call
        except BaseException as e:
            self._channel._abandon(self._call, StatusCode.CANCELLED, f"request iterator raised {e!r}")
            if reraise:  # client_stream runs this in the caller: let it see the error
                raise


class AsyncResponseStream(Generic[Resp]):
    """The responses of a server-streaming (or bidi) call, as an async iterator.

    Also an async context manager that cancels the call if it is still open on exit.

    Example::

        stream = channel.server_stream(WATCH, WatchRequest(), timeout=5)
        print((await stream.headers()).get("x-server"))
        async for update in stream:
            print(update)
        print(await stream.code(), await stream.trailers())
    """

    def __init__(self, channel: AsyncChannel, call: _AsyncCall) -> None:
        self._channel = channel
        self._call = call
        self._final: Outcome | None = None

    def __aiter__(self) -> AsyncIterator[Resp]:
        return self

    async def __anext__(self) -> Resp:
        if self._final is None:
            item = await self._channel._next(self._call)
            if type(item) is bytes:
                try:
                    return self._call.method.response_deserializer(item)  # type: ignore[no-any-return]
                except Exception as e:
                    self._channel._abandon(self._call, StatusCode.INTERNAL, f"response does not decode: {e}")
                    raise RpcError(StatusCode.INTERNAL, f"response does not decode: {e}") from e
            assert isinstance(item, Outcome)
            self._final = item
        if self._final.code is _OK:
            raise StopAsyncIteration
        raise self._final.error()

    async def headers(self) -> Metadata:
        """The response headers; waits for the first server packet (messages stay queued).

        Example::

            (await stream.headers()).get("x-server")
        """
        call = self._call
        while call.headers is None and not call.finished and self._final is None:
            await self._wait_change()
        if call.headers is not None:
            return call.headers
        return (await self._wait_final()).headers or Metadata()

    async def _wait_change(self) -> None:
        # Parks until the socket side appends the next item (message or Outcome) to the call.
        waiter = self._call.waiter = self._channel._loop.create_future()  # type: ignore[union-attr]
        try:
            await waiter
        finally:
            self._call.waiter = None

    async def _wait_final(self) -> Outcome:
        while self._final is None:
            for item in self._call.items:
                if isinstance(item, Outcome):
                    return item
            await self._wait_change()
        return self._final

    async def trailers(self) -> Metadata:
        """The trailers; waits for the end of the call (unread responses stay queued).

        Example::

            (await stream.trailers()).get("x-cost")
        """
        return (await self._wait_final()).trailers or Metadata()

    async def code(self) -> StatusCode:
        """The final status code; waits for the end of the call.

        Example::

            if await stream.code() is StatusCode.OK: ...
        """
        return (await self._wait_final()).code

    def cancel(self) -> bool:
        """Cancel the call (CANCEL to the server); iteration then raises CANCELLED. False if already over.

        Example::

            stream.cancel()
        """
        return self._channel._abandon(self._call, StatusCode.CANCELLED, "cancelled by the client")

    async def __aenter__(self: _AsyncStream) -> _AsyncStream:
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.cancel()

    def __del__(self) -> None:
        # A stream dropped before its end would otherwise keep the server streaming to nobody.
        try:
            loop = self._channel._loop
            if not self._call.finished and loop is not None and not loop.is_closed():
                loop.call_soon_threadsafe(self.cancel)
        except Exception:  # pragma: no cover - interpreter shutdown
            pass


class AsyncBidiStream(AsyncResponseStream[Resp], Generic[Req, Resp]):
    """A bidi-streaming call: an ``AsyncResponseStream`` you can also ``write()`` requests to.

    Example::

        chat = channel.bidi_stream(CHAT)
        await chat.write(Line(text="hi"))
        await chat.done_writing()
        async for line in chat:
            print(line.text)
    """

    def __init__(self, channel: AsyncChannel, call: _AsyncCall) -> None:
        super().__init__(channel, call)
        self._done_writing = False
        self._pump_task: asyncio.Task[None] | None = None

    async def write(self, request: Req) -> bool:
        """Queue one request; False (nothing sent) if the call is already over.

        Raises ``RpcError`` RESOURCE_EXHAUSTED (and cancels the call) for an oversized request.

        Example::

            await chat.write(Line(text="hello"))
        """
        if self._done_writing:
            raise ValueError("write() after done_writing()")
        call = self._call
        if call.finished:
            return False
        data = call.method.request_serializer(request)
        try:
            self._channel._check_size(data)
        except RpcError as e:
            self._channel._abandon(call, e.code, e.message)
            raise
        self._channel._submit_message(call, 0, data)
        return True

    async def done_writing(self) -> None:
        """Half-close: no more requests follow (MESSAGE with END).

        Example::

            await chat.done_writing()
        """
        if not self._done_writing:
            self._done_writing = True
            self._channel._submit_message(self._call, P._F_END, None)

    def cancel(self) -> bool:
        """Cancel the call and stop sending ``requests``; see ``AsyncResponseStream.cancel``.

        Example::

            chat.cancel()
        """
        if self._pump_task is not None and not self._pump_task.done():
            self._pump_task.cancel()
        return super().cancel()

    async def _pump(self, requests: Iterable[Req] | AsyncIterable[Req]) -> None:
        try:
            if isinstance(requests, AsyncIterable):
                async for request in requests:
                    if self._call.finished or not await self.write(request):
                        return
            else:
                for request in requests:
                    if self._call.finished or not await self.write(request):
                        return
            await self.done_writing()
        except RpcError:
            return  # write() already ended the call
        except Exception as e:
            self._channel._abandon(self._call, StatusCode.CANCELLED, f"request iterator raised {e!r}")
            if self._pump_task is None:  # client_stream awaits this directly: let it see the error
                raise
