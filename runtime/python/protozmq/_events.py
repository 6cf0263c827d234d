"""``Event`` and the frames-to-event parser shared by ``Subscriber`` and ``AsyncSubscriber`` (PZMQ/1 7)."""

from __future__ import annotations

import collections
from typing import Any, Final, NamedTuple, Union

import zmq

from . import protocol as P

#: A header frame: bytes, or a ``zmq.Frame`` received without a copy.
_HeaderFrame = Union[bytes, zmq.Frame]

__all__ = ["Event", "EventParser"]

_EVENT_HEADER: Final = P._FIXED  # version, kind=EVENT, flags=HAS_MESSAGE, seq


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
        if n == 3:
            return self._one(frames[0], frames[1], frames[2])
        if n < 3 or n % 2 == 0:
            self.dropped_messages += 1
            return None
        return self._batch(frames[0], list(frames[1:]))

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
            header = recv(zmq.NOBLOCK, copy=False)
            if header.more:
                payload = recv(zmq.NOBLOCK, copy=False)
                if not payload.more:
                    return self._one(topic.bytes, header, payload.bytes)
                rest: list[Any] = [header, payload.bytes]
                more = True
                while more:
                    frame = recv(zmq.NOBLOCK, copy=False)
                    more = frame.more
                    rest.append(frame if len(rest) % 2 == 0 else frame.bytes)  # headers stay frames
                if len(rest) % 2 == 0:
                    return self._batch(topic.bytes, rest)
        self.dropped_messages += 1
        return None

    def _one(self, topic: bytes, header: _HeaderFrame, payload: bytes) -> Event | None:
        seq = _seq(header)
        if seq < 0:
            self.dropped_messages += 1
            return None
        return self._event(self._topic(topic), seq, payload)

    def _batch(self, topic: bytes, rest: list[Any]) -> Event | None:
        """``rest``: header, payload, header, payload... of one topic. Taken or dropped whole."""
        seqs = [_seq(h) for h in rest[0::2]]
        if min(seqs) < 0:
            self.dropped_messages += 1
            return None
        state = self._topic(topic)
        payloads = rest[1::2]
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


def _seq(header: _HeaderFrame) -> int:
    """The sequence number of an EVENT header frame, or -1 when it is not one."""
    if len(header) < P.HEADER_SIZE:
        return -1
    # zmq.Frame has the buffer protocol (pyzmq's stubs do not say so): read it in place.
    version, kind, _, seq = _EVENT_HEADER.unpack_from(header, 0)  # type: ignore[arg-type]
    return seq if version == P.PROTOCOL_VERSION and kind == P._EVENT else -1
