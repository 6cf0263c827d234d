"""PZMQ/1 codec: the golden vectors of test/vectors (shared with the TS runtime), and unit checks.

Every case of packets.json is decoded (frames -> packets) and encoded (packets -> frames) byte for
byte; every case of malformed.json is decoded and must fail with the listed reason and call id.
What servers and clients *do* with malformed input is tested on real sockets in test_malformed.py.
"""

from __future__ import annotations

import json
import pathlib
import struct
from typing import Any

import pytest

from protozmq import Metadata, RpcError, StatusCode
from protozmq import protocol as P
from protozmq.status import status_from_code, status_name

VECTORS = pathlib.Path(__file__).resolve().parents[2] / "vectors"
PACKETS = json.loads((VECTORS / "packets.json").read_text(encoding="utf-8"))["cases"]
MALFORMED = json.loads((VECTORS / "malformed.json").read_text(encoding="utf-8"))["cases"]


def _md(pairs: list[list[str]] | None) -> Metadata | None:
    if pairs is None:
        return None
    return Metadata._from_wire(
        [(k, bytes.fromhex(v[4:]) if k.endswith("-bin") else v) for k, v in pairs]
    )


def _expected_header(p: dict[str, Any]) -> P.PacketHeader:
    return P.PacketHeader(
        P.Kind[p["kind"]],
        p["flags"],
        p["callId"],
        timeout_ms=p.get("timeoutMs", 0),
        method=p.get("method", ""),
        status=p.get("status", 0),
        status_message=p.get("statusMessage", ""),
        details=bytes.fromhex(p.get("details", "")),
        headers=_md(p.get("headers")),
        metadata=_md(p.get("metadata")),
    )


def _packets(case: dict[str, Any]) -> list[tuple[list[bytes], dict[str, Any]]]:
    """The frames of each packet of a case: one (INLINE) or two, found by the INLINE flag."""
    frames = [bytes.fromhex(f) for f in case["frames"]]
    if case["socket"] == "pubsub":
        frames = frames[1:]  # topic frame first, then the packets
    out: list[tuple[list[bytes], dict[str, Any]]] = []
    i = 0
    for p in case["packets"]:
        width = 1 if p["flags"] & P.Flag.INLINE else 2
        out.append((frames[i : i + width], p))
        i += width
    assert i == len(frames)
    return out


@pytest.mark.parametrize("case", PACKETS, ids=[c["name"] for c in PACKETS])
def test_golden_decode(case: dict[str, Any]) -> None:
    frames = [bytes.fromhex(f) for f in case["frames"]]
    assert P.check_framing(frames, 1 if case["socket"] == "pubsub" else 0) is None
    for packet, p in _packets(case):
        got = P.decode_header(packet[0])
        want = _expected_header(p)
        payload = bytes.fromhex(p["payload"])
        # The body ends where the message starts (inline), or at the end of the header frame.
        want.size = len(packet[0]) - (len(payload) if len(packet) == 1 else 0)
        for field in P.PacketHeader.__slots__:
            assert getattr(got, field) == getattr(want, field), field
        if len(packet) == 1:
            message = packet[0][got.size :] if got.flags & P.Flag.HAS_MESSAGE else b""
        else:
            message = packet[1]
        assert message == payload
    if case["socket"] == "pubsub":
        assert frames[0].decode() == case["topic"]


@pytest.mark.parametrize("case", PACKETS, ids=[c["name"] for c in PACKETS])
def test_golden_encode(case: dict[str, Any]) -> None:
    for packet, p in _packets(case):
        payload = bytes.fromhex(p["payload"]) if p["flags"] & P.Flag.HAS_MESSAGE else None
        assert [f.hex() for f in P.encode_packet(_expected_header(p), payload)] == [f.hex() for f in packet]


def test_golden_cover_both_forms() -> None:
    forms = {bool(p["flags"] & P.Flag.INLINE) for c in PACKETS for p in c["packets"]}
    assert forms == {True, False}


def test_golden_cover_every_kind() -> None:
    kinds = {p["kind"] for c in PACKETS for p in c["packets"]}
    assert kinds == {k.name for k in P.Kind}


@pytest.mark.parametrize("case", MALFORMED, ids=[c["name"] for c in MALFORMED])
def test_malformed_decode(case: dict[str, Any]) -> None:
    frames = [bytes.fromhex(f) for f in case["frames"]]
    framing = P.check_framing(frames)
    if case["error"] in ("SHORT_HEADER", "MISSING_PAYLOAD"):
        assert framing == case["error"]
        return
    assert framing is None
    if case["error"] is None:
        assert P.decode_header(frames[0]).call_id == case["callId"]
        return
    with pytest.raises(P.ProtocolError) as err:
        P.decode_header(frames[0])
    assert err.value.reason == case["error"]
    assert err.value.call_id == case["callId"]
    reply = case["server"]
    if reply["action"] == "reply":
        assert err.value.message == reply["statusMessage"]


