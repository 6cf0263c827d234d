"""A Python bench server process, started by bench/run.ts:

    .venv/bin/python bench/python/server.py <pz-sync|pz-async|raw|grpc> --bind EP... [--events EP...]

Implementations (the same operations as bench/ts/servers.ts):

* ``pz-sync``: ``protozmq.Server`` (I/O thread + worker pool), with a ``Publisher``.
* ``pz-async``: ``protozmq.AsyncServer`` on an asyncio loop, with a ``Publisher``.
* ``raw``: a pyzmq ROUTER echo in one thread (1 frame: echoed; ``[b"stream", count, size]``:
  ``count`` frames then an empty one; ``[b"publish", count, size, topic]``: events on a PUB, then a
  reply with the seconds it took), the floor protozmq is measured against.
* ``grpc``: a ``grpc.aio`` server with the grpc_tools stubs (``bench_pb2_grpc``); no events.

Prints ``ready {"rpc": [...], "events": [...]}`` once bound (tcp ports resolved) and exits when its
stdin closes.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
import time
from collections.abc import AsyncIterator, Iterator
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
    payload,
    pb,
    unused,
)

from protozmq import AsyncServer, Publisher, Server  # noqa: E402


def ready(rpc: list[str], events: list[str]) -> None:
    print("ready " + json.dumps({"rpc": rpc, "events": events}), flush=True)


def publish(pub: Publisher, request: Any) -> Any:
    pub.wait_for_subscriber(request.topic, timeout=2.0)
    data = pb.EchoReply(payload=payload(request.size)).SerializeToString()
    t0 = time.perf_counter()
    if request.batch > 1:
        pub.publish_many(request.topic, [data] * request.count, batch=request.batch)
    else:
        for _ in range(request.count):
            pub.publish(request.topic, data)
    return pb.PublishReply(seconds=time.perf_counter() - t0)


def serve_sync(binds: list[str], events: list[str]) -> None:
    server = Server(max_message_bytes=MAX_MESSAGE_BYTES)
    pub = Publisher(sndhwm=EVENT_HWM)

    def stream(request: Any, context: Any) -> Iterator[Any]:
        unused(context)
        reply = pb.EchoReply(payload=payload(request.size))
        for _ in range(request.count):
            yield reply

    server.add_method(ECHO, lambda request, context: pb.EchoReply(payload=request.payload))
    server.add_method(STREAM, stream)
    server.add_method(PUBLISH, lambda request, context: publish(pub, request))
    rpc = [server.bind(ep) for ep in binds]
    ev = [pub.bind(ep) for ep in events]
    server.start()
    ready(rpc, ev)
    server.wait_for_termination()


def serve_async(binds: list[str], events: list[str]) -> None:
    async def main() -> None:
        server = AsyncServer(max_message_bytes=MAX_MESSAGE_BYTES)
        pub = Publisher(sndhwm=EVENT_HWM)

        async def echo(request: Any, context: Any) -> Any:
            return pb.EchoReply(payload=request.payload)

        async def stream(request: Any, context: Any) -> AsyncIterator[Any]:
            reply = pb.EchoReply(payload=payload(request.size))
            for _ in range(request.count):
                yield reply

        async def do_publish(request: Any, context: Any) -> Any:
            return publish(pub, request)

        server.add_method(ECHO, echo)
        server.add_method(STREAM, stream)
        server.add_method(PUBLISH, do_publish)
        rpc = [server.bind(ep) for ep in binds]
        ev = [pub.bind(ep) for ep in events]
        await server.start()
        ready(rpc, ev)
        await server.wait_for_termination()

    asyncio.run(main())


def serve_raw(binds: list[str], events: list[str]) -> None:
    ctx: zmq.Context[Any] = zmq.Context.instance()
    router = ctx.socket(zmq.ROUTER)
    router.linger = 0
    router.sndhwm = router.rcvhwm = 100_000
    pub = ctx.socket(zmq.PUB)
    pub.linger = 0
    pub.sndhwm = EVENT_HWM
    rpc = []
    for ep in binds:
        router.bind(ep)
        rpc.append(router.getsockopt_string(zmq.LAST_ENDPOINT))
    ev = []
    for ep in events:
        pub.bind(ep)
        ev.append(pub.getsockopt_string(zmq.LAST_ENDPOINT))
    ready(rpc, ev)
    while True:
        frames = router.recv_multipart(copy=False)
        if len(frames) == 2:
            router.send_multipart(frames, copy=False)
            continue
        ident, cmd, count, size = frames[0], frames[1].bytes, int(frames[2].bytes), int(frames[3].bytes)
        body = pb.EchoReply(payload=payload(size)).SerializeToString()
        if cmd == b"stream":
            for _ in range(count):
                router.send_multipart((ident, body), copy=False)
            router.send_multipart((ident, b""))
        elif cmd == b"publish":
            topic = frames[4].bytes
            t0 = time.perf_counter()
            for _ in range(count):
                pub.send_multipart((topic, body))
            router.send_multipart((ident, str(time.perf_counter() - t0).encode()))


def serve_grpc(binds: list[str]) -> None:
    import grpc
    import bench_pb2_grpc as pb_grpc

    class Bench(pb_grpc.BenchServicer):
        async def Echo(self, request: Any, context: Any) -> Any:  # noqa: N802
            return pb.EchoReply(payload=request.payload)

        async def Stream(self, request: Any, context: Any) -> AsyncIterator[Any]:  # noqa: N802
            reply = pb.EchoReply(payload=payload(request.size))
            for _ in range(request.count):
                yield reply

    async def main() -> None:
        server = grpc.aio.server(options=GRPC_OPTIONS)
        pb_grpc.add_BenchServicer_to_server(Bench(), server)
        rpc = []
        for addr in binds:
            port = server.add_insecure_port(addr)
            rpc.append(addr if addr.startswith("unix:") else addr.rsplit(":", 1)[0] + f":{port}")
        await server.start()
        ready(rpc, [])
        await server.wait_for_termination()

    asyncio.run(main())


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("impl", choices=["pz-sync", "pz-async", "raw", "grpc"])
    ap.add_argument("--bind", action="append", default=[])
    ap.add_argument("--events", action="append", default=[])
    args = ap.parse_args()
    exit_when_stdin_closes()
    if args.impl == "pz-sync":
        serve_sync(args.bind, args.events)
    elif args.impl == "pz-async":
        serve_async(args.bind, args.events)
    elif args.impl == "raw":
        serve_raw(args.bind, args.events)
    else:
        serve_grpc(args.bind)


if __name__ == "__main__":
    main()
