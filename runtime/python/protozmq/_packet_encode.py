"""PZMQ/1 packet header encoders (docs/PROTOCOL.md sections 3 to 5); ``protocol`` re-exports them.

The numbers they write are defined in ``protocol.py``; ``runtime/ts/src/packet-encode.ts`` is the
TypeScript twin. They run on every packet, so each header is one precompiled ``struct`` pack plus
a concatenation.
"""

from __future__ import annotations

from typing import Final

from .metadata import Metadata
from .protocol import (
    _CANCEL,
    _EMPTY_BLOCK,
    _ENTRY_HEAD,
    _EVENT,
    _F_HEADERS,
    _F_INLINE,
    _F_METADATA,
    _FIXED,
    _MESSAGE,
    _REQUEST,
    _REQUEST_HEAD,
    _TRAILERS,
    _TRAILERS_BARE,
    _TRAILERS_HEAD,
    _U16,
    _U32,
    EMPTY_FRAME,
    KNOWN_FLAGS,
    MAX_METADATA_ENTRIES,
    MAX_METHOD_BYTES,
    MAX_U32,
    PROTOCOL_VERSION,
    PacketHeader,
)

__all__ = ["encode_header", "encode_packet", "encode_request", "encode_simple", "encode_trailers", "method_bytes"]


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
