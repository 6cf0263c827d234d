"""The server half of PZMQ/1 shared by ``Server`` and ``AsyncServer`` (not public API).

``ServerCore`` owns the ROUTER socket, the method table and the open calls keyed by
``(routing id, call id)``. The socket's owner (the blocking server's I/O thread, or the event
loop) calls ``_drain_incoming``/``_flush``; handlers finish calls from any thread through
``_complete``/``_send_message``, which only append to the outbox and ``_kick`` the owner.

Who ends a call is decided under ``_lock``: the handler (``_complete``), a CANCEL, the deadline,
a vanished client or shutdown (``_end_call``). Whoever removes the call from ``_calls`` first
wins; the loser's reply is dropped. The lock is uncontended in the common case (one acquire per
call), and it keeps a stale handler from ending a newer call that reuses its call id.
"""

from __future__ import annotations

import collections
import threading
from collections.abc import Callable
from typing import Any, Final

import zmq
from zmq.utils.monitor import recv_monitor_message

from . import protocol as P
from ._transport import LOG, NOBLOCK, close_socket, configure_rpc_socket, recv_routed, send_frames, socket_events
from .context import ServicerContext
from .errors import RpcError
from .metadata import Metadata
from .method import MethodDescriptor
from .status import StatusCode

_REQUEST: Final = 1
_MESSAGE: Final = 2
_TRAILERS: Final = 3
_CANCEL: Final = 4
_EVENT: Final = 5
_F_END: Final = 0x1
_F_HAS_MESSAGE: Final = 0x2
_F_METADATA: Final = 0x4
_F_HEADERS: Final = 0x8
_F_ONEWAY: Final = 0x10
_F_INLINE: Final = P._F_INLINE
_INLINE_MAX: Final = P.INLINE_MAX_BYTES
_FIXED_UNPACK: Final = P._FIXED.unpack_from
_FIXED_PACK: Final = P._FIXED.pack
_REQUEST_TAIL: Final = P._REQUEST_HEAD_TAIL.unpack_from  # timeout ms, method length
_MAX_BATCH: Final = 64
_PROBE_AGAIN_S: Final = 0.1  # second liveness probe after a disconnect, see _drain_monitor
_POLLIN: Final = int(zmq.POLLIN)

#: What a request stream yields at its end (client half-closed) and when the call ends early.
END_OF_STREAM: Final = object()
CALL_ENDED: Final = object()

Key = tuple[bytes, int]

__all__ = ["CALL_ENDED", "END_OF_STREAM", "ServerCore"]


