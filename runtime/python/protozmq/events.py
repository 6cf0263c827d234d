"""Events over PUB/SUB (PZMQ/1 section 7): ``Publisher``, ``Subscriber``, ``AsyncSubscriber``.

::

    Publisher (XPUB) -- topic | header(EVENT, seq) | payload --> Subscriber (SUB), prefix-filtered
                     <-- subscribe/unsubscribe (read by wait_for_subscriber) --

The topic is the first frame so that ZeroMQ's own prefix matching does the filtering (on the
publisher side for tcp/ipc, so unwanted events never cross the wire). The header's call id is a
per-topic sequence number starting at 0: subscribers count gaps, which happen when a subscriber
is slower than the publisher and ZeroMQ's high-water mark drops events (PUB never blocks).
Mirrors ``runtime/ts/src/events.ts`` and ``subscriber.ts``.
"""

from __future__ import annotations

import collections
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from types import TracebackType
from typing import Any, Final

import zmq

from . import protocol as P
from ._events import Event, EventParser
from ._transport import LOG, Waker, close_socket
from .aio_events import AsyncSubscriber

__all__ = ["AsyncSubscriber", "Event", "Publisher", "Subscriber"]

_EVENT_HEADER: Final = P._FIXED  # version, kind=EVENT, flags=HAS_MESSAGE [| INLINE], seq
_HAS_MESSAGE: Final = P._F_HAS_MESSAGE
_HAS_MESSAGE_INLINE: Final = P._F_HAS_MESSAGE | P._F_INLINE
_INLINE_MAX: Final = P.INLINE_MAX_BYTES
_NOBLOCK: Final = int(zmq.NOBLOCK)
_V: Final = P.PROTOCOL_VERSION
_EVENT: Final = P._EVENT
_MORE: Final = zmq.SNDMORE | zmq.NOBLOCK
#: Payloads of this many bytes or more are sent without a copy (``copy=False``); smaller ones are
#: copied, which pyzmq's documentation says is cheaper below about 64 KiB.
ZERO_COPY_MIN: Final = 1 << 16


