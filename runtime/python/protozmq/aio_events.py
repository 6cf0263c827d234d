"""``AsyncSubscriber``: events with asyncio (re-exported by ``protozmq.events``).

Built on ``zmq.asyncio`` (a Future per receive is fine at event rates; the RPC hot paths use
``loop.add_reader`` directly instead, see ``aio_channel.py``).
"""

from __future__ import annotations

import asyncio
import inspect
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable
from typing import Any

import zmq
import zmq.asyncio

from ._events import Event, EventParser
from ._transport import LOG, close_socket

__all__ = ["AsyncSubscriber"]

#: ``recv`` reads queued events without awaiting; after this many in a row it yields once to the loop.
_YIELD_EVERY = 256


class AsyncSubscriber(EventParser):
    """Receives events on a SUB socket with asyncio (``zmq.asyncio``): ``async for``, ``recv``, or
    a callback task with ``start``. Use it from one event loop.

    Example::

        sub = AsyncSubscriber("ipc:///tmp/game-events.sock", topics=["game.Events/"])
        async for event in sub:
            print(event.topic, event.seq)
        sub.close()
    """

    def __init__(
        self,
        endpoint: str | None = None,
        *,
        topics: Iterable[str] = (),
        context: zmq.Context[Any] | None = None,
        bind: bool = False,
        rcvhwm: int | None = None,
    ) -> None:
        super().__init__()
        ctx = context if context is not None else zmq.Context.instance()
        sync_sock: zmq.Socket[bytes] = ctx.socket(zmq.SUB)
        sync_sock.setsockopt(zmq.LINGER, 0)
        if rcvhwm is not None:
            sync_sock.setsockopt(zmq.RCVHWM, rcvhwm)
        # The same context as the publisher (inproc needs it), seen through zmq.asyncio.
        self._sock = zmq.asyncio.Socket.from_socket(sync_sock)
        self._sync = sync_sock
        self._task: asyncio.Task[None] | None = None
        self._streak = 0
        self._closed = False
        for topic in topics:
            self.subscribe(topic)
        if endpoint is not None:
            if bind:
                self._sock.bind(endpoint)
            else:
                self._sock.connect(endpoint)

    def connect(self, endpoint: str) -> None:
        """Connect to a publisher; may be called for several publishers.

        Example::

            sub.connect("tcp://10.0.0.2:7000")
        """
        self._sock.connect(endpoint)

    def subscribe(self, prefix: str = "") -> None:
        """Receive events whose topic starts with ``prefix`` (see ``Subscriber.subscribe``).

        Example::

            sub.subscribe("game.Events/UnitMoved")
        """
        self._sock.setsockopt(zmq.SUBSCRIBE, prefix.encode("utf-8"))

    def unsubscribe(self, prefix: str = "") -> None:
        """Undo one ``subscribe(prefix)``.

        Example::

            sub.unsubscribe("game.Events/UnitMoved")
        """
        self._sock.setsockopt(zmq.UNSUBSCRIBE, prefix.encode("utf-8"))

    async def recv(self, timeout: float | None = None) -> Event | None:
        """The next event, or ``None`` after ``timeout`` seconds (or once closed).

        Example::

            event = await sub.recv(timeout=1.0)
        """
        end = None if timeout is None else time.monotonic() + timeout
        while not self._closed:
            # Events already queued (or left from a batch) are returned at once, without a
            # Future each; every _YIELD_EVERY such returns, one pass of the event loop lets
            # other tasks run.
            self._streak += 1
            if self._streak >= _YIELD_EVERY:
                self._streak = 0
                await asyncio.sleep(0)
                if self._closed:
                    return None
            if self._pending:
                return self._pending.popleft()
            try:
                event = self._read(self._sync, zmq.NOBLOCK)
            except zmq.Again:
                self._streak = 0
            except zmq.ZMQError:
                return None  # closed under us
            else:
                if event is not None:
                    return event
                continue
            try:
                if end is None:
                    frames = await self._sock.recv_multipart()
                else:
                    left = end - time.monotonic()
                    if left <= 0:
                        return None
                    frames = await asyncio.wait_for(self._sock.recv_multipart(), left)
            except asyncio.TimeoutError:
                return None
            except zmq.ZMQError:
                return None  # closed under us
            event = self._parse(frames)
            if event is not None:
                return event
        return None

    def __aiter__(self) -> AsyncIterator[Event]:
        return self._iterate()

    async def _iterate(self) -> AsyncIterator[Event]:
        while True:
            event = await self.recv()
            if event is None:
                return
            yield event

    def start(self, callback: Callable[[Event], object | Awaitable[object]]) -> asyncio.Task[None]:
        """Run ``callback(event)`` (a function or a coroutine function) for every event in a task.

        The task ends on ``close()``; cancel it to stop early. Exceptions are logged.

        Example::

            task = sub.start(on_event)
        """
        async def run() -> None:
            async for event in self:
                try:
                    result = callback(event)
                    if inspect.isawaitable(result):
                        await result
                except Exception:
                    LOG.exception("protozmq: an AsyncSubscriber callback raised")

        self._task = asyncio.get_running_loop().create_task(run())
        return self._task

    def close(self) -> None:
        """Close with linger 0; iteration ends. Idempotent.

        Example::

            sub.close()
        """
        if self._closed:
            return
        self._closed = True
        if self._task is not None and not self._task.done():
            self._task.cancel()
        self._sock.close(linger=0)
        close_socket(self._sync)
