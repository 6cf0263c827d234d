"""A server process that dies or freezes fails the client's open calls with UNAVAILABLE.

Only ipc and tcp: inproc peers share a process, so there is no separate peer to kill.

::

    Channel (DEALER, heartbeats 100/300 ms)        server process (ROUTER)
      REQUEST SlowStream  ------------------------>  handler streaming
                <------------------------ MESSAGE "0", "1", ...
                                                      SIGKILL: socket closed by the kernel
                                                      SIGSTOP: no more ZMTP PONGs
      monitor: EVENT_DISCONNECTED (at once / after the 300 ms heartbeat timeout)
      open calls fail UNAVAILABLE; new calls fail fast (no retries)
"""

from __future__ import annotations

import asyncio
import os
import pathlib
import select
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest
import zmq
from google.protobuf.wrappers_pb2 import StringValue as S

import pzmq_testkit as kit
from protozmq import AsyncChannel, Channel, RpcError, StatusCode

HERE = pathlib.Path(__file__).resolve().parent
FAST_HEARTBEATS: dict[str, Any] = {"heartbeat_ivl_ms": 100, "heartbeat_timeout_ms": 300, "heartbeat_ttl_ms": 300}


@pytest.fixture(params=["ipc", "tcp"])
def transport(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def server_proc(endpoint: str) -> Iterator[tuple[subprocess.Popen[str], str]]:
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(HERE), os.environ.get("PYTHONPATH", "")])}
    proc = subprocess.Popen(
        [sys.executable, str(HERE / "pzmq_server_proc.py"), endpoint], stdout=subprocess.PIPE, text=True, env=env
    )
    try:
        assert proc.stdout is not None
        ready, _, _ = select.select([proc.stdout], [], [], 15)
        assert ready, "the server process did not start in 15 s"
        bound = proc.stdout.readline().strip()
        assert bound, "the server process did not start"
        yield proc, bound
    finally:
        proc.kill()  # SIGKILL also ends a stopped process
        proc.wait(5)


def _read_until_error(stream: Iterator[S], limit: float) -> tuple[RpcError, float]:
    end = time.monotonic() + limit
    while time.monotonic() < end:
        try:
            next(stream)
        except RpcError as e:
            return e, time.monotonic()
    pytest.fail("the stream did not fail in time")


@pytest.mark.parametrize("how", ["SIGKILL", "SIGSTOP"])
def test_dead_server_fails_calls_unavailable(
    server_proc: tuple[subprocess.Popen[str], str], make_channel: Callable[..., Channel], how: str
) -> None:
    proc, endpoint = server_proc
    channel = make_channel(endpoint, **FAST_HEARTBEATS)
    assert channel.unary(kit.UNARY, S(value="up"), timeout=5).value == "up"
    stream = channel.server_stream(kit.SLOW_STREAM, S(), timeout=20)
    assert next(stream).value == "0"
    start = time.monotonic()
    proc.send_signal(getattr(signal, how))
    err, failed_at = _read_until_error(stream, 5)
    assert err.code is StatusCode.UNAVAILABLE
    # SIGKILL: the kernel closes the socket at once; SIGSTOP: the 300 ms heartbeat timeout.
    assert failed_at - start < 2.0
    # No retries, and no waiting: a new call fails fast while the server is gone.
    t0 = time.monotonic()
    with pytest.raises(RpcError) as again:
        channel.unary(kit.UNARY, S(), timeout=5)
    assert again.value.code is StatusCode.UNAVAILABLE
    assert time.monotonic() - t0 < 1.0


def test_dead_server_async(server_proc: tuple[subprocess.Popen[str], str], zctx: zmq.Context[Any]) -> None:
    proc, endpoint = server_proc

    async def main() -> None:
        async with AsyncChannel(endpoint, context=zctx, **FAST_HEARTBEATS) as ch:
            assert (await ch.unary(kit.UNARY, S(value="up"), timeout=5)).value == "up"
            call = asyncio.ensure_future(ch.unary(kit.SLEEP, S(value="10"), timeout=10))
            await asyncio.sleep(0.1)
            proc.send_signal(signal.SIGSTOP)
            with pytest.raises(RpcError) as err:
                await asyncio.wait_for(call, 3)
            assert err.value.code is StatusCode.UNAVAILABLE

    asyncio.run(asyncio.wait_for(main(), 20))


