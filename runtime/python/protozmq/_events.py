"""``Event`` and the frames-to-event parser shared by ``Subscriber`` and ``AsyncSubscriber`` (PZMQ/1 7)."""

from __future__ import annotations

from typing import Final, NamedTuple

from . import protocol as P

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
        self._last_seq: dict[str, int] = {}
        #: Events known to be lost: the sum of sequence gaps seen per topic (PUB dropped them).
        self.gaps = 0
        #: Messages dropped because they are not PZMQ/1 events.
        self.dropped_messages = 0

    def _parse(self, frames: list[bytes]) -> Event | None:
        if len(frames) != 3 or len(frames[1]) < P.HEADER_SIZE:
            self.dropped_messages += 1
            return None
        version, kind, _, seq = _EVENT_HEADER.unpack_from(frames[1], 0)
        if version != 1 or kind != 5:
            self.dropped_messages += 1
            return None
        topic = frames[0].decode("utf-8", "replace")
        last = self._last_seq.get(topic)
        if last is not None:
            expected = 0 if last >= P.MAX_U32 else last + 1
            if seq != expected:
                self.gaps += (seq - expected) % 0x100000000
        self._last_seq[topic] = seq
        return Event(topic, seq, frames[2])
