"""PZMQ/1 constants and the packet header codec (docs/PROTOCOL.md sections 3 to 5 and 10).

Every protocol number is defined here once (metadata key rules live in ``metadata.py`` and are
re-exported); ``runtime/ts/src/protocol.ts`` mirrors this module name for name. The encoders and
decoders run on every packet, so they use precompiled ``struct.Struct``s and build each header
with one ``pack`` plus a concatenation.

::

    offset  size  field
    0       1     version      = 1
    1       1     kind         REQUEST 1, MESSAGE 2, TRAILERS 3, CANCEL 4, EVENT 5
    2       2     flags        END 0x1, HAS_MESSAGE 0x2, METADATA 0x4, HEADERS 0x8, ONEWAY 0x10,
                               INLINE 0x20
    4       4     call id      u32
    8       ...   body         REQUEST:  u32 timeout ms, u16 len + method, [metadata]
                               MESSAGE:  [headers]
                               TRAILERS: u16 status, u32 len + message, u32 len + details,
                                         [headers], [trailers]
                               CANCEL, EVENT: empty
    metadata block: u16 count, count x (u16 len + key, u32 len + value)

All integers are little-endian. A packet is this header frame plus a payload frame, or, with
INLINE, one frame: the header and then, with HAS_MESSAGE, the message (PZMQ/1 3).
"""

from __future__ import annotations

import struct
from collections.abc import Sequence
from enum import IntEnum, IntFlag
from typing import Final, Literal

from .metadata import (
    BINARY_METADATA_SUFFIX,
    MAX_METADATA_KEY_BYTES,
    RESERVED_METADATA_PREFIX,
    Metadata,
    MetadataValue,
)

__all__ = [
    "BINARY_METADATA_SUFFIX",
    "CLOSE_GRACE_MS",
    "CLOSE_LINGER_MS",
    "DEFAULT_HEARTBEAT_IVL_MS",
    "DEFAULT_HEARTBEAT_TIMEOUT_MS",
    "DEFAULT_HEARTBEAT_TTL_MS",
    "DEFAULT_MAX_MESSAGE_BYTES",
    "EMPTY_FRAME",
    "HEADER_SIZE",
    "INLINE_MAX_BYTES",
    "KIND_NAMES",
    "KNOWN_FLAGS",
    "MAX_METADATA_ENTRIES",
    "MAX_METADATA_KEY_BYTES",
    "MAX_METHOD_BYTES",
    "MAX_U32",
    "PROBE_CALL_ID",
    "PROTOCOL_VERSION",
    "RESERVED_METADATA_PREFIX",
    "Flag",
    "Kind",
    "PacketHeader",
    "ProtocolError",
    "ProtocolErrorReason",
    "check_framing",
    "decode_header",
    "encode_header",
    "encode_packet",
    "encode_request",
    "encode_simple",
    "encode_trailers",
    "has_message",
    "method_bytes",
]

#: The ``version`` byte of every header this runtime sends and accepts.
PROTOCOL_VERSION: Final = 1
#: Size of the fixed part of a header: version, kind, flags, call id.
HEADER_SIZE: Final = 8


class Kind(IntEnum):
    """Packet kinds (header byte 1, PZMQ/1 4.1).

    Example::

        if header.kind == Kind.TRAILERS:
            finish_call(header)
    """

    #: client -> server: opens a call, names the method, may carry the first request message.
    REQUEST = 1
    #: both ways: a stream message of an open call.
    MESSAGE = 2
    #: server -> client: ends a call with a status; may carry the last response message.
    TRAILERS = 3
    #: client -> server: the client abandons the call.
    CANCEL = 4
    #: publisher -> subscribers: an event, only on PUB/SUB sockets.
    EVENT = 5


#: Kind names by number, for messages and logs (``KIND_NAMES[3] == "TRAILERS"``).
KIND_NAMES: Final[dict[int, str]] = {k.value: k.name for k in Kind}


