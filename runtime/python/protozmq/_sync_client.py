"""How ``Channel`` shares its DEALER among threads: leader/follower (not public API).

A ZeroMQ socket may be used from several threads only if the accesses are serialized with a
full memory barrier. So the DEALER has exactly one **reader** at a time: the thread allowed to
send, receive and poll it. The role is a token kept in ``_reader`` under ``_mu`` (a lock, which
is also the barrier when the token changes hands):

- A caller that finds the role free takes it: it sends its own REQUEST, then polls the DEALER
  itself until its reply arrives, handing other calls' packets to their queues on the way. A
  sequential caller therefore costs one send and one wait, like raw pyzmq: no other thread wakes.
- A caller that finds the role taken appends its packets to the outbox, wakes the reader if it is
  asleep in ``poll`` (the ``Waker``), and blocks on its call's queue: a **follower**.
- A leader whose item arrived hands the role on: to a waiting follower (a ``_LEAD`` token in its
  queue), else to the channel's I/O thread while calls are still open (streams nobody is reading
  right now, calls whose callers are busy elsewhere), else to nobody.
- Threads that only send (``BidiStream.write``, a CANCEL, opening a stream) take the role for
  the length of one flush when it is free, or leave the packets to the current reader.

The I/O thread reads the DEALER only when there is something to watch and no caller is waiting:
it is the fallback, not a hop on every call. It always owns the monitor socket, though, so the
connection state (connected, lost, heartbeat timed out) is current whoever reads: on a lost
connection it notes the calls the server may have seen and has the reader fail them with
UNAVAILABLE after reading what arrived before the loss (PZMQ/1 8, 9).

::

    caller A (leader)      caller B (follower)           DEALER
      send REQUEST a  ---------------------------------->
      poll ...             outbox += REQUEST b, wake A
      send REQUEST b  ---------------------------------->
      recv TRAILERS b, queue it to B  <-------------------
                           wakes with its reply
      recv TRAILERS a  <----------------------------------
      hand the role on (B is done: nobody waits, no call open -> free)
"""

from __future__ import annotations

import queue
import threading
import time
from typing import Any, Final

import zmq

from . import protocol as P
from ._call import ClientCall, Outcome
from ._client import DISCONNECTED, ClientCore
from ._transport import NOBLOCK, Poll, Waker, ceil_ms, recv_frames
from .method import MethodDescriptor
from .status import StatusCode
from .stream import _SyncCall

__all__ = ["SyncClientCore"]

_POLLIN: Final = int(zmq.POLLIN)
_POLLOUT: Final = int(zmq.POLLOUT)
_READ_BATCH: Final = 1024  # messages read in a row before flushing again, so sends are not starved
_zmq_poll: Final[Any] = zmq.backend.zmq_poll  # (the backend's: zmq.Poller rebuilds its item list per call)
_send: Final = zmq.backend.Socket.send
_recv: Final = zmq.backend.Socket.recv
_MORE: Final = int(zmq.SNDMORE | zmq.NOBLOCK)
_COPY_THRESHOLD: Final = zmq.COPY_THRESHOLD
_REQUEST_PACK: Final = P._REQUEST_HEAD.pack
_bare_ok_reply_id: Final = P._bare_ok_reply_id
_V: Final = P.PROTOCOL_VERSION
_REQUEST: Final = P._REQUEST
_UNARY_FLAGS: Final = P._F_END_MSG
_UNARY_INLINE: Final = P._F_END_MSG | P._F_INLINE
_INLINE_MAX: Final = P.INLINE_MAX_BYTES
_BARE_SIZE: Final = P._BARE_SIZE
_MAX_U32: Final = P.MAX_U32
#: How long a lone caller may wait for its reply in a plain blocking receive (see _unary_alone):
#: the longest another thread's packets (a follower's REQUEST, a stream write, a CANCEL, close)
#: can wait for the socket meanwhile. Not shorter: a ZMQ_RCVTIMEO under one kernel tick (4 ms at
#: HZ=250) made the wait cost 5-8 µs more CPU per call than an unbounded one on the project VM
#: (the kernel arms a timer for the sleep then), more than the receive saves over zmq_poll.
_ALONE_WAIT_MS: Final = 5
#: After a sign of other threads using the channel (a follower, a packet queued while another
#: thread read), this many lone calls wait in zmq_poll, which those threads can interrupt, not in
#: the blocking receive.
_CROWD_CALLS: Final = 1000


