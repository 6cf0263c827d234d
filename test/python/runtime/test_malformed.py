"""Malformed input on real sockets (PZMQ/1 section 10, test/vectors/malformed.json).

Server side, a raw DEALER plays the client::

    raw DEALER  -- malformed frames -------------->  Server (ROUTER)
                <-- TRAILERS (action "reply") ----   or nothing ("drop", "ignore")
                -- valid REQUEST "probe" --------->
                <-- TRAILERS OK "probe" ----------   first reply after a drop/ignore: nothing
                                                      else came back, and the server still works

Client side, a raw ROUTER plays the server::

    Channel     -- REQUEST (server_stream) ------->  raw ROUTER (learns the call id)
                <-- malformed frames -------------   call id patched to the open call
                <-- TRAILERS OK ------------------   (unless the call already failed INTERNAL)
"""

from __future__ import annotations

import json
import pathlib
import struct
from collections.abc import Callable
from typing import Any

import pytest
import zmq
from google.protobuf.wrappers_pb2 import StringValue as S

import pzmq_testkit as kit
from conftest import ServerHandle
from protozmq import Channel, RpcError, StatusCode
from protozmq import protocol as P

CASES = json.loads((pathlib.Path(__file__).resolve().parents[2] / "vectors" / "malformed.json").read_text())["cases"]
IDS = [c["name"] for c in CASES]
PROBE_ID = 4_000_000_000


class _Packets:
    """Reads packets from a socket one at a time: a server may batch several into one message."""

    def __init__(self, sock: zmq.Socket[bytes]) -> None:
        self._sock = sock
        self._pending: list[tuple[P.PacketHeader, bytes, bool]] = []

    def next(self) -> tuple[P.PacketHeader, bytes]:
        """The next packet's header and message (b"" without one), either form."""
        if not self._pending:
            assert self._sock.poll(3000), "no reply"
            self._pending = kit.packets(self._sock.recv_multipart())
        h, message, _ = self._pending.pop(0)
        return h, message


def _probe() -> list[bytes]:
    return [P.encode_request(PROBE_ID, 3, 5000, P.method_bytes("test.Echo/Unary")), S(value="probe").SerializeToString()]


@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_server_handles_malformed(case: dict[str, Any], server: ServerHandle, zctx: zmq.Context[Any]) -> None:
    dealer = zctx.socket(zmq.DEALER)
    dealer.setsockopt(zmq.LINGER, 0)
    try:
        dealer.connect(server.endpoint)
        dealer.send_multipart([bytes.fromhex(f) for f in case["frames"]])
        dealer.send_multipart(_probe())
        expect = case["server"]
        packets = _Packets(dealer)
        if expect["action"] == "reply":
            h, payload = packets.next()
            # "flags END": the form (inline or two frames) is the sender's choice (PZMQ/1 3).
            assert (h.kind, h.flags & ~P.Flag.INLINE, h.call_id) == (P.Kind.TRAILERS, P.Flag.END, case["callId"])
            assert (h.status, h.status_message, h.details, payload) == (expect["status"], expect["statusMessage"], b"", b"")
        elif expect["action"] == "apply":
            h, payload = packets.next()
            assert (h.kind, h.call_id, h.status) == (P.Kind.TRAILERS, case["callId"], 0)
            assert S.FromString(payload).value == "hello"
        # Whatever happened, the next reply is the probe's: nothing else was sent back.
        h, payload = packets.next()
        assert (h.call_id, h.status, S.FromString(payload).value) == (PROBE_ID, 0, "probe")
        if expect["action"] == "drop":
            assert server.server._dropped == 1
    finally:
        dealer.close(linger=0)


@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_client_handles_malformed(
    case: dict[str, Any], make_channel: Callable[..., Channel], zctx: zmq.Context[Any], endpoint: str
) -> None:
    router = zctx.socket(zmq.ROUTER)
    router.setsockopt(zmq.LINGER, 0)
    try:
        router.bind(endpoint)
        bound = router.getsockopt_string(zmq.LAST_ENDPOINT) if endpoint.startswith("tcp") else endpoint
        channel = make_channel(bound)
        stream = channel.server_stream(kit.STREAM, S(value="1"), timeout=5)
        assert router.poll(3000)
        peer, request = router.recv_multipart()  # one inline REQUEST
        call_id = P.decode_header(request).call_id
        frames = [bytes.fromhex(f) for f in case["frames"]]
        expect = case["client"]
        if expect["action"] in ("fail", "apply") and len(frames[0]) >= 8:
            # Aim the packet at the open call.
            frames[0] = frames[0][:4] + struct.pack("<I", call_id) + frames[0][8:]
        action = expect["action"]
        if action == "apply" and frames[0][1] == P.Kind.REQUEST:
            # "unknown flag bits" is a REQUEST: for a client, applying it means "a REQUEST sent to
            # a client", which fails the call with INTERNAL (see the case of that name).
            action, expect = "fail", {"action": "fail", "status": 13}
        router.send_multipart([peer, *frames])
        if action == "fail":
            with pytest.raises(RpcError) as err:
                list(stream)
            assert err.value.code == expect["status"]
            return
        # drop / ignore / apply: the call is still open (apply: TRAILERS OK ended it normally).
        router.send_multipart([peer, P.encode_trailers(call_id, P.Flag.END, 0, ""), b""])
        assert list(stream) == []
        assert stream.code() is StatusCode.OK
        if action == "drop":
            assert channel._dropped == 1
        assert channel._calls == {}
    finally:
        router.close(linger=0)


