"""Paired A/B of two Python runtimes: pipelined throughput against a raw pyzmq echo, and CPU per call.

    .venv/bin/python bench/python/ab_throughput.py --old /tmp/before/runtime/python \\
        --new runtime/python [--rounds 6] [--depths 16,64,256] [--seconds 0.5] [--size 64]

The pipelined counterpart of ``ab_versions.py`` (same layout, same CPU accounting): one raw pyzmq
ROUTER echo and one protozmq ``Server`` per runtime run as processes on CPU 1; client processes
run on CPU 0 (``taskset``), alternating old/new/new/old... for ``--rounds`` rounds. Each client
process measures, per depth, in alternating blocks of ``--seconds``, a raw pyzmq DEALER keeping
``depth`` requests outstanding against the echo, and ``depth`` asyncio tasks each looping ``await
channel.unary(...)`` on one ``AsyncChannel`` against its own runtime's ``Server`` (``bench.Echo/Echo``,
a ``BytesValue`` of ``--size`` bytes). These are the shapes of ``bench/python/client.py``'s
throughput rows (``RawDriver``/``PzDriver.throughput``). Per row: calls/s, CPU seconds per call of
the client process (``time.process_time``) and of the server process (schedstat, all threads).
The summary is the median over rounds; ``x raw`` is the median of each round's ratio.

``--cross`` also runs the new client against the old server and the old client against the new
one, to tell a client-side gain from a server-side one.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from typing import Any

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from ab_versions import cpu_seconds, serve, stop_servers  # noqa: E402

HERE = os.path.abspath(__file__)


def client(args: argparse.Namespace) -> None:
    import zmq
    from google.protobuf.wrappers_pb2 import BytesValue

    from protozmq import AsyncChannel, MethodDescriptor

    method = MethodDescriptor.for_messages("bench.Echo/Echo", "unary", BytesValue, BytesValue)
    request = BytesValue(value=b"x" * args.size)
    frame = request.SerializeToString()
    dealer = zmq.Context.instance().socket(zmq.DEALER)
    dealer.linger = 0
    dealer.sndhwm = dealer.rcvhwm = 100_000
    dealer.connect(args.raw_endpoint)
    clock, cpu = time.perf_counter, time.process_time

    def raw(depth: int, seconds: float) -> int:
        # RawDriver.throughput of bench/python/client.py.
        end = clock() + seconds
        sent = done = 0
        for _ in range(depth):
            dealer.send(frame)
            sent += 1
        while done < sent:
            dealer.recv()
            done += 1
            if clock() < end:
                dealer.send(frame)
                sent += 1
        return done

    loop = asyncio.new_event_loop()
    channel = AsyncChannel(args.pz_endpoint, connect_timeout=5.0)

    def pz(depth: int, seconds: float) -> int:
        # PzDriver.throughput / async_loops of bench/python/client.py, on one channel.
        end = clock() + seconds
        done = 0

        async def one() -> None:
            nonlocal done
            while clock() < end:
                await channel.unary(method, request)
                done += 1

        async def all_() -> None:
            await asyncio.gather(*(one() for _ in range(depth)))

        loop.run_until_complete(all_())
        return done

    def measure(name: str, run: Any, depth: int, seconds: float, pid: int, acc: dict[str, list[float]]) -> None:
        s0, c0, t0 = cpu_seconds(pid)[0], cpu(), clock()
        n = run(depth, seconds)
        t = acc.setdefault(name, [0.0, 0.0, 0.0, 0.0])
        t[0] += n
        t[1] += clock() - t0
        t[2] += cpu() - c0
        t[3] += cpu_seconds(pid)[0] - s0

    loop.run_until_complete(channel.unary(method, request))
    out: dict[str, float] = {}
    for depth in args.depths:
        raw(depth, 0.1)
        pz(depth, 0.1)
        acc: dict[str, list[float]] = {}
        for i in range(args.blocks):
            order = (("raw", raw, args.raw_pid), ("pz", pz, args.pz_pid))
            for name, run, pid in (order if i % 2 == 0 else order[::-1]):
                measure(name, run, depth, args.seconds, pid, acc)
        for name, (n, wall, c, s) in acc.items():
            out[f"{name}_{depth}_rate"] = n / wall
            out[f"{name}_{depth}_client_cpu"] = c / n
            out[f"{name}_{depth}_server_cpu"] = s / n
    loop.run_until_complete(channel.close())
    loop.close()
    dealer.close(0)
    print(json.dumps(out))


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--old", help="runtime/python directory of the old tree")
    ap.add_argument("--new", help="runtime/python directory of the new tree")
    ap.add_argument("--rounds", type=int, default=6)
    ap.add_argument("--depths", type=lambda s: [int(x) for x in s.split(",")], default=[16, 64, 256])
    ap.add_argument("--seconds", type=float, default=0.5, help="length of one measured block")
    ap.add_argument("--blocks", type=int, default=4, help="blocks per row, depth and client process")
    ap.add_argument("--size", type=int, default=64)
    ap.add_argument("--cross", action="store_true", help="also old client -> new server and new -> old")
    ap.add_argument("--client", action="store_true", help=argparse.SUPPRESS)
    for flag in ("--raw-endpoint", "--pz-endpoint"):
        ap.add_argument(flag, help=argparse.SUPPRESS)
    for flag in ("--raw-pid", "--pz-pid"):
        ap.add_argument(flag, type=int, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.client:
        client(args)
        return
    run(args)


def run(args: argparse.Namespace) -> None:
    tmp = tempfile.mkdtemp(prefix="pzabt-", dir="/tmp")
    trees = {"old": os.path.abspath(args.old), "new": os.path.abspath(args.new)}
    servers: dict[str, tuple[subprocess.Popen[str], str, int]] = {}
    ab = os.path.join(os.path.dirname(HERE), "ab_versions.py")

    def start(kind: str, name: str, tree: str | None) -> None:
        env = dict(os.environ)
        if tree is not None:
            env["PYTHONPATH"] = tree
        ep = f"ipc://{tmp}/{name}.sock"
        proc = subprocess.Popen(["taskset", "-c", "1", sys.executable, ab, "--serve", kind, ep],
                                stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, env=env)
        assert proc.stdout is not None
        line = proc.stdout.readline().split()
        if not line or line[0] != "ready":
            raise RuntimeError(f"the {name} server did not start")
        servers[name] = (proc, ep, int(line[1]))

    # (row name, client tree, server name)
    pairs = [("old", "old", "old"), ("new", "new", "new")]
    if args.cross:
        pairs += [("old->new", "old", "new"), ("new->old", "new", "old")]
    results: dict[str, list[dict[str, Any]]] = {p[0]: [] for p in pairs}
    try:
        start("raw", "raw", None)
        for version, tree in trees.items():
            start("pz", version, tree)
        for r in range(args.rounds):
            for row, ctree, sname in (pairs if r % 2 == 0 else pairs[::-1]):
                env = {**os.environ, "PYTHONPATH": trees[ctree]}
                cmd = ["taskset", "-c", "0", sys.executable, HERE, "--client", "--size", str(args.size),
                       "--depths", ",".join(map(str, args.depths)), "--seconds", str(args.seconds),
                       "--blocks", str(args.blocks),
                       "--raw-endpoint", servers["raw"][1], "--raw-pid", str(servers["raw"][2]),
                       "--pz-endpoint", servers[sname][1], "--pz-pid", str(servers[sname][2])]
                proc = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=600)
                if proc.returncode:
                    raise RuntimeError(proc.stderr)
                x = json.loads(proc.stdout)
                results[row].append(x)
                print(f"round {r + 1} {row:8}: " + "  ".join(
                    f"N={d} {x[f'pz_{d}_rate'] / 1e3:5.1f}k/{x[f'raw_{d}_rate'] / 1e3:5.1f}k "
                    f"({x[f'pz_{d}_rate'] / x[f'raw_{d}_rate']:.2f}x)" for d in args.depths), flush=True)
    finally:
        stop_servers([proc for proc, _, _ in servers.values()], tmp)
    print(f"median of {args.rounds} rounds (ipc, {args.size} B, {args.blocks} x {args.seconds} s per row, depth and round):")
    for row, xs in results.items():
        for d in args.depths:
            def med(key: str) -> float:
                return statistics.median(x[key] for x in xs)

            ratio = statistics.median(x[f"pz_{d}_rate"] / x[f"raw_{d}_rate"] for x in xs)
            print(f"  {row:8} N={d:<3}: {med(f'pz_{d}_rate') / 1e3:6.1f}k calls/s vs raw {med(f'raw_{d}_rate') / 1e3:6.1f}k "
                  f"({ratio:.2f}x raw); CPU/call client {med(f'pz_{d}_client_cpu') * 1e6:5.1f} µs "
                  f"(raw {med(f'raw_{d}_client_cpu') * 1e6:4.1f}), server {med(f'pz_{d}_server_cpu') * 1e6:5.1f} µs "
                  f"(raw {med(f'raw_{d}_server_cpu') * 1e6:4.1f})")


if __name__ == "__main__":
    main()