def test_request_encoding_clamps_and_fast_paths() -> None:
    m = P.method_bytes("a.B/C")
    assert P.decode_header(P.encode_request(1, 3, 2**40, m)).timeout_ms == P.MAX_U32
    assert P.decode_header(P.encode_request(1, 3, -5, m)).timeout_ms == 0
    h = P.decode_header(P.encode_request(9, 3, 0, m, Metadata({"k": "v"})))
    assert h.flags & P.Flag.METADATA and h.metadata == Metadata({"k": "v"})


def test_framing_walks_inline_and_two_frame_packets() -> None:
    inline = P.encode_simple(P.Kind.CANCEL, P.Flag.INLINE, 1)
    two = P.encode_simple(P.Kind.CANCEL, 0, 2)
    assert P.check_framing([inline, two, b"", inline]) is None
    assert P.check_framing([b"peer", inline], 1) is None
    assert P.check_framing([b"peer"], 1) == "MISSING_PAYLOAD"
    assert P.check_framing([]) == "MISSING_PAYLOAD"
    assert P.check_framing([inline, two]) == "MISSING_PAYLOAD"
    assert P.check_framing([two, b"1234", inline, b"1234"]) == "SHORT_HEADER"
    # A payload frame is never read as a header, however short.
    assert P.check_framing([two, b"", two, b"x"]) is None


def test_bare_ok_reply_fast_check() -> None:
    two = P.encode_trailers(9, P.Flag.HAS_MESSAGE | P.Flag.END, 0, "")
    inline = P.encode_trailers(9, P.Flag.HAS_MESSAGE | P.Flag.END | P.Flag.INLINE, 0, "") + b"resp"
    assert P._bare_ok_reply_id(two, False) == 9 and P._bare_ok_reply_id(two, True) == -1
    assert P._bare_ok_reply_id(inline, True) == 9 and P._bare_ok_reply_id(inline, False) == -1
    assert inline[P._BARE_SIZE :] == b"resp"
    assert P._bare_ok_reply_id(P.encode_trailers(9, 0x23, 0, "m") + b"resp", True) == -1
    assert P._bare_ok_reply_id(P.encode_trailers(9, 0x23, 5, ""), True) == -1


def test_trailing_bytes_and_unknown_flags_are_ignored() -> None:
    header = P.encode_simple(P.Kind.CANCEL, 0, 3) + b"future extension"
    assert P.decode_header(header).kind == P.Kind.CANCEL
    with pytest.raises(ValueError):
        P.encode_header(P.PacketHeader(P.Kind.CANCEL, 0x40, 1))
    with pytest.raises(ValueError):
        P.encode_header(P.PacketHeader(9, 0, 1))


def test_text_metadata_with_bad_utf8_decodes_leniently() -> None:
    # As Node's Buffer.toString does: both runtimes read the same text from the same bytes.
    body = struct.pack("<HH", 1, 1) + b"k" + struct.pack("<I", 2) + b"\xff\xfe"
    h = P.decode_header(P._FIXED.pack(1, 2, 8, 1) + body)
    assert h.headers is not None and h.headers.get("k") == "\ufffd\ufffd"


def test_metadata_rules() -> None:
    md = Metadata({"X-User": "ada"})
    assert md.get("x-user") == "ada" and md.keys() == ["x-user"]
    md.add("x-tag", "a").add("x-tag", "b").set("trace-bin", bytearray(b"\x01"))  # type: ignore[arg-type]
    assert md.get_all("x-tag") == ["a", "b"] and md.get("trace-bin") == b"\x01"
    md.set("x-tag", "c")
    assert md.entries() == [("x-user", "ada"), ("x-tag", "c"), ("trace-bin", b"\x01")]
    assert md.delete("x-tag") and not md.delete("x-tag")
    assert md.to_dict() == {"x-user": "ada", "trace-bin": b"\x01"}
    for bad_key in ("", "a b", "ünï", "\u212a", "x" * 256, "pzmq-reserved"):
        with pytest.raises(ValueError):
            Metadata().add(bad_key, "v")
    with pytest.raises(TypeError):
        Metadata().add("x-bin", "text")
    with pytest.raises(TypeError):
        Metadata().add("x", b"bytes")


def test_status_codes_and_errors() -> None:
    assert [int(c) for c in StatusCode] == list(range(17))
    assert status_from_code(14) is StatusCode.UNAVAILABLE
    assert status_from_code(99) is StatusCode.UNKNOWN
    assert status_name(5) == "NOT_FOUND" and status_name(99) == "STATUS_99"
    e = RpcError(99, "from the future", b"", {"x": "1"})
    assert e.code is StatusCode.UNKNOWN and e.details is None and e.trailers.get("x") == "1"
    assert str(e) == "UNKNOWN: from the future"
    import pickle

    again = pickle.loads(pickle.dumps(RpcError(StatusCode.NOT_FOUND, "m", b"d", {"t-bin": b"\x00"})))
    assert (again.code, again.message, again.details, again.trailers.get("t-bin")) == (
        StatusCode.NOT_FOUND, "m", b"d", b"\x00",
    )