class Flag(IntFlag):
    """Header flag bits (header bytes 2-3, PZMQ/1 4.2).

    Receivers ignore unknown bits; senders never set them (``encode_header`` raises).

    Example::

        unary_flags = Flag.HAS_MESSAGE | Flag.END  # 0x0003
    """

    #: The sender will send nothing more for this call (half-close).
    END = 0x0001
    #: The packet carries a message: its payload frame, or (INLINE) the bytes after the body. An
    #: empty one with this flag is an empty message.
    HAS_MESSAGE = 0x0002
    #: The body carries a metadata block: request headers on REQUEST, trailers on TRAILERS.
    METADATA = 0x0004
    #: TRAILERS and MESSAGE only: the body carries the server's response headers.
    HEADERS = 0x0008
    #: REQUEST only: fire-and-forget, the server sends nothing back.
    ONEWAY = 0x0010
    #: The packet is one frame: the message, if HAS_MESSAGE, follows the header's body (PZMQ/1 3).
    INLINE = 0x0020


#: All flag bits PZMQ/1 defines.
KNOWN_FLAGS: Final = 0x003F

#: Largest message sent inline (PZMQ/1 3): one frame with the header, at the price of copying the
#: message once after it. A frame costs libzmq, pyzmq and zeromq.js about as much as copying a few
#: KiB, so below this an extra frame is the larger cost; above it, the message goes in its own
#: frame (sent without a copy from 64 KiB, ``zmq.COPY_THRESHOLD``). The TS runtime uses the same
#: number, so a call has the same shape on the wire whichever side sends it.
INLINE_MAX_BYTES: Final = 16 * 1024

#: Default limit on one serialized message (a payload frame or the rest of an inline packet), both
#: sides (PZMQ/1 11).
DEFAULT_MAX_MESSAGE_BYTES: Final = 4 * 1024 * 1024
#: Default ZMQ_HEARTBEAT_IVL: a ZMTP PING every second.
DEFAULT_HEARTBEAT_IVL_MS: Final = 1000
#: Default ZMQ_HEARTBEAT_TIMEOUT: the connection drops after 3 s without any traffic from the peer.
DEFAULT_HEARTBEAT_TIMEOUT_MS: Final = 3000
#: Default ZMQ_HEARTBEAT_TTL: the peer drops us after 3 s of silence from our side.
DEFAULT_HEARTBEAT_TTL_MS: Final = 3000
#: ZMQ_LINGER when a socket closes after a graceful drain (PZMQ/1 2): final TRAILERS (server) or
#: CANCELs (client) just handed to libzmq get this long to reach the wire; linger 0 drops them.
CLOSE_LINGER_MS: Final = 100
#: How long a draining server stays open after sending its final replies, before closing: a
#: client's DEALER has ZMQ_IMMEDIATE, and libzmq drops what such a socket received but its
#: application has not read yet when the connection goes away (PZMQ/1 2, 9).
CLOSE_GRACE_MS: Final = 50
#: Call id 0 is reserved for the server's liveness probe (MESSAGE, no flags, empty payload);
#: clients never use it and ignore packets for it (PZMQ/1 8).
PROBE_CALL_ID: Final = 0
#: Longest method name (u16 length).
MAX_METHOD_BYTES: Final = 0xFFFF
#: Most entries in one metadata block (u16 count).
MAX_METADATA_ENTRIES: Final = 0xFFFF
#: Largest call id and largest timeout (both u32).
MAX_U32: Final = 0xFFFFFFFF

#: An empty frame: the payload frame of a two-frame packet without HAS_MESSAGE.
EMPTY_FRAME: Final = b""

#: Why a received message or packet is malformed (PZMQ/1 10); the same strings as the TS runtime
#: and ``test/vectors/malformed.json``. SHORT_HEADER and MISSING_PAYLOAD drop the whole message;
#: BAD_VERSION makes a server reply UNIMPLEMENTED; the others make it reply INVALID_ARGUMENT. A
#: client fails the call with INTERNAL for any of the last four.
ProtocolErrorReason = Literal[
    "SHORT_HEADER", "MISSING_PAYLOAD", "BAD_VERSION", "UNKNOWN_KIND", "TRUNCATED_BODY", "BAD_METADATA"
]