@pytest.mark.parametrize("flavour", ["blocking", "asyncio"])
def test_server_cancels_handlers_of_a_vanished_client(
    make_server: Callable[..., Any], zctx: zmq.Context[Any], endpoint: str, flavour: str
) -> None:
    # raw DEALER -- REQUEST Sleep(10 s) --> server; the DEALER closes (connection dropped)
    # server: monitor "disconnected" -> probe MESSAGE call id 0 -> EHOSTUNREACH -> handler cancelled
    from protozmq import protocol as P

    server = make_server(flavour, endpoint)
    dealer = zctx.socket(zmq.DEALER)
    dealer.setsockopt(zmq.LINGER, 0)
    try:
        dealer.connect(server.endpoint)
        dealer.send_multipart([P.encode_request(1, 3, 0, P.method_bytes("test.Echo/Sleep")), S(value="10").SerializeToString()])
        assert server.rec.sleep_started.wait(5)
    finally:
        dealer.close(linger=0)
    start = time.monotonic()
    assert server.rec.callbacks.wait(3), "the handler of the vanished client was not cancelled"
    assert time.monotonic() - start < 2.0
    assert server.rec.sleep_ended.get(timeout=3)["cancelled"] is True


@pytest.mark.parametrize("how", ["SIGKILL", "SIGSTOP"])
def test_dead_server_fails_every_waiting_thread(
    server_proc: tuple[subprocess.Popen[str], str], make_channel: Callable[..., Channel], how: str
) -> None:
    # Eight threads wait on one Channel: one reads the socket (leader), the others wait for it
    # to hand them their replies (followers). A dead server must fail all of them, whichever
    # role each holds, and the channel must fail the next call fast.
    import threading

    proc, endpoint = server_proc
    channel = make_channel(endpoint, **FAST_HEARTBEATS)
    assert channel.unary(kit.UNARY, S(value="up"), timeout=5).value == "up"
    codes: list[StatusCode] = []
    lock = threading.Lock()

    def call() -> None:
        try:
            channel.unary(kit.SLEEP, S(value="10"), timeout=10)
            code = StatusCode.OK
        except RpcError as e:
            code = e.code
        with lock:
            codes.append(code)

    threads = [threading.Thread(target=call) for _ in range(8)]
    for t in threads:
        t.start()
    time.sleep(0.2)  # all eight REQUESTs out
    start = time.monotonic()
    proc.send_signal(getattr(signal, how))
    for t in threads:
        t.join(5)
    assert not any(t.is_alive() for t in threads), "a waiting thread hung after the server died"
    assert codes == [StatusCode.UNAVAILABLE] * 8
    assert time.monotonic() - start < 3.0
    with pytest.raises(RpcError) as again:
        channel.unary(kit.UNARY, S(), timeout=5)
    assert again.value.code is StatusCode.UNAVAILABLE


@pytest.mark.parametrize("how", ["SIGKILL", "SIGSTOP"])
def test_dead_server_fails_a_lone_caller_without_deadline(
    server_proc: tuple[subprocess.Popen[str], str], make_channel: Callable[..., Channel], how: str
) -> None:
    # A lone caller without a deadline waits for its reply in Channel's one-piece unary path
    # (_unary_alone): the lost connection must still reach it. Run in a thread so a hang fails
    # the test instead of blocking it.
    import threading

    proc, endpoint = server_proc
    channel = make_channel(endpoint, **FAST_HEARTBEATS)
    assert channel.unary(kit.UNARY, S(value="up")).value == "up"
    codes: list[StatusCode] = []

    def call() -> None:
        try:
            channel.unary(kit.SLEEP, S(value="10"))
            codes.append(StatusCode.OK)
        except RpcError as e:
            codes.append(e.code)

    t = threading.Thread(target=call, daemon=True)
    t.start()
    time.sleep(0.2)  # the REQUEST is out, the caller waits in poll
    start = time.monotonic()
    proc.send_signal(getattr(signal, how))
    t.join(5)
    assert not t.is_alive(), "the lone caller hung after the server died"
    assert codes == [StatusCode.UNAVAILABLE]
    assert time.monotonic() - start < 3.0