class _Token:
    __slots__ = ("name",)

    def __init__(self, name: str) -> None:
        self.name = name

    def __repr__(self) -> str:
        return f"<{self.name}>"


#: ``_reader`` values besides a ``_SyncCall`` (the call whose thread reads).
_IO: Final = _Token("the I/O thread")
_WRITER: Final = _Token("a thread flushing its packets")
_CLOSED: Final = _Token("closed")
#: Put into a follower's queue: "you hold the role now" (``_reader`` is the truth; stale tokens
#: are skipped).
_LEAD: Final = _Token("lead")


class SyncClientCore(ClientCore):
    """``ClientCore`` plus the reader role and the I/O thread; ``Channel`` adds the public calls."""

    def __init__(self, endpoint: str, **options: Any) -> None:
        super().__init__(endpoint, **options)
        # Bounds the only blocking receive on the DEALER, _unary_alone's; every other is NOBLOCK.
        self._sock.setsockopt(zmq.RCVTIMEO, _ALONE_WAIT_MS)
        self._waker = Waker()  # wakes the reader out of poll (new packets in the outbox, close)
        self._io_waker = Waker()  # wakes the I/O thread (the role is handed to it, close)
        self._monitor_fd: int = self._monitor.FD
        # zmq_poll sets: a calling thread reading, the I/O thread reading (also the monitor), and
        # both with POLLOUT while a batch is parked (ZeroMQ refused it, see _check_stall).
        sock, monitor, wfd = self._sock, self._monitor, self._waker.fd
        self._lead_items = [(sock, _POLLIN), (wfd, _POLLIN)]
        self._lead_items_out = [(sock, _POLLIN | _POLLOUT), (wfd, _POLLIN)]
        self._io_items = [(sock, _POLLIN), (wfd, _POLLIN), (monitor, _POLLIN)]
        self._io_items_out = [(sock, _POLLIN | _POLLOUT), (wfd, _POLLIN), (monitor, _POLLIN)]
        # The I/O thread while it does not read: the monitor's ZMQ_FD (edge-triggered, read
        # until empty in _on_monitor) and its own waker.
        self._idle_poll = Poll([self._monitor_fd, self._io_waker.fd])
        self._mu = threading.Lock()
        self._reader: object = None
        # Callers blocked on their queue, oldest first (a dict as an ordered set of call objects:
        # call ids are reused, objects are not).
        self._followers: dict[_SyncCall, None] = {}
        # True while the reader is (about to be) blocked in poll: only then is a wake needed.
        self._idle = False
        # > 0: other threads used the channel recently; counts down per lone call (_unary_alone).
        self._crowded = 0
        # Calls the server may have seen when a connection was lost, for the reader to fail.
        self._lost: list[ClientCall] = []
        self._close_lock = threading.Lock()
        self._thread = threading.Thread(target=self._io_main, name=f"protozmq-channel {endpoint}", daemon=True)
        self._thread.start()

    # -- waiting for a call's next item (the calling thread) ----------------------------------

    def _next_item(self, call: _SyncCall, deadline: float | None) -> bytes | Outcome:
        """The call's next response message or its ``Outcome``; DEADLINE_EXCEEDED at ``deadline``.

        Leads (reads the socket itself) when the role is free, else follows (blocks on the queue).
        """
        q = call.queue
        while True:
            if not q.empty():
                item = q.get_nowait()
                if item is _LEAD:
                    continue  # a hand-off token: whether the role is ours, _reader says
                if self._reader is call or call in self._followers:
                    self._stop_following(call)
                assert isinstance(item, (bytes, Outcome))
                return item
            with self._mu:
                reader = self._reader
                if reader is None:
                    self._reader = reader = call
                elif reader is not call:
                    self._followers[call] = None
                    self._crowded = _CROWD_CALLS
            if reader is call:
                try:
                    self._serve(call, deadline)
                except BaseException:
                    # KeyboardInterrupt, or an exception a signal handler raised in poll: the
                    # call is over for this thread; the role moves on in the finally.
                    self._idle = False  # (we may have left zmq_poll by the exception)
                    self._interrupted(call)
                    raise
                finally:
                    with self._mu:
                        self._hand_off()
                if not q.empty():
                    # Our item, the usual way out. We led, so we are not listed as a follower,
                    # and the hand-off above made someone else (or nobody) the reader.
                    item = q.get_nowait()
                    if item is not _LEAD:
                        assert isinstance(item, (bytes, Outcome))
                        return item
                    continue
                if deadline is not None and time.monotonic() >= deadline:
                    self._abandon(call, StatusCode.DEADLINE_EXCEEDED, "deadline exceeded")
                continue
            # Follower: our packets may sit in the outbox; a sleeping reader must send them.
            if self._idle:
                self._waker.wake()
            try:
                if deadline is None:
                    item = q.get()
                else:
                    item = q.get(True, max(0.0, deadline - time.monotonic()))
            except queue.Empty:  # the deadline passed
                self._stop_following(call)
                self._abandon(call, StatusCode.DEADLINE_EXCEEDED, "deadline exceeded")
                continue
            except BaseException:
                # Interrupted while following (KeyboardInterrupt in the main thread): this
                # thread must not stay listed, or the role could be handed to it and nobody
                # would read the socket again.
                self._stop_following(call)
                self._interrupted(call)
                raise
            if item is _LEAD:
                continue  # loop: _reader is call, so we lead
            self._stop_following(call)
            assert isinstance(item, (bytes, Outcome))
            return item

    def _unary_alone(
        self, method: MethodDescriptor[Any, Any], data: bytes, timeout: float | None, deadline: float | None
    ) -> bytes | _SyncCall | None:
        """A unary call without metadata when the role is free: the general path's steps for the
        usual case (send, one wait, one reply), in one Python frame; the request goes inline (one
        ZeroMQ frame) up to INLINE_MAX_BYTES. ``deadline`` is ``time.monotonic() + timeout``,
        computed by the caller (None: no deadline).

        The wait is a plain blocking receive, bounded by the DEALER's ``ZMQ_RCVTIMEO`` of
        ``_ALONE_WAIT_MS``: ~2 µs CPU cheaper than ``zmq_poll`` (an extra ``poll`` syscall and two
        ``ZMQ_EVENTS`` queries), but deaf to other threads. So it is only the first stretch: a
        reply that takes longer is waited for by the general path, which polls; another
        thread's packets wait at most that long meanwhile. While the channel is crowded (other
        threads used it lately), or when the deadline is sooner, it waits in ``zmq_poll``.

        Returns the response message; or the call, holding the role, for ``_next_item`` to go
        on with as usual when anything else happens (a refused send, the receive timing out,
        another call's packet, a reply that is not a bare OK); or None, having done nothing,
        when the role is taken or the channel is not in its usual state.
        """
        if (
            self._reader is not None or self._outbox or self._stalled is not None or self._lost
            or self._state == DISCONNECTED or len(data) >= _COPY_THRESHOLD or len(data) > self._max_message_bytes
        ):
            return None
        timeout_ms = 0
        if timeout is not None:
            timeout_ms = ceil_ms(timeout)
            if timeout <= 0 or timeout_ms > _MAX_U32:
                return None  # (the general path fails it at once, or clamps it)
        calls = self._calls
        cid = next(self._ids) & _MAX_U32
        if not cid or cid in calls:
            cid = self._new_id()
        call = _SyncCall(cid, method)
        mu = self._mu
        with mu:
            if self._reader is not None:
                return None
            self._reader = call
        try:
            self._register(call)  # (raises when closing)
        except BaseException:
            with mu:
                self._hand_off()
            raise
        path = method.path_bytes
        sock = self._sock
        try:
            if len(data) <= _INLINE_MAX:
                # One frame: header, method name and message joined (one small copy).
                frame = _REQUEST_PACK(_V, _REQUEST, _UNARY_INLINE, cid, timeout_ms, len(path)) + path + data
                try:
                    _send(sock, frame, NOBLOCK)
                except zmq.ZMQError:
                    # Refused (no server yet, the HWM, closing): _flush decides what that means.
                    self._outbox.append((call, frame, None))
                    return call
            else:
                header = _REQUEST_PACK(_V, _REQUEST, _UNARY_FLAGS, cid, timeout_ms, len(path)) + path
                try:
                    _send(sock, header, _MORE)
                    _send(sock, data, NOBLOCK)
                except zmq.ZMQError:
                    self._outbox.append((call, header, data))
                    return call
            call.sent = True
            if self._crowded or timeout_ms and timeout_ms <= _ALONE_WAIT_MS:
                # Other threads about, or a deadline sooner than the blocking receive's bound:
                # _serve's wait, for the case of nothing else to watch ("asleep" first, then the
                # last look at what would need this thread; see _serve).
                if self._crowded:
                    self._crowded -= 1  # (racy: an approximate count is enough)
                items = self._lead_items
                while True:
                    wait = -1
                    if deadline is not None:
                        left = deadline - time.monotonic()
                        if left <= 0:
                            return call  # _next_item ends it with DEADLINE_EXCEEDED
                        wait = ceil_ms(left)
                    self._idle = True
                    if self._outbox or self._closing or self._lost:
                        self._idle = False
                        return call  # a follower's packets, close, a lost connection: as usual
                    events = _zmq_poll(items, wait)
                    self._idle = False
                    if len(events) == 1 and events[0][0] is sock:
                        break
                    if not events:
                        continue  # the deadline (checked at the top)
                    self._waker.clear()  # woken: look again (a wake-up can also be stale)
                    if len(events) == 2:
                        break  # and the reply (or another call's packet) is there
                try:
                    got = _recv(sock, NOBLOCK, False)
                except zmq.Again:  # pragma: no cover - only this thread reads
                    return call
            else:
                # A follower's packets, close, a lost connection since the first look: as usual.
                # Those that come later wait for this receive to end (_idle stays False: no
                # wake-up could end it), and mark the channel crowded.
                if self._outbox or self._closing or self._lost:
                    return call
                try:
                    got = _recv(sock, 0, False)  # blocking, at most _ALONE_WAIT_MS (ZMQ_RCVTIMEO)
                except zmq.Again:
                    return call  # a slow reply: the general path waits on (polling; deadline)
            reply = got.bytes
            if got.more:  # several packets, or a reply in two frames
                frames = [reply]
                while got.more:
                    got = _recv(sock, NOBLOCK, False)  # (the rest arrives with the first frame)
                    frames.append(got.bytes)
                if len(frames) != 2 or _bare_ok_reply_id(reply, False) != cid:
                    self._on_frames(frames)
                    return call
                msg = frames[1]
            elif _bare_ok_reply_id(reply, True) == cid:  # the usual: a bare OK, inline
                frames = None
                msg = reply[_BARE_SIZE:]
            else:
                self._on_frames([reply])
                return call
            if len(msg) > self._max_message_bytes or calls.pop(cid, None) is None:
                self._on_frames([reply] if frames is None else frames)  # (too big: the parser fails it)
                return call
            call.finished = True
            with mu:
                if self._closing or calls or self._outbox or self._stalled is not None or self._lost:
                    self._hand_off()  # to a follower, or the I/O thread
                else:
                    self._reader = None
            return msg
        except BaseException:
            # KeyboardInterrupt, or an exception a signal handler raised in the receive: as
            # _next_item.
            self._interrupted(call)
            with mu:
                self._hand_off()
            raise

    def _interrupted(self, call: _SyncCall) -> None:
        """This thread stops waiting for ``call`` on an exception: end it (CANCEL to the server)."""
        try:
            self._abandon(call, StatusCode.CANCELLED, "the waiting thread was interrupted")
        except BaseException:  # pragma: no cover - best effort, the original exception matters
            pass

    def _stop_following(self, call: _SyncCall) -> None:
        with self._mu:
            self._followers.pop(call, None)
            if self._reader is call:
                # Handed the role while we got our item some other way: pass it on at once.
                self._hand_off()

    def _hand_off(self) -> None:
        """Give the role away (caller holds ``_mu`` and the role): follower, I/O thread, or nobody."""
        if not self._closing and (self._calls or self._outbox or self._stalled is not None or self._lost):
            followers = self._followers
            while followers:
                f = next(iter(followers))
                del followers[f]
                if not f.finished:
                    self._reader = f
                    f.queue.put(_LEAD)
                    return
        elif not self._closing:
            self._reader = None
            return
        # Open calls nobody waits for (or closing: the I/O thread closes the socket).
        self._reader = _IO
        self._io_waker.wake()

    # -- sending from threads that do not wait -----------------------------------------------

    def _kick(self) -> None:
        """Packets were appended to the outbox: send them now, or make sure the reader does."""
        if self._reader is None:
            with self._mu:
                take = self._reader is None
                if take:
                    self._reader = _WRITER
            if take:
                try:
                    self._flush()
                finally:
                    with self._mu:
                        self._hand_off()
                return
        self._crowded = _CROWD_CALLS  # another thread reads: see _unary_alone
        if self._idle:
            self._waker.wake()

    # -- the reader's loop (whoever holds the role) ---------------------------------------------

    def _serve(self, call: _SyncCall | None, deadline: float | None) -> None:
        """Use the socket until ``call`` has an item (or, for the I/O thread, no call is open),
        the deadline passes, or the channel closes.

        Waits in ``zmq_poll`` on the DEALER and the waker (the I/O thread also on the monitor).
        zmq_poll asks ``ZMQ_EVENTS`` itself before and after it sleeps, so readiness is level-
        triggered here: no read-until-EAGAIN is needed before a wait, and a lone caller's reply
        costs one poll and one receive, not an extra events query and an epoll round.
        """
        sock = self._sock
        on_frames = self._on_frames
        q = None if call is None else call.queue
        waker = self._waker
        waker_fd = waker.fd
        io = call is None
        while True:
            if self._outbox or self._stalled is not None:
                self._flush()
            if self._lost:
                self._fail_lost()
            if q is not None and not q.empty():
                return
            if self._closing:
                return
            if io and not self._calls and not self._outbox and self._stalled is None:
                return
            wait = None if self._stalled is None else self._check_stall()
            if deadline is not None:
                left = deadline - time.monotonic()
                if left <= 0:
                    return
                if wait is None or left < wait:
                    wait = left
            # Publish "asleep" before the last look at the outbox: a thread that appends after
            # that look sees _idle and wakes us (the GIL orders these accesses).
            self._idle = True
            if (self._outbox and self._stalled is None) or self._closing or self._lost:
                self._idle = False
                continue
            if io:
                items = self._io_items_out if self._stalled is not None else self._io_items
            else:
                items = self._lead_items_out if self._stalled is not None else self._lead_items
            events = _zmq_poll(items, -1 if wait is None else ceil_ms(wait))
            self._idle = False
            for what, ev in events:
                if what is sock:
                    if not ev & _POLLIN:
                        continue  # POLLOUT: the loop's top sends the parked batch now
                    # One message is there for sure; more are likely in a stream: read on
                    # without polling until none is left (bounded, so sends get their turn).
                    on_frames(recv_frames(sock))
                    for _ in range(_READ_BATCH):
                        if q is not None and not q.empty():
                            return  # our item: anything left over is the next reader's
                        try:
                            frames = recv_frames(sock)
                        except zmq.Again:
                            break
                        on_frames(frames)
                elif what == waker_fd:
                    waker.clear()
                else:  # the monitor, only in the I/O thread's poll set
                    self._drain_incoming()  # packets received before the disconnect still count
                    if self._read_monitor():
                        self._on_disconnected()

    def _fail_lost(self) -> None:
        with self._mu:
            lost, self._lost = self._lost, []
        self._on_disconnected(lost)

    # -- the I/O thread ------------------------------------------------------------------------

    def _io_main(self) -> None:
        try:
            # The monitor's ZMQ_FD only signals new events once a read has found it empty: read
            # what is there now (everything after that wakes the poll).
            self._on_monitor()
            while True:
                for fd, _ in self._idle_poll.wait(None):
                    if fd == self._monitor_fd:
                        self._on_monitor()
                    else:
                        self._io_waker.clear()
                with self._mu:
                    if self._reader is None and (self._closing or self._lost):
                        self._reader = _IO
                    mine = self._reader is _IO
                if not mine:
                    continue  # a caller reads; it hands the role to us when it leaves (if needed)
                if self._closing:
                    break
                try:
                    self._serve(None, None)
                finally:
                    with self._mu:
                        self._hand_off()
        finally:
            self._idle = False
            self._shutdown()
            self._reader = _CLOSED
            self._idle_poll.close()
            self._waker.close()
            self._io_waker.close()

    def _on_monitor(self) -> None:
        """Monitor events while another thread (or nobody) reads the DEALER."""
        if self._read_monitor():
            sent = self._sent_calls()
            if sent:
                with self._mu:
                    self._lost += sent
        # A stalled send may go now (or must fail now); lost calls must be failed.
        if self._idle:
            self._waker.wake()

    def _close(self) -> None:
        with self._close_lock:
            first = not self._closing
            self._closing = True
        if first:
            # Only the first close wakes: the I/O thread closes both wakers when it is done, and
            # a later write could hit a reused file descriptor number.
            self._waker.wake()  # a reader asleep in poll
            self._io_waker.wake()
        if threading.current_thread() is not self._thread:
            self._thread.join()
