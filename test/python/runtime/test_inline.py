"""Inline packets (PZMQ/1 3, 7): every Python receiver takes both forms, senders pick by size.

Each test puts a raw pyzmq socket on the other side, so the frames on the wire are seen as sent::

    raw DEALER  -- inline / two-frame / mixed batch -->  Server, AsyncServer
                <-- replies: inline up to INLINE_MAX_BYTES, else two frames
    Channel, AsyncChannel  -- REQUEST -->  raw ROUTER  (inline when small, else two frames)
                           <-- replies in either form, a mixed batch, a header missing its payload
    raw XPUB  -- events in either form, batches, malformed -->  Subscriber, AsyncSubscriber

A message of exactly INLINE_MAX_BYTES goes inline, one byte more as two frames: a StringValue of
``n`` characters serializes to ``n + 3`` bytes near 16 KiB (tag, 2-byte length).
"""

from __future__ import annotations

import asyncio
import concurrent.futures
from collections.abc import Callable
from typing import Any

import pytest
import zmq
from google.protobuf.wrappers_pb2 import StringValue as S

import pzmq_testkit as kit
from conftest import ServerHandle
from protozmq import AsyncChannel, AsyncSubscriber, Channel, Event, Metadata, Publisher, Subscriber
from protozmq import protocol as P

INLINE = P.Flag.INLINE
END_MSG = P.Flag.END | P.Flag.HAS_MESSAGE
AT_LIMIT = "x" * (P.INLINE_MAX_BYTES - 3)  # serializes to exactly INLINE_MAX_BYTES
OVER_LIMIT = "x" * (P.INLINE_MAX_BYTES - 2)  # one byte more


def _msg(value: str) -> bytes:
    return S(value=value).SerializeToString()


def test_limit_strings_have_the_intended_sizes() -> None:
    assert len(_msg(AT_LIMIT)) == P.INLINE_MAX_BYTES
    assert len(_msg(OVER_LIMIT)) == P.INLINE_MAX_BYTES + 1


def _request(cid: int, method: bytes, value: str | None, inline: bool, flags: int = END_MSG) -> list[bytes]:
    """A REQUEST packet's frames, in the chosen form."""
    if value is None:
        flags &= ~P.Flag.HAS_MESSAGE
    header = P.encode_request(cid, flags | (INLINE if inline else 0), 5000, method)
    message = b"" if value is None else _msg(value)
    return [header + message] if inline else [header, message]


def _message(cid: int, value: str | None, inline: bool, flags: int = 0) -> list[bytes]:
    """A MESSAGE packet's frames, in the chosen form (``value`` None: no message)."""
    if value is not None:
        flags |= P.Flag.HAS_MESSAGE
    header = P.encode_simple(P.Kind.MESSAGE, flags | (INLINE if inline else 0), cid)
    message = b"" if value is None else _msg(value)
    return [header + message] if inline else [header, message]


def _replies(dealer: zmq.Socket[bytes], want: int) -> dict[int, list[tuple[P.PacketHeader, bytes, bool]]]:
    """Read until ``want`` calls have their TRAILERS; every packet by call id, in order."""
    out: dict[int, list[tuple[P.PacketHeader, bytes, bool]]] = {}
    ended = 0
    while ended < want:
        assert dealer.poll(3000), f"only {ended} of {want} calls answered"
        for packet in kit.packets(dealer.recv_multipart()):
            out.setdefault(packet[0].call_id, []).append(packet)
            ended += packet[0].kind == P.Kind.TRAILERS
    return out


# -- servers ---------------------------------------------------------------------------------------


def test_server_takes_both_forms_and_replies_inline_up_to_the_limit(server: ServerHandle, zctx: zmq.Context[Any]) -> None:
    unary, big = kit.UNARY.path_bytes, kit.BIG.path_bytes
    dealer = zctx.socket(zmq.DEALER)
    dealer.setsockopt(zmq.LINGER, 0)
    try:
        dealer.connect(server.endpoint)
        dealer.send_multipart(_request(1, unary, "inline", True))
        dealer.send_multipart(_request(2, unary, "two frames", False))
        # One message, mixed: inline, two-frame, inline (an empty message), two-frame (large).
        dealer.send_multipart(
            _request(3, unary, "a", True) + _request(4, unary, "b", False) + _request(5, unary, "", True)
            + _request(6, unary, OVER_LIMIT, False)
        )
        dealer.send_multipart(_request(7, big, str(len(AT_LIMIT)), True))
        dealer.send_multipart(_request(8, big, str(len(OVER_LIMIT)), True))
        got = _replies(dealer, 8)
        values = {1: "inline", 2: "two frames", 3: "a", 4: "b", 5: "", 6: OVER_LIMIT, 7: AT_LIMIT, 8: OVER_LIMIT}
        for cid, value in values.items():
            [(h, message, inline)] = got[cid]
            # (Unary's replies carry trailers: the general reply path; Big's are bare.)
            assert (h.kind, h.status, h.flags & END_MSG) == (P.Kind.TRAILERS, 0, END_MSG), cid
            assert S.FromString(message).value == value, cid
            assert inline == (len(message) <= P.INLINE_MAX_BYTES), cid
        assert not got[8][0][2] and got[7][0][2]  # the boundary, both ways
    finally:
        dealer.close(linger=0)


