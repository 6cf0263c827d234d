"""Imports every generated `_pb2` module under a directory and runs the fixtures' samples through them.

Run in its own process (test/python/test_generated_modules.py does), so the generated modules never
meet another test's copy in the default descriptor pool or in sys.modules:

    python check_generated.py GENERATED_ROOT SCHEMAS_DIR

Prints one JSON object: {"imports": {module: error|null}, "samples": {case id: error|null}}. A case id
is `<schema dir>/<json|binary>/<full type name>/<index>`.
"""

from __future__ import annotations

import importlib
import json
import pathlib
import sys
import traceback
from typing import Any

from google.protobuf import descriptor_pool, json_format, message


def _module_name(path: pathlib.Path, root: pathlib.Path) -> str:
    return ".".join(path.relative_to(root).with_suffix("").parts)


def _import_all(root: pathlib.Path) -> dict[str, str | None]:
    results: dict[str, str | None] = {}
    for path in sorted(root.rglob("*_pb2.py")):
        name = _module_name(path, root)
        try:
            importlib.import_module(name)
            results[name] = None
        except Exception:  # noqa: BLE001 - reported per module
            results[name] = traceback.format_exc()
    return results


def _generated_class(full_name: str) -> type[message.Message]:
    """The class a generated module defines for `full_name` (not one built from the pool on the fly)."""
    desc = descriptor_pool.Default().FindMessageTypeByName(full_name)
    module = importlib.import_module(desc.file.name[: -len(".proto")].replace("-", "_").replace("/", ".") + "_pb2")
    local = full_name[len(desc.file.package) + 1 :] if desc.file.package else full_name
    obj: Any = module
    for part in local.split("."):
        obj = getattr(obj, part)
    assert isinstance(obj, type) and issubclass(obj, message.Message), full_name
    return obj


def _canonical(msg: message.Message) -> bytes:
    return msg.SerializeToString(deterministic=True)


def _check_json(cls: type[message.Message], sample: Any) -> None:
    parsed = json_format.Parse(json.dumps(sample), cls())
    # JSON -> message -> binary -> message, and message -> JSON -> message, must all agree.
    again = cls.FromString(parsed.SerializeToString())
    assert _canonical(again) == _canonical(parsed), "binary round trip changed the message"
    printed = json_format.MessageToJson(parsed)
    try:
        via_json = json_format.Parse(printed, cls())
    except json_format.ParseError as error:
        # protobuf's Python printer writes FLT_MAX as 3.4028235e+38 and its parser then rejects it as
        # "Float value too large" (protocolbuffers/protobuf#8336): a runtime bug, not ours, so that
        # one step is skipped for such values; the binary round trip above still covers them.
        if "Float value too" in str(error):
            return
        raise
    assert _canonical(via_json) == _canonical(parsed), "JSON round trip changed the message"


def _check_binary(cls: type[message.Message], hex_text: str) -> None:
    parsed = cls.FromString(bytes.fromhex(hex_text))
    again = cls.FromString(parsed.SerializeToString())
    assert _canonical(again) == _canonical(parsed), "binary round trip changed the message"


def _check_samples(schemas: pathlib.Path) -> dict[str, str | None]:
    results: dict[str, str | None] = {}
    for samples_file in sorted(schemas.rglob("samples.json")):
        fixture = samples_file.parent.relative_to(schemas).as_posix()
        samples = json.loads(samples_file.read_text(encoding="utf-8"))
        for kind, check in (("json", _check_json), ("binary", _check_binary)):
            for type_name, cases in samples.get(kind, {}).items():
                for index, case in enumerate(cases):
                    case_id = f"{fixture}/{kind}/{type_name}/{index}"
                    try:
                        check(_generated_class(type_name), case)
                        results[case_id] = None
                    except Exception:  # noqa: BLE001 - reported per case
                        results[case_id] = traceback.format_exc()
    return results


def main() -> None:
    root, schemas = pathlib.Path(sys.argv[1]), pathlib.Path(sys.argv[2])
    sys.path.insert(0, str(root))
    report = {"imports": _import_all(root), "samples": _check_samples(schemas)}
    print(json.dumps(report))


if __name__ == "__main__":
    main()
