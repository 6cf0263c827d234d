"""PZMQ/1: its constants, the packet header's types, the framing checks and (from
``_packet_encode`` and ``_packet_decode``, re-exported here) the header codec (docs/PROTOCOL.md
sections 3 to 5 and 10).

Every protocol number is defined here once (metadata key rules live in ``metadata.py`` and are
re-exported); ``runtime/ts/src/protocol.ts`` with ``packet-encode.ts`` and ``packet-decode.ts``
mirrors these modules name for name. The encoders and decoders run on every packet, so they use
the precompiled ``struct.Struct``s below and build each header with one ``pack`` plus a
concatenation.

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


def has_message(flags: int) -> bool:
    """True if the flags say the packet carries a message (its payload frame, or after an inline body).

    Example::

        payload = frames[1] if has_message(header.flags) else None
    """
    return bool(flags & 0x0002)


# The codec lives in modules of its own and is re-exported here, the module the runtime and users
# import the protocol from. Imported last: those modules read the names above as they load, and
# any import of them goes through this module first (the package imports it before them).
from ._packet_decode import _bare_ok_reply_id as _bare_ok_reply_id  # noqa: E402
from ._packet_decode import decode_header  # noqa: E402
from ._packet_encode import (  # noqa: E402
    encode_header,
    encode_packet,
    encode_request,
    encode_simple,
    encode_trailers,
    method_bytes,
)