class Publisher:
    """Publishes events on a ZeroMQ XPUB socket; binds (usual) or connects. Thread-safe.

    ``sndhwm`` (ZMQ_SNDHWM) is how many events queue per subscriber before ZeroMQ drops new ones.

    Example::

        pub = Publisher("ipc:///tmp/game-events.sock")
        pub.wait_for_subscriber("game.Events/UnitMoved", timeout=2.0)  # optional: no slow-joiner loss
        pub.publish("game.Events/UnitMoved/red", UnitMoved(unit=7).SerializeToString())
        pub.close()
    """

    def __init__(
        self,
        endpoint: str | None = None,
        *,
        context: zmq.Context[Any] | None = None,
        bind: bool = True,
        sndhwm: int | None = None,
    ) -> None:
        ctx = context if context is not None else zmq.Context.instance()
        sock: zmq.Socket[bytes] = ctx.socket(zmq.XPUB)
        sock.setsockopt(zmq.LINGER, 0)
        # Pass every subscribe and unsubscribe up, so the counts in _subs are exact.
        sock.setsockopt(zmq.XPUB_VERBOSE, 1)
        sock.setsockopt(zmq.XPUB_VERBOSER, 1)
        if sndhwm is not None:
            sock.setsockopt(zmq.SNDHWM, sndhwm)
        self._sock = sock
        self._lock = threading.Lock()  # one socket, many publishing threads
        # Per topic: its frame (encoded once) and the next sequence number.
        self._topics: dict[str, list[Any]] = {}
        self._subs: collections.Counter[str] = collections.Counter()
        self._closed = False
        #: The endpoints bound so far, resolved (``tcp://127.0.0.1:*`` becomes the real port).
        self.endpoints: list[str] = []
        if endpoint is not None:
            if bind:
                self.bind(endpoint)
            else:
                self.connect(endpoint)

    def bind(self, endpoint: str) -> str:
        """Bind (may be called several times); returns the endpoint with the chosen port for ``:*``.

        Example::

            endpoint = pub.bind("tcp://127.0.0.1:*")
        """
        with self._lock:
            self._sock.bind(endpoint)
            actual = self._sock.getsockopt_string(zmq.LAST_ENDPOINT) if endpoint.startswith("tcp://") else endpoint
        self.endpoints.append(actual)
        return actual

    def connect(self, endpoint: str) -> None:
        """Connect to a subscriber (or proxy) that binds.

        Example::

            pub.connect("tcp://10.0.0.5:7000")
        """
        with self._lock:
            self._sock.connect(endpoint)

    def publish(self, topic: str, payload: bytes | bytearray | memoryview) -> int:
        """Send one event; returns its sequence number. Never blocks (a slow subscriber loses events).

        ``topic`` is ``"<package>.<Service>/<Method>"``, optionally followed by ``"/" suffix``.
        A payload of at most ``INLINE_MAX_BYTES`` (16 KiB) goes in one frame with its header (PZMQ/1
        7: two frames with the topic); a larger one in a frame of its own, and from ``ZERO_COPY_MIN``
        (64 KiB) without a copy: if it is a mutable buffer (``bytearray``, ``memoryview``), do not
        change it after publishing.

        Example::

            pub.publish("game.Events/UnitMoved", UnitMoved(unit=7).SerializeToString())
        """
        with self._lock:
            state = self._topic_state(topic)
            seq: int = state[1]
            state[1] = 0 if seq >= P.MAX_U32 else seq + 1
            # Plain sends rather than send_multipart (which type-checks every part first and loops
            # in Python). A small event is inline: one copy of the payload behind its header costs
            # less than a frame. A large one is handed over as its own frame, without a copy from
            # ~64 KiB (where pyzmq's zero-copy starts to pay).
            send = self._sock.send
            try:
                send(state[0], _MORE)
                if len(payload) <= _INLINE_MAX:
                    send(_EVENT_HEADER.pack(_V, _EVENT, _HAS_MESSAGE_INLINE, seq) + payload, _NOBLOCK)
                else:
                    send(_EVENT_HEADER.pack(_V, _EVENT, _HAS_MESSAGE, seq), _MORE)
                    send(payload, _NOBLOCK, copy=len(payload) < ZERO_COPY_MIN)
            except zmq.Again:
                pass  # XPUB_NODROP-like refusal: the event is lost, as a drop would lose it
            return seq

    def _topic_state(self, topic: str) -> list[Any]:
        """``[topic frame, next seq]`` of ``topic``, made on first use; the caller holds the lock."""
        if self._closed:
            raise RuntimeError("publisher closed")
        state = self._topics.get(topic)
        if state is None:
            state = self._topics[topic] = [topic.encode("utf-8"), 0]
        return state

    def publish_many(self, topic: str, payloads: Iterable[bytes], *, batch: int = 64) -> int:
        """Send events of one topic, up to ``batch`` per ZeroMQ message; returns the first's seq.

        Batching (PZMQ/1 7): one message carries the topic frame once, then one EVENT packet per
        event (inline, or header and payload frames for one over ``INLINE_MAX_BYTES``).
        Subscribers (TS and Python) hand the events out one by one, in order. Fewer messages cost
        less on both sides; the high-water mark counts messages, so a batch is delivered or
        dropped whole. ``batch=1`` is ``publish`` in a loop.

        Example::

            first = pub.publish_many("game.Events/UnitMoved", [m.SerializeToString() for m in moves])
        """
        items = list(payloads)
        batch = max(1, batch)
        with self._lock:
            state = self._topic_state(topic)
            first: int = state[1]
            send = self._sock.send
            pack = _EVENT_HEADER.pack
            for start in range(0, len(items), batch):
                chunk = items[start : start + batch]
                try:
                    send(state[0], _MORE)
                    last = len(chunk) - 1
                    for i, payload in enumerate(chunk):
                        seq: int = state[1]
                        state[1] = 0 if seq >= P.MAX_U32 else seq + 1
                        more = _MORE if i < last else _NOBLOCK
                        if len(payload) <= _INLINE_MAX:
                            send(pack(_V, _EVENT, _HAS_MESSAGE_INLINE, seq) + payload, more)
                        else:
                            send(pack(_V, _EVENT, _HAS_MESSAGE, seq), _MORE)
                            send(payload, more, copy=len(payload) < ZERO_COPY_MIN)
                except zmq.Again:
                    pass  # as in publish: the events are lost, as a drop would lose them
            return first

    def wait_for_subscriber(self, topic: str = "", timeout: float = 5.0) -> bool:
        """Wait until some subscription matches ``topic`` (a publish would reach it); False on timeout.

        ``""`` waits for any subscription. Avoids ZeroMQ's slow-joiner loss in tests and at start-up.

        Example::

            assert pub.wait_for_subscriber("game.Events/", timeout=2.0)
        """
        end = time.monotonic() + timeout
        while True:
            with self._lock:
                # Receive before every poll: subscriptions of inproc subscribers that connected
                # before the bind arrive without a ZMQ_FD signal, but a receive finds them.
                self._read_subscriptions()
                if self._matches(topic):
                    return True
                left = end - time.monotonic()
                if left <= 0 or self._closed:
                    return False
                # Polling under the lock blocks publishers only while nobody is subscribed yet.
                self._sock.poll(max(1, int(min(left, 0.05) * 1000)), zmq.POLLIN)

    @property
    def subscriptions(self) -> int:
        """Number of active subscriptions (subscribers x prefixes) seen so far.

        Example::

            pub.subscriptions  # 2
        """
        with self._lock:
            self._read_subscriptions()
            return sum(self._subs.values())

    def _read_subscriptions(self) -> None:
        while True:
            try:
                frame = self._sock.recv(zmq.NOBLOCK)
            except zmq.Again:
                return
            if not frame or frame[0] not in (0, 1):
                continue
            prefix = frame[1:].decode("utf-8", "replace")
            self._subs[prefix] += 1 if frame[0] == 1 else -1
            if self._subs[prefix] <= 0:
                del self._subs[prefix]

    def _matches(self, topic: str) -> bool:
        return any(n > 0 and topic.startswith(prefix) for prefix, n in self._subs.items())

    def close(self) -> None:
        """Close with linger 0 (queued events not yet sent are dropped). Idempotent.

        Example::

            pub.close()
        """
        with self._lock:
            self._closed = True
            close_socket(self._sock)

    def __enter__(self) -> Publisher:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()


