"""Unary round trip over ipc, Python -> Python: protozmq vs a raw pyzmq DEALER/ROUTER echo.

    .venv/bin/python bench/python/unary_rtt.py [--calls 20000] [--block 200]

All servers run in one child process (raw echo thread, blocking Server, AsyncServer on its own
loop thread; only one is busy at a time). The client switches configuration every ``--block``
calls, so machine noise (this VM's round trips jump between ~40 and ~110 µs) hits all alike.
The raw echo is the floor: a DEALER sends a 50-byte frame pair, a ROUTER thread echoes it.
protozmq adds the PZMQ/1 headers, protobuf (de)serialization and, per design, thread hand-offs:
Channel caller <-> channel I/O thread, and Server I/O thread <-> worker pool.
"""

from __future__ import annotations

import argparse
import asyncio
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from typing import Any

import zmq
from google.protobuf.wrappers_pb2 import StringValue

from protozmq import AsyncChannel, AsyncServer, Channel, MethodDescriptor, Server

RAW = MethodDescriptor.raw("bench.Echo/Raw", "unary")
MSG = MethodDescriptor.for_messages("bench.Echo/Msg", "unary", StringValue, StringValue)


def serve_async(endpoint: str) -> None:
    async def main() -> None:
        async def echo(request: bytes, context: object) -> bytes:
            return request

        server = AsyncServer()
        server.add_method(RAW, echo)
        server.bind(endpoint)
        await server.start()
        await server.wait_for_termination()

    asyncio.run(main())


def serve(raw_ep: str, pz_ep: str, workers: int) -> None:
    ctx: zmq.Context[Any] = zmq.Context.instance()

    def raw_echo() -> None:
        router = ctx.socket(zmq.ROUTER)
        router.linger = 0
        router.bind(raw_ep)
        while True:
            router.send_multipart(router.recv_multipart())

    threading.Thread(target=raw_echo, daemon=True).start()
    threading.Thread(target=serve_async, args=(pz_ep + ".async",), daemon=True).start()
    server = Server(max_workers=workers)
    server.add_method(RAW, lambda request, context: request)
    server.add_method(MSG, lambda request, context: request)
    server.bind(pz_ep)
    server.start()
    time.sleep(0.2)
    print("ready", flush=True)
    sys.stdin.read()  # until the parent closes our stdin
    server.stop()


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--calls", type=int, default=20000, help="calls per configuration")
    ap.add_argument("--block", type=int, default=200, help="calls in a row before switching configuration")
    ap.add_argument("--workers", type=int, default=4)
    ap.add_argument("--serve", nargs=2)
    args = ap.parse_args()
    if args.serve:
        serve(args.serve[0], args.serve[1], args.workers)
        return
    tmp = tempfile.mkdtemp(prefix="pzbench-", dir="/tmp")
    raw_ep, pz_ep = f"ipc://{tmp}/raw.sock", f"ipc://{tmp}/pz.sock"
    child = subprocess.Popen(
        [sys.executable, __file__, "--serve", raw_ep, pz_ep, "--workers", str(args.workers)],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
    )
    assert child.stdout is not None and child.stdout.readline().strip() == "ready"
    ctx: zmq.Context[Any] = zmq.Context.instance()
    dealer = ctx.socket(zmq.DEALER)
    dealer.linger = 0
    dealer.connect(raw_ep)
    frames = [b"h" * 18, b"x" * 32]  # about the size of a PZMQ/1 unary header + payload
    payload = b"x" * 32
    msg = StringValue(value="x" * 30)
    loop = asyncio.new_event_loop()
    channel = Channel(pz_ep)
    channel2 = Channel(pz_ep + ".async")

    async def open_async() -> tuple[AsyncChannel, AsyncChannel]:
        return AsyncChannel(pz_ep), AsyncChannel(pz_ep + ".async")

    achannel, achannel2 = loop.run_until_complete(open_async())

    def raw_call() -> None:
        dealer.send_multipart(frames)
        dealer.recv_multipart()

    def sync_block(call: Callable[[], object]) -> Callable[[int], list[float]]:
        def run(n: int) -> list[float]:
            out = []
            for _ in range(n):
                t0 = time.perf_counter()
                call()
                out.append(time.perf_counter() - t0)
            return out
        return run

    def async_block(ch: AsyncChannel) -> Callable[[int], list[float]]:
        async def run_async(n: int) -> list[float]:
            out = []
            for _ in range(n):
                t0 = time.perf_counter()
                await ch.unary(RAW, payload)
                out.append(time.perf_counter() - t0)
            return out
        return lambda n: loop.run_until_complete(run_async(n))

    configs: dict[str, Callable[[int], list[float]]] = {
        "raw pyzmq DEALER/ROUTER echo": sync_block(raw_call),
        "Channel -> Server (bytes)": sync_block(lambda: channel.unary(RAW, payload)),
        "Channel -> Server (StringValue)": sync_block(lambda: channel.unary(MSG, msg)),
        "Channel -> AsyncServer": sync_block(lambda: channel2.unary(RAW, payload)),
        "AsyncChannel -> Server": async_block(achannel),
        "AsyncChannel -> AsyncServer": async_block(achannel2),
    }
    samples: dict[str, list[float]] = {name: [] for name in configs}
    for run in configs.values():
        run(500)  # warm-up
    # Interleave small blocks so that every configuration sees the same machine noise.
    for _ in range(max(1, args.calls // args.block)):
        for name, run in configs.items():
            samples[name] += run(args.block)
    loop.run_until_complete(achannel.close())
    loop.run_until_complete(achannel2.close())
    loop.close()
    channel.close()
    channel2.close()
    dealer.close(0)
    assert child.stdin is not None
    child.stdin.close()
    child.wait(10)
    shutil.rmtree(tmp, ignore_errors=True)
    base = statistics.median(samples["raw pyzmq DEALER/ROUTER echo"])
    print(f"unary round trip over ipc, Python -> Python, {args.calls} calls each, interleaved (µs):")
    for name, xs in samples.items():
        med = statistics.median(xs) * 1e6
        p90 = statistics.quantiles(xs, n=10)[-1] * 1e6
        print(f"  {name:34s} median {med:6.1f}  p90 {p90:6.1f}  ({med / (base * 1e6):4.2f}x raw)")


if __name__ == "__main__":
    main()