def test_server_streams_take_and_send_both_forms(server: ServerHandle, zctx: zmq.Context[Any]) -> None:
    dealer = zctx.socket(zmq.DEALER)
    dealer.setsockopt(zmq.LINGER, 0)
    try:
        dealer.connect(server.endpoint)
        # Client streaming: REQUEST without a message (inline), then messages in both forms, the
        # last inline with END, all in one ZeroMQ message but the first.
        dealer.send_multipart(_request(1, kit.COLLECT.path_bytes, None, True, flags=0))
        dealer.send_multipart(_message(1, "a", False) + _message(1, "b", True) + _message(1, "c", True, P.Flag.END))
        # Server streaming: every MESSAGE and the TRAILERS come back inline.
        dealer.send_multipart(_request(2, kit.STREAM.path_bytes, "3", False))
        got = _replies(dealer, 2)
        [(h, message, inline)] = got[1]
        assert (h.status, S.FromString(message).value, inline) == (0, "a,b,c", True)
        assert [(h.kind, S.FromString(m).value if m else None, inline) for h, m, inline in got[2]] == [
            (P.Kind.MESSAGE, "0", True), (P.Kind.MESSAGE, "1", True), (P.Kind.MESSAGE, "2", True),
            (P.Kind.TRAILERS, None, True),
        ]
    finally:
        dealer.close(linger=0)


def test_server_drops_a_message_missing_a_payload(server: ServerHandle, zctx: zmq.Context[Any]) -> None:
    dealer = zctx.socket(zmq.DEALER)
    dealer.setsockopt(zmq.LINGER, 0)
    try:
        dealer.connect(server.endpoint)
        # A whole inline request, then a two-frame header whose payload frame is missing: the
        # whole message goes, the first request included (PZMQ/1 10).
        dealer.send_multipart(_request(1, kit.UNARY.path_bytes, "lost", True) + _request(2, kit.UNARY.path_bytes, "x", False)[:1])
        dealer.send_multipart(_request(3, kit.UNARY.path_bytes, "probe", True))
        got = _replies(dealer, 1)
        assert list(got) == [3]
        assert server.server._dropped == 1
    finally:
        dealer.close(linger=0)


# -- clients ---------------------------------------------------------------------------------------


class _RawServer:
    """A raw ROUTER that reads one REQUEST at a time and answers with chosen frames."""

    def __init__(self, zctx: zmq.Context[Any], endpoint: str) -> None:
        self.sock = zctx.socket(zmq.ROUTER)
        self.sock.setsockopt(zmq.LINGER, 0)
        self.sock.bind(endpoint)
        self.endpoint = self.sock.getsockopt_string(zmq.LAST_ENDPOINT) if endpoint.startswith("tcp") else endpoint
        self.peer = b""

    def request(self) -> tuple[list[bytes], P.PacketHeader, bytes]:
        """The next message (routing id removed), its first packet's header and message."""
        assert self.sock.poll(3000), "no request"
        frames = self.sock.recv_multipart()
        self.peer = frames[0]
        h, message, _ = kit.packets(frames, 1)[0]
        return frames[1:], h, message

    def send(self, *frames: bytes) -> None:
        self.sock.send_multipart([self.peer, *frames])

    def close(self) -> None:
        self.sock.close(linger=0)


def _ok(cid: int, value: str, inline: bool) -> list[bytes]:
    if inline:
        return [P.encode_trailers(cid, END_MSG | INLINE, 0, "") + _msg(value)]
    return [P.encode_trailers(cid, END_MSG, 0, ""), _msg(value)]


