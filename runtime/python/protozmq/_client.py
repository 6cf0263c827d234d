"""The client half of PZMQ/1 shared by ``Channel`` and ``AsyncChannel`` (not public API).

``_ClientCore`` owns the DEALER socket and everything about it that does not depend on how the
owner waits (a thread blocked in ``zmq.Poller`` or an asyncio reader callback):

- the open calls, by call id (``_calls``), and the outbox of packets to send (``_outbox``);
- ``_flush``: sends queued packets, several per ZeroMQ message (batching), and parks a batch when
  ZeroMQ refuses it (``ZMQ_IMMEDIATE``: no connected server; or the high-water mark);
- ``_drain_incoming``: applies received packets to their calls (PZMQ/1 5 and 10);
- ``_drain_monitor``: the socket monitor; a lost connection fails every sent call UNAVAILABLE.

Both subclasses call these only from the thread (or event loop) that owns the socket; other
threads only append to ``_outbox`` and call ``_kick``. ``dict`` and ``deque`` single operations
are atomic in CPython, and ``_calls.pop`` decides which side finishes a call: whoever pops it.
"""

from __future__ import annotations

import collections
import itertools
import time
from typing import Any, Final

import zmq
from zmq.utils.monitor import recv_monitor_message

from . import protocol as P
from ._call import ClientCall, Outcome, Outgoing
from ._transport import LOG, NOBLOCK, ceil_ms, close_socket, configure_rpc_socket, recv_frames, send_frames, socket_events
from .errors import RpcError
from .metadata import Metadata, MetadataLike
from .status import StatusCode, status_from_code

# The protocol's numbers as module globals for the hot paths (defined once, in protocol.py).
_V: Final = P.PROTOCOL_VERSION
_REQUEST: Final = P._REQUEST
_MESSAGE: Final = P._MESSAGE
_TRAILERS: Final = P._TRAILERS
_CANCEL: Final = P._CANCEL
_F_HAS_MESSAGE: Final = P._F_HAS_MESSAGE
_F_END: Final = P._F_END
_F_INLINE: Final = P._F_INLINE
_INLINE_MAX: Final = P.INLINE_MAX_BYTES
_BARE_FLAGS: Final = P._F_END_MSG | P._F_INLINE  # flags a bare TRAILERS (status only) may have
_FIXED_PACK: Final = P._FIXED.pack
_F_ONEWAY: Final = int(P.Flag.ONEWAY)
_F_END_MSG: Final = P._F_END_MSG
_BARE_SIZE: Final = P._BARE_SIZE
_bare_ok_reply_id: Final = P._bare_ok_reply_id
_FIXED_UNPACK: Final = P._FIXED.unpack_from
_REQUEST_PACK: Final = P._REQUEST_HEAD.pack
_OK: Final = StatusCode.OK
_ZERO8: Final = bytes(8)
_POLLIN: Final = int(zmq.POLLIN)
_MORE: Final = int(zmq.SNDMORE | zmq.NOBLOCK)
_send: Final = zmq.backend.Socket.send
_COPY_THRESHOLD: Final = zmq.COPY_THRESHOLD

# Connection states, from the socket monitor. inproc emits no monitor events, so an inproc
# channel stays CONNECTING; that only matters when ZeroMQ refuses a send (see _check_stall).
CONNECTING: Final = 0
READY: Final = 1
DISCONNECTED: Final = 2

_MAX_BATCH: Final = 64  # packets per ZeroMQ message; bounds the latency one batch adds