# Plain ints for the hot paths below (an IntEnum attribute costs a class lookup).
_REQUEST: Final = 1
_MESSAGE: Final = 2
_TRAILERS: Final = 3
_CANCEL: Final = 4
_EVENT: Final = 5
_F_END: Final = 0x0001
_F_HAS_MESSAGE: Final = 0x0002
_F_METADATA: Final = 0x0004
_F_HEADERS: Final = 0x0008
_F_INLINE: Final = 0x0020
_F_END_MSG: Final = _F_END | _F_HAS_MESSAGE  # the flags of a unary REQUEST, and of its OK reply
_F_END_MSG_INLINE: Final = _F_END_MSG | _F_INLINE  # ... sent inline, the usual form

# Precompiled layouts. "<" = little-endian, no padding.
_FIXED: Final = struct.Struct("<BBHI")  # version, kind, flags, call id
_REQUEST_HEAD: Final = struct.Struct("<BBHIIH")  # fixed + timeout ms + method length
_REQUEST_HEAD_TAIL: Final = struct.Struct("<IH")  # timeout ms + method length, at offset 8
_TRAILERS_HEAD: Final = struct.Struct("<BBHIHI")  # fixed + status + message length
_TRAILERS_BARE: Final = struct.Struct("<BBHIHII")  # ... + details length: no message, details, metadata
_BARE_UNPACK: Final = _TRAILERS_BARE.unpack_from
_BARE_SIZE: Final = _TRAILERS_BARE.size
_U16: Final = struct.Struct("<H")
_U32: Final = struct.Struct("<I")
_ENTRY_HEAD: Final = struct.Struct("<H")
_EMPTY_BLOCK: Final = b"\x00\x00"
_INLINE_MAX: Final = INLINE_MAX_BYTES

# Byte values allowed in a metadata key: [0-9a-z-_.].
_KEY_BYTES: Final = frozenset(b"0123456789abcdefghijklmnopqrstuvwxyz-_.")



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

class ProtocolError(Exception):
    """A received message or packet that breaks PZMQ/1. Raised by the decoders here.

    The channel and server handle it (PZMQ/1 10); it never reaches user code as such.

    Example::

        try:
            decode_header(frame)
        except ProtocolError as e:
            if e.reason == "BAD_VERSION":
                reply_unimplemented(e.call_id)
    """

    def __init__(self, reason: ProtocolErrorReason, message: str, call_id: int | None = None) -> None:
        super().__init__(message)
        #: Machine-readable cause, shared with the TypeScript runtime.
        self.reason: ProtocolErrorReason = reason
        #: The call id from the fixed header, when the header was long enough to hold one.
        self.call_id = call_id
        self.message = message


class PacketHeader:
    """A header in a plain, kind-independent form: what ``decode_header`` returns and
    ``encode_header`` takes.

    Fields a kind does not carry hold their zero value; ``headers`` and ``metadata`` are ``None``
    unless their flag is set (``metadata`` = request headers on REQUEST, trailers on TRAILERS).

    Example::

        h = decode_header(frames[0])
        if h.kind == Kind.REQUEST:
            print(h.method, h.timeout_ms)
    """

    __slots__ = (
        "kind",
        "flags",
        "call_id",
        "timeout_ms",
        "method",
        "status",
        "status_message",
        "details",
        "headers",
        "metadata",
        "size",
    )

    def __init__(
        self,
        kind: int,
        flags: int,
        call_id: int,
        *,
        timeout_ms: int = 0,
        method: str = "",
        status: int = 0,
        status_message: str = "",
        details: bytes = b"",
        headers: Metadata | None = None,
        metadata: Metadata | None = None,
    ) -> None:
        self.kind = kind
        self.flags = flags
        self.call_id = call_id
        #: REQUEST: remaining time to the deadline in ms, 0 for none.
        self.timeout_ms = timeout_ms
        #: REQUEST: ``"pkg.Service/Method"``.
        self.method = method
        #: TRAILERS: the status code as sent (0..16; other values are read as UNKNOWN by clients).
        self.status = status
        #: TRAILERS: the status message, kept exactly.
        self.status_message = status_message
        #: TRAILERS: status details (may be empty).
        self.details = details
        #: MESSAGE/TRAILERS with HEADERS: response headers.
        self.headers = headers
        #: REQUEST/TRAILERS with METADATA: request headers or trailers.
        self.metadata = metadata
        #: Decoded headers: where the body ends, so an inline packet's message is
        #: ``frame[h.size:]``. Ignored when encoding.
        self.size = HEADER_SIZE

    def __repr__(self) -> str:
        fields = ", ".join(f"{name}={getattr(self, name)!r}" for name in self.__slots__)
        return f"PacketHeader({fields})"


