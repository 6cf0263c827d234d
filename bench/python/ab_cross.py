"""Paired A/B of two Python runtimes on the cross-language pipelined rows: TS→Py and Py→TS.

    .venv/bin/python bench/python/ab_cross.py --old /tmp/before/runtime/python --new runtime/python \\
        [--pair ts-py|py-ts|py-py] [--rounds 6] [--seconds 0.3] [--depths 16,64,256]

The benchmark's own programs (``bench/ts/client.ts``, ``bench/python/client.py``, and the
servers ``bench/python/server.py``, ``bench/ts/server.ts``) measuring their ``throughput`` rows
(``depth`` calls in flight on one channel, 64 B echo over ipc), servers on CPU 1 and clients on
CPU 0 (``taskset``), as in the pinned mode of ``npm run bench``:

* ``ts-py``: one TS client process measures, round-robin in each of ``--rounds`` rounds, the raw
  zeromq.js DEALER against the raw pyzmq echo and the protozmq ``Channel`` against a ``Server``
  of each runtime (old and new, two server processes).
* ``py-ts``: a Python client process per runtime and round, alternating old/new/new/old...,
  measures the raw pyzmq DEALER against the raw zeromq.js echo and the protozmq ``AsyncChannel``
  against the protozmq TS server.
* ``py-py``: as ``py-ts``, against the raw pyzmq echo and each runtime's own ``Server``.

Each round gives each runtime a ratio to the raw row measured next to it; the summary is the
median ratio and median calls/s over rounds.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
from typing import Any

from ab_versions import stop_servers

BENCH = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
ROOT = os.path.dirname(BENCH)


def start(cmd: list[str], env: dict[str, str]) -> tuple[subprocess.Popen[str], str]:
    """A bench server on CPU 1; returns it and its first rpc endpoint (from its ``ready`` line)."""
    proc = subprocess.Popen(["taskset", "-c", "1", *cmd], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                            text=True, env=env, cwd=ROOT)
    assert proc.stdout is not None
    line = proc.stdout.readline()
    if not line.startswith("ready "):
        raise RuntimeError(f"{cmd} did not start: {line!r}")
    return proc, json.loads(line[len("ready "):])["rpc"][0]


def client(cmd: list[str], env: dict[str, str], plan: dict[str, Any], tmp: str) -> dict[str, list[dict[str, float]]]:
    """Run a bench client on CPU 0 with ``plan``; the runs of its one job."""
    plan_file, out_file = os.path.join(tmp, "plan.json"), os.path.join(tmp, "out.json")
    with open(plan_file, "w") as f:
        json.dump(plan, f)
    # The bench clients exit when their stdin closes: hold it open until they are done.
    keep_r, keep_w = os.pipe()
    with open(os.path.join(tmp, "err.txt"), "w+") as err:
        proc = subprocess.Popen(["taskset", "-c", "0", *cmd, plan_file, out_file], stdin=keep_r, stderr=err,
                                env=env, cwd=ROOT)
        os.close(keep_r)
        try:
            code = proc.wait(900)
        finally:
            os.close(keep_w)
        if code:
            err.seek(0)
            raise RuntimeError(err.read())
    with open(out_file) as f:
        return json.load(f)[0]["runs"]  # type: ignore[no-any-return]


def job(client_name: str, targets: list[dict[str, Any]], args: argparse.Namespace, rounds: int) -> dict[str, Any]:
    return {"jobs": [{"kind": "throughput", "client": client_name, "group": "ab", "size": 64, "rounds": rounds,
                      "seconds": args.seconds, "depths": args.depths, "targets": targets}]}


def target(id_: str, impl: str, endpoint: str) -> dict[str, Any]:
    return {"id": id_, "impl": impl, "endpoint": endpoint, "transport": "ipc"}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--old", required=True, help="runtime/python directory of the old tree")
    ap.add_argument("--new", required=True, help="runtime/python directory of the new tree")
    ap.add_argument("--pair", choices=["ts-py", "py-ts", "py-py"], default="ts-py")
    ap.add_argument("--rounds", type=int, default=6)
    ap.add_argument("--seconds", type=float, default=0.3)
    ap.add_argument("--depths", type=lambda s: [int(x) for x in s.split(",")], default=[16, 64, 256])
    args = ap.parse_args()
    trees = {"old": os.path.abspath(args.old), "new": os.path.abspath(args.new)}
    env = {v: {**os.environ, "PYTHONPATH": t} for v, t in trees.items()}
    tmp = tempfile.mkdtemp(prefix="pzabx-", dir="/tmp")
    py_server = [sys.executable, os.path.join(BENCH, "python", "server.py")]
    ts_server = ["node", "--import", "tsx", os.path.join(BENCH, "ts", "server.ts")]
    servers: list[subprocess.Popen[str]] = []
    # per runtime: per depth, one (protozmq calls/s, raw calls/s) per round
    got: dict[str, dict[int, list[tuple[float, float]]]] = {v: {d: [] for d in args.depths} for v in trees}

    def python_servers() -> tuple[str, dict[str, str]]:
        """The raw pyzmq echo, and a protozmq ``Server`` per runtime: their endpoints."""
        proc, raw = start([*py_server, "raw", "--bind", f"ipc://{tmp}/raw.sock"], env["new"])
        servers.append(proc)
        eps = {}
        for v in trees:
            proc, eps[v] = start([*py_server, "pz-sync", "--bind", f"ipc://{tmp}/{v}.sock"], env[v])
            servers.append(proc)
        return raw, eps

    try:
        if args.pair == "ts-py":
            raw, eps = python_servers()
            targets = [target("raw", "raw", raw)] + [target(v, "pz", eps[v]) for v in trees]
            runs = client(["node", "--import", "tsx", os.path.join(BENCH, "ts", "client.ts")], dict(os.environ),
                          job("TS", targets, args, args.rounds), tmp)
            for v in trees:
                for d in args.depths:
                    got[v][d] = [(a["cps"], b["cps"]) for a, b in zip(runs[f"{v}@{d}"], runs[f"raw@{d}"])]
        else:
            if args.pair == "py-ts":
                proc, raw = start([*ts_server, "raw", "--bind", f"ipc://{tmp}/raw.sock"], dict(os.environ))
                servers.append(proc)
                proc, pz = start([*ts_server, "pz", "--bind", f"ipc://{tmp}/pz.sock"], dict(os.environ))
                servers.append(proc)
                eps = {v: pz for v in trees}
            else:
                raw, eps = python_servers()
            for r in range(args.rounds):
                for v in (list(trees) if r % 2 == 0 else list(reversed(list(trees)))):
                    runs = client([sys.executable, os.path.join(BENCH, "python", "client.py")], env[v],
                                  job("Py", [target("raw", "raw", raw), target("pz", "pz", eps[v])], args, 1), tmp)
                    for d in args.depths:
                        got[v][d].append((runs[f"pz@{d}"][0]["cps"], runs[f"raw@{d}"][0]["cps"]))
                print(f"round {r + 1} done", flush=True)
    finally:
        stop_servers(servers, tmp)
    print(f"{args.pair}: median of {args.rounds} rounds (ipc, 64 B, {args.seconds} s per row, depth and round):")
    for v in trees:
        for d in args.depths:
            xs = got[v][d]
            print(f"  {v:3} N={d:<3}: {statistics.median(p for p, _ in xs) / 1e3:6.1f}k calls/s vs raw "
                  f"{statistics.median(r for _, r in xs) / 1e3:6.1f}k ({statistics.median(p / r for p, r in xs):.2f}x raw)")


if __name__ == "__main__":
    main()
