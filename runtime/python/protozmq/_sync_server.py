"""How the blocking ``Server`` runs: its I/O thread, inline handlers and worker pool (not public API).

**The I/O thread** owns the ROUTER and waits in a blocking ``recv`` on it, exactly like a raw
pyzmq echo server: no poll set, no extra wake-up. Everything else that must wake it arrives on the
ROUTER too, from an internal inproc DEALER (routing id ``_WAKE_ID``): a worker that queued a
reply, ``stop()``, and the sentinel thread forwarding "a client connection dropped". Timers
(deadlines, liveness probes, retries after a full queue) are the receive timeout (``ZMQ_RCVTIMEO``).

**Inline unary handlers.** Handing a request to a worker thread and the reply back costs two
thread wake-ups (10-25 µs each on the project VM) for a handler that often runs in a few µs. So
unary handlers run on the I/O thread itself while they prove fast: each method's handler time is
tracked (an exponentially weighted average, from inline and pool runs alike) and a method runs
inline while it stays under ``INLINE_MAX_S``. Server streaming and client/bidi streaming handlers
always run on the pool (they hold a thread for the whole call).

**The sentinel** is a helper thread that owns the monitor socket and, while inline handlers run,
ticks every ``_TICK_S``. If it finds the same inline handler running on two ticks in a row, it
**takes over**: a new thread becomes the I/O thread (continuing with the packets after that
REQUEST), the method is marked slow (its next calls go to the pool), and the old thread finishes
its handler like a worker and exits. A handler that blocks, or waits for ``context.cancelled()``,
therefore never holds up the socket for more than two ticks: CANCELs, deadlines and other
clients' calls keep flowing. The sentinel stops ticking after a quiet spell, so an idle server
does not wake up.

::

    client --REQUEST--> ROUTER --recv--> I/O thread: fast unary handler inline --send--> client
                                             | slow or streaming method
                                             v
                                         work queue --> worker runs handler --> outbox
                                             ^                                   |
                      I/O thread <--recv-- ROUTER <--inproc "wake"-- DEALER <----+
"""

from __future__ import annotations

import heapq
import itertools
import os
import queue
import threading
import time
from typing import Any, Final

import zmq

from . import protocol as P
from ._server import CALL_ENDED
from ._sync_work import EWMA, INLINE_MAX_S, KEEP, SAMPLE_CAP_S, WorkerPoolCore
from ._transport import LOG, NOBLOCK, Poll, Waker, close_socket, recv_routed
from .context import ServicerContext
from .status import StatusCode

__all__ = ["INLINE_MAX_S", "SyncServerCore"]

_OK: Final = StatusCode.OK
_RCVTIMEO: Final = int(zmq.RCVTIMEO)
_set: Final = zmq.backend.Socket.set
_perf_counter: Final = time.perf_counter
_send: Final = zmq.backend.Socket.send
_MORE: Final = int(zmq.SNDMORE | zmq.NOBLOCK)
#: TRAILERS OK with the response and nothing else (PZMQ/1 5.3): version 1, kind 3, END |
#: HAS_MESSAGE, call id, status 0, empty status message and details.
_OK_REPLY_PACK: Final = P._TRAILERS_BARE.pack
_V: Final = P.PROTOCOL_VERSION
_TRAILERS: Final = P._TRAILERS
_F_END_MSG: Final = P._F_END_MSG
_F_END_MSG_INLINE: Final = P._F_END_MSG_INLINE
_INLINE_MAX: Final = P.INLINE_MAX_BYTES
_REQUEST: Final = P._REQUEST
_REQUEST_UNPACK: Final = P._REQUEST_HEAD.unpack_from

#: Routing id of the internal wake-up DEALER (user routing ids may not start with 0x00; this one
#: starts with 0xff so that it is also unlikely to be chosen by a client).
_WAKE_ID: Final = b"\xffprotozmq-wake"
_CLIENT_LOST: Final = b"D"  # wake-up payload: the sentinel saw a client connection drop
_wake_names = itertools.count()

#: How often the sentinel looks at a running inline handler: a handler still running on two
#: looks in a row (10 to 20 ms) loses the I/O thread. Each look takes the GIL for a moment and
#: may delay the call in progress by a few µs; at 2 ms that showed in the p99 of round trips.
_TICK_S: Final = 0.01
_QUIET_TICKS: Final = 300  # ticks without inline runs (3 s) before the sentinel goes back to sleep
_SLOW_S: Final = 0.01  # the average a method gets when its handler was taken over
_JOIN_SLICE_S: Final = 0.05  # stop() re-checks which thread owns the socket this often