# ---------------------------------------------------------------------------------------------
# Encoding

# Method names are few and sent on every REQUEST: keep their UTF-8 bytes. Bounded so that a
# client calling arbitrary method names cannot grow it without limit.
_method_cache: dict[str, bytes] = {}
_METHOD_CACHE_LIMIT: Final = 4096


def method_bytes(method: str) -> bytes:
    """UTF-8 bytes of a method name, cached. Raises ``ValueError`` over ``MAX_METHOD_BYTES``.

    Example::

        method_bytes("game.Analysis/Evaluate")  # b"game.Analysis/Evaluate"
    """
    b = _method_cache.get(method)
    if b is None:
        b = method.encode("utf-8")
        if len(b) > MAX_METHOD_BYTES:
            raise ValueError(f"method name longer than {MAX_METHOD_BYTES} bytes")
        if len(_method_cache) >= _METHOD_CACHE_LIMIT:
            _method_cache.clear()
        _method_cache[method] = b
    return b


def _encode_metadata(md: Metadata | None) -> bytes:
    if md is None or not md:
        return _EMPTY_BLOCK
    if len(md) > MAX_METADATA_ENTRIES:
        raise ValueError(f"more than {MAX_METADATA_ENTRIES} metadata entries")
    parts = [_U16.pack(len(md))]
    for key, value in md:
        kb = key.encode("ascii")  # validated by Metadata
        vb = value if isinstance(value, bytes) else value.encode("utf-8")
        parts.append(_ENTRY_HEAD.pack(len(kb)))
        parts.append(kb)
        parts.append(_U32.pack(len(vb)))
        parts.append(vb)
    return b"".join(parts)


def encode_request(
    call_id: int, flags: int, timeout_ms: int, method: bytes, metadata: Metadata | None = None
) -> bytes:
    """Encode a REQUEST header. ``metadata`` (request headers) is written, and METADATA set, when given.

    ``timeout_ms`` is the remaining time to the deadline, 0 for none (clamped to u32).

    Example::

        header = encode_request(7, Flag.HAS_MESSAGE | Flag.END, 250, method_bytes("game.Analysis/Evaluate"))
    """
    if timeout_ms > MAX_U32:
        timeout_ms = MAX_U32
    elif timeout_ms < 0:
        timeout_ms = 0
    head = _REQUEST_HEAD.pack(PROTOCOL_VERSION, _REQUEST, flags | (_F_METADATA if metadata is not None else 0),
                              call_id, timeout_ms, len(method))
    if metadata is None and not flags & _F_METADATA:
        return head + method
    return head + method + _encode_metadata(metadata)


def encode_trailers(
    call_id: int,
    flags: int,
    status: int,
    message: str,
    details: bytes | None = None,
    headers: Metadata | None = None,
    trailers: Metadata | None = None,
) -> bytes:
    """Encode a TRAILERS header. ``headers``/``trailers`` are written (setting HEADERS/METADATA) when given.

    Example::

        header = encode_trailers(7, Flag.HAS_MESSAGE | Flag.END, StatusCode.OK, "")
    """
    if headers is None and trailers is None and not message and not details:
        # The common reply (a unary OK, or a bare status): one pack, no concatenation.
        return _TRAILERS_BARE.pack(PROTOCOL_VERSION, _TRAILERS, flags, call_id, status, 0, 0)
    if headers is not None:
        flags |= _F_HEADERS
    if trailers is not None:
        flags |= _F_METADATA
    mb = message.encode("utf-8") if message else b""
    db = details or b""
    out = _TRAILERS_HEAD.pack(PROTOCOL_VERSION, _TRAILERS, flags, call_id, status, len(mb)) + mb + _U32.pack(len(db)) + db
    if flags & _F_HEADERS:
        out += _encode_metadata(headers)
    if flags & _F_METADATA:
        out += _encode_metadata(trailers)
    return out