class ClientCore:
    """See the module docstring. Subclasses implement ``_kick`` (make the owner run ``_flush``)."""

    def __init__(
        self,
        endpoint: str,
        *,
        context: zmq.Context[Any] | None,
        bind: bool,
        max_message_bytes: int,
        heartbeat_ivl_ms: int,
        heartbeat_timeout_ms: int,
        heartbeat_ttl_ms: int,
        connect_timeout: float,
    ) -> None:
        self.endpoint = endpoint
        self._ctx: zmq.Context[Any] = context if context is not None else zmq.Context.instance()
        self._max_message_bytes = max_message_bytes
        self._connect_timeout = connect_timeout
        self._calls: dict[int, ClientCall] = {}
        self._outbox: collections.deque[Outgoing] = collections.deque()
        self._ids = itertools.count(1)
        self._state = CONNECTING
        self._live = 0  # connections that completed the ZMTP handshake
        self._stalled: tuple[list[Outgoing], float] | None = None
        self._closing = False
        self._closed = False
        self._dropped = 0  # malformed messages received (PZMQ/1 10: counted, logged once)
        sock: zmq.Socket[bytes] = self._ctx.socket(zmq.DEALER)
        try:
            configure_rpc_socket(sock, heartbeat_ivl_ms, heartbeat_timeout_ms, heartbeat_ttl_ms)
            # Never queue a request for a server that is not connected (PZMQ/1 9): it fails fast
            # (or waits up to connect_timeout for the first connection) instead of running later.
            sock.setsockopt(zmq.IMMEDIATE, 1)
            self._monitor: zmq.Socket[bytes] = sock.get_monitor_socket(
                zmq.EVENT_HANDSHAKE_SUCCEEDED | zmq.EVENT_DISCONNECTED
            )
            self._monitor.setsockopt(zmq.LINGER, 0)
            if bind:
                sock.bind(endpoint)
            else:
                sock.connect(endpoint)
        except BaseException:
            close_socket(sock)
            raise
        self._sock = sock

    # -- called by any thread ------------------------------------------------------------------

    def _kick(self) -> None:
        raise NotImplementedError

    def _new_id(self) -> int:
        calls = self._calls
        while True:
            cid = next(self._ids) & P.MAX_U32
            if cid and cid not in calls:
                return cid

    def _register(self, call: ClientCall) -> None:
        if self._closing:
            raise RpcError(StatusCode.CANCELLED, "channel is closed")
        self._calls[call.call_id] = call
        if self._closed and self._calls.pop(call.call_id, None) is not None:
            # The owner's final sweep ran before our insert became visible.
            raise RpcError(StatusCode.CANCELLED, "channel is closed")

    def _submit(self, call: ClientCall, header: bytes, payload: bytes | None) -> None:
        """Queue a packet (``payload`` None: ``header`` is a whole inline packet) and send it."""
        self._outbox.append((call, header, payload))
        self._kick()

    def _submit_message(self, call: ClientCall, flags: int, data: bytes | None) -> None:
        """Queue and send a MESSAGE: inline up to INLINE_MAX_BYTES (PZMQ/1 3), else two frames."""
        if data is None:
            self._submit(call, _FIXED_PACK(_V, _MESSAGE, flags | _F_INLINE, call.call_id), None)
        elif len(data) <= _INLINE_MAX:
            self._submit(call, _FIXED_PACK(_V, _MESSAGE, flags | _F_INLINE | _F_HAS_MESSAGE, call.call_id) + data, None)
        else:
            self._submit(call, _FIXED_PACK(_V, _MESSAGE, flags | _F_HAS_MESSAGE, call.call_id), data)

    def _check_size(self, data: bytes) -> None:
        if len(data) > self._max_message_bytes:
            raise RpcError(
                StatusCode.RESOURCE_EXHAUSTED,
                f"request message of {len(data)} bytes exceeds the limit of {self._max_message_bytes} bytes",
            )

    def _abandon(self, call: ClientCall, code: StatusCode, message: str) -> bool:
        """Finish ``call`` locally (deadline, cancel, local error); True if we won the race.

        The server hears a CANCEL, except for a deadline: the REQUEST carried the budget, so the
        server's own timer ends the handler with DEADLINE_EXCEEDED (PZMQ/1 6).
        """
        if self._calls.pop(call.call_id, None) is None:
            return False
        call.finished = True
        call.on_finish(Outcome(code, message, headers=call.headers))
        if not call.oneway and code is not StatusCode.DEADLINE_EXCEEDED:
            self._submit(call, _FIXED_PACK(_V, _CANCEL, _F_INLINE, call.call_id), None)
        return True

    @staticmethod
    def _request_packet(
        call: ClientCall, flags: int, timeout: float | None, metadata: MetadataLike | None, data: bytes | None
    ) -> Outgoing:
        """The REQUEST packet for the outbox: inline (one frame, ``data`` copied after the header)
        when ``data`` is None or at most INLINE_MAX_BYTES, else header and ``data`` (PZMQ/1 3)."""
        inline = data is None or len(data) <= _INLINE_MAX
        if inline:
            flags |= _F_INLINE
        path = call.method.path_bytes
        if metadata is None and timeout is None:  # the usual call: one pack, no checks to make
            header = _REQUEST_PACK(_V, _REQUEST, flags, call.call_id, 0, len(path)) + path
        else:
            md = metadata if metadata is None or isinstance(metadata, Metadata) else Metadata(metadata)
            timeout_ms = 0 if timeout is None else ceil_ms(timeout)
            header = P.encode_request(call.call_id, flags, timeout_ms, path, md)
        if not inline:
            return (call, header, data)
        return (call, header if data is None else header + data, None)

    # -- called only by the socket's owner -----------------------------------------------------

    def _flush(self) -> None:
        """Send the outbox, up to _MAX_BATCH packets per ZeroMQ message, until empty or refused."""
        if self._state == DISCONNECTED:
            # Lost and not reconnected: fail fast without trying. ZeroMQ could still accept a
            # send into the dying pipe of the old connection (it reports the disconnect before
            # it drops the pipe), and that request would vanish.
            self._fail_unsent(f"not connected to {self.endpoint}")
            return
        if self._stalled is not None and not self._retry_stalled():
            return
        outbox = self._outbox
        sock = self._sock
        if len(outbox) == 1:
            # One small packet, the usual case of a lone caller: no batch to build.
            call, header, payload = outbox[0]
            if header[1] != _CANCEL and not call.finished and (payload is None or len(payload) < _COPY_THRESHOLD):
                try:
                    if payload is None:
                        _send(sock, header, NOBLOCK)
                    else:
                        _send(sock, header, _MORE)
                        _send(sock, payload, NOBLOCK)
                except zmq.ZMQError:
                    pass  # refused (not connected, the HWM, closed): the general path handles it
                else:
                    outbox.popleft()
                    call.sent = True
                    if call.oneway:
                        self._sent([call])
                    return
        while outbox:
            frames: list[bytes] = []
            batch: list[Outgoing] = []
            while outbox and len(batch) < _MAX_BATCH:
                entry = outbox.popleft()
                call, header, payload = entry
                if header[1] == _CANCEL:
                    if not call.sent:  # the server never heard of it
                        continue
                elif call.finished:
                    continue  # abandoned before it was sent
                frames.append(header)
                if payload is not None:
                    frames.append(payload)
                batch.append(entry)
            if not frames:
                return
            try:
                send_frames(sock, frames)
            except zmq.Again:
                self._stalled = (batch, time.monotonic())
                self._check_stall()
                return
            except zmq.ZMQError as e:  # pragma: no cover - socket closed under us
                self._fail_batch([e[0] for e in batch], f"send failed: {e}")
                continue
            self._sent([e[0] for e in batch])

    def _sent(self, batch: list[ClientCall]) -> None:
        for call in batch:
            call.sent = True
            if call.oneway and not call.finished:
                call.finished = True
                self._calls.pop(call.call_id, None)
                call.on_finish(Outcome(_OK))

    def _retry_stalled(self) -> bool:
        assert self._stalled is not None
        batch, since = self._stalled
        # Calls abandoned while parked (deadline, cancel) are not sent after all.
        keep = [e for e in batch if (e[0].sent if e[1][1] == _CANCEL else not e[0].finished)]
        if len(keep) != len(batch):
            batch = keep
            if not batch:
                self._stalled = None
                return True
            self._stalled = (batch, since)
        frames: list[bytes] = []
        for _, header, payload in batch:
            frames.append(header)
            if payload is not None:
                frames.append(payload)
        try:
            send_frames(self._sock, frames)
        except zmq.Again:
            self._check_stall()
            return self._stalled is None
        self._stalled = None
        self._sent([e[0] for e in batch])
        return True

    def _check_stall(self) -> float | None:
        """Fail a parked batch when waiting is pointless; return seconds until it must be re-checked.

        ZeroMQ refuses a send (EAGAIN) with ``ZMQ_IMMEDIATE`` when no server is connected, and on
        a full high-water mark. Connected (READY): wait, the server is just slow. Lost
        (DISCONNECTED): fail fast with UNAVAILABLE (PZMQ/1 9). Never connected yet (CONNECTING):
        wait up to ``connect_timeout`` for the first connection, so that a call made right after
        creating the channel does not race the connect.
        """
        if self._stalled is None:
            return None
        batch, since = self._stalled
        if self._state == READY:
            return None
        left = 0.0 if self._state == DISCONNECTED else since + self._connect_timeout - time.monotonic()
        if left > 0:
            return left
        self._stalled = None
        self._fail_batch([e[0] for e in batch], f"not connected to {self.endpoint}")
        return None

    def _fail_unsent(self, message: str) -> None:
        if self._stalled is not None:
            self._fail_batch([e[0] for e in self._stalled[0]], message)
            self._stalled = None
        outbox = self._outbox
        while outbox:
            call = outbox.popleft()[0]
            if not call.sent:
                self._fail_batch([call], message)

    def _fail_batch(self, batch: list[ClientCall], message: str) -> None:
        for call in batch:
            if self._calls.pop(call.call_id, None) is not None:
                call.finished = True
                call.on_finish(Outcome(StatusCode.UNAVAILABLE, message))

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
                frames = recv_frames(sock, NOBLOCK)
            except zmq.Again:
                return 0
            self._on_frames(frames)
            # Asking ZMQ_EVENTS is ~3x cheaper than a recv that raises zmq.Again.
            ev = socket_events(sock)
            if not ev & _POLLIN:
                return ev
        return ev

    def _on_frames(self, frames: list[bytes]) -> None:
        n = len(frames)
        calls = self._calls
        if n <= 2:
            # The usual reply: one bare TRAILERS OK (no status message, details or metadata)
            # with the response, inline (one frame) or not, read with one unpack; its framing
            # is right by construction. Anything else takes the general path below.
            cid = _bare_ok_reply_id(frames[0], n == 1)
            if cid >= 0:
                msg = frames[0][_BARE_SIZE:] if n == 1 else frames[1]
                call = calls.get(cid)
                if call is not None and len(msg) <= self._max_message_bytes:
                    # _finish, inlined. Whoever pops the call ends it (another thread may just
                    # have, for its deadline or a cancel).
                    if calls.pop(cid, None) is not None:
                        call.finished = True
                        call.on_ok(msg)
                    return
        # Framing first: a short header or a missing payload frame anywhere drops the whole
        # message (PZMQ/1 10). (One inline packet, the usual: nothing to check.)
        if n != 1 or len(frames[0]) < 8 or not frames[0][2] & _F_INLINE:
            bad = P.check_framing(frames)
            if bad is not None:
                self._drop(bad)
                return
        i = 0
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
            call = calls.get(cid)
            if call is None:
                continue  # a call that just ended (deadline, cancel): ignore
            if version != _V or (kind != _TRAILERS and kind != _MESSAGE):
                if version != _V:
                    why = f"unsupported protocol version {version} from server"
                else:
                    why = f"unexpected packet kind {kind} from server"
                self._abandon(call, StatusCode.INTERNAL, why)
                continue
            if kind == _TRAILERS and len(header) >= _BARE_SIZE and not flags & ~_BARE_FLAGS and header[10:_BARE_SIZE] == _ZERO8:
                # Fast path: a bare status (no message, details or metadata), e.g. a unary OK.
                status = header[8] | header[9] << 8
                if flags & _F_HAS_MESSAGE:
                    payload: bytes | None = header[_BARE_SIZE:] if nxt is None else nxt
                else:
                    payload = None
                if status == 0 and payload is not None and len(payload) <= self._max_message_bytes:
                    # _finish, inlined for the usual reply. Whoever pops the call ends it (another
                    # thread may just have, for its deadline or a cancel).
                    if calls.pop(cid, None) is not None:
                        call.finished = True
                        call.on_ok(payload)
                else:
                    self._finish(call, status_from_code(status), "", None, call.headers, None, payload)
                continue
            try:
                h = P.decode_header(header)
            except P.ProtocolError as e:
                self._abandon(call, StatusCode.INTERNAL, f"malformed packet from server: {e.message}")
                continue
            if flags & _F_HAS_MESSAGE:
                payload = header[h.size :] if nxt is None else nxt
            else:
                payload = None
            if kind == _MESSAGE:
                if call.headers is None:
                    call.headers = h.headers if h.headers is not None else Metadata()
                if payload is not None:
                    if len(payload) > self._max_message_bytes:
                        self._abandon(call, StatusCode.RESOURCE_EXHAUSTED, self._too_big(payload))
                        continue
                    call.on_message(payload)
            else:
                headers = h.headers if h.headers is not None else call.headers
                self._finish(
                    call, status_from_code(h.status), h.status_message, h.details or None,
                    headers, h.metadata, payload,
                )

    def _finish(
        self,
        call: ClientCall,
        code: StatusCode,
        message: str,
        details: bytes | None,
        headers: Metadata | None,
        trailers: Metadata | None,
        payload: bytes | None,
    ) -> None:
        if self._calls.pop(call.call_id, None) is None:
            return
        call.finished = True
        if payload is not None and len(payload) > self._max_message_bytes:
            call.on_finish(Outcome(StatusCode.RESOURCE_EXHAUSTED, self._too_big(payload), headers=headers))
            return
        call.on_finish(Outcome(code, message, details, headers, trailers, payload))

    def _too_big(self, payload: bytes) -> str:
        return f"response message of {len(payload)} bytes exceeds the limit of {self._max_message_bytes} bytes"

    def _drop(self, reason: str) -> None:
        self._dropped += 1
        if self._dropped == 1:
            LOG.warning("protozmq channel %s: dropped a malformed message from the server (%s)", self.endpoint, reason)

    def _drain_monitor(self) -> None:
        if self._read_monitor():
            self._on_disconnected()

    def _read_monitor(self) -> bool:
        """Apply the monitor's events to the connection state; True if a connection was lost."""
        lost = False
        while True:
            try:
                event = recv_monitor_message(self._monitor, zmq.NOBLOCK)
            except zmq.Again:
                return lost
            except zmq.ZMQError:  # pragma: no cover - closed
                return lost
            ev = event["event"]
            if ev == zmq.EVENT_HANDSHAKE_SUCCEEDED:
                self._live += 1
                self._state = READY
            elif ev == zmq.EVENT_DISCONNECTED:
                # Also reported for connections that never finished the handshake: clamp at 0.
                self._live = max(0, self._live - 1)
                if self._live == 0:
                    self._state = DISCONNECTED
                lost = True

    def _sent_calls(self) -> list[ClientCall]:
        """The open calls the server may have seen (whose REQUEST went into ZeroMQ)."""
        return [c for c in list(self._calls.values()) if c.sent]  # list(): atomic copy

    def _on_disconnected(self, lost: list[ClientCall] | None = None) -> None:
        # PZMQ/1 8: fail every call the server may have seen; never resend (no retries).
        for call in self._sent_calls() if lost is None else lost:
            if self._calls.pop(call.call_id, None) is not None:
                call.finished = True
                call.on_finish(Outcome(StatusCode.UNAVAILABLE, f"connection to {self.endpoint} lost", headers=call.headers))
        self._check_stall()

    def _shutdown(self) -> None:
        """Fail open calls with CANCELLED, tell the server (best effort), close with linger 0."""
        self._closed = True
        frames: list[bytes] = []
        for call in list(self._calls.values()):
            if self._calls.pop(call.call_id, None) is None:
                continue
            call.finished = True
            call.on_finish(Outcome(StatusCode.CANCELLED, "channel closed", headers=call.headers))
            if call.sent and not call.oneway:
                frames.append(_FIXED_PACK(_V, _CANCEL, _F_INLINE, call.call_id))
        if self._stalled is not None:
            self._fail_batch([e[0] for e in self._stalled[0]], "channel closed")
            self._stalled = None
        for call, _, _ in self._outbox:
            call.finished = True
        self._outbox.clear()
        if frames:
            try:
                self._sock.send_multipart(frames, zmq.NOBLOCK)
            except zmq.ZMQError:
                pass
        try:
            self._sock.disable_monitor()
        except zmq.ZMQError:  # pragma: no cover
            pass
        close_socket(self._monitor)
        close_socket(self._sock, P.CLOSE_LINGER_MS if frames else 0)
