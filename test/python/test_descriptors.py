"""protozmq's FileDescriptorProtos and `_pb2.py` modules against protoc's, for every schema.

protoc here is the one bundled with grpcio-tools. Two checks per `.proto` under schemas/:
1. the FileDescriptorProto protozmq builds (descriptor-set form, json_name on every field) equals the
   one in `protoc --include_imports --descriptor_set_out` byte for byte; on failure the test prints a
   field-level diff of both in text format (unknown fields, i.e. custom options, included);
2. the `_pb2.py` body after the version guard is line-for-line protoc's `--python_out`: the embedded
   descriptor bytes, import aliases, options fix-ups and `_serialized_start/_end` offsets.
"""

from __future__ import annotations

import difflib
import pathlib
import sys

import pytest
from google.protobuf import descriptor_pb2, text_format

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[1] / "generator" / "python"))
import pyharness  # noqa: E402

SCHEMAS = pyharness.schema_files()


def _protoc_files() -> dict[str, descriptor_pb2.FileDescriptorProto]:
    fds = descriptor_pb2.FileDescriptorSet.FromString(pyharness.protoc_descriptor_set())
    return {f.name: f for f in fds.file}


def _text(fdp: descriptor_pb2.FileDescriptorProto) -> list[str]:
    return text_format.MessageToString(fdp, print_unknown_fields=True).splitlines()


def _field_diff(expected: descriptor_pb2.FileDescriptorProto, actual: descriptor_pb2.FileDescriptorProto) -> str:
    diff = difflib.unified_diff(_text(expected), _text(actual), "protoc", "protozmq", lineterm="", n=6)
    text = "\n".join(diff)
    return text or "(same text: the difference is in field order or encoding)"


@pytest.mark.parametrize("proto", SCHEMAS)
def test_file_descriptor_matches_protoc(proto: str) -> None:
    expected = _protoc_files()[proto]
    expected.ClearField("source_code_info")
    _, desc_dir = pyharness.protozmq_output()
    ours_bytes = (desc_dir / f"{proto}.pb").read_bytes()
    ours = descriptor_pb2.FileDescriptorProto.FromString(ours_bytes)
    assert ours_bytes == expected.SerializeToString(), f"{proto} differs from protoc:\n{_field_diff(expected, ours)}"


def _after_version_guard(source: str) -> list[str]:
    marker = "# @@protoc_insertion_point(imports)\n"
    assert marker in source
    return source.split(marker, 1)[1].splitlines()


@pytest.mark.parametrize("proto", SCHEMAS)
def test_pb2_module_matches_protoc(proto: str) -> None:
    rel = pyharness.pb2_relpath(proto)
    py_dir, _ = pyharness.protozmq_output()
    ours = _after_version_guard((py_dir / rel).read_text())
    theirs = _after_version_guard((pyharness.protoc_python_output() / rel).read_text())
    diff = "\n".join(difflib.unified_diff(theirs, ours, "protoc", "protozmq", lineterm=""))
    assert ours == theirs, f"{rel} differs from protoc's output:\n{diff}"


def test_every_schema_is_compared() -> None:
    # Guards against a glob that silently finds nothing.
    assert len(SCHEMAS) >= 10
    assert "scalars/scalars.proto" in SCHEMAS