def _stream_reply(cid: int) -> list[bytes]:
    """One message of mixed packets: MESSAGE inline with response headers (its message after
    them), MESSAGE two-frame, MESSAGE inline, TRAILERS inline with trailers."""
    headers = Metadata({"x-h": "1"})
    return (
        [P.encode_simple(P.Kind.MESSAGE, P.Flag.HAS_MESSAGE | INLINE, cid, headers) + _msg("0")]
        + _message(cid, "1", False) + _message(cid, "2", True)
        + [P.encode_trailers(cid, P.Flag.END | INLINE, 0, "", None, None, Metadata({"x-t": "2"}))]
    )


def test_blocking_client_sends_by_size_and_takes_both_forms(
    make_channel: Callable[..., Channel], zctx: zmq.Context[Any], endpoint: str
) -> None:
    raw = _RawServer(zctx, endpoint)
    pool = concurrent.futures.ThreadPoolExecutor(1)
    try:
        channel = make_channel(raw.endpoint)
        for value, reply_inline in [("a", True), ("b", False), (AT_LIMIT, True), (OVER_LIMIT, False)]:
            future = pool.submit(channel.unary, kit.UNARY, S(value=value), timeout=5)
            frames, h, message = raw.request()
            assert len(frames) == (1 if len(message) <= P.INLINE_MAX_BYTES else 2)
            assert bool(h.flags & INLINE) == (len(frames) == 1) and S.FromString(message).value == value
            raw.send(*_ok(h.call_id, value, reply_inline))
            assert future.result(5).value == value
        # A reply that is not a bare OK (trailers), inline, takes the general path.
        with_call = pool.submit(lambda: channel.unary(kit.UNARY, S(value="t"), timeout=5, with_call=True))
        _, h, _ = raw.request()
        raw.send(P.encode_trailers(h.call_id, END_MSG | INLINE, 0, "", None, None, Metadata({"x-t": "1"})) + _msg("t"))
        response, info = with_call.result(5)
        assert response.value == "t" and info.trailers.get("x-t") == "1"
        # A mixed batch for a stream.
        stream = channel.server_stream(kit.STREAM, S(value="3"), timeout=5)
        frames, h, _ = raw.request()
        assert len(frames) == 1
        raw.send(*_stream_reply(h.call_id))
        assert [r.value for r in stream] == ["0", "1", "2"]
        assert stream.headers().get("x-h") == "1" and stream.trailers().get("x-t") == "2"
    finally:
        pool.shutdown(wait=False, cancel_futures=True)
        raw.close()


def test_blocking_client_drops_a_message_missing_a_payload(
    make_channel: Callable[..., Channel], zctx: zmq.Context[Any], endpoint: str
) -> None:
    raw = _RawServer(zctx, endpoint)
    try:
        channel = make_channel(raw.endpoint)
        stream = channel.server_stream(kit.STREAM, S(value="1"), timeout=5)
        _, h, _ = raw.request()
        # A whole inline MESSAGE, then a header without its payload frame: all dropped.
        raw.send(*_message(h.call_id, "lost", True), _message(h.call_id, "x", False)[0])
        raw.send(*_message(h.call_id, "kept", True), P.encode_trailers(h.call_id, P.Flag.END | INLINE, 0, ""))
        assert [r.value for r in stream] == ["kept"]
        assert channel._dropped == 1
    finally:
        raw.close()


def test_blocking_client_ignores_probes_in_either_form(
    make_channel: Callable[..., Channel], zctx: zmq.Context[Any], endpoint: str
) -> None:
    # Call id 0 is the server's liveness probe (PZMQ/1 8): ignored, whatever its form.
    raw = _RawServer(zctx, endpoint)
    try:
        channel = make_channel(raw.endpoint)
        stream = channel.server_stream(kit.STREAM, S(value="1"), timeout=5)
        _, h, _ = raw.request()
        raw.send(P.encode_simple(P.Kind.MESSAGE, 0, P.PROBE_CALL_ID), b"")
        raw.send(P.encode_simple(P.Kind.MESSAGE, INLINE, P.PROBE_CALL_ID))
        raw.send(*_message(h.call_id, "only", True), P.encode_trailers(h.call_id, P.Flag.END | INLINE, 0, ""))
        assert [r.value for r in stream] == ["only"]
        assert channel._dropped == 0
    finally:
        raw.close()


