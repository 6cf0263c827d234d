"""The Python bench client, started by bench/run.ts with a plan of jobs (format: bench/ts/common.ts):

    .venv/bin/python bench/python/client.py <plan.json> <results.json>

Clients per implementation:

* protozmq: the blocking ``Channel`` for sequential calls (latency, bulk, streams), ``AsyncChannel``
  with one task per call in flight for throughput (target ``variant: "async"`` uses
  ``AsyncChannel`` for sequential calls too); ``Subscriber`` for events.
* raw: a pyzmq DEALER (pipelined for throughput: one new request per reply); a SUB for events.
* grpc: the grpc_tools stub on a blocking channel; ``grpc.aio`` for throughput.

Rounds interleave the targets of a job exactly as the TS client does.
"""

from __future__ import annotations

import asyncio
import json
import os
import sys
import threading
import time
from collections.abc import Awaitable, Callable
from typing import Any

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import zmq  # noqa: E402
from common import (  # noqa: E402
    ECHO,
    EVENT_HWM,
    GRPC_OPTIONS,
    MAX_MESSAGE_BYTES,
    PUBLISH,
    STREAM,
    exit_when_stdin_closes,
    latency_figures,
    payload,
    pb,
)

from protozmq import AsyncChannel, Channel, Subscriber  # noqa: E402

Figures = dict[str, float]
now = time.perf_counter

#: Stall watchdog (see bench/ts/client.ts): ``beat(what)`` before every block of work; no beat for
#: this long means a call never returned, and the process exits naming the job and row.
STALL_SECONDS = 20.0
_beat: list[Any] = ["starting", time.monotonic()]


def beat(what: str) -> None:
    _beat[0], _beat[1] = what, time.monotonic()


def start_watchdog() -> None:
    def watch() -> None:
        while True:
            time.sleep(1.0)
            if time.monotonic() - _beat[1] > STALL_SECONDS:
                print(f"py client: no progress for {STALL_SECONDS:.0f} s in {_beat[0]!r} (a call never returned)", file=sys.stderr, flush=True)
                os._exit(3)

    threading.Thread(target=watch, name="stall-watchdog", daemon=True).start()


async def async_loops(make_call: Callable[[], Awaitable[Any]], depth: int, seconds: float) -> float:
    """Calls/s with ``depth`` tasks each awaiting ``make_call()`` in a loop for ``seconds``."""
    done = 0
    t0 = now()
    end = t0 + seconds

    async def loop() -> None:
        nonlocal done
        while now() < end:
            await make_call()
            done += 1

    await asyncio.gather(*(loop() for _ in range(depth)))
    return done / (now() - t0)


def receive_events(recv: Callable[[float], Any], count: int) -> tuple[int, float]:
    """Receives until ``count`` events or 1 s of silence; (received, received/s first to last)."""
    n = 0
    first = last = now()
    while n < count:
        if recv(1.0) is None:
            break
        last = now()
        if n == 0:
            first = last
        n += 1
    return n, ((n - 1) / (last - first) if n > 1 and last > first else 0.0)


class PzDriver:
    def __init__(self, endpoint: str, variant: str | None) -> None:
        self.endpoint = endpoint
        self.channel = Channel(endpoint, max_message_bytes=MAX_MESSAGE_BYTES, connect_timeout=5.0)
        self.variant = variant
        self.request = pb.EchoRequest(payload=payload(64))
        self.loop: asyncio.AbstractEventLoop | None = None
        self.achannel: AsyncChannel | None = None
        if variant == "async":
            self.loop = asyncio.new_event_loop()
            self.achannel = self.loop.run_until_complete(self._open())

    async def _open(self) -> AsyncChannel:
        return AsyncChannel(self.endpoint, max_message_bytes=MAX_MESSAGE_BYTES, connect_timeout=5.0)

    def set_size(self, size: int) -> None:
        self.request = pb.EchoRequest(payload=payload(size))

    def sequential(self, calls: int, timed: bool) -> list[float]:
        out: list[float] = []
        if self.achannel is not None and self.loop is not None:
            ach, req = self.achannel, self.request

            async def run() -> None:
                for _ in range(calls):
                    t0 = now()
                    await ach.unary(ECHO, req)
                    if timed:
                        out.append((now() - t0) * 1e6)

            self.loop.run_until_complete(run())
            return out
        ch, req = self.channel, self.request
        for _ in range(calls):
            t0 = now()
            ch.unary(ECHO, req)
            if timed:
                out.append((now() - t0) * 1e6)
        return out

    def throughput(self, depth: int, seconds: float) -> float:
        """A fresh ``AsyncChannel`` on a fresh loop, connected before the clock starts."""
        req = self.request

        async def run() -> float:
            async with AsyncChannel(self.endpoint, max_message_bytes=MAX_MESSAGE_BYTES, connect_timeout=5.0) as ch:
                await ch.unary(ECHO, req)
                return await async_loops(lambda: ch.unary(ECHO, req), depth, seconds)

        return asyncio.run(run())

    def stream(self, count: int, size: int) -> float:
        t0 = now()
        n = 0
        for _ in self.channel.server_stream(STREAM, pb.StreamRequest(count=count, size=size)):
            n += 1
        if n != count:
            raise RuntimeError(f"stream: {n} of {count}")
        return n / (now() - t0)

    def events(self, job: dict[str, Any], target: dict[str, Any], rnd: int) -> Figures:
        topic = f"protozmq.bench.Events/Tick/{rnd}"
        sub = Subscriber(target["events"], topics=[topic], rcvhwm=EVENT_HWM)
        time.sleep(0.2)
        box: dict[str, Any] = {}
        req = pb.PublishRequest(count=job["count"], size=job["size"], topic=topic, batch=target.get("batch", 1))
        trigger = threading.Thread(target=lambda: box.update(reply=self.channel.unary(PUBLISH, req, timeout=60.0)))
        trigger.start()
        n, rate = receive_events(lambda t: sub.recv(timeout=t), job["count"])
        sub.close()
        trigger.join()
        return {"published": job["count"] / box["reply"].seconds, "received": rate, "lost": job["count"] - n}

    def close(self) -> None:
        if self.achannel is not None and self.loop is not None:
            self.loop.run_until_complete(self.achannel.close())
            self.loop.close()
        self.channel.close()