class _RoleMoved(BaseException):
    """Raised on an old I/O thread after its inline handler: another thread owns the socket now."""


class SyncServerCore(WorkerPoolCore):
    """``ServerCore`` plus the I/O thread, inline handlers, the sentinel and the worker pool."""

    def __init__(self, *, max_workers: int | None, inline: bool, **options: Any) -> None:
        super().__init__(**options)
        self._max_workers = max_workers if max_workers is not None else min(32, (os.cpu_count() or 1) + 4)
        if self._max_workers < 1:
            raise ValueError("max_workers must be at least 1")
        self._inline = inline
        self._inline_pins: dict[str, bool] = {}  # per-method choice, overriding the average
        self._cost = {}
        self._work = queue.SimpleQueue()
        self._idle = False  # the I/O thread is (about to be) blocked in recv: wake it to flush
        self._deadlines: list[tuple[float, int, ServicerContext]] = []
        self._seq = itertools.count()
        self._probe_at: float | None = None  # when the I/O thread sends the next liveness probe
        self._thread: threading.Thread | None = None  # the I/O thread (changes on a take-over)
        self._workers: list[threading.Thread] = []
        self._stop_requested = False
        self._drained = threading.Event()
        self._stop_lock = threading.Lock()
        # Inline handlers and take-overs.
        self._role_lock = threading.Lock()
        self._running_inline: ServicerContext | None = None
        self._inline_runs = 0
        self._ticking = False
        self._sentinel: threading.Thread | None = None
        self._sentinel_waker = Waker()
        self._sentinel_stop = False
        # Wake-ups through the ROUTER itself.
        self._wake_endpoint = f"inproc://protozmq-server-wake-{os.getpid()}-{next(_wake_names)}"
        self._wake_sock: zmq.Socket[bytes] | None = None
        self._wake_lock = threading.Lock()

    def _set_inline(self, path: str, inline: bool | None) -> None:
        if inline is not None:
            self._inline_pins[path] = inline

    # -- lifecycle (called by Server) ------------------------------------------------------------

    def _start_threads(self) -> None:
        for i in range(self._max_workers):
            t = threading.Thread(target=self._work_loop, name=f"protozmq-worker-{i}", daemon=True)
            t.start()
            self._workers.append(t)
        self._sock.bind(self._wake_endpoint)
        wake = self._ctx.socket(zmq.DEALER)
        wake.setsockopt(zmq.LINGER, 0)
        wake.setsockopt(zmq.ROUTING_ID, _WAKE_ID)
        wake.setsockopt(zmq.SNDHWM, 0)  # never refuse a wake-up (they are tiny and rare)
        wake.connect(self._wake_endpoint)
        self._wake_sock = wake
        self._sentinel = threading.Thread(target=self._watch, name="protozmq-server-sentinel", daemon=True)
        self._sentinel.start()
        self._thread = threading.Thread(target=self._run, args=(None,), name="protozmq-server", daemon=True)
        self._thread.start()

    def _join_io(self, timeout: float | None) -> bool:
        """Wait for the I/O thread, following take-overs; True if it ended."""
        end = None if timeout is None else time.monotonic() + timeout
        while True:
            t = self._thread
            if t is None or t.ident is None:
                return t is not None
            if t is threading.current_thread():
                return False  # stop() from an inline handler: the sentinel moves the I/O on
            # Join in slices: meanwhile a take-over may move the socket to a new thread, and the
            # old one may never end (its handler blocked for good): follow the socket, not `t`.
            left = _JOIN_SLICE_S if end is None else min(_JOIN_SLICE_S, end - time.monotonic())
            if left <= 0:
                return False
            t.join(left)
            if self._thread is t and not t.is_alive():
                return True

    def _stop_workers(self) -> None:
        for _ in self._workers:
            self._work.put(None)
        for t in self._workers:
            if t is not threading.current_thread():
                t.join(0.1)  # a handler stuck in user code cannot be interrupted: don't wait for it

    def _wake(self, what: bytes = b"") -> None:
        with self._wake_lock:
            sock = self._wake_sock
            if sock is not None and not sock.closed:
                try:
                    _send(sock, what, NOBLOCK)
                except zmq.ZMQError:  # pragma: no cover - context terminating
                    pass

    # -- hooks for ServerCore --------------------------------------------------------------------

    def _kick(self) -> None:
        if self._idle:
            self._idle = False  # one wake-up is enough; the I/O thread sets it again
            self._wake()

    def _start(self, ctx: ServicerContext, payload: bytes | None) -> None:
        d = ctx._descriptor
        if d.kind == "unary":
            pin = self._inline_pins.get(d.path)
            if pin if pin is not None else (self._inline and self._cost.get(d.path, 0.0) < INLINE_MAX_S):
                self._run_inline(ctx, payload)
                return
        if ctx._deadline_mono is not None:
            heapq.heappush(self._deadlines, (ctx._deadline_mono, next(self._seq), ctx))
        if d.client_streaming:
            ctx._requests = queue.SimpleQueue()
        self._work.put((ctx, payload))

    def _signal(self, ctx: ServicerContext) -> None:
        if ctx._requests is not None:
            ctx._requests.put(CALL_ENDED)

    def _feed(self, ctx: ServicerContext, item: object) -> None:
        ctx._requests.put(item)

    def _schedule_probe(self, delay: float) -> None:
        self._probe_at = time.monotonic() + delay

    def _call_ended(self) -> None:
        # Only now is the call's reply in the outbox: stop() may let the I/O thread finish.
        if self._draining and not self._calls:
            self._drained.set()

    # -- the I/O thread --------------------------------------------------------------------------

    def _run(self, carry: tuple[list[bytes], int] | None) -> None:
        moved = False
        try:
            self._serve(carry)
        except _RoleMoved:
            moved = True
        finally:
            if not moved:
                self._shut_down()

    def _serve(self, carry: tuple[list[bytes], int] | None) -> None:
        sock = self._sock
        deadlines = self._deadlines
        rcvtimeo: int | None = None  # each I/O thread sets it afresh
        if carry is not None:
            self._on_frames(*carry)  # the rest of the message a taken-over handler came in
        while not self._stop_requested:
            if self._outbox or self._retry:
                self._flush()
            timeout = -1
            if deadlines or self._probe_at is not None or self._retry:
                timeout = self._timeout_ms()
            if timeout != rcvtimeo:
                _set(sock, _RCVTIMEO, timeout)
                rcvtimeo = timeout
            self._idle = True  # before the last look at the outbox: see Channel's reader loop
            if self._outbox or self._stop_requested:
                self._idle = False
                continue
            try:
                # Blocking, the GIL released, like a raw echo. A receive (unlike a wait on the
                # edge-triggered ZMQ_FD) also finds requests of inproc clients that connected
                # before the bind, which libzmq attaches without a signal (see AsyncServer.bind).
                frames = recv_routed(sock, 0)
            except zmq.Again:
                frames = None
            self._idle = False
            if frames is not None:
                if frames[0] != _WAKE_ID:
                    if len(frames) != 2 or not self._unary_now(frames[0], frames[1]):
                        self._on_frames(frames)
                elif len(frames) > 1 and frames[1] == _CLIENT_LOST:
                    self._on_client_lost()
            if deadlines or self._probe_at is not None:
                self._timers()

    def _timeout_ms(self) -> int:
        now = time.monotonic()
        at = self._deadlines[0][0] if self._deadlines else None
        if self._probe_at is not None and (at is None or self._probe_at < at):
            at = self._probe_at
        timeout = -1 if at is None else max(0, int((at - now) * 1000) + 1)
        if self._retry and (timeout < 0 or timeout > 1):
            timeout = 1  # a client's queue was full: try again soon
        return timeout

    def _timers(self) -> None:
        now = time.monotonic()
        if self._probe_at is not None and self._probe_at <= now:
            self._probe_at = None
            self._probe()
        deadlines = self._deadlines
        while deadlines and deadlines[0][0] <= now:
            self._expire(heapq.heappop(deadlines)[2])

    def _shut_down(self) -> None:
        with self._role_lock:
            self._sentinel_stop = True  # no take-over from here on
        self._sentinel_waker.wake()
        if self._sentinel is not None and self._sentinel is not threading.current_thread():
            self._sentinel.join()
        self._idle = False
        self._cancel_all("server is shutting down")
        self._flush()
        # Stay open briefly (see _settle_seconds); requests arriving now get UNAVAILABLE.
        sock = self._sock
        settle_end = time.monotonic() + self._settle_seconds()
        while (left := settle_end - time.monotonic()) > 0:
            _set(sock, _RCVTIMEO, max(1, int(left * 1000)))
            try:
                frames = recv_routed(sock, 0)
            except zmq.Again:
                continue
            if frames[0] != _WAKE_ID:
                self._on_frames(frames)
            self._flush()
        self._close_socket()
        with self._wake_lock:
            close_socket(self._wake_sock)
        self._sentinel_waker.close()

    # -- inline handlers and take-overs ------------------------------------------------------------

    def _unary_now(self, peer: bytes, packet: bytes) -> bool:
        """The usual message, one inline unary REQUEST without metadata of a method that runs
        inline: _on_frames, _on_request and _start for that case, in one Python frame. False,
        having done nothing, for anything else (the general path decides)."""
        if len(packet) < 14:
            return False
        version, kind, flags, cid, timeout_ms, mlen = _REQUEST_UNPACK(packet, 0)
        size = 14 + mlen
        entry = self._methods_by_bytes.get(packet[14:size])
        if entry is None or flags != _F_END_MSG_INLINE or kind != _REQUEST or version != _V or size > len(packet):
            return False
        descriptor, handler = entry
        path = descriptor.path
        pin = self._inline_pins.get(path)
        if (
            descriptor.kind != "unary"
            or not (pin if pin is not None else (self._inline and self._cost.get(path, 0.0) < INLINE_MAX_S))
            or (peer, cid) in self._calls
            or self._draining
            or len(packet) - size > self._max_message_bytes
        ):
            return False
        ctx = ServicerContext(self, peer, cid, descriptor, handler, timeout_ms, None, False)
        self._calls[ctx._key] = ctx
        self._run_inline(ctx, packet[size:])
        return True

    def _run_inline(self, ctx: ServicerContext, payload: bytes | None) -> None:
        """Run a unary handler here on the I/O thread; its reply leaves at once (see ``_reply``)."""
        self._running_inline = ctx
        if not self._ticking:
            self._ticking = True  # after publishing ctx: see _watch for the order
            self._sentinel_waker.wake()
        t0 = _perf_counter()
        spent = -1.0  # the handler's time, without the send (a property of the machine, not the method)
        d = ctx._descriptor
        try:
            # _run_call's unary branch, inlined: this is the critical path of a fast call.
            try:
                request = d.request_deserializer(payload)  # type: ignore[arg-type]
            except Exception as e:
                self._complete(ctx, StatusCode.INVALID_ARGUMENT, f"request does not decode: {e}")
                return
            result = ctx._handler(request, ctx)
            try:
                data = d.response_serializer(result)
            except Exception as e:
                self._complete(ctx, StatusCode.INTERNAL, f"response does not serialize: {e}")
                return
            spent = _perf_counter() - t0
            if (
                ctx._trailers is None
                and (ctx._headers is None or ctx._headers_sent)
                and not ctx._oneway
                and len(data) <= self._max_message_bytes
            ):
                # _complete for the usual reply (OK, no headers or trailers left to send): the
                # same claim, one pack for the header, the hooks only when they have work. (A
                # plain acquire/release: no KeyboardInterrupt reaches this thread, not the main one.)
                key = ctx._key
                lock = self._lock
                lock.acquire()
                claimed = not ctx._ended and self._calls.get(key) is ctx
                if claimed:
                    del self._calls[key]
                    ctx._ended = True
                lock.release()
                if claimed:
                    ctx._headers_sent = True
                    if len(data) > _INLINE_MAX:
                        self._reply(ctx, _OK_REPLY_PACK(_V, _TRAILERS, _F_END_MSG, ctx._call_id, 0, 0, 0), data)
                    else:  # one frame, header and response (PZMQ/1 3)
                        header = _OK_REPLY_PACK(_V, _TRAILERS, _F_END_MSG_INLINE, ctx._call_id, 0, 0, 0) + data
                        # _reply's usual case, unrolled: the last packet of its message, nothing
                        # queued before it, not taken over: send it now.
                        resume = self._resume
                        mine = False
                        if (resume is None or resume[1] >= len(resume[0])) and not (self._outbox or self._retry or self._draining):
                            role = self._role_lock
                            role.acquire()
                            mine = self._running_inline is ctx
                            if mine:
                                self._running_inline = None  # no take-over from here on
                            role.release()
                        if not mine:
                            self._reply(ctx, header, None)
                        else:
                            peer = ctx._peer
                            try:
                                _send(self._sock, peer, _MORE)
                                _send(self._sock, header, NOBLOCK)
                            except zmq.Again:
                                self._retry.append([peer, header])
                            except zmq.ZMQError as e:
                                if e.errno == zmq.EHOSTUNREACH:
                                    self._peer_gone(peer)
                                else:  # pragma: no cover
                                    LOG.warning("protozmq server: send failed: %s", e)
                    if ctx._callbacks is not None:
                        ctx._fire_callbacks()
                    if self._draining:
                        self._call_ended()
            else:
                self._complete(ctx, _OK, payload=data)
        except Exception as e:
            self._complete_error(ctx, e)
        finally:
            # _note_cost, inlined.
            seconds = spent if spent >= 0 else _perf_counter() - t0
            if seconds > SAMPLE_CAP_S:
                seconds = SAMPLE_CAP_S
            path = d.path
            cost = self._cost
            cost[path] = cost.get(path, seconds) * KEEP + seconds * EWMA
            self._inline_runs += 1
            if self._running_inline is ctx:
                with self._role_lock:
                    moved = self._thread is not threading.current_thread()
                    if not moved:
                        self._running_inline = None  # (after a take-over it is the new thread's)
            else:
                # The reply released ctx (under the lock), or a take-over did: no take-over can
                # come now (it needs _running_inline to be ctx), and one that came changed _thread.
                moved = self._thread is not threading.current_thread()
            if moved:
                raise _RoleMoved

    def _reply(self, ctx: ServicerContext, header: bytes, payload: bytes | None) -> None:
        # An inline handler's reply goes out at once, before any bookkeeping: between the receive
        # and this send is the server's whole share of the round trip. Not when more packets of
        # the same message follow: their replies leave together (batching).
        if ctx is self._running_inline:
            resume = self._resume
            if resume is None or resume[1] >= len(resume[0]):
                with self._role_lock:
                    mine = self._running_inline is ctx  # else taken over: the socket is not ours
                    if mine:
                        self._running_inline = None  # and no take-over from here on
                if mine:
                    if self._outbox or self._retry or self._draining or payload is not None:
                        # Behind the replies queued for the earlier packets of its message: it
                        # joins them, in order, and the client gets one message, not two.
                        self._outbox.append((ctx._peer, header, payload))
                        self._flush()
                        return
                    sock = self._sock
                    try:  # send_frames for an inline packet, unrolled
                        _send(sock, ctx._peer, _MORE)
                        _send(sock, header, NOBLOCK)
                    except zmq.Again:
                        self._retry.append([ctx._peer, header])
                    except zmq.ZMQError as e:
                        if e.errno == zmq.EHOSTUNREACH:
                            self._peer_gone(ctx._peer)
                        else:  # pragma: no cover
                            LOG.warning("protozmq server: send failed: %s", e)
                    return
        self._outbox.append((ctx._peer, header, payload))
        self._kick()

    def _watch(self) -> None:
        """The sentinel: forwards client disconnects to the I/O thread, takes over stuck handlers."""
        monitor_fd: int = self._monitor.FD
        poll = Poll([monitor_fd, self._sentinel_waker.fd])
        if self._read_monitor():  # also arms the monitor's edge-triggered ZMQ_FD
            self._wake(_CLIENT_LOST)
        seen: ServicerContext | None = None
        runs, quiet = self._inline_runs, 0
        try:
            while not self._sentinel_stop:
                for fd, _ in poll.wait(_TICK_S if self._ticking else None):
                    if fd == monitor_fd:
                        if self._read_monitor():
                            self._wake(_CLIENT_LOST)
                    else:
                        self._sentinel_waker.clear()
                if not self._ticking:
                    continue
                running = self._running_inline
                if running is not None and running is seen:
                    self._take_over(running)
                    seen = None
                    continue
                seen = running
                if running is None and self._inline_runs == runs:
                    quiet += 1
                    if quiet >= _QUIET_TICKS:
                        quiet = 0
                        self._ticking = False
                        # The I/O thread publishes the handler, then reads _ticking; we clear
                        # _ticking, then read the handler: one of us sees the other.
                        if self._running_inline is not None:
                            self._ticking = True
                else:
                    quiet = 0
                    runs = self._inline_runs
        finally:
            poll.close()

    def _take_over(self, ctx: ServicerContext) -> None:
        with self._role_lock:
            if self._running_inline is not ctx or self._sentinel_stop:
                return
            self._running_inline = None  # ctx now runs like a pool handler: never taken over twice
            carry, self._resume = self._resume, None
            self._cost[ctx._descriptor.path] = max(self._cost.get(ctx._descriptor.path, 0.0), _SLOW_S)
            if ctx._deadline_mono is not None:
                heapq.heappush(self._deadlines, (ctx._deadline_mono, next(self._seq), ctx))
            t = threading.Thread(target=self._run, args=(carry,), name="protozmq-server", daemon=True)
            self._thread = t
            t.start()
        LOG.info("protozmq server: handler for %s ran long on the I/O thread; it moves to the pool", ctx.method)
