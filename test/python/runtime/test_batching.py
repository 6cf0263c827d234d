"""Batching: several packets in one ZeroMQ message, both directions (PZMQ/1 section 3).

::

    100 tasks call in one loop iteration
    AsyncChannel --[REQUEST x64]--[REQUEST x36]--> raw ROUTER     two messages, not 100
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
from protozmq import AsyncChannel, StatusCode
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
                assert sizes == [64, 36]
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
