"""Batching: several packets in one ZeroMQ message, both directions (PZMQ/1 section 3).

::

    100 tasks call in one loop iteration
    AsyncChannel --[x8]--[x8]--[x16]--[x32]--[x36]--> raw ROUTER   five messages, not 100
    64 tasks loop on one AsyncChannel --> Server              each call gets its own outcome
    a loop with its own create_future                          the waiters are its futures
    raw DEALER  --[REQUEST a, REQUEST b, REQUEST Other]--> Server  three replies, one per call
    raw DEALER  --[REQUEST x16]--> Server --[TRAILERS x16]-->       one message back
"""

from __future__ import annotations

import asyncio
import json
import pathlib
from typing import Any

import pytest
import zmq
from google.protobuf.wrappers_pb2 import StringValue as S

import pzmq_testkit as kit
from conftest import ServerHandle
from protozmq import AsyncChannel, RpcError, StatusCode
from protozmq import protocol as P

VECTORS = pathlib.Path(__file__).resolve().parents[2] / "vectors"


def test_async_channel_batches_requests(zctx: zmq.Context[Any], endpoint: str) -> None:
    router = zctx.socket(zmq.ROUTER)
    router.setsockopt(zmq.LINGER, 0)
    try:
        router.bind(endpoint)
        bound = router.getsockopt_string(zmq.LAST_ENDPOINT) if endpoint.startswith("tcp") else endpoint

        async def main() -> None:
            async with AsyncChannel(bound, context=zctx) as ch:
                calls = [asyncio.ensure_future(ch.unary(kit.UNARY, S(value=str(i)), timeout=5)) for i in range(100)]
                loop = asyncio.get_running_loop()
                sizes: list[int] = []
                while sum(sizes) < 100:
                    ready = await loop.run_in_executor(None, router.poll, 3000)
                    assert ready
                    frames = router.recv_multipart()
                    packets = kit.packets(frames, 1)
                    assert all(inline for _, _, inline in packets)  # small requests: one frame each
                    sizes.append(len(packets))
                    # Answer the whole batch with one batched reply, alternating the two forms.
                    reply = [frames[0]]
                    for n, (h, message, _) in enumerate(packets):
                        flags = P.Flag.END | P.Flag.HAS_MESSAGE
                        if n % 2:
                            reply += [P.encode_trailers(h.call_id, flags | P.Flag.INLINE, 0, "") + message]
                        else:
                            reply += [P.encode_trailers(h.call_id, flags, 0, ""), message]
                    router.send_multipart(reply)
                # A batch leaves early once it is as large as what the server already has (and
                # at least 8 packets), so the server starts on it while the rest is built; what
                # is left goes at the end of the iteration.
                assert sizes == [8, 8, 16, 32, 36]
                results = await asyncio.gather(*calls)
                assert [r.value for r in results] == [str(i) for i in range(100)]

        asyncio.run(asyncio.wait_for(main(), 20))
    finally:
        router.close(linger=0)


@pytest.mark.parametrize("name", ["batch of three unary requests", "batch mixing inline and two-frame packets"])
def test_server_accepts_batched_requests(name: str, server: ServerHandle, zctx: zmq.Context[Any]) -> None:
    case = next(c for c in json.loads((VECTORS / "packets.json").read_text())["cases"] if c["name"] == name)
    dealer = zctx.socket(zmq.DEALER)
    dealer.setsockopt(zmq.LINGER, 0)
    try:
        dealer.connect(server.endpoint)
        dealer.send_multipart([bytes.fromhex(f) for f in case["frames"]])
        replies: dict[int, tuple[int, bytes]] = {}
        while len(replies) < 3:
            assert dealer.poll(3000)
            for h, message, inline in kit.packets(dealer.recv_multipart()):
                assert inline  # small replies and errors: one frame each
                replies[h.call_id] = (h.status, message)
        assert replies[10] == (StatusCode.OK, S(value="hello").SerializeToString())
        assert replies[11][0] == StatusCode.OK
        assert replies[12][0] == StatusCode.UNIMPLEMENTED
    finally:
        dealer.close(linger=0)