def test_async_client_sends_by_size_and_takes_both_forms(zctx: zmq.Context[Any], endpoint: str) -> None:
    raw = _RawServer(zctx, endpoint)

    async def main() -> None:
        loop = asyncio.get_running_loop()
        async with AsyncChannel(raw.endpoint, context=zctx) as ch:
            for value, reply_inline in [("a", True), ("b", False), (AT_LIMIT, True), (OVER_LIMIT, False)]:
                call = asyncio.ensure_future(ch.unary(kit.UNARY, S(value=value), timeout=5))
                frames, h, message = await loop.run_in_executor(None, raw.request)
                assert len(frames) == (1 if len(message) <= P.INLINE_MAX_BYTES else 2)
                assert bool(h.flags & INLINE) == (len(frames) == 1) and S.FromString(message).value == value
                raw.send(*_ok(h.call_id, value, reply_inline))
                assert (await asyncio.wait_for(call, 5)).value == value
            stream = ch.server_stream(kit.STREAM, S(value="3"), timeout=5)
            got: list[str] = []

            async def read() -> None:
                async for r in stream:
                    got.append(r.value)

            reader = asyncio.ensure_future(read())
            frames, h, _ = await loop.run_in_executor(None, raw.request)
            assert len(frames) == 1
            raw.send(*_stream_reply(h.call_id))
            await asyncio.wait_for(reader, 5)
            assert got == ["0", "1", "2"]
            assert (await stream.headers()).get("x-h") == "1"
            assert (await stream.trailers()).get("x-t") == "2"
            # Missing payload: dropped whole; the call goes on.
            stream = ch.server_stream(kit.STREAM, S(value="1"), timeout=5)
            got.clear()
            reader = asyncio.ensure_future(read())
            _, h, _ = await loop.run_in_executor(None, raw.request)
            raw.send(*_message(h.call_id, "lost", True), _message(h.call_id, "x", False)[0])
            raw.send(*_message(h.call_id, "kept", False), P.encode_trailers(h.call_id, P.Flag.END | INLINE, 0, ""))
            await asyncio.wait_for(reader, 5)
            assert got == ["kept"] and ch._dropped == 1

    try:
        asyncio.run(asyncio.wait_for(main(), 20))
    finally:
        raw.close()


def test_client_streams_send_messages_by_size(
    make_channel: Callable[..., Channel], zctx: zmq.Context[Any], endpoint: str
) -> None:
    raw = _RawServer(zctx, endpoint)
    try:
        channel = make_channel(raw.endpoint)
        chat = channel.bidi_stream(kit.CHAT, timeout=5)
        frames, h, _ = raw.request()
        assert (len(frames), h.flags) == (1, INLINE)  # opened without a message: inline
        packets: list[tuple[P.PacketHeader, bytes, bool]] = []
        chat.write(S(value="small"))
        chat.write(S(value=OVER_LIMIT))
        chat.done_writing()
        while len(packets) < 3:
            assert raw.sock.poll(3000)
            packets += kit.packets(raw.sock.recv_multipart(), 1)
        assert [(S.FromString(m).value if m else None, inline, h.flags & P.Flag.END) for h, m, inline in packets] == [
            ("small", True, 0), (OVER_LIMIT, False, 0), (None, True, P.Flag.END)
        ]
        chat.cancel()
        assert raw.sock.poll(3000)
        [(h, _, inline)] = kit.packets(raw.sock.recv_multipart(), 1)
        assert (h.kind, inline) == (P.Kind.CANCEL, True)
    finally:
        raw.close()


# -- subscribers -----------------------------------------------------------------------------------

TOPIC = b"game.Events/UnitMoved/red"


def _event(seq: int, payload: bytes, inline: bool) -> list[bytes]:
    if inline:
        return [P.encode_simple(P.Kind.EVENT, P.Flag.HAS_MESSAGE | INLINE, seq) + payload]
    return [P.encode_simple(P.Kind.EVENT, P.Flag.HAS_MESSAGE, seq), payload]


def _raw_publisher(zctx: zmq.Context[Any], endpoint: str) -> tuple[zmq.Socket[bytes], str]:
    pub = zctx.socket(zmq.XPUB)
    pub.setsockopt(zmq.LINGER, 0)
    pub.bind(endpoint)
    return pub, pub.getsockopt_string(zmq.LAST_ENDPOINT) if endpoint.startswith("tcp") else endpoint


