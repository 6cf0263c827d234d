"""Socket plumbing shared by the channels, the servers and events (not public API).

- ``configure_rpc_socket``: the PZMQ/1 section 2 options on a DEALER or ROUTER.
- ``Waker``: how other threads wake a thread blocked in ``zmq.Poller.poll``. A ZeroMQ socket may
  only be used by one thread, so threads that want something sent append it to a deque and poke
  the owner through this file descriptor (an eventfd on Linux, a pipe elsewhere), which the
  owner's poller watches next to its sockets.
"""

from __future__ import annotations

import logging
import os
from typing import Final

import zmq

__all__ = ["LOG", "Waker", "configure_rpc_socket", "close_socket", "ceil_ms"]

#: The runtime's logger. Protocol errors from peers are logged once per peer at WARNING.
LOG: Final = logging.getLogger("protozmq")


def configure_rpc_socket(
    sock: zmq.Socket[bytes], heartbeat_ivl_ms: int, heartbeat_timeout_ms: int, heartbeat_ttl_ms: int
) -> None:
    """Options every RPC socket gets (PZMQ/1 2): linger 0 and ZMTP heartbeats.

    libzmq answers heartbeats on its own I/O thread, so a busy handler cannot starve them, while
    a dead or stopped peer stops answering and the connection drops after the timeout.
    """
    sock.setsockopt(zmq.LINGER, 0)
    if heartbeat_ivl_ms > 0:
        sock.setsockopt(zmq.HEARTBEAT_IVL, heartbeat_ivl_ms)
        sock.setsockopt(zmq.HEARTBEAT_TIMEOUT, heartbeat_timeout_ms)
        sock.setsockopt(zmq.HEARTBEAT_TTL, heartbeat_ttl_ms)


def close_socket(sock: zmq.Socket[bytes] | None, linger_ms: int = 0) -> None:
    """Close (linger 0 unless told), ignoring a socket that is already closed or whose context is gone."""
    if sock is None or sock.closed:
        return
    try:
        sock.close(linger=linger_ms)
    except zmq.ZMQError:  # pragma: no cover - context already terminated
        pass


def ceil_ms(seconds: float) -> int:
    """Seconds to whole milliseconds, rounded up and at least 1 (0 means "no deadline" on the wire)."""
    ms = int(seconds * 1000.0)
    if ms < seconds * 1000.0:
        ms += 1
    return ms if ms > 0 else 1


class Waker:
    """A file descriptor one thread polls and other threads poke (eventfd, or a pipe).

    ``wake`` is safe from any thread; ``clear`` is called by the polling thread after it woke.
    Callers avoid the syscall when the owner is known to be awake (see the channel's ``_idle``).
    """

    __slots__ = ("fd", "_write_fd", "_eventfd")

    def __init__(self) -> None:
        self._eventfd = hasattr(os, "eventfd")
        if self._eventfd:
            self.fd = os.eventfd(0, os.EFD_NONBLOCK | os.EFD_CLOEXEC)
            self._write_fd = self.fd
        else:  # pragma: no cover - non-Linux
            self.fd, self._write_fd = os.pipe()
            os.set_blocking(self.fd, False)
            os.set_blocking(self._write_fd, False)

    def wake(self) -> None:
        try:
            if self._eventfd:
                os.eventfd_write(self._write_fd, 1)
            else:  # pragma: no cover
                os.write(self._write_fd, b"\x01")
        except (BlockingIOError, OSError):
            # Full pipe (already woken) or closed during shutdown: either way nothing to do.
            pass

    def clear(self) -> None:
        try:
            if self._eventfd:
                os.eventfd_read(self.fd)
            else:  # pragma: no cover
                while os.read(self.fd, 4096):
                    pass
        except (BlockingIOError, OSError):
            pass

    def close(self) -> None:
        for fd in {self.fd, self._write_fd}:
            try:
                os.close(fd)
            except OSError:  # pragma: no cover
                pass