class RawDriver:
    def __init__(self, endpoint: str) -> None:
        ctx: zmq.Context[Any] = zmq.Context.instance()
        self.dealer = ctx.socket(zmq.DEALER)
        self.dealer.linger = 0
        self.dealer.sndhwm = self.dealer.rcvhwm = 100_000
        self.dealer.rcvtimeo = 10_000  # a dead server fails the run instead of hanging it
        self.dealer.connect(endpoint)
        self.frame = pb.EchoRequest(payload=payload(64)).SerializeToString()

    def set_size(self, size: int) -> None:
        self.frame = pb.EchoRequest(payload=payload(size)).SerializeToString()

    def sequential(self, calls: int, timed: bool) -> list[float]:
        out: list[float] = []
        d, frame = self.dealer, self.frame
        copy = len(frame) < 65536
        for _ in range(calls):
            t0 = now()
            d.send(frame, copy=copy)
            d.recv(copy=copy)
            if timed:
                out.append((now() - t0) * 1e6)
        return out

    def throughput(self, depth: int, seconds: float) -> float:
        d, frame = self.dealer, self.frame
        t0 = now()
        end = t0 + seconds
        sent = done = 0
        for _ in range(depth):
            d.send(frame)
            sent += 1
        while done < sent:
            d.recv()
            done += 1
            if now() < end:
                d.send(frame)
                sent += 1
        return done / (now() - t0)

    def stream(self, count: int, size: int) -> float:
        t0 = now()
        self.dealer.send_multipart([b"stream", str(count).encode(), str(size).encode()])
        n = 0
        while self.dealer.recv():
            n += 1
        if n != count:
            raise RuntimeError(f"raw stream: {n} of {count}")
        return n / (now() - t0)

    def events(self, job: dict[str, Any], target: dict[str, Any], rnd: int) -> Figures:
        topic = f"protozmq.bench.Events/Tick/{rnd}"
        sub: zmq.Socket[bytes] = zmq.Context.instance().socket(zmq.SUB)
        sub.linger = 0
        sub.rcvhwm = EVENT_HWM
        sub.setsockopt(zmq.SUBSCRIBE, topic.encode())
        sub.connect(target["events"])
        time.sleep(0.2)
        box: dict[str, Any] = {}

        def trigger() -> None:
            self.dealer.send_multipart([b"publish", str(job["count"]).encode(), str(job["size"]).encode(), topic.encode()])
            box["seconds"] = float(self.dealer.recv())

        t = threading.Thread(target=trigger)
        t.start()

        def recv(timeout: float) -> Any:
            if not sub.poll(int(timeout * 1000)):
                return None
            return sub.recv_multipart()

        n, rate = receive_events(recv, job["count"])
        sub.close()
        t.join()
        return {"published": job["count"] / box["seconds"], "received": rate, "lost": job["count"] - n}

    def close(self) -> None:
        self.dealer.close()


