"""Codec benchmark, Python: ``SerializeToString`` / ``FromString`` ops/s of the game fixture's
largest GameState sample, with one of

* ``protozmq``: the committed ``generated/python/game/state_pb2.py`` (protozmq's Python emitter);
* ``protoc``: protoc's own ``state_pb2.py`` for the same file (bench/.gen/protoc-py).

Both run on the official protobuf runtime; both register ``game/state.proto`` in the default
descriptor pool, so each runs in its own process (bench/run.ts alternates them).

    .venv/bin/python bench/python/codec.py <protozmq|protoc> <seconds_per_op>    (prints JSON)
"""

from __future__ import annotations

import json
import os
import sys
import time
from typing import Any

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..")


def ops_per_second(fn: Any, arg: Any, seconds: float) -> float:
    n = 0
    batch = 200
    t0 = time.perf_counter()
    end = t0 + seconds
    while time.perf_counter() < end:
        for _ in range(batch):
            fn(arg)
        n += batch
    return n / (time.perf_counter() - t0)


def main() -> None:
    impl, seconds = sys.argv[1], float(sys.argv[2])
    sys.path.insert(0, os.path.join(ROOT, "generated", "python") if impl == "protozmq" else os.path.join(ROOT, "bench", ".gen", "protoc-py"))
    from google.protobuf import json_format
    from game import state_pb2

    with open(os.path.join(ROOT, "schemas", "game", "samples.json")) as f:
        samples = json.load(f)["json"]["protozmq.fixtures.game.GameState"]
    msgs = [json_format.ParseDict(s, state_pb2.GameState()) for s in samples]
    msg = max(msgs, key=lambda m: m.ByteSize())
    data = msg.SerializeToString()
    if state_pb2.GameState.FromString(data) != msg:
        raise SystemExit("the sample does not round-trip")

    def encode(_: Any) -> Any:
        return msg.SerializeToString()

    ops_per_second(encode, None, min(seconds, 0.2))  # warm up
    encode_rate = ops_per_second(encode, None, seconds)
    decode_rate = ops_per_second(state_pb2.GameState.FromString, data, seconds)
    print(json.dumps({"encode": encode_rate, "decode": decode_rate, "size": len(data)}))


if __name__ == "__main__":
    main()
