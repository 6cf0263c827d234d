"""Unary round trips, protozmq vs raw ZeroMQ, p50 and p99, for issue #5 (the Python fast paths).

    .venv/bin/python bench/python/fastpath_rtt.py [--calls 10000] [--block 200] [--runs 3]
                                                  [--transport ipc|tcp] [--payload 32] [--no-ts]

Every server is its own process, as in a deployment: a raw pyzmq ROUTER echo (one thread, blocking
recv/send), protozmq ``Server``, protozmq ``AsyncServer``, and (unless ``--no-ts``) a TypeScript
process with a raw zeromq.js ROUTER echo and a protozmq TS ``Server`` (``fastpath_peer.ts``).
Clients: this process (raw pyzmq DEALER, ``Channel``, ``AsyncChannel``) and a TypeScript client
process (raw zeromq.js DEALER, TS ``Channel``). Methods echo bytes (``bench.Echo/Raw``), so the
comparison is the runtime's cost alone; one ``StringValue`` row adds protobuf for reference.

Configurations take turns in blocks of ``--block`` sequential calls, so the machine's noise (round
trips on this VM jump between ~40 and ~110 µs) hits all alike. Each protozmq row is compared with
the raw echo of the same language pair measured in the same run: Py->Py with pyzmq->pyzmq, TS->Py
with zeromq.js->pyzmq, Py->TS with pyzmq->zeromq.js. With ``--runs`` > 1 the whole measurement is
repeated and the median of the per-run ratios is printed last.

::

    this process                      server processes
      raw DEALER  ------------------>  raw pyzmq ROUTER echo
      Channel / AsyncChannel  ------>  Server | AsyncServer | TS Server
      raw DEALER  ------------------>  raw zeromq.js ROUTER echo
    TS client process
      raw zeromq.js DEALER  -------->  raw pyzmq ROUTER echo
      TS Channel  ------------------>  Server | AsyncServer
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from typing import IO, Any

import zmq
from google.protobuf.wrappers_pb2 import StringValue

from protozmq import AsyncChannel, AsyncServer, Channel, MethodDescriptor, Server

RAW = MethodDescriptor.raw("bench.Echo/Raw", "unary")
MSG = MethodDescriptor.for_messages("bench.Echo/Msg", "unary", StringValue, StringValue)
ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
PEER = os.path.join(ROOT, "bench", "python", "fastpath_peer.ts")
Run = Callable[[int], list[float]]  # n sequential calls -> their round trips in seconds


# -- servers (child processes) -------------------------------------------------------------------


def serve(kind: str, endpoint: str) -> None:
    if kind == "raw":
        ctx: zmq.Context[Any] = zmq.Context.instance()
        router = ctx.socket(zmq.ROUTER)
        router.linger = 0
        router.bind(endpoint)
        print("ready", flush=True)
        threading.Thread(target=lambda: (sys.stdin.read(), os._exit(0)), daemon=True).start()
        while True:
            router.send_multipart(router.recv_multipart())
    if kind == "sync":
        server = Server(max_workers=4)
        server.add_method(RAW, lambda request, context: request)
        server.add_method(MSG, lambda request, context: request)
        server.bind(endpoint)
        server.start()
        print("ready", flush=True)
        sys.stdin.read()  # until the parent closes our stdin
        server.stop()
        return

    async def main() -> None:
        async def echo(request: Any, context: object) -> Any:
            return request

        aserver = AsyncServer()
        aserver.add_method(RAW, echo)
        aserver.add_method(MSG, echo)
        aserver.bind(endpoint)
        await aserver.start()
        print("ready", flush=True)
        await asyncio.get_running_loop().run_in_executor(None, sys.stdin.read)
        await aserver.stop()

    asyncio.run(main())


def start(cmd: list[str]) -> subprocess.Popen[str]:
    proc = subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, cwd=ROOT)
    assert proc.stdout is not None
    line = proc.stdout.readline().strip()
    if line != "ready":
        raise RuntimeError(f"{cmd} did not start: {line!r}")
    return proc


def ts_command(*args: str) -> list[str]:
    return ["node", "--import", "tsx", PEER, *args]


# -- clients -------------------------------------------------------------------------------------


def timed(call: Callable[[], object]) -> Run:
    def run(n: int) -> list[float]:
        out = []
        clock = time.perf_counter
        for _ in range(n):
            t0 = clock()
            call()
            out.append(clock() - t0)
        return out

    return run


def timed_async(loop: asyncio.AbstractEventLoop, ch: AsyncChannel, payload: bytes) -> Run:
    async def block(n: int) -> list[float]:
        out = []
        clock = time.perf_counter
        for _ in range(n):
            t0 = clock()
            await ch.unary(RAW, payload)
            out.append(clock() - t0)
        return out

    return lambda n: loop.run_until_complete(block(n))


def timed_ts(proc: subprocess.Popen[str], name: str, size: int) -> Run:
    stdin: IO[str] = proc.stdin  # type: ignore[assignment]
    stdout: IO[str] = proc.stdout  # type: ignore[assignment]

    def run(n: int) -> list[float]:
        stdin.write(f"{name} {n} {size}\n")
        stdin.flush()
        return [us / 1e6 for us in json.loads(stdout.readline())]

    return run


def pct(xs: list[float], q: int) -> float:
    return statistics.quantiles(xs, n=100, method="inclusive")[q - 1]


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--calls", type=int, default=10000, help="calls per configuration and run")
    ap.add_argument("--block", type=int, default=200, help="calls in a row before switching configuration")
    ap.add_argument("--runs", type=int, default=1)
    ap.add_argument("--transport", choices=["ipc", "tcp"], default="ipc")
    ap.add_argument("--payload", type=int, default=32)
    ap.add_argument("--no-ts", action="store_true", help="skip the TypeScript peers")
    ap.add_argument("--only", default="", help="comma-separated substrings: run only matching rows (+ baselines)")
    ap.add_argument("--serve", nargs=2, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.serve:
        serve(*args.serve)
        return
    tmp = tempfile.mkdtemp(prefix="pzfast-", dir="/tmp")
    ports = iter(range(27100 + os.getpid() % 1000 * 10, 27200 + os.getpid() % 1000 * 10))

    def ep(name: str) -> str:
        return f"ipc://{tmp}/{name}.sock" if args.transport == "ipc" else f"tcp://127.0.0.1:{next(ports)}"

    eps = {name: ep(name) for name in ("raw", "sync", "async", "ts-raw", "ts-pz")}
    procs = [start([sys.executable, __file__, "--serve", kind, eps[kind]]) for kind in ("raw", "sync", "async")]
    ts_client = None
    if not args.no_ts:
        procs.append(start(ts_command("server", eps["ts-raw"], eps["ts-pz"])))
        ts_client = start(ts_command("client", f"raw=raw:{eps['raw']}", f"sync=pz:{eps['sync']}", f"async=pz:{eps['async']}"))
    payload = b"x" * args.payload
    msg = StringValue(value="x" * max(0, args.payload - 2))
    frames = [b"h" * 18, payload]  # about the size of a PZMQ/1 unary header + payload
    ctx: zmq.Context[Any] = zmq.Context.instance()
    dealers = {}
    for name in ("raw", "ts-raw"):
        d = ctx.socket(zmq.DEALER)
        d.linger = 0
        d.connect(eps[name])
        dealers[name] = d

    def raw_call(d: zmq.Socket[bytes]) -> Callable[[], object]:
        def call() -> object:
            d.send_multipart(frames)
            return d.recv_multipart()

        return call

    channels = {name: Channel(eps[name]) for name in ("sync", "async", "ts-pz")}
    loop = asyncio.new_event_loop()

    async def open_async() -> dict[str, AsyncChannel]:
        return {name: AsyncChannel(eps[name]) for name in ("sync", "async")}

    achannels = loop.run_until_complete(open_async())
    # (row, baseline row, run)
    rows: list[tuple[str, str, Run]] = [
        ("raw pyzmq -> pyzmq echo", "", timed(raw_call(dealers["raw"]))),
        ("Channel -> Server", "raw pyzmq -> pyzmq echo", timed(lambda: channels["sync"].unary(RAW, payload))),
        ("Channel -> Server (StringValue)", "raw pyzmq -> pyzmq echo", timed(lambda: channels["sync"].unary(MSG, msg))),
        ("AsyncChannel -> AsyncServer", "raw pyzmq -> pyzmq echo", timed_async(loop, achannels["async"], payload)),
        ("Channel -> AsyncServer", "raw pyzmq -> pyzmq echo", timed(lambda: channels["async"].unary(RAW, payload))),
        ("AsyncChannel -> Server", "raw pyzmq -> pyzmq echo", timed_async(loop, achannels["sync"], payload)),
    ]
    if ts_client is not None:
        rows += [
            ("raw zeromq.js -> pyzmq echo", "", timed_ts(ts_client, "raw", args.payload)),
            ("TS Channel -> Server", "raw zeromq.js -> pyzmq echo", timed_ts(ts_client, "sync", args.payload)),
            ("TS Channel -> AsyncServer", "raw zeromq.js -> pyzmq echo", timed_ts(ts_client, "async", args.payload)),
            ("raw pyzmq -> zeromq.js echo", "", timed(raw_call(dealers["ts-raw"]))),
            ("Channel -> TS Server", "raw pyzmq -> zeromq.js echo", timed(lambda: channels["ts-pz"].unary(RAW, payload))),
        ]
    if args.only:
        wanted = args.only.split(",")
        keep = {r[0] for r in rows if any(w in r[0] for w in wanted)}
        keep |= {r[1] for r in rows if r[0] in keep}
        rows = [r for r in rows if r[0] in keep]
    for _, _, run in rows:
        run(500)  # warm-up
    ratios: dict[str, list[tuple[float, float]]] = {name: [] for name, base, _ in rows if base}
    try:
        for r in range(args.runs):
            samples: dict[str, list[float]] = {name: [] for name, _, _ in rows}
            for _ in range(max(1, args.calls // args.block)):
                for name, _, run in rows:
                    samples[name] += run(args.block)
            print(f"run {r + 1}/{args.runs}: unary round trip over {args.transport}, {args.payload} B, "
                  f"{args.calls} calls per row, blocks of {args.block}, interleaved (µs)")
            for name, base, _ in rows:
                xs = samples[name]
                p50, p99 = statistics.median(xs), pct(xs, 99)
                line = f"  {name:34s} p50 {p50 * 1e6:7.1f}  p99 {p99 * 1e6:7.1f}"
                if base:
                    b50, b99 = statistics.median(samples[base]), pct(samples[base], 99)
                    ratios[name].append((p50 / b50, p99 / b99))
                    line += f"   {p50 / b50:4.2f}x p50  {p99 / b99:4.2f}x p99  (vs {base})"
                print(line, flush=True)
        if args.runs > 1:
            print(f"median of {args.runs} runs' ratios:")
            for name, rs in ratios.items():
                print(f"  {name:34s} {statistics.median(r[0] for r in rs):4.2f}x p50  "
                      f"{statistics.median(r[1] for r in rs):4.2f}x p99")
    finally:
        for ach in achannels.values():
            loop.run_until_complete(ach.close())
        loop.close()
        for ch in channels.values():
            ch.close()
        for d in dealers.values():
            d.close(0)
        for proc in [*procs, *([ts_client] if ts_client else [])]:
            assert proc.stdin is not None
            proc.stdin.close()
        for proc in [*procs, *([ts_client] if ts_client else [])]:
            try:
                proc.wait(10)
            except subprocess.TimeoutExpired:
                proc.kill()
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
