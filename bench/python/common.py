"""What the Python bench programs share: the generated bench messages, their method descriptors,
and small helpers (the plan format is described in ``bench/ts/common.ts``).

The generated modules live in the git-ignored ``bench/.gen/py`` (``bench/lib/prepare.ts`` writes
them): ``bench_pb2`` from ``protozmq generate`` and ``bench_pb2_grpc`` from grpc_tools, which imports
the same ``bench_pb2``, so protozmq and grpcio carry the very same message classes.
"""

from __future__ import annotations

import math
import os
import sys
import threading
from typing import Any

GEN = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".gen", "py")
sys.path.insert(0, GEN)

import bench_pb2 as pb  # noqa: E402

from protozmq import MethodDescriptor  # noqa: E402

__all__ = [
    "ECHO", "EVENT_HWM", "GEN", "GRPC_OPTIONS", "MAX_MESSAGE_BYTES", "PUBLISH", "STREAM",
    "exit_when_stdin_closes", "latency_figures", "payload", "pb", "quantile", "unused",
]

ECHO = MethodDescriptor.for_messages("protozmq.bench.Bench/Echo", "unary", pb.EchoRequest, pb.EchoReply)
STREAM = MethodDescriptor.for_messages("protozmq.bench.Bench/Stream", "server_streaming", pb.StreamRequest, pb.EchoReply)
PUBLISH = MethodDescriptor.for_messages("protozmq.bench.Bench/Publish", "unary", pb.PublishRequest, pb.PublishReply)

#: Largest message any bench server or client accepts (the bulk payload is 1 MiB).
MAX_MESSAGE_BYTES = 8 << 20
#: High-water mark of the event sockets: no event of a run is dropped.
EVENT_HWM = 1_000_000
GRPC_OPTIONS = [("grpc.max_receive_message_length", MAX_MESSAGE_BYTES), ("grpc.max_send_message_length", MAX_MESSAGE_BYTES)]


def payload(size: int) -> bytes:
    """``size`` bytes, not all zero (the same bytes as ``payload()`` in bench/ts/common.ts)."""
    return bytes((i * 31 + 7) & 0xFF for i in range(size))


def quantile(sorted_values: list[float], q: float) -> float:
    """Nearest-rank quantile of a sorted list."""
    if not sorted_values:
        return math.nan
    i = min(len(sorted_values) - 1, max(0, math.ceil(q * len(sorted_values)) - 1))
    return sorted_values[i]


def latency_figures(us: list[float]) -> dict[str, float]:
    """p50, p99, p999 and mean of round-trip times in microseconds."""
    s = sorted(us)
    return {"p50": quantile(s, 0.5), "p99": quantile(s, 0.99), "p999": quantile(s, 0.999), "mean": sum(s) / len(s)}


def exit_when_stdin_closes() -> None:
    """End this process (at once, whatever its threads do) when the orchestrator goes away."""

    def watch() -> None:
        try:
            while sys.stdin.buffer.read(4096):
                pass
        finally:
            os._exit(0)

    threading.Thread(target=watch, name="stdin-watch", daemon=True).start()


def unused(*_: Any) -> None:
    """Marks a parameter as deliberately unused."""