class ServerCore:
    """See the module docstring. Subclasses implement the ``_start``/``_signal``/``_kick`` hooks."""

    def __init__(
        self,
        *,
        context: zmq.Context[Any] | None,
        max_message_bytes: int,
        heartbeat_ivl_ms: int,
        heartbeat_timeout_ms: int,
        heartbeat_ttl_ms: int,
    ) -> None:
        self._ctx: zmq.Context[Any] = context if context is not None else zmq.Context.instance()
        self._max_message_bytes = max_message_bytes
        self._methods: dict[str, tuple[MethodDescriptor[Any, Any], Callable[..., Any]]] = {}
        self._methods_by_bytes: dict[bytes, tuple[MethodDescriptor[Any, Any], Callable[..., Any]]] = {}
        self._calls: dict[Key, ServicerContext] = {}
        # (peer, header frame, payload frame); payload None: an inline packet, all in the header frame.
        self._outbox: collections.deque[tuple[bytes, bytes, bytes | None]] = collections.deque()
        self._retry: list[list[bytes]] = []  # messages ZeroMQ refused (peer's high-water mark)
        self._lock = threading.Lock()
        self._draining = False
        self._settle = False  # stay open CLOSE_GRACE_MS before closing, see _set_settle
        self._sent_while_draining = False
        self._closed = False
        self._dropped = 0
        self._warned_peers: set[bytes] = set()
        # The packets after the REQUEST being started: (message, index of the next header). If a
        # blocking Server's I/O thread is stuck in an inline handler, the thread that takes the
        # socket over continues from here (see SyncServerCore._take_over).
        self._resume: tuple[list[bytes], int] | None = None
        self.endpoints: list[str] = []
        sock: zmq.Socket[bytes] = self._ctx.socket(zmq.ROUTER)
        configure_rpc_socket(sock, heartbeat_ivl_ms, heartbeat_timeout_ms, heartbeat_ttl_ms)
        # A reply to a vanished client is an error we see (EHOSTUNREACH), not a silent drop.
        sock.setsockopt(zmq.ROUTER_MANDATORY, 1)
        self._sock = sock
        self._monitor: zmq.Socket[bytes] = sock.get_monitor_socket(zmq.EVENT_DISCONNECTED)
        self._monitor.setsockopt(zmq.LINGER, 0)

    # -- configuration (before start) ------------------------------------------------------------

    def _add_method(self, descriptor: MethodDescriptor[Any, Any], handler: Callable[..., Any]) -> None:
        if descriptor.path in self._methods:
            raise ValueError(f"method {descriptor.path} is already registered")
        self._methods[descriptor.path] = self._methods_by_bytes[descriptor.path_bytes] = (descriptor, handler)

    def _bind(self, endpoint: str) -> str:
        self._sock.bind(endpoint)
        # tcp://127.0.0.1:* picks a free port: report the one ZeroMQ chose.
        actual = self._sock.getsockopt_string(zmq.LAST_ENDPOINT) if endpoint.startswith("tcp://") else endpoint
        self.endpoints.append(actual)
        return actual

    def _connect(self, endpoint: str) -> None:
        self._sock.connect(endpoint)
        self.endpoints.append(endpoint)

    # -- hooks -----------------------------------------------------------------------------------

    def _kick(self) -> None:
        raise NotImplementedError

    def _start(self, ctx: ServicerContext, payload: bytes | None) -> None:
        raise NotImplementedError

    def _signal(self, ctx: ServicerContext) -> None:
        """Tell a running handler its call ended (cancel its task / wake its request stream)."""
        raise NotImplementedError

    def _feed(self, ctx: ServicerContext, item: object) -> None:
        raise NotImplementedError

    # -- receiving (owner only) ------------------------------------------------------------------

    def _drain_incoming(self) -> int:
        """Read and apply every message available (bounded); return ``ZMQ_EVENTS`` after the last.

        Starts with a receive, not a ``ZMQ_EVENTS`` query: called when input is likely (the
        socket's descriptor fired), where the query would only cost time. (0 when a receive found
        nothing: that receive has re-armed the edge-triggered descriptor as well.)
        """
        sock = self._sock
        ev = 0
        for _ in range(1024):  # bounded, so the owner also gets to flush under a flood
            try:
                frames = recv_routed(sock, NOBLOCK)
            except zmq.Again:
                return 0
            self._on_frames(frames)
            # Asking ZMQ_EVENTS is ~3x cheaper than a recv that raises zmq.Again.
            ev = socket_events(sock)
            if not ev & _POLLIN:
                return ev
        return ev

    def _on_frames(self, frames: list[bytes], start: int = 1) -> None:
        """Apply a received message (``start`` > 1: the rest of one, see ``_resume``)."""
        n = len(frames)
        # Framing first (PZMQ/1 10). One inline packet, the usual, is fine as it is.
        if start == 1 and (n != 2 or len(frames[1]) < 8 or not frames[1][2] & _F_INLINE):
            bad = P.check_framing(frames, 1)
            if bad is not None:
                self._drop(frames[0] if frames else b"", bad)
                return
        peer = frames[0]
        calls = self._calls
        i = start
        while i < n:
            header = frames[i]
            version, kind, flags, cid = _FIXED_UNPACK(header, 0)
            # The packet's payload frame, or None: inline, the message follows the header's body.
            if flags & _F_INLINE:
                nxt = None
                i += 1
            else:
                nxt = frames[i + 1]
                i += 2
            if version != 1:
                self._reject(peer, cid, flags, StatusCode.UNIMPLEMENTED, f"unsupported protocol version {version}")
                continue
            if kind == _REQUEST:
                self._resume = (frames, i)
                self._on_request(peer, header, flags, cid, nxt)
                self._resume = None
            elif kind == _MESSAGE:
                size = 8
                if flags & _F_HEADERS:  # clients send no headers on MESSAGE; still validate the body
                    try:
                        size = P.decode_header(header).size
                    except P.ProtocolError as e:
                        self._reject(peer, cid, flags, StatusCode.INVALID_ARGUMENT, e.message, end_open=True)
                        continue
                ctx = calls.get((peer, cid))
                if ctx is not None and ctx._requests is not None:
                    self._on_stream_message(ctx, flags, header[size:] if nxt is None else nxt)
            elif kind == _CANCEL:
                ctx = calls.get((peer, cid))
                if ctx is not None:
                    self._end_call(ctx, StatusCode.CANCELLED, "cancelled by the client", send=False)
            else:
                # TRAILERS/EVENT from a client, or an unknown kind: a body that does not even
                # decode is reported as such first (the same order as the TS runtime).
                try:
                    P.decode_header(header)
                    message = f"unexpected packet kind {kind}"
                except P.ProtocolError as e:
                    message = e.message
                self._reject(peer, cid, flags, StatusCode.INVALID_ARGUMENT, message, end_open=True)

    def _on_request(self, peer: bytes, header: bytes, flags: int, cid: int, nxt: bytes | None) -> None:
        """A REQUEST; ``nxt`` is its payload frame, or None when inline (the message follows the
        header's body in ``header``)."""
        entry = None
        metadata: Metadata | None = None
        if not flags & _F_METADATA and len(header) >= 14:
            # Fast path, no metadata: fixed fields and the method name's bytes, no decoding.
            timeout_ms, mlen = _REQUEST_TAIL(header, 8)
            size = 14 + mlen
            if size <= len(header):
                entry = self._methods_by_bytes.get(header[14:size])
        if entry is None:  # metadata, an unknown method, or malformed: decode it all
            try:
                h = P.decode_header(header)
            except P.ProtocolError as e:
                self._reject(peer, cid, flags, StatusCode.INVALID_ARGUMENT, e.message)
                return
            timeout_ms, metadata, size = h.timeout_ms, h.metadata, h.size
            entry = self._methods.get(h.method)
            if entry is None:
                if (peer, cid) in self._calls:
                    self._reject(peer, cid, flags, StatusCode.INVALID_ARGUMENT, f"call id {cid} is already open")
                elif self._draining:
                    self._reject(peer, cid, flags, StatusCode.UNAVAILABLE, "server is shutting down")
                else:
                    self._reject(peer, cid, flags, StatusCode.UNIMPLEMENTED, self._unknown_message(h.method))
                return
        oneway = bool(flags & _F_ONEWAY)
        if (peer, cid) in self._calls:
            self._reject(peer, cid, flags, StatusCode.INVALID_ARGUMENT, f"call id {cid} is already open")
            return
        if self._draining:
            self._reject(peer, cid, flags, StatusCode.UNAVAILABLE, "server is shutting down")
            return
        descriptor, handler = entry
        if oneway and descriptor.kind != "unary":
            self._drop(peer, f"ONEWAY on {descriptor.kind} method {descriptor.path}")  # PZMQ/1 10: no reply possible
            return
        has_message = bool(flags & _F_HAS_MESSAGE)
        # Inline: a slice (one copy; for small messages cheaper than a memoryview, which every
        # deserializer would then have to accept).
        payload = header[size:] if nxt is None else nxt
        if has_message and len(payload) > self._max_message_bytes:
            self._reject(peer, cid, flags, StatusCode.RESOURCE_EXHAUSTED, self._too_big("request", len(payload)))
            return
        if not descriptor.client_streaming and not has_message:
            self._reject(peer, cid, flags, StatusCode.INVALID_ARGUMENT, f"{descriptor.kind} request without a message")
            return
        ctx = ServicerContext(self, peer, cid, descriptor, handler, timeout_ms, metadata, oneway)
        self._calls[ctx._key] = ctx
        if descriptor.client_streaming:
            self._start(ctx, None)
            if has_message:
                self._feed(ctx, payload)
            if flags & _F_END:
                self._feed(ctx, END_OF_STREAM)
        else:
            self._start(ctx, payload)

    def _on_stream_message(self, ctx: ServicerContext, flags: int, payload: bytes) -> None:
        if flags & _F_HAS_MESSAGE:
            if len(payload) > self._max_message_bytes:
                self._end_call(ctx, StatusCode.RESOURCE_EXHAUSTED, self._too_big("request", len(payload)), send=True)
                return
            self._feed(ctx, payload)
        if flags & _F_END:
            self._feed(ctx, END_OF_STREAM)

    def _unknown_message(self, path: str) -> str:
        """``unknown service X`` when no method of the service is registered, else ``unknown method
        X/Y``: the TS server's wording, so a client sees the same error from either."""
        slash = path.rfind("/")
        if slash > 0:
            service = path[: slash + 1]
            if any(p.startswith(service) for p in self._methods):
                return f"unknown method {path}"
            return f"unknown service {path[:slash]}"
        return f"unknown service {path}"

    def _reject(
        self, peer: bytes, cid: int, flags: int, code: StatusCode, message: str, end_open: bool = False
    ) -> None:
        """Answer a packet with TRAILERS ``code`` (PZMQ/1 10), unless it asked for no reply."""
        if end_open:
            # The client ends the call on our TRAILERS: end the handler side too.
            ctx = self._calls.get((peer, cid))
            if ctx is not None:
                self._end_call(ctx, code, message, send=False)
        if flags & _F_ONEWAY:
            return
        self._outbox.append((peer, P.encode_trailers(cid, _F_END | _F_INLINE, code, message), None))

    def _settle_seconds(self) -> float:
        # After a graceful drain that sent replies, the socket stays open CLOSE_GRACE_MS before
        # closing. Closing at once loses those replies: a client's DEALER has ZMQ_IMMEDIATE, and
        # libzmq drops what such a socket received but its application did not read yet when the
        # connection goes away (measured here: linger alone does not help, the close is the issue).
        return P.CLOSE_GRACE_MS / 1000.0 if self._settle and self._sent_while_draining else 0.0

    def _drop(self, peer: bytes, reason: str) -> None:
        self._dropped += 1
        if peer not in self._warned_peers and len(self._warned_peers) < 1024:
            self._warned_peers.add(peer)
            LOG.warning("protozmq server: dropped a malformed message from peer %s (%s)", peer.hex(), reason)

    def _too_big(self, what: str, size: int) -> str:
        return f"{what} message of {size} bytes exceeds the limit of {self._max_message_bytes} bytes"

    # -- ending calls (any thread) ---------------------------------------------------------------

    def _claim(self, ctx: ServicerContext) -> bool:
        with self._lock:
            if ctx._ended or self._calls.get(ctx._key) is not ctx:
                return False
            del self._calls[ctx._key]
            ctx._ended = True
            return True

    def _end_call(self, ctx: ServicerContext, code: StatusCode, message: str, *, send: bool) -> None:
        """End a call the handler has not finished: CANCEL, deadline, oversized stream message, shutdown."""
        if not self._claim(ctx):
            return
        ctx._cancelled = True
        if send and not ctx._oneway:
            trailers = P.encode_trailers(ctx._call_id, _F_END | _F_INLINE, code, message, None, ctx._take_headers(), ctx._trailers)
            self._outbox.append((ctx._peer, trailers, None))
            self._kick()
        self._signal(ctx)
        ctx._fire_callbacks()
        self._call_ended()

    def _call_ended(self) -> None:
        """Hook: a call ended and its last packet (if any) is in the outbox (drain tracking)."""

    def _complete(
        self,
        ctx: ServicerContext,
        code: StatusCode,
        message: str = "",
        details: bytes | None = None,
        payload: bytes | None = None,
        extra_trailers: Metadata | None = None,
    ) -> None:
        """The handler finished: send TRAILERS (with the response for unary/client streaming)."""
        if not self._claim(ctx):
            return
        if not ctx._oneway:
            trailers = ctx._trailers
            if extra_trailers:
                trailers = trailers.copy().merge(extra_trailers) if trailers else extra_trailers
            if payload is not None and len(payload) > self._max_message_bytes:
                code, message, details = StatusCode.RESOURCE_EXHAUSTED, self._too_big("response", len(payload)), None
                payload = None
            if payload is None:
                header = P.encode_trailers(ctx._call_id, _F_END | _F_INLINE, code, message, details, ctx._take_headers(), trailers)
            elif len(payload) <= _INLINE_MAX:  # PZMQ/1 3: small messages ride in the header's frame
                flags = _F_END | _F_HAS_MESSAGE | _F_INLINE
                header = P.encode_trailers(ctx._call_id, flags, code, message, details, ctx._take_headers(), trailers) + payload
                payload = None
            else:
                flags = _F_END | _F_HAS_MESSAGE
                header = P.encode_trailers(ctx._call_id, flags, code, message, details, ctx._take_headers(), trailers)
            self._reply(ctx, header, payload)
        ctx._fire_callbacks()
        self._call_ended()

    def _reply(self, ctx: ServicerContext, header: bytes, payload: bytes | None) -> None:
        """Hook: send a call's final packet (default: queue it for the socket's owner); ``payload``
        None: ``header`` is the whole (inline) packet."""
        self._outbox.append((ctx._peer, header, payload))
        self._kick()

    def _complete_error(self, ctx: ServicerContext, error: BaseException) -> None:
        if isinstance(error, RpcError):
            self._complete(ctx, error.code, error.message, error.details, None, error.trailers)
        else:
            if not ctx._ended:
                LOG.warning("protozmq: handler for %s raised", ctx.method, exc_info=error)
            self._complete(ctx, StatusCode.UNKNOWN, str(error))

    def _send_message(self, ctx: ServicerContext, payload: bytes) -> bool:
        """Send one streamed response; False if the call already ended (the handler should stop)."""
        if ctx._ended:
            return False
        if len(payload) > self._max_message_bytes:
            self._end_call(ctx, StatusCode.RESOURCE_EXHAUSTED, self._too_big("response", len(payload)), send=True)
            return False
        if ctx._oneway:
            return True
        if len(payload) <= _INLINE_MAX:
            header = P.encode_simple(_MESSAGE, _F_HAS_MESSAGE | _F_INLINE, ctx._call_id, ctx._take_headers())
            self._outbox.append((ctx._peer, header + payload, None))
        else:
            header = P.encode_simple(_MESSAGE, _F_HAS_MESSAGE, ctx._call_id, ctx._take_headers())
            self._outbox.append((ctx._peer, header, payload))
        self._kick()
        return True

    # -- sending (owner only) --------------------------------------------------------------------

    def _flush(self) -> None:
        """Send the outbox; consecutive packets for one client go as one multipart message."""
        if self._retry:
            retry, self._retry = self._retry, []
            for frames in retry:
                self._send_frames(frames)
        outbox = self._outbox
        while outbox:
            if len(outbox) == 1:  # the common case: no grouping needed
                peer, header, payload = outbox.popleft()
                self._send_frames([peer, header] if payload is None else [peer, header, payload])
                continue
            groups: dict[bytes, list[bytes]] = {}
            for _ in range(min(len(outbox), 8 * _MAX_BATCH)):
                peer, header, payload = outbox.popleft()
                group = groups.get(peer)
                if group is None or len(group) > 2 * _MAX_BATCH:
                    if group is not None:
                        self._send_frames(group)
                    group = groups[peer] = [peer]
                group.append(header)
                if payload is not None:
                    group.append(payload)
            for frames in groups.values():
                self._send_frames(frames)

    def _send_frames(self, frames: list[bytes]) -> None:
        if self._draining:
            self._sent_while_draining = True
        try:
            send_frames(self._sock, frames)
        except zmq.Again:
            self._retry.append(frames)
        except zmq.ZMQError as e:
            if e.errno == zmq.EHOSTUNREACH:
                self._peer_gone(frames[0])
            else:  # pragma: no cover
                LOG.warning("protozmq server: send failed: %s", e)

    def _peer_gone(self, peer: bytes) -> None:
        # ROUTER_MANDATORY told us the client's connection is gone: its handlers can stop.
        for ctx in [c for c in list(self._calls.values()) if c._peer == peer]:  # list(): atomic copy
            self._end_call(ctx, StatusCode.CANCELLED, "client disconnected", send=False)

    def _expire(self, ctx: ServicerContext) -> None:
        self._end_call(ctx, StatusCode.DEADLINE_EXCEEDED, "deadline exceeded", send=True)

    def _cancel_all(self, message: str) -> None:
        for ctx in list(self._calls.values()):
            self._end_call(ctx, StatusCode.UNAVAILABLE, message, send=True)

    def _close_socket(self) -> None:
        self._closed = True
        try:
            self._sock.disable_monitor()
        except zmq.ZMQError:  # pragma: no cover
            pass
        close_socket(self._monitor)
        # Final TRAILERS may still sit in libzmq's queues: CLOSE_LINGER_MS to write them.
        close_socket(self._sock, P.CLOSE_LINGER_MS)

    # -- liveness probes (owner only) -------------------------------------------------------------

    def _drain_monitor(self) -> None:
        """A client connection dropped: probe every client with open calls (PZMQ/1 8).

        libzmq's disconnect event does not say which peer left. A MESSAGE for call id 0 to a
        vanished peer fails with EHOSTUNREACH (ROUTER_MANDATORY), which ends its calls in
        ``_send_frames``; live clients ignore call id 0.
        """
        if self._read_monitor():
            self._on_client_lost()

    def _read_monitor(self) -> bool:
        """Read the monitor's pending events; True if a client connection dropped."""
        disconnected = False
        while True:
            try:
                event = recv_monitor_message(self._monitor, zmq.NOBLOCK)
            except zmq.Again:
                return disconnected
            except zmq.ZMQError:  # pragma: no cover - closed
                return disconnected
            disconnected |= event["event"] == zmq.EVENT_DISCONNECTED

    def _on_client_lost(self) -> None:
        self._probe()
        # libzmq may report the disconnect before the ROUTER has dropped that peer's pipe, and
        # a probe sent meanwhile vanishes without EHOSTUNREACH: probe once more a bit later.
        self._schedule_probe(_PROBE_AGAIN_S)

    def _probe(self) -> None:
        # One inline frame, no message (PZMQ/1 8), as the TS server sends it.
        probe = _FIXED_PACK(1, _MESSAGE, _F_INLINE, P.PROBE_CALL_ID)
        for peer in {c._peer for c in list(self._calls.values())}:
            self._outbox.append((peer, probe, None))

    def _schedule_probe(self, delay: float) -> None:
        raise NotImplementedError