def encode_simple(kind: int, flags: int, call_id: int, headers: Metadata | None = None) -> bytes:
    """Encode a MESSAGE, CANCEL or EVENT header; for MESSAGE, ``headers`` are written (HEADERS set) when given.

    Example::

        cancel = encode_simple(Kind.CANCEL, 0, 7)  # b"\\x01\\x04\\x00\\x00\\x07\\x00\\x00\\x00"
    """
    if headers is not None:
        flags |= _F_HEADERS
    fixed = _FIXED.pack(PROTOCOL_VERSION, kind, flags, call_id)
    if kind == _MESSAGE and flags & _F_HEADERS:
        return fixed + _encode_metadata(headers)
    return fixed


def encode_header(h: PacketHeader) -> bytes:
    """Encode any packet header from its plain fields.

    The flags are taken as given (plus METADATA/HEADERS when the corresponding block is present);
    a block whose flag is set but whose value is ``None`` is written empty. Raises ``ValueError``
    for unknown flag bits or kinds.

    Example::

        encode_header(PacketHeader(Kind.CANCEL, 0, 7)).hex()  # "0104000007000000"
    """
    if h.flags & ~KNOWN_FLAGS:
        raise ValueError(f"unknown flag bits 0x{h.flags:x}")
    if h.kind == _REQUEST:
        return encode_request(h.call_id, h.flags, h.timeout_ms, method_bytes(h.method), h.metadata)
    if h.kind == _TRAILERS:
        return encode_trailers(h.call_id, h.flags, h.status, h.status_message, h.details, h.headers, h.metadata)
    if h.kind == _MESSAGE:
        return encode_simple(h.kind, h.flags, h.call_id, h.headers)
    if h.kind in (_CANCEL, _EVENT):
        return encode_simple(h.kind, h.flags, h.call_id)
    raise ValueError(f"unknown packet kind {h.kind}")


# ---------------------------------------------------------------------------------------------
# Decoding


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


def check_framing(frames: Sequence[bytes], start: int = 0) -> ProtocolErrorReason | None:
    """Check the framing of a whole received message before any packet is acted on.

    Walks the packets from ``start`` (1 on a ROUTER, after the routing id; 1 on SUB, after the
    topic): a header with INLINE is a whole packet, any other takes the next frame as its payload.
    Every header must be at least 8 bytes (``SHORT_HEADER``), the last one must have its payload
    frame, and there must be at least one packet (``MISSING_PAYLOAD``). Returns the reason to drop
    the whole message, or ``None``. Checking first keeps "drop the whole message" (PZMQ/1 10) true
    even when the bad packet is not the first.

    Example::

        bad = check_framing(frames, 1)
        if bad is not None:
            count_dropped(peer, bad)
    """
    n = len(frames)
    if start >= n:
        return "MISSING_PAYLOAD"  # no packet at all (only a routing id or a topic)
    i = start
    while i < n:
        header = frames[i]
        if len(header) < HEADER_SIZE:
            return "SHORT_HEADER"
        # flags are little-endian at offset 2: INLINE (0x20) is in byte 2.
        i += 1 if header[2] & _F_INLINE else 2
    return "MISSING_PAYLOAD" if i > n else None


def encode_packet(h: PacketHeader, message: bytes | None) -> list[bytes]:
    """The frames of one packet: ``[header + message]`` when ``h.flags`` has INLINE, else
    ``[header, message]`` (an empty payload frame when ``message`` is ``None``).

    For codec tests and tools; the runtime's senders build the same frames on their hot paths.

    Example::

        encode_packet(PacketHeader(Kind.MESSAGE, Flag.HAS_MESSAGE | Flag.INLINE, 7), b"hi")
        # [b"\x01\x02\x22\x00\x07\x00\x00\x00hi"]
    """
    header = encode_header(h)
    if h.flags & _F_INLINE:
        return [header + message if message else header]
    return [header, EMPTY_FRAME if message is None else message]


def has_message(flags: int) -> bool:
    """True if the flags say the packet carries a message (its payload frame, or after an inline body).

    Example::

        payload = frames[1] if has_message(header.flags) else None
    """
    return bool(flags & 0x0002)