def _publish_cases(pub: zmq.Socket[bytes]) -> list[Event]:
    """Wait for the subscription, then send good and malformed messages; the events expected."""
    assert pub.poll(3000) and pub.recv() == b"\x01game.Events/"  # subscribed: nothing is lost now
    big = b"B" * (P.INLINE_MAX_BYTES + 1)
    pub.send_multipart([TOPIC, *_event(0, b"inline", True)])
    pub.send_multipart([TOPIC, *_event(1, big, False)])
    pub.send_multipart([TOPIC, *_event(2, b"a", True), *_event(3, b"b", False), *_event(4, b"", True)])
    # Malformed, each dropped whole: only a topic; a two-frame header alone; an inline event and
    # then a header without its payload; a short header in a batch.
    pub.send_multipart([TOPIC])
    pub.send_multipart([TOPIC, _event(5, b"x", False)[0]])
    pub.send_multipart([TOPIC, *_event(5, b"x", True), _event(6, b"y", False)[0]])
    pub.send_multipart([TOPIC, *_event(5, b"x", True), b"\x01\x05"])
    pub.send_multipart([TOPIC, *_event(5, b"last", True)])
    topic = TOPIC.decode()
    return [Event(topic, 0, b"inline"), Event(topic, 1, big), Event(topic, 2, b"a"), Event(topic, 3, b"b"),
            Event(topic, 4, b""), Event(topic, 5, b"last")]


def test_subscriber_takes_both_forms_and_drops_malformed(zctx: zmq.Context[Any], endpoint: str) -> None:
    pub, bound = _raw_publisher(zctx, endpoint)
    try:
        with Subscriber(bound, topics=["game.Events/"], context=zctx) as sub:
            expected = _publish_cases(pub)
            got = [sub.recv(timeout=5) for _ in expected]
            assert got == expected
            assert (sub.dropped_messages, sub.gaps) == (4, 0)
    finally:
        pub.close(linger=0)


def test_async_subscriber_takes_both_forms_and_drops_malformed(zctx: zmq.Context[Any], endpoint: str) -> None:
    pub, bound = _raw_publisher(zctx, endpoint)

    async def main() -> None:
        sub = AsyncSubscriber(bound, topics=["game.Events/"], context=zctx)
        try:
            expected = await asyncio.get_running_loop().run_in_executor(None, _publish_cases, pub)
            got = [await sub.recv(timeout=5) for _ in expected]
            assert got == expected
            assert (sub.dropped_messages, sub.gaps) == (4, 0)
        finally:
            sub.close()

    try:
        asyncio.run(asyncio.wait_for(main(), 20))
    finally:
        pub.close(linger=0)


def test_publisher_sends_by_size(zctx: zmq.Context[Any], endpoint: str) -> None:
    with Publisher(endpoint, context=zctx) as pub:
        raw = zctx.socket(zmq.SUB)
        raw.setsockopt(zmq.LINGER, 0)
        raw.setsockopt(zmq.SUBSCRIBE, b"t/")
        raw.connect(pub.endpoints[0])
        try:
            assert pub.wait_for_subscriber("t/", 5.0)
            at, over = b"a" * P.INLINE_MAX_BYTES, b"o" * (P.INLINE_MAX_BYTES + 1)
            pub.publish("t/x", at)
            pub.publish("t/x", over)
            # Any buffer (publish's docstring allows one; its annotation says bytes): copied behind the header.
            pub.publish("t/x", memoryview(b"view"))
            shapes = []
            for _ in range(3):
                assert raw.poll(3000)
                frames = raw.recv_multipart()
                [(h, message, inline)] = kit.packets(frames, 1)
                shapes.append((len(frames), h.call_id, inline, message))
            assert shapes == [(2, 0, True, at), (3, 1, False, over), (2, 2, True, b"view")]
        finally:
            raw.close(linger=0)


@pytest.mark.parametrize("flags", [0, P.Flag.HAS_MESSAGE])
def test_inline_event_without_message_flag_has_an_empty_payload(flags: int, zctx: zmq.Context[Any], endpoint: str) -> None:
    # Without HAS_MESSAGE the bytes after the body are ignored (PZMQ/1 3).
    pub, bound = _raw_publisher(zctx, endpoint)
    try:
        with Subscriber(bound, topics=["game.Events/"], context=zctx) as sub:
            assert pub.poll(3000) and pub.recv() == b"\x01game.Events/"
            pub.send_multipart([TOPIC, P.encode_simple(P.Kind.EVENT, flags | INLINE, 9) + b"extra"])
            event = sub.recv(timeout=5)
            assert event is not None and event.payload == (b"extra" if flags else b"")
    finally:
        pub.close(linger=0)

