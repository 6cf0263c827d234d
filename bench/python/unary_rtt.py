"""Unary round trip over ipc, Python -> Python: protozmq vs a raw pyzmq DEALER/ROUTER echo.

    .venv/bin/python bench/python/unary_rtt.py [--calls 5000] [--rounds 5]

Both servers run in one child process (one thread each; only one is busy at a time) and the
client alternates between them in rounds, so machine noise hits both alike. Reported: the median
of per-call times per round, and the overall median. The raw echo is the floor: a DEALER sends a
32-byte frame pair, a ROUTER thread echoes it. protozmq adds the channel's I/O thread hand-off,
the server's worker-pool hand-off, the PZMQ/1 headers and protobuf (de)serialization.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import subprocess
import sys
import tempfile
import threading
import time

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
    ctx = zmq.Context.instance()

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


def timed(fn, calls: int) -> float:  # type: ignore[no-untyped-def]
    samples = []
    for _ in range(calls):
        t0 = time.perf_counter()
        fn()
        samples.append(time.perf_counter() - t0)
    return statistics.median(samples) * 1e6


async def timed_async(fn, calls: int) -> float:  # type: ignore[no-untyped-def]
    samples = []
    for _ in range(calls):
        t0 = time.perf_counter()
        await fn()
        samples.append(time.perf_counter() - t0)
    return statistics.median(samples) * 1e6


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--calls", type=int, default=5000)
    ap.add_argument("--rounds", type=int, default=5)
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
    ctx = zmq.Context.instance()
    dealer = ctx.socket(zmq.DEALER)
    dealer.linger = 0
    dealer.connect(raw_ep)
    frames = [b"h" * 18, b"x" * 32]  # about the size of a PZMQ/1 unary header + payload

    def raw_call() -> None:
        dealer.send_multipart(frames)
        dealer.recv_multipart()

    channel = Channel(pz_ep)
    channel2 = Channel(pz_ep + ".async")
    payload = b"x" * 32
    msg = StringValue(value="x" * 30)
    results: dict[str, list[float]] = {"raw pyzmq echo": [], "Channel raw bytes": [], "Channel StringValue": [],
                                       "AsyncChannel raw bytes": [], "Channel -> AsyncServer": [],
                                       "AsyncChannel -> AsyncServer": []}

    async def async_round(ach: AsyncChannel) -> float:
        return await timed_async(lambda: ach.unary(RAW, payload), args.calls)

    async def run_async() -> None:
        async with AsyncChannel(pz_ep) as ach, AsyncChannel(pz_ep + ".async") as ach2:
            for _ in range(200):
                await ach.unary(RAW, payload)
                await ach2.unary(RAW, payload)
            for _ in range(args.rounds):
                results["AsyncChannel raw bytes"].append(await async_round(ach))
                results["AsyncChannel -> AsyncServer"].append(await async_round(ach2))

    # Warm up both paths.
    timed(raw_call, 1000)
    timed(lambda: channel.unary(RAW, payload), 1000)
    for _ in range(args.rounds):
        results["raw pyzmq echo"].append(timed(raw_call, args.calls))
        results["Channel raw bytes"].append(timed(lambda: channel.unary(RAW, payload), args.calls))
        results["Channel StringValue"].append(timed(lambda: channel.unary(MSG, msg), args.calls))
        results["Channel -> AsyncServer"].append(timed(lambda: channel2.unary(RAW, payload), args.calls))
    asyncio.run(run_async())
    channel.close()
    channel2.close()
    dealer.close(0)
    assert child.stdin is not None
    child.stdin.close()
    child.wait(10)
    base = statistics.median(results["raw pyzmq echo"])
    print(f"unary round trip over ipc, median of {args.calls} calls per round, {args.rounds} rounds (µs):")
    for name, rounds in results.items():
        med = statistics.median(rounds)
        print(f"  {name:24s} {med:7.1f}  ({med / base:4.2f}x raw)   rounds: {' '.join(f'{r:.0f}' for r in rounds)}")


if __name__ == "__main__":
    main()
