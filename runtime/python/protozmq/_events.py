"""``Event`` and the frames-to-event parser shared by ``Subscriber`` and ``AsyncSubscriber`` (PZMQ/1 7)."""

from __future__ import annotations

import collections
from typing import Any, Final, NamedTuple

import zmq

from . import protocol as P

__all__ = ["Event", "EventParser"]

_EVENT_UNPACK: Final = P._FIXED.unpack_from  # version, kind=EVENT, flags, seq
_V: Final = P.PROTOCOL_VERSION
_EVENT: Final = P._EVENT
_F_HAS_MESSAGE: Final = P._F_HAS_MESSAGE
_F_INLINE: Final = P._F_INLINE


class Event(NamedTuple):
    """One received event.

    Example::

        for event in subscriber:
            moved = UnitMoved.FromString(event.payload)
            print(event.topic, event.seq, moved.unit)
    """

    #: The full topic frame, e.g. ``"game.Events/UnitMoved/red"``.
    topic: str
    #: The publisher's per-topic sequence number (u32, wrapping).
    seq: int
    #: The serialized event message.
    payload: bytes


class EventParser:
    """Frames -> ``Event``; counts malformed messages and sequence gaps (shared by both subscribers)."""

    def __init__(self) -> None:
        # Per topic frame received: [topic as str, last sequence number or -1 before the first].
        self._topics: dict[bytes, list[Any]] = {}
        #: Events of a batch (PZMQ/1 7) not handed out yet.
        self._pending: collections.deque[Event] = collections.deque()
        #: Events known to be lost: the sum of sequence gaps seen per topic (PUB dropped them).
        self.gaps = 0
        #: Messages dropped because they are not PZMQ/1 events.
        self.dropped_messages = 0

    def _parse(self, frames: list[bytes]) -> Event | None:
        """One message's frames -> its first event (the others of a batch go to ``_pending``)."""
        n = len(frames)
        if n == 2:  # topic and one inline event, the usual
            return self._one_inline(frames[0], frames[1])
        if n < 2:
            self.dropped_messages += 1
            return None
        return self._batch(frames[0], frames[1:])

    def _read(self, sock: zmq.Socket[bytes], flags: int) -> Event | None:
        """Receive one message from ``sock`` and parse it (``None``: not events, dropped).

        With ``zmq.NOBLOCK`` raises ``zmq.Again`` when nothing is queued. Reads frame by frame as
        ``zmq.Frame`` objects, whose ``more`` flag comes with them: about half the cost of
        ``recv_multipart``, which asks the socket for ZMQ_RCVMORE after every frame. A batch's
        events after the first go to ``_pending``.
        """
        recv = sock.recv
        topic = recv(flags, copy=False)
        if topic.more:
            # ZeroMQ delivers a message whole: once its first frame is here, so are the others.
            frame = recv(zmq.NOBLOCK, copy=False)
            if not frame.more:
                return self._one_inline(topic.bytes, frame.bytes)
            rest: list[bytes] = [frame.bytes]
            while frame.more:
                frame = recv(zmq.NOBLOCK, copy=False)
                rest.append(frame.bytes)
            return self._batch(topic.bytes, rest)
        self.dropped_messages += 1
        return None

    def _one_inline(self, topic: bytes, frame: bytes) -> Event | None:
        """A message of one event: it must be inline (a two-frame header alone lacks its payload)."""
        if len(frame) < P.HEADER_SIZE:
            self.dropped_messages += 1
            return None
        version, kind, flags, seq = _EVENT_UNPACK(frame, 0)
        if version != _V or kind != _EVENT or not flags & _F_INLINE:
            self.dropped_messages += 1
            return None
        # EVENT has no body: the message is the rest of the frame (PZMQ/1 3, 7).
        return self._event(self._topic(topic), seq, frame[8:] if flags & _F_HAS_MESSAGE else b"")

    def _batch(self, topic: bytes, rest: list[bytes]) -> Event | None:
        """``rest``: the EVENT packets of one topic, inline or two-frame. Taken or dropped whole."""
        seqs: list[int] = []
        payloads: list[bytes] = []
        n = len(rest)
        i = 0
        while i < n:
            header = rest[i]
            if len(header) < P.HEADER_SIZE:
                break
            version, kind, flags, seq = _EVENT_UNPACK(header, 0)
            if version != _V or kind != _EVENT:
                break
            if flags & _F_INLINE:
                payloads.append(header[8:] if flags & _F_HAS_MESSAGE else b"")
                i += 1
            elif i + 1 < n:
                payloads.append(rest[i + 1])
                i += 2
            else:
                break  # a header without its payload frame
            seqs.append(seq)
        if i < n:
            self.dropped_messages += 1
            return None
        state = self._topic(topic)
        first = self._event(state, seqs[0], payloads[0])
        self._pending.extend(self._event(state, seq, p) for seq, p in zip(seqs[1:], payloads[1:]))
        return first

    def _topic(self, topic: bytes) -> list[Any]:
        # The topic is decoded once per distinct frame, not once per event.
        state = self._topics.get(topic)
        if state is None:
            state = self._topics[topic] = [topic.decode("utf-8", "replace"), -1]
        return state

    def _event(self, state: list[Any], seq: int, payload: bytes) -> Event:
        last: int = state[1]
        if last != -1:
            expected = 0 if last >= P.MAX_U32 else last + 1
            if seq != expected:
                self.gaps += (seq - expected) % 0x100000000
        state[1] = seq
        return Event(state[0], seq, payload)