class Subscriber(EventParser):
    """Receives events on a ZeroMQ SUB socket, filtered by topic prefix (blocking).

    Iterate it, call ``recv(timeout)``, or hand events to a callback on a thread with ``listen``.
    ``rcvhwm`` (ZMQ_RCVHWM) bounds the events queued here before ZeroMQ drops new ones.

    Example::

        sub = Subscriber("ipc:///tmp/game-events.sock", topics=["game.Events/UnitMoved"])
        for event in sub:
            moved = UnitMoved.FromString(event.payload)
            if moved.unit == 0:
                break
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
        sock: zmq.Socket[bytes] = ctx.socket(zmq.SUB)
        sock.setsockopt(zmq.LINGER, 0)
        if rcvhwm is not None:
            sock.setsockopt(zmq.RCVHWM, rcvhwm)
        self._sock = sock
        # After listen(), the listener thread owns the socket; other threads queue commands.
        self._listener: threading.Thread | None = None
        self._commands: collections.deque[tuple[str, str]] = collections.deque()
        self._waker = Waker()
        self._closed = False
        for topic in topics:
            self.subscribe(topic)
        if endpoint is not None:
            if bind:
                sock.bind(endpoint)
            else:
                sock.connect(endpoint)

    def connect(self, endpoint: str) -> None:
        """Connect to a publisher; may be called for several publishers (before ``listen``).

        Example::

            sub.connect("tcp://10.0.0.2:7000")
        """
        self._sock.connect(endpoint)

    def subscribe(self, prefix: str = "") -> None:
        """Receive events whose topic starts with ``prefix``: a method path for one method, the
        service path with a trailing ``/`` for all its methods, ``""`` for everything.

        Example::

            sub.subscribe("game.Events/")
        """
        self._command("sub", prefix)

    def unsubscribe(self, prefix: str = "") -> None:
        """Undo one ``subscribe(prefix)``.

        Example::

            sub.unsubscribe("game.Events/")
        """
        self._command("unsub", prefix)

    def _command(self, op: str, prefix: str) -> None:
        listener = self._listener
        if listener is not None and listener is not threading.current_thread():
            self._commands.append((op, prefix))
            self._waker.wake()
        else:
            self._apply(op, prefix)

    def _apply(self, op: str, prefix: str) -> None:
        self._sock.setsockopt(zmq.SUBSCRIBE if op == "sub" else zmq.UNSUBSCRIBE, prefix.encode("utf-8"))

    def recv(self, timeout: float | None = None) -> Event | None:
        """The next event, or ``None`` after ``timeout`` seconds (or once closed).

        Example::

            event = sub.recv(timeout=1.0)
        """
        if self._listener is not None:
            raise RuntimeError("recv() on a Subscriber that has a listen() thread")
        if self._pending:
            return self._pending.popleft()
        end = None if timeout is None else time.monotonic() + timeout
        sock = self._sock
        while not self._closed:
            try:
                # While events are queued, no poll (a poll per event costs more than the receive).
                event = self._read(sock, zmq.NOBLOCK)
            except zmq.Again:
                if end is None:
                    event = self._read(sock, 0)
                else:
                    left = end - time.monotonic()
                    if left <= 0 or not sock.poll(max(1, int(left * 1000)), zmq.POLLIN):
                        return None
                    continue
            if event is not None:
                return event
        return None

    def __iter__(self) -> Iterator[Event]:
        while True:
            event = self.recv()
            if event is None:
                return
            yield event

    def listen(self, callback: Callable[[Event], object]) -> threading.Thread:
        """Call ``callback(event)`` for every event on a new thread, until ``close()``.

        The thread owns the socket from now on; ``subscribe``/``unsubscribe`` still work from any
        thread. An exception in the callback is logged and the thread goes on.

        Example::

            sub.listen(lambda event: print(event.topic, event.seq))
        """
        if self._listener is not None:
            raise RuntimeError("listen() was already called")
        self._listener = threading.Thread(target=self._listen, args=(callback,), name="protozmq-subscriber", daemon=True)
        self._listener.start()
        return self._listener

    def _listen(self, callback: Callable[[Event], object]) -> None:
        poller = zmq.Poller()
        poller.register(self._sock, zmq.POLLIN)
        poller.register(self._waker.fd, zmq.POLLIN)
        try:
            while not self._closed:
                while self._commands:
                    self._apply(*self._commands.popleft())
                for what, _ in poller.poll():
                    if what is self._sock:
                        for _ in range(1024):
                            try:
                                event = self._read(self._sock, zmq.NOBLOCK)
                            except zmq.Again:
                                break
                            while event is not None:
                                try:
                                    callback(event)
                                except Exception:
                                    LOG.exception("protozmq: a Subscriber callback raised")
                                event = self._pending.popleft() if self._pending else None
                    else:
                        self._waker.clear()
        finally:
            close_socket(self._sock)
            self._waker.close()

    def close(self) -> None:
        """Close with linger 0; iteration ends, the ``listen`` thread exits. Idempotent.

        Example::

            sub.close()
        """
        if self._closed:
            return
        self._closed = True
        listener = self._listener
        if listener is not None:
            self._waker.wake()
            if listener is not threading.current_thread():
                listener.join()
        else:
            close_socket(self._sock)
            self._waker.close()

    def __enter__(self) -> Subscriber:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()