def test_server_survives_garbage_storm(server: ServerHandle, zctx: zmq.Context[Any]) -> None:
    # Random-ish junk of every length and shape, then a valid call: no crash, no hang.
    dealer = zctx.socket(zmq.DEALER)
    dealer.setsockopt(zmq.LINGER, 0)
    try:
        dealer.connect(server.endpoint)
        seed = 12345
        for n in range(300):
            seed = (seed * 1103515245 + 12345) & 0x7FFFFFFF
            frame = bytes((seed >> (i % 24)) & 0xFF for i in range(n % 40))
            if n % 3 == 0:
                frame = b"\x01" + bytes([n % 7]) + frame[2:]  # version 1, any kind
            dealer.send_multipart([frame, b"x" * (n % 5)] * (1 + n % 2) + ([b""] if n % 11 == 0 else []))
        dealer.send_multipart(_probe())
        packets = _Packets(dealer)
        for _ in range(1000):  # at most one reply per junk message before the probe's
            h, payload = packets.next()
            if h.call_id == PROBE_ID:
                assert S.FromString(payload).value == "probe"
                return
        pytest.fail("probe reply never came")
    finally:
        dealer.close(linger=0)


def test_client_survives_garbage_storm(make_channel: Callable[..., Channel], zctx: zmq.Context[Any], endpoint: str) -> None:
    # A raw ROUTER answers the channel's REQUEST with junk of every shape, then a real TRAILERS.
    router = zctx.socket(zmq.ROUTER)
    router.setsockopt(zmq.LINGER, 0)
    try:
        router.bind(endpoint)
        bound = router.getsockopt_string(zmq.LAST_ENDPOINT) if endpoint.startswith("tcp") else endpoint
        channel = make_channel(bound)
        stream = channel.server_stream(kit.STREAM, S(value="1"), timeout=5)
        assert router.poll(3000)
        peer, request = router.recv_multipart()  # one inline REQUEST
        call_id = P.decode_header(request).call_id
        seed = 777
        for n in range(300):
            seed = (seed * 1103515245 + 12345) & 0x7FFFFFFF
            frame = bytes((seed >> (i % 24)) & 0xFF for i in range(n % 40))
            if n % 3 == 0 and len(frame) >= 8:  # aimed at other call ids only
                frame = b"\x01" + bytes([n % 7]) + frame[2:4] + struct.pack("<I", call_id + 1 + n) + frame[8:]
            router.send_multipart([peer, frame, b"y" * (n % 3)] + ([b""] if n % 7 == 0 else []))
        router.send_multipart([peer, P.encode_simple(P.Kind.MESSAGE, P.Flag.HAS_MESSAGE, call_id), S(value="ok").SerializeToString()])
        router.send_multipart([peer, P.encode_trailers(call_id, P.Flag.END, 0, ""), b""])
        assert [r.value for r in stream] == ["ok"]
        assert channel._calls == {}
    finally:
        router.close(linger=0)


def test_unknown_status_code_from_server_reads_as_unknown(
    make_channel: Callable[..., Channel], zctx: zmq.Context[Any], endpoint: str
) -> None:
    # TRAILERS status=99 "from the future" ---> client: UNKNOWN, message kept (PZMQ/1 6).
    router = zctx.socket(zmq.ROUTER)
    router.setsockopt(zmq.LINGER, 0)
    try:
        router.bind(endpoint)
        bound = router.getsockopt_string(zmq.LAST_ENDPOINT) if endpoint.startswith("tcp") else endpoint
        channel = make_channel(bound)
        stream = channel.server_stream(kit.STREAM, S(value="1"), timeout=5)
        assert router.poll(3000)
        peer, request = router.recv_multipart()  # one inline REQUEST
        call_id = P.decode_header(request).call_id
        router.send_multipart([peer, P.encode_trailers(call_id, P.Flag.END, 99, "from the future"), b""])
        with pytest.raises(RpcError) as err:
            list(stream)
        assert (err.value.code, err.value.message) == (StatusCode.UNKNOWN, "from the future")
    finally:
        router.close(linger=0)
