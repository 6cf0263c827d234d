"""Paired A/B of two Python runtimes: unary p50 against a raw pyzmq echo, and CPU time per call.

    .venv/bin/python bench/python/ab_versions.py --old /tmp/before/runtime/python \\
        --new runtime/python [--rounds 6] [--calls 3000] [--block 100] [--size 64] [--transport ipc|tcp]

For comparing a change with its parent on a noisy shared machine (``git worktree add /tmp/before
<commit>`` gives the old tree). One raw pyzmq ROUTER echo and one protozmq ``Server`` per runtime
run as processes on CPU 1; client processes run on CPU 0 (``taskset``), alternating old/new/new/old
... for ``--rounds`` rounds. Each client process measures, in alternating blocks of ``--block``
sequential calls, a raw pyzmq DEALER against the echo and a blocking ``Channel`` against its own
runtime's ``Server`` (``bench.Echo/Echo``, a ``BytesValue`` of ``--size`` bytes, decoded and
re-encoded by the server), and reports per row: p50, p99, and CPU seconds per call of the client
process (``time.process_time``: every thread, the libzmq I/O thread included) and of the server
process (``/proc/<pid>/task/*/schedstat``, nanoseconds), and the two shares that the runtime's
Python code can change: the calling thread (``time.thread_time``) and the server's Python threads
(all but libzmq's ``ZMQbg/...`` threads). CPU time is the noise-robust figure: other processes on the machine stretch wall time,
not the work done per call. The summary is the median over rounds of each figure.

::

    CPU 0: client (old)  --raw DEALER-->  raw echo        CPU 1
                         --Channel----->  Server (old)
           client (new)  --raw DEALER-->  raw echo
                         --Channel----->  Server (new)
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from typing import Any

HERE = os.path.abspath(__file__)


def serve(kind: str, endpoint: str) -> None:
    import zmq

    if kind == "raw":
        router = zmq.Context.instance().socket(zmq.ROUTER)
        router.linger = 0
        router.bind(endpoint)
        print("ready", os.getpid(), flush=True)
        threading.Thread(target=lambda: (sys.stdin.read(), os._exit(0)), daemon=True).start()
        while True:
            router.send_multipart(router.recv_multipart(copy=False), copy=False)
    from google.protobuf.wrappers_pb2 import BytesValue

    from protozmq import MethodDescriptor, Server

    method = MethodDescriptor.for_messages("bench.Echo/Echo", "unary", BytesValue, BytesValue)
    server = Server(max_workers=4)
    server.add_method(method, lambda request, context: BytesValue(value=request.value))
    server.bind(endpoint)
    server.start()
    print("ready", os.getpid(), flush=True)
    sys.stdin.read()
    server.stop()


def cpu_seconds(pid: int) -> tuple[float, float]:
    """CPU seconds of process ``pid``: (all threads, its Python threads only).

    From ``/proc/<pid>/task/*/schedstat`` (nanoseconds on the CPU), not ``/proc/<pid>/stat``'s
    10 ms ticks; libzmq's own threads are the ones named ``ZMQbg/...``.
    """
    total = py = 0
    base = f"/proc/{pid}/task"
    for tid in os.listdir(base):
        try:
            with open(f"{base}/{tid}/schedstat") as f:
                ns = int(f.read().split()[0])
            with open(f"{base}/{tid}/comm") as f:
                zmq_thread = f.read().startswith("ZMQbg")
        except OSError:  # the thread ended
            continue
        total += ns
        if not zmq_thread:
            py += ns
    return total / 1e9, py / 1e9


def stop_servers(procs: list[subprocess.Popen[str]], tmp: str) -> None:
    """Stop the server processes (closing a server's stdin tells it to exit; one that has not
    within 5 s is killed) and remove the run's temporary folder."""
    for proc in procs:
        assert proc.stdin is not None
        proc.stdin.close()
    for proc in procs:
        try:
            proc.wait(5)
        except subprocess.TimeoutExpired:
            proc.kill()
    shutil.rmtree(tmp, ignore_errors=True)


def client(args: argparse.Namespace) -> None:
    import zmq
    from google.protobuf.wrappers_pb2 import BytesValue

    from protozmq import Channel, MethodDescriptor

    method = MethodDescriptor.for_messages("bench.Echo/Echo", "unary", BytesValue, BytesValue)
    request = BytesValue(value=b"x" * args.size)
    payload = request.SerializeToString()
    dealer = zmq.Context.instance().socket(zmq.DEALER)
    dealer.linger = 0
    dealer.connect(args.raw_endpoint)
    channel = Channel(args.pz_endpoint)
    clock, cpu, tcpu = time.perf_counter, time.process_time, time.thread_time
    # client cpu, server cpu, calls, the calling thread's cpu, the server's Python threads' cpu
    totals = {"raw": [0.0, 0.0, 0, 0.0, 0.0], "pz": [0.0, 0.0, 0, 0.0, 0.0]}

    def account(name: str, n: int, pid: int, s0: tuple[float, float], c0: float, t0: float) -> None:
        s1 = cpu_seconds(pid)
        t = totals[name]
        t[0] += cpu() - c0
        t[1] += s1[0] - s0[0]
        t[2] += n
        t[3] += tcpu() - t0
        t[4] += s1[1] - s0[1]

    def raw(n: int) -> list[float]:
        out = []
        s0, c0, tt0 = cpu_seconds(args.raw_pid), cpu(), tcpu()
        for _ in range(n):
            t0 = clock()
            dealer.send(payload)
            dealer.recv()
            out.append(clock() - t0)
        account("raw", n, args.raw_pid, s0, c0, tt0)
        return out

    def pz(n: int) -> list[float]:
        out = []
        s0, c0, tt0 = cpu_seconds(args.pz_pid), cpu(), tcpu()
        for _ in range(n):
            t0 = clock()
            channel.unary(method, request)
            out.append(clock() - t0)
        account("pz", n, args.pz_pid, s0, c0, tt0)
        return out

    raw(500)
    pz(500)
    totals = {"raw": [0.0, 0.0, 0, 0.0, 0.0], "pz": [0.0, 0.0, 0, 0.0, 0.0]}
    samples: dict[str, list[float]] = {"raw": [], "pz": []}
    for i in range(args.calls // args.block):
        for name, run in ((("raw", raw), ("pz", pz)) if i % 2 else (("pz", pz), ("raw", raw))):
            samples[name] += run(args.block)
    channel.close()
    dealer.close(0)
    out: dict[str, float] = {}
    for name, xs in samples.items():
        c, s, n, ct, sp = totals[name]
        out.update({f"{name}_p50": statistics.median(xs), f"{name}_p99": statistics.quantiles(xs, n=100)[98],
                    f"{name}_client_cpu": c / n, f"{name}_server_cpu": s / n,
                    f"{name}_client_thread": ct / n, f"{name}_server_py": sp / n})
    print(json.dumps(out))


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--old", help="runtime/python directory of the old tree")
    ap.add_argument("--new", help="runtime/python directory of the new tree")
    ap.add_argument("--rounds", type=int, default=6)
    ap.add_argument("--calls", type=int, default=3000, help="calls per row and client process")
    ap.add_argument("--block", type=int, default=100)
    ap.add_argument("--size", type=int, default=64)
    ap.add_argument("--transport", choices=["ipc", "tcp"], default="ipc")
    ap.add_argument("--serve", nargs=2, help=argparse.SUPPRESS)
    ap.add_argument("--client", action="store_true", help=argparse.SUPPRESS)
    for flag in ("--raw-endpoint", "--pz-endpoint"):
        ap.add_argument(flag, help=argparse.SUPPRESS)
    for flag in ("--raw-pid", "--pz-pid"):
        ap.add_argument(flag, type=int, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.serve:
        serve(*args.serve)
        return
    if args.client:
        client(args)
        return
    run(args)


def run(args: argparse.Namespace) -> None:
    tmp = tempfile.mkdtemp(prefix="pzab-", dir="/tmp")
    port = [28000 + os.getpid() % 500 * 4]

    def endpoint(name: str) -> str:
        if args.transport == "ipc":
            return f"ipc://{tmp}/{name}.sock"
        port[0] += 1
        return f"tcp://127.0.0.1:{port[0]}"

    trees = {"old": os.path.abspath(args.old), "new": os.path.abspath(args.new)}
    servers: dict[str, tuple[subprocess.Popen[str], str, int]] = {}

    def start(kind: str, name: str, tree: str | None) -> None:
        env = dict(os.environ)
        if tree is not None:
            env["PYTHONPATH"] = tree
        ep = endpoint(name)
        proc = subprocess.Popen(["taskset", "-c", "1", sys.executable, HERE, "--serve", kind, ep],
                                stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, env=env)
        assert proc.stdout is not None
        line = proc.stdout.readline().split()
        if not line or line[0] != "ready":
            raise RuntimeError(f"the {name} server did not start")
        servers[name] = (proc, ep, int(line[1]))

    results: dict[str, list[dict[str, Any]]] = {v: [] for v in trees}
    try:
        start("raw", "raw", None)
        for version, tree in trees.items():
            start("pz", version, tree)
        for r in range(args.rounds):
            for version in (list(trees) if r % 2 == 0 else list(reversed(list(trees)))):
                env = {**os.environ, "PYTHONPATH": trees[version]}
                cmd = ["taskset", "-c", "0", sys.executable, HERE, "--calls", str(args.calls), "--block", str(args.block),
                       "--size", str(args.size), "--client",
                       "--raw-endpoint", servers["raw"][1], "--raw-pid", str(servers["raw"][2]),
                       "--pz-endpoint", servers[version][1], "--pz-pid", str(servers[version][2])]
                proc = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=600)
                if proc.returncode:
                    raise RuntimeError(proc.stderr)
                x = json.loads(proc.stdout)
                results[version].append(x)
                print(f"round {r + 1} {version}: p50 raw {x['raw_p50'] * 1e6:6.1f} protozmq {x['pz_p50'] * 1e6:6.1f} µs "
                      f"({x['pz_p50'] / x['raw_p50']:.2f}x); CPU/call client {x['raw_client_cpu'] * 1e6:5.1f} -> "
                      f"{x['pz_client_cpu'] * 1e6:5.1f} µs, server {x['raw_server_cpu'] * 1e6:5.1f} -> "
                      f"{x['pz_server_cpu'] * 1e6:5.1f} µs (raw -> protozmq)", flush=True)
    finally:
        stop_servers([proc for proc, _, _ in servers.values()], tmp)
    print(f"median of {args.rounds} rounds ({args.transport}, {args.size} B, {args.calls} calls per row and round):")
    for version, xs in results.items():
        def med(key: str) -> float:
            return statistics.median(x[key] for x in xs)

        ratio = statistics.median(x["pz_p50"] / x["raw_p50"] for x in xs)
        print(f"  {version}: p50 {ratio:.2f}x raw ({med('pz_p50') * 1e6:.1f} vs {med('raw_p50') * 1e6:.1f} µs); "
              f"CPU/call client {med('pz_client_cpu') * 1e6:.1f} µs (raw {med('raw_client_cpu') * 1e6:.1f}), "
              f"server {med('pz_server_cpu') * 1e6:.1f} µs (raw {med('raw_server_cpu') * 1e6:.1f}); "
              f"calling thread {med('pz_client_thread') * 1e6:.1f} µs (raw {med('raw_client_thread') * 1e6:.1f}), "
              f"server Python threads {med('pz_server_py') * 1e6:.1f} µs (raw {med('raw_server_py') * 1e6:.1f})")


if __name__ == "__main__":
    main()