def test_server_answers_a_batch_in_one_message(server: ServerHandle, zctx: zmq.Context[Any]) -> None:
    """16 unary REQUESTs in one message: their 16 replies come back as one message too."""
    dealer = zctx.socket(zmq.DEALER)
    dealer.setsockopt(zmq.LINGER, 0)
    try:
        dealer.connect(server.endpoint)
        flags = P.Flag.END | P.Flag.HAS_MESSAGE | P.Flag.INLINE
        path = P.method_bytes(kit.UNARY.path)
        dealer.send_multipart(
            [P.encode_request(cid, flags, 5000, path) + S(value=str(cid)).SerializeToString() for cid in range(1, 17)]
        )
        assert dealer.poll(3000)
        packets = kit.packets(dealer.recv_multipart())
        assert [(h.call_id, h.status) for h, _, _ in packets] == [(cid, StatusCode.OK) for cid in range(1, 17)]
        assert [S.FromString(m).value for _, m, _ in packets] == [str(cid) for cid in range(1, 17)]
    finally:
        dealer.close(linger=0)


def test_pipelined_calls_keep_their_own_outcomes(server: ServerHandle, zctx: zmq.Context[Any]) -> None:
    """64 tasks keep calls in flight on one AsyncChannel, the shape of the throughput benchmark.

    Requests leave in batches sent mid-iteration, replies arrive batched and resume their callers
    in the reader callback; mixed in are plain OK replies (which hand the caller the response
    directly), errors, metadata, deadlines and cancelled callers. Each
    call must get exactly its own outcome, and nothing may stay open afterwards.
    """

    async def main() -> None:
        async with AsyncChannel(server.endpoint, context=zctx) as ch:

            async def worker(w: int) -> None:
                for i in range(20):
                    tag = f"{w}-{i}"
                    kind = (w * 20 + i) % 10
                    if kind == 3:  # an error, with its own message
                        with pytest.raises(RpcError) as err:
                            await ch.unary(kit.FAIL, S(value=f"{int(StatusCode.NOT_FOUND)}|{tag}"), timeout=5)
                        assert (err.value.code, err.value.message) == (StatusCode.NOT_FOUND, tag)
                    elif kind == 5:  # request metadata, echoed as response headers
                        reply, info = await ch.unary(
                            kit.UNARY, S(value=tag), metadata=[("x-tag", tag)], timeout=5, with_call=True
                        )
                        assert reply.value == tag and info.headers.get("x-tag") == tag
                    elif kind in (1, 8):  # a plain OK reply (no metadata): the usual fast path
                        n = w % 7 + i
                        if kind == 1:
                            assert (await ch.unary(kit.BIG, S(value=str(n)), timeout=5)).value == "x" * n
                        else:
                            reply, info = await ch.unary(kit.BIG, S(value=str(n)), with_call=True)
                            assert reply.value == "x" * n and info.code is StatusCode.OK
                            assert (len(info.headers), len(info.trailers)) == (0, 0)
                    elif kind == 7 and w % 8 == 0:  # a deadline that expires
                        with pytest.raises(RpcError) as err:
                            await ch.unary(kit.SLEEP, S(value="0.5"), timeout=0.02)
                        assert err.value.code is StatusCode.DEADLINE_EXCEEDED
                    elif kind == 9 and w % 8 == 1:  # the caller is cancelled while waiting
                        task = asyncio.ensure_future(ch.unary(kit.SLEEP, S(value="0.5"), timeout=5))
                        await asyncio.sleep(0.005)
                        task.cancel()
                        with pytest.raises(asyncio.CancelledError):
                            await task
                    else:
                        assert (await ch.unary(kit.UNARY, S(value=tag), timeout=5)).value == tag

            await asyncio.gather(*(worker(w) for w in range(64)))
            assert (await ch.unary(kit.UNARY, S(value="after"), timeout=5)).value == "after"
            assert not ch._calls

    asyncio.run(asyncio.wait_for(main(), 30))


def test_async_channel_uses_the_loops_own_create_future(server: ServerHandle, zctx: zmq.Context[Any]) -> None:
    """A loop that overrides ``create_future`` (as other loop implementations may) gets its own
    futures: the channel only builds ``asyncio.Future`` itself for the default loop's method."""

    class CountingLoop(asyncio.SelectorEventLoop):
        made = 0

        def create_future(self) -> asyncio.Future[Any]:
            CountingLoop.made += 1
            return super().create_future()

    async def main() -> None:
        async with AsyncChannel(server.endpoint, context=zctx) as ch:
            before = CountingLoop.made
            assert (await ch.unary(kit.UNARY, S(value="a"), timeout=5)).value == "a"
            assert (await ch.unary(kit.BIG, S(value="3"), timeout=5)).value == "xxx"
            assert CountingLoop.made - before == 2  # one waiter per call, from the loop

    loop = CountingLoop()
    try:
        loop.run_until_complete(asyncio.wait_for(main(), 20))
    finally:
        loop.close()
