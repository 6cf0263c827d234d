"""The Python side of the cross-language codec tests.

A long-running process driven by the TypeScript test over stdin/stdout, one JSON request per line:

    TS test  --{"op": "from_json", "type": T, "json": J}-->  this peer   (Parse J, SerializeToString)
             <--{"hex": "...", "json": {...}}--------------
    TS test  --{"op": "decode", "type": T, "hex": H}------>  this peer   (FromString H, re-serialize)
             <--{"hex": "...", "json": {...}}--------------

Every answer carries the deterministic serialization and the canonical proto3 JSON, so the TS side can
compare bytes and values. Failures come back as {"error": "..."}; the process never exits on bad input.
It imports every module under the generated Python directory given as argv[1], so the official runtime
knows all fixture types.
"""

from __future__ import annotations

import importlib
import json
import pathlib
import sys
from typing import Any

from google.protobuf import descriptor_pool, json_format, message, message_factory


def import_all(root: pathlib.Path) -> None:
    sys.path.insert(0, str(root))
    for path in sorted(root.rglob("*_pb2.py")):
        module = ".".join(path.relative_to(root).with_suffix("").parts)
        importlib.import_module(module)


def message_class(type_name: str) -> type[message.Message]:
    descriptor = descriptor_pool.Default().FindMessageTypeByName(type_name)
    return message_factory.GetMessageClass(descriptor)


def answer(msg: message.Message) -> dict[str, Any]:
    return {
        "hex": msg.SerializeToString(deterministic=True).hex(),
        "json": json_format.MessageToDict(msg, preserving_proto_field_name=False),
    }


def handle(request: dict[str, Any]) -> dict[str, Any]:
    cls = message_class(request["type"])
    if request["op"] == "from_json":
        msg = json_format.ParseDict(request["json"], cls())
        return answer(msg)
    if request["op"] == "decode":
        return answer(cls.FromString(bytes.fromhex(request["hex"])))
    raise ValueError(f"unknown op {request['op']!r}")


def main() -> None:
    import_all(pathlib.Path(sys.argv[1]))
    print(json.dumps({"ready": True}), flush=True)
    for line in sys.stdin:
        if not line.strip():
            continue
        try:
            result = handle(json.loads(line))
        except Exception as exc:  # every failure is an answer, so the TS side can assert on it
            result = {"error": f"{type(exc).__name__}: {exc}"}
        print(json.dumps(result), flush=True)


if __name__ == "__main__":
    main()
