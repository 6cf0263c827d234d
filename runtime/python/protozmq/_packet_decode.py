"""PZMQ/1 header decoding (docs/PROTOCOL.md sections 3 to 5 and 10); ``protocol`` re-exports it.

``decode_header`` raises ``ProtocolError`` for a malformed header; ``_bare_ok_reply_id`` is the
clients' one-unpack test for the usual unary reply. The numbers they read are defined in
``protocol.py``; ``runtime/ts/src/packet-decode.ts`` is the TypeScript twin.
"""

from __future__ import annotations

from .metadata import BINARY_METADATA_SUFFIX, MAX_METADATA_KEY_BYTES, Metadata, MetadataValue
from .protocol import (
    _BARE_SIZE,
    _BARE_UNPACK,
    _CANCEL,
    _EVENT,
    _F_END_MSG,
    _F_END_MSG_INLINE,
    _F_HEADERS,
    _F_METADATA,
    _FIXED,
    _KEY_BYTES,
    _MESSAGE,
    _REQUEST,
    _REQUEST_HEAD,
    _TRAILERS,
    _TRAILERS_HEAD,
    _U16,
    _U32,
    HEADER_SIZE,
    PROTOCOL_VERSION,
    PacketHeader,
    ProtocolError,
)

__all__ = ["_bare_ok_reply_id", "decode_header"]


def _truncated(call_id: int) -> ProtocolError:
    return ProtocolError("TRUNCATED_BODY", "truncated packet body", call_id)


def _read_metadata(buf: bytes, off: int, call_id: int) -> tuple[Metadata, int]:
    end = len(buf)
    if off + 2 > end:
        raise _truncated(call_id)
    (count,) = _U16.unpack_from(buf, off)
    off += 2
    entries: list[tuple[str, MetadataValue]] = []
    for _ in range(count):
        if off + 2 > end:
            raise _truncated(call_id)
        (klen,) = _U16.unpack_from(buf, off)
        off += 2
        if off + klen + 4 > end:
            raise _truncated(call_id)
        kb = buf[off : off + klen]
        if klen == 0 or klen > MAX_METADATA_KEY_BYTES or not _KEY_BYTES.issuperset(kb):
            raise ProtocolError("BAD_METADATA", "invalid metadata key", call_id)
        key = kb.decode("ascii")
        off += klen
        (vlen,) = _U32.unpack_from(buf, off)
        off += 4
        if vlen > end - off:
            raise _truncated(call_id)
        vb = buf[off : off + vlen]
        # Text values decode leniently (U+FFFD for bad bytes), as Node's Buffer.toString does,
        # so both runtimes read the same text from the same bytes.
        entries.append((key, vb if key.endswith(BINARY_METADATA_SUFFIX) else vb.decode("utf-8", "replace")))
        off += vlen
    return Metadata._from_wire(entries), off


def decode_header(frame: bytes) -> PacketHeader:
    """Decode one header frame (a two-frame packet's first frame, or an inline packet).

    Raises ``ProtocolError`` for a short header, another version, an unknown kind, a body shorter
    than its fields claim, or an invalid metadata key. Bytes after the body are ignored (room for
    compatible extensions), as are unknown flag bits (they are kept in ``flags``); with INLINE and
    HAS_MESSAGE they are the message, ``frame[h.size:]``.

    Example::

        h = decode_header(bytes.fromhex("0104000007000000"))
        (h.kind, h.call_id)  # (4, 7): a CANCEL for call 7
        frame = bytes.fromhex("01022200070000000a0568656c6c6f")  # an inline MESSAGE
        frame[decode_header(frame).size:]  # b"\n\x05hello"
    """
    n = len(frame)
    if n < HEADER_SIZE:
        raise ProtocolError("SHORT_HEADER", f"header of {n} bytes, at least 8 expected")
    version, kind, flags, call_id = _FIXED.unpack_from(frame, 0)
    if version != PROTOCOL_VERSION:
        raise ProtocolError("BAD_VERSION", f"unsupported protocol version {version}", call_id)
    h = PacketHeader(kind, flags, call_id)
    if kind == _REQUEST:
        if n < 14:
            raise _truncated(call_id)
        _, _, _, _, h.timeout_ms, mlen = _REQUEST_HEAD.unpack_from(frame, 0)
        if 14 + mlen > n:
            raise _truncated(call_id)
        h.method = frame[14 : 14 + mlen].decode("utf-8", "replace")
        if flags & _F_METADATA:
            h.metadata, h.size = _read_metadata(frame, 14 + mlen, call_id)
        else:
            h.size = 14 + mlen
        return h
    if kind == _TRAILERS:
        if n < 14:
            raise _truncated(call_id)
        _, _, _, _, h.status, mlen = _TRAILERS_HEAD.unpack_from(frame, 0)
        off = 14
        if mlen > n - off - 4:
            raise _truncated(call_id)
        if mlen:
            h.status_message = frame[off : off + mlen].decode("utf-8", "replace")
        off += mlen
        (dlen,) = _U32.unpack_from(frame, off)
        off += 4
        if dlen > n - off:
            raise _truncated(call_id)
        if dlen:
            h.details = bytes(frame[off : off + dlen])
        off += dlen
        if flags & _F_HEADERS:
            h.headers, off = _read_metadata(frame, off, call_id)
        if flags & _F_METADATA:
            h.metadata, off = _read_metadata(frame, off, call_id)
        h.size = off
        return h
    if kind == _MESSAGE:
        if flags & _F_HEADERS:
            h.headers, h.size = _read_metadata(frame, HEADER_SIZE, call_id)
        return h
    if kind == _CANCEL or kind == _EVENT:
        return h
    raise ProtocolError("UNKNOWN_KIND", f"unknown packet kind {kind}", call_id)


def _bare_ok_reply_id(frame: bytes, inline: bool) -> int:
    """The call id when ``frame`` is the usual unary reply, else -1: a TRAILERS OK with the
    response (END | HAS_MESSAGE) and no status message, details or metadata, read with one unpack.

    ``inline``: the message is the rest of ``frame`` (flags END | HAS_MESSAGE | INLINE, the
    response from ``frame[_BARE_SIZE:]``); else ``frame`` is a two-frame header, exactly
    ``_BARE_SIZE`` bytes, and the response is the next frame. The clients' hot path
    (``_client.py``, ``_sync_client.py``); anything else goes through :func:`decode_header`.

    Example::

        cid = _bare_ok_reply_id(frames[0], True)
        if cid == call.call_id:
            response = frames[0][_BARE_SIZE:]
    """
    if inline:
        if len(frame) < _BARE_SIZE:
            return -1
        want = _F_END_MSG_INLINE
    elif len(frame) != _BARE_SIZE:
        return -1
    else:
        want = _F_END_MSG
    version, kind, flags, cid, status, mlen, dlen = _BARE_UNPACK(frame, 0)
    if version == PROTOCOL_VERSION and kind == _TRAILERS and flags == want and not (status or mlen or dlen):
        return cid  # type: ignore[no-any-return]
    return -1
