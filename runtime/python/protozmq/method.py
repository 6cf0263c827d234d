"""``MethodDescriptor``: the one object generated code hands to a channel or a server per method.

Like grpc's ``unary_unary(path, request_serializer, response_deserializer)`` plus the server-side
pair, in one typed value. It is generic over the request and response types, so
``channel.unary(descriptor, request)`` is typed end to end without casts in generated code.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Final, Generic, Literal, Protocol, TypeVar, get_args

from .protocol import method_bytes

__all__ = ["MethodDescriptor", "MethodKind", "METHOD_KINDS", "identity"]

#: The four call shapes, named as in grpc's ``MethodDescriptor.Kind`` (lower-case).
MethodKind = Literal["unary", "server_streaming", "client_streaming", "bidi_streaming"]
#: The values of ``MethodKind``, for validation.
METHOD_KINDS: Final[tuple[str, ...]] = get_args(MethodKind)

Req = TypeVar("Req")
Resp = TypeVar("Resp")
ReqM = TypeVar("ReqM", bound="_ProtobufMessage")
RespM = TypeVar("RespM", bound="_ProtobufMessage")


class _ProtobufMessage(Protocol):
    # The two members of google.protobuf.message.Message the descriptor needs.
    def SerializeToString(self, *, deterministic: bool = ...) -> bytes: ...  # noqa: N802
    @classmethod
    def FromString(cls, s: bytes) -> Any: ...  # noqa: N802


def identity(data: bytes) -> bytes:
    """The serializer and deserializer of raw ``bytes`` methods (see ``MethodDescriptor.raw``).

    Example::

        identity(b"\\x08\\x01")  # b"\\x08\\x01"
    """
    return data


class MethodDescriptor(Generic[Req, Resp]):
    """One RPC method: its path, call shape and the four (de)serializers.

    ``path`` is ``"<package>.<Service>/<Method>"`` as on the wire. Clients use
    ``request_serializer`` and ``response_deserializer``; servers use ``request_deserializer`` and
    ``response_serializer``. Deserializers raise on bad input (the server then answers
    INVALID_ARGUMENT, the client fails the call with INTERNAL).

    Example::

        EVALUATE = MethodDescriptor[EvalRequest, EvalReply](
            "game.Analysis/Evaluate",
            "unary",
            request_serializer=EvalRequest.SerializeToString,
            response_deserializer=EvalReply.FromString,
            request_deserializer=EvalRequest.FromString,
            response_serializer=EvalReply.SerializeToString,
        )
        # or, for protobuf classes:
        EVALUATE = MethodDescriptor.for_messages("game.Analysis/Evaluate", "unary", EvalRequest, EvalReply)
        reply = channel.unary(EVALUATE, EvalRequest(position="..."), timeout=0.5)
    """

    __slots__ = (
        "path",
        "kind",
        "request_serializer",
        "response_deserializer",
        "request_deserializer",
        "response_serializer",
        "path_bytes",
        "client_streaming",
        "server_streaming",
    )

    def __init__(
        self,
        path: str,
        kind: MethodKind,
        *,
        request_serializer: Callable[[Req], bytes],
        response_deserializer: Callable[[bytes], Resp],
        request_deserializer: Callable[[bytes], Req],
        response_serializer: Callable[[Resp], bytes],
    ) -> None:
        if kind not in METHOD_KINDS:
            raise ValueError(f"unknown method kind {kind!r}, expected one of {METHOD_KINDS}")
        if "/" not in path:
            raise ValueError(f"method path {path!r} is not '<package>.<Service>/<Method>'")
        self.path: Final = path
        self.kind: Final[MethodKind] = kind
        self.request_serializer: Final = request_serializer
        self.response_deserializer: Final = response_deserializer
        self.request_deserializer: Final = request_deserializer
        self.response_serializer: Final = response_serializer
        #: The path's UTF-8 bytes, encoded once for every REQUEST header.
        self.path_bytes: Final = method_bytes(path)
        #: True for client- and bidi-streaming methods: the client sends a stream.
        self.client_streaming: Final = kind in ("client_streaming", "bidi_streaming")
        #: True for server- and bidi-streaming methods: the server sends a stream.
        self.server_streaming: Final = kind in ("server_streaming", "bidi_streaming")

    @staticmethod
    def for_messages(
        path: str, kind: MethodKind, request_type: type[ReqM], response_type: type[RespM]
    ) -> MethodDescriptor[ReqM, RespM]:
        """A descriptor for protobuf message classes (``SerializeToString``/``FromString``).

        Example::

            ECHO = MethodDescriptor.for_messages("test.Echo/Unary", "unary", StringValue, StringValue)
        """
        return MethodDescriptor[ReqM, RespM](
            path,
            kind,
            request_serializer=_serialize,
            response_deserializer=response_type.FromString,
            request_deserializer=request_type.FromString,
            response_serializer=_serialize,
        )

    @staticmethod
    def raw(path: str, kind: MethodKind) -> MethodDescriptor[bytes, bytes]:
        """A descriptor whose requests and responses are already-serialized ``bytes``.

        Useful for proxies, tests and calling a method whose generated code is not at hand.

        Example::

            PING = MethodDescriptor.raw("test.Echo/Unary", "unary")
            channel.unary(PING, b"")  # -> bytes
        """
        return MethodDescriptor[bytes, bytes](
            path,
            kind,
            request_serializer=identity,
            response_deserializer=identity,
            request_deserializer=identity,
            response_serializer=identity,
        )

    def __repr__(self) -> str:
        return f"MethodDescriptor({self.path!r}, {self.kind!r})"


def _serialize(message: _ProtobufMessage) -> bytes:
    return message.SerializeToString()
