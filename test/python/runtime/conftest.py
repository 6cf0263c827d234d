"""Fixtures of the runtime tests: transports, a ZeroMQ context per test, servers and channels.

Every socket is closed with linger 0 by the object that owns it; ``zctx`` then terminates the
test's context and fails the test if that does not finish (a socket left open). Addresses are
unique per test: inproc names and ipc paths from a counter (ipc under a short /tmp directory,
since socket paths are limited to ~107 bytes), tcp ports chosen by the kernel (``tcp://127.0.0.1:*``).
pytest-timeout is not installed: every wait in these tests is bounded explicitly.
"""

from __future__ import annotations

import asyncio
import itertools
import shutil
import tempfile
import threading
from collections.abc import Callable, Iterator
from typing import Any

import pytest
import zmq

import pzmq_testkit as kit
from protozmq import AsyncServer, Channel, Server

TRANSPORTS = ["inproc", "ipc", "tcp"]
_counter = itertools.count()


@pytest.fixture(scope="session")
def ipc_dir() -> Iterator[str]:
    path = tempfile.mkdtemp(prefix="pzmq-", dir="/tmp")
    yield path
    shutil.rmtree(path, ignore_errors=True)


def new_endpoint(transport: str, ipc_dir: str) -> str:
    """A fresh bind address for ``transport`` (tcp: the kernel picks the port)."""
    n = next(_counter)
    if transport == "inproc":
        return f"inproc://pzmq-test-{n}"
    if transport == "ipc":
        return f"ipc://{ipc_dir}/{n}.sock"
    return "tcp://127.0.0.1:*"


@pytest.fixture(params=TRANSPORTS)
def transport(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def zctx() -> Iterator[zmq.Context[Any]]:
    ctx: zmq.Context[Any] = zmq.Context()
    yield ctx
    # term() returns only once every socket of the context is closed: a bounded leak check.
    t = threading.Thread(target=ctx.term, daemon=True)
    t.start()
    t.join(5)
    assert not t.is_alive(), "a ZeroMQ socket of this test was left open"


@pytest.fixture
def endpoint(transport: str, ipc_dir: str) -> str:
    return new_endpoint(transport, ipc_dir)


class ServerHandle:
    """A running test.Echo server of either flavour; the asyncio one runs its own loop thread."""

    def __init__(self, flavour: str, ctx: zmq.Context[Any], endpoint: str, **options: Any) -> None:
        self.flavour = flavour
        self.rec = kit.Recorder()
        self._stopped = False
        if flavour == "blocking":
            self.server: Any = Server(context=ctx, max_workers=8, **options)
            kit.add_blocking(self.server, self.rec)
            self.endpoint = self.server.bind(endpoint)
            self.server.start()
            return
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, name="test-async-server", daemon=True)
        self.thread.start()

        async def setup() -> tuple[AsyncServer, str]:
            server = AsyncServer(context=ctx, **options)
            kit.add_async(server, self.rec)
            bound = server.bind(endpoint)
            await server.start()
            return server, bound

        self.server, self.endpoint = asyncio.run_coroutine_threadsafe(setup(), self.loop).result(5)

    def stop(self, grace: float | None = None) -> None:
        if self._stopped:
            return
        self._stopped = True
        if self.flavour == "blocking":
            self.server.stop(grace)
            return
        asyncio.run_coroutine_threadsafe(self.server.stop(grace), self.loop).result(10)
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(5)
        self.loop.close()


@pytest.fixture(params=["blocking", "asyncio"])
def flavour(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def make_server(zctx: zmq.Context[Any]) -> Iterator[Callable[..., ServerHandle]]:
    handles: list[ServerHandle] = []

    def make(flavour: str, endpoint: str, **options: Any) -> ServerHandle:
        handle = ServerHandle(flavour, zctx, endpoint, **options)
        handles.append(handle)
        return handle

    yield make
    for handle in handles:
        handle.stop()


@pytest.fixture
def server(make_server: Callable[..., ServerHandle], flavour: str, endpoint: str) -> ServerHandle:
    return make_server(flavour, endpoint)


@pytest.fixture
def make_channel(zctx: zmq.Context[Any]) -> Iterator[Callable[..., Channel]]:
    channels: list[Channel] = []

    def make(endpoint: str, **options: Any) -> Channel:
        channel = Channel(endpoint, context=zctx, **options)
        channels.append(channel)
        return channel

    yield make
    for channel in channels:
        channel.close()


@pytest.fixture
def channel(make_channel: Callable[..., Channel], server: ServerHandle) -> Channel:
    return make_channel(server.endpoint)