class GrpcDriver:
    def __init__(self, address: str) -> None:
        import grpc
        import bench_pb2_grpc as pb_grpc

        self.grpc = grpc
        self.pb_grpc = pb_grpc
        self.address = address
        self.channel = grpc.insecure_channel(address, options=GRPC_OPTIONS)
        grpc.channel_ready_future(self.channel).result(timeout=5.0)
        self.stub = pb_grpc.BenchStub(self.channel)
        self.request = pb.EchoRequest(payload=payload(64))

    def set_size(self, size: int) -> None:
        self.request = pb.EchoRequest(payload=payload(size))

    def sequential(self, calls: int, timed: bool) -> list[float]:
        out: list[float] = []
        echo, req = self.stub.Echo, self.request
        for _ in range(calls):
            t0 = now()
            echo(req)
            if timed:
                out.append((now() - t0) * 1e6)
        return out

    def throughput(self, depth: int, seconds: float) -> float:
        async def run() -> float:
            async with self.grpc.aio.insecure_channel(self.address, options=GRPC_OPTIONS) as ch:
                stub = self.pb_grpc.BenchStub(ch)
                req = self.request
                await stub.Echo(req)
                return await async_loops(lambda: stub.Echo(req), depth, seconds)

        return asyncio.run(run())

    def stream(self, count: int, size: int) -> float:
        t0 = now()
        n = sum(1 for _ in self.stub.Stream(pb.StreamRequest(count=count, size=size)))
        if n != count:
            raise RuntimeError(f"grpc stream: {n} of {count}")
        return n / (now() - t0)

    def events(self, job: dict[str, Any], target: dict[str, Any], rnd: int) -> Figures:
        raise RuntimeError("gRPC has no events")

    def close(self) -> None:
        self.channel.close()


Driver = PzDriver | RawDriver | GrpcDriver


def run_job(job: dict[str, Any], driver_of: Callable[[dict[str, Any]], Driver]) -> dict[str, Any]:
    runs: dict[str, list[Figures]] = {}
    targets = job["targets"]
    drivers = []
    for t in targets:
        beat(f"{job['group']}: connecting to {t['id']}")
        drivers.append(driver_of(t))
    kind = job["kind"]
    for t, d in zip(targets, drivers):
        beat(f"{job['group']}: warming up {t['id']}")
        d.set_size(job["size"])
        if kind == "latency":
            # At least ``warmup`` calls, for at least ``warmupMs`` (see bench/lib/settings.ts).
            until = now() + job["warmupMs"] / 1000
            d.sequential(job["warmup"], False)
            while now() < until:
                d.sequential(100, False)
        elif kind == "bulk":
            d.sequential(3, False)
        elif kind == "throughput":
            d.throughput(max(job["depths"]), job["seconds"] / 2)
        elif kind == "stream":
            d.stream(max(1, job["count"] // 4), job["size"])
    n = len(targets)
    for r in range(job["rounds"]):
        if kind in ("latency", "bulk"):
            # Blocks of `block` calls, cycling through the targets (see bench/ts/client.ts).
            calls, block = job["calls"], job["block"]
            samples: list[list[float]] = [[] for _ in targets]
            busy = [0.0] * n
            for done in range(0, calls, block):
                m = min(block, calls - done)
                for k in range(n):
                    i = (r + k) % n
                    beat(f"{job['group']}: {targets[i]['id']}")
                    t0 = now()
                    samples[i] += drivers[i].sequential(m, kind == "latency")
                    busy[i] += now() - t0
            for i, t in enumerate(targets):
                if kind == "latency":
                    runs.setdefault(t["id"], []).append(latency_figures(samples[i]))
                else:
                    runs.setdefault(t["id"], []).append({"mbps": calls * job["size"] / 1e6 / busy[i]})
            continue
        if kind == "throughput":
            # Depth-major: the rows' runs at one depth follow each other, within about a second.
            for depth in job["depths"]:
                for k in range(n):
                    i = (r + k) % n
                    beat(f"{job['group']}: {targets[i]['id']} at N={depth}")
                    cps = drivers[i].throughput(depth, job["seconds"])
                    runs.setdefault(f"{targets[i]['id']}@{depth}", []).append({"cps": cps})
            continue
        for k in range(n):
            i = (r + k) % n
            t, d = targets[i], drivers[i]
            beat(f"{job['group']}: {t['id']}")
            if kind == "stream":
                runs.setdefault(t["id"], []).append({"mps": d.stream(job["count"], job["size"])})
            elif kind == "events":
                runs.setdefault(t["id"], []).append(d.events(job, t, r))
    return {"group": job["group"], "kind": kind, "size": job["size"], "runs": runs}


def main() -> None:
    plan_file, out_file = sys.argv[1], sys.argv[2]
    exit_when_stdin_closes()
    start_watchdog()
    with open(plan_file) as f:
        plan = json.load(f)
    drivers: dict[str, Driver] = {}

    def driver_of(t: dict[str, Any]) -> Driver:
        key = f"{t['impl']} {t.get('variant')} {t['endpoint']}"
        if key not in drivers:
            if t["impl"] == "pz":
                drivers[key] = PzDriver(t["endpoint"], t.get("variant"))
            elif t["impl"] == "raw":
                drivers[key] = RawDriver(t["endpoint"])
            else:
                drivers[key] = GrpcDriver(t["endpoint"])
        return drivers[key]

    results = []
    for job in plan["jobs"]:
        t0 = now()
        results.append(run_job(job, driver_of))
        print(f"  py client: {job['kind']} {job['group']} ({now() - t0:.1f} s)", file=sys.stderr, flush=True)
    with open(out_file, "w") as f:
        json.dump(results, f)
    for d in drivers.values():
        d.close()
    os._exit(0)  # don't wait for grpc/zmq background threads


if __name__ == "__main__":
    main()
