#!/usr/bin/env python3
"""Check the schema fixtures under schemas/ against Google's own tools.

Developer tool, not part of the test suite. Usage:

    python3 scripts/validate-fixtures.py PYTHON

PYTHON is an interpreter that has `grpcio-tools` and `protobuf` installed (the
repo's `.venv/bin/python` does, or a scratch venv). This script re-runs itself
under PYTHON and then checks, reporting every problem before exiting non-zero:

1. protoc (`python -m grpc_tools.protoc`) compiles every schemas/**/*.proto
   with `-I schemas`, with no error and no warning output at all.
2. Every file declares a distinct package `protozmq.fixtures.<folder>[.<sub>]`.
3. Every feature folder has a samples.json of the documented shape
   (see schemas/README.md), naming only message types of that folder, with at
   least 3 JSON samples for every top-level message of the folder.
4. Every JSON sample parses with `google.protobuf.json_format.Parse` into the
   protoc-generated class, is canonical (`MessageToDict` gives it back, floats
   compared by value), and survives a binary round trip.
5. Every binary sample (hex) parses with `FromString`.
6. Every test/generator/bad/*.proto names its expected error in an
   `// Expected error:` line and is rejected by protoc, unless it carries a
   `// protoc: accepts` line (a schema protoc allows but protozmq does not).
"""

import json
import math
import os
import struct
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SCHEMAS = ROOT / "schemas"
# protozmq/options.proto, bundled with the compiler (google/protobuf/* there too, identical to protoc's).
BUNDLED = ROOT / "generator" / "parse" / "include"
BAD = ROOT / "test" / "generator" / "bad"
INNER_ENV = "PROTOZMQ_VALIDATE_FIXTURES_INNER"
MIN_JSON_SAMPLES = 3


def main() -> int:
    if len(sys.argv) != 2 or sys.argv[1] in ("-h", "--help"):
        print("\n\n".join(__doc__.strip().split("\n\n")[1:4]), file=sys.stderr)
        return 2
    if os.environ.get(INNER_ENV) != "1":
        # Re-run under the interpreter that has grpcio-tools and protobuf.
        env = dict(os.environ, **{INNER_ENV: "1"})
        return subprocess.run([sys.argv[1], __file__, sys.argv[1]], env=env).returncode
    return Validator().run()


class Validator:
    def __init__(self) -> None:
        self.errors: list[str] = []
        self.counts: dict[str, tuple[int, int]] = {}

    def error(self, where: str, message: str) -> None:
        self.errors.append(f"{where}: {message}")

    def run(self) -> int:
        protos = sorted(p.relative_to(SCHEMAS).as_posix() for p in SCHEMAS.rglob("*.proto"))
        with tempfile.TemporaryDirectory(prefix="protozmq-fixtures-") as out:
            if self.compile(protos, out):
                sys.path.insert(0, out)
                self.check_packages(Path(out) / "set.pb")
                self.check_samples(protos)
        self.check_bad_schemas()
        for feature, (n_json, n_binary) in sorted(self.counts.items()):
            print(f"  {feature:<12} {n_json:>3} json, {n_binary:>2} binary samples")
        if self.errors:
            print(f"\n{len(self.errors)} problem(s):", file=sys.stderr)
            for line in self.errors:
                print(f"  {line}", file=sys.stderr)
            return 1
        print(f"OK: {len(protos)} .proto files, {len(self.counts)} fixture folders")
        return 0

    # -- 1. protoc --------------------------------------------------------------------------------

    def compile(self, protos: list[str], out: str) -> bool:
        cmd = [
            sys.executable, "-m", "grpc_tools.protoc", f"-I{SCHEMAS}", f"-I{BUNDLED}", f"--python_out={out}",
            f"--descriptor_set_out={out}/set.pb", "--include_imports", *protos,
        ]
        proc = subprocess.run(cmd, capture_output=True, text=True)
        output = (proc.stdout + proc.stderr).strip()
        if proc.returncode != 0 or output:
            self.error("protoc", f"exit {proc.returncode}, output:\n{output}")
            return proc.returncode == 0
        return True

    # -- 2. packages ------------------------------------------------------------------------------

    def check_packages(self, set_path: Path) -> None:
        from google.protobuf import descriptor_pb2

        fds = descriptor_pb2.FileDescriptorSet.FromString(set_path.read_bytes())
        seen: dict[str, str] = {}
        for f in fds.file:
            if f.name.startswith(("google/protobuf/", "protozmq/")):  # bundled with the compiler
                continue
            feature = f.name.split("/")[0]
            expected = f"protozmq.fixtures.{feature}"
            if f.package != expected and not f.package.startswith(expected + "."):
                self.error(f.name, f"package {f.package!r} is not {expected}[.<sub>]")
            # Files of one folder may share a package (game/state.proto and game/analysis.proto);
            # across folders packages must differ so fixtures never collide.
            if f.package in seen and seen[f.package].split("/")[0] != feature:
                self.error(f.name, f"package {f.package!r} already used by {seen[f.package]}")
            seen[f.package] = f.name

    # -- 3-5. samples -----------------------------------------------------------------------------

    def check_samples(self, protos: list[str]) -> None:
        import importlib

        by_feature: dict[str, list[str]] = {}
        for name in protos:
            by_feature.setdefault(name.split("/")[0], []).append(name)
        for feature, files in sorted(by_feature.items()):
            where = f"schemas/{feature}/samples.json"
            own_messages: set[str] = set()
            top_level: set[str] = set()
            for name in files:
                module = importlib.import_module(name[: -len(".proto")].replace("/", ".") + "_pb2")
                for msg in module.DESCRIPTOR.message_types_by_name.values():
                    top_level.add(msg.full_name)
                    own_messages.update(_all_messages(msg))
            path = SCHEMAS / feature / "samples.json"
            if not path.exists():
                self.error(where, "missing")
                continue
            try:
                doc = json.loads(path.read_text(encoding="utf-8"), object_pairs_hook=_no_duplicates)
            except ValueError as exc:
                self.error(where, f"not valid JSON: {exc}")
                continue
            if not isinstance(doc, dict) or "json" not in doc or set(doc) - {"json", "binary"}:
                self.error(where, 'top level must be {"json": {...}, "binary": {...}?}')
                continue
            n_json = self.check_json_samples(where, doc["json"], own_messages)
            n_binary = self.check_binary_samples(where, doc.get("binary", {}), own_messages)
            self.counts[feature] = (n_json, n_binary)
            for name in sorted(top_level):
                count = len(doc["json"].get(name, [])) if isinstance(doc["json"], dict) else 0
                if count < MIN_JSON_SAMPLES:
                    self.error(where, f"{name} has {count} JSON samples, want >= {MIN_JSON_SAMPLES}")

    def check_json_samples(self, where: str, section: object, own: set[str]) -> int:
        from google.protobuf import json_format

        if not isinstance(section, dict):
            self.error(where, '"json" must map message names to lists of objects')
            return 0
        count = 0
        for type_name, samples in section.items():
            cls = self.message_class(where, type_name, own)
            if cls is None or not _is_list_of(samples, dict):
                if cls is not None:
                    self.error(where, f"json.{type_name} must be a list of objects")
                continue
            for i, sample in enumerate(samples):
                count += 1
                label = f"{where} json.{type_name}[{i}]"
                try:
                    msg = json_format.Parse(json.dumps(sample, ensure_ascii=False), cls())
                except Exception as exc:  # noqa: BLE001 - report any parser failure
                    self.errors.append(f"{label}: json_format.Parse failed: {exc}")
                    continue
                back = json_format.MessageToDict(msg)
                diff = _diff(sample, back, "")
                if diff:
                    self.errors.append(f"{label}: not canonical at {diff}; MessageToDict gives {back}")
                again = cls.FromString(msg.SerializeToString())
                if again != msg and not _has_nan(sample):
                    self.errors.append(f"{label}: binary round trip changed the message")
        return count

    def check_binary_samples(self, where: str, section: object, own: set[str]) -> int:
        if not isinstance(section, dict):
            self.error(where, '"binary" must map message names to lists of hex strings')
            return 0
        count = 0
        for type_name, samples in section.items():
            cls = self.message_class(where, type_name, own)
            if cls is None:
                continue
            if not _is_list_of(samples, str):
                self.error(where, f"binary.{type_name} must be a list of hex strings")
                continue
            for i, hex_text in enumerate(samples):
                count += 1
                label = f"{where} binary.{type_name}[{i}]"
                try:
                    cls.FromString(bytes.fromhex(hex_text))
                except Exception as exc:  # noqa: BLE001
                    self.errors.append(f"{label}: FromString failed: {exc}")
        return count

    def message_class(self, where: str, type_name: str, own: set[str]):
        from google.protobuf import descriptor_pool, message_factory

        if type_name not in own:
            self.error(where, f"{type_name!r} is not a message type of this fixture")
            return None
        desc = descriptor_pool.Default().FindMessageTypeByName(type_name)
        return message_factory.GetMessageClass(desc)

    # -- 6. bad schemas ---------------------------------------------------------------------------

    def check_bad_schemas(self) -> None:
        if not BAD.is_dir():
            return
        for path in sorted(BAD.glob("*.proto")):
            text = path.read_text(encoding="utf-8")
            where = path.relative_to(ROOT).as_posix()
            if "// Expected error:" not in text:
                self.error(where, "no '// Expected error:' line")
            accepts = "// protoc: accepts" in text
            with tempfile.TemporaryDirectory() as out:
                proc = subprocess.run(
                    [sys.executable, "-m", "grpc_tools.protoc", f"-I{BAD}", f"--python_out={out}", path.name],
                    capture_output=True, text=True,
                )
            if accepts and proc.returncode != 0:
                self.error(where, f"marked 'protoc: accepts' but protoc failed:\n{proc.stderr.strip()}")
            if not accepts and proc.returncode == 0:
                self.error(where, "protoc accepted it; expected a compile error")


def _all_messages(desc):
    yield desc.full_name
    for nested in desc.nested_types:
        yield from _all_messages(nested)


def _no_duplicates(pairs):
    keys = [k for k, _ in pairs]
    dupes = {k for k in keys if keys.count(k) > 1}
    if dupes:
        raise ValueError(f"duplicate keys {sorted(dupes)}")
    return dict(pairs)


def _is_list_of(value, kind) -> bool:
    return isinstance(value, list) and all(isinstance(v, kind) for v in value)


def _has_nan(value) -> bool:
    if isinstance(value, dict):
        return any(_has_nan(v) for v in value.values())
    if isinstance(value, list):
        return any(_has_nan(v) for v in value)
    return value == "NaN" or (isinstance(value, float) and math.isnan(value))


def _same_float32(a, b) -> bool:
    """True if a and b round to the same float32 (how float fields are compared).

    MessageToDict writes a float field in its shortest float32 form (e.g.
    3.4028235e+38 for FLT_MAX), which differs from the exact double value.
    """
    try:
        return struct.pack("<f", a) == struct.pack("<f", b)
    except OverflowError:
        return False


def _diff(want, got, path: str) -> str:
    """Return the path of the first difference between two JSON values, or ''.

    Numbers compare by value (so 1 equals 1.0) or, failing that, by their
    float32 rounding (so a float field's exact value equals the shortest form
    MessageToDict writes). -0.0 differs from 0.0, and a bool never equals a
    number. Object keys compare as sets: map entries have no order.
    """
    if isinstance(want, dict) and isinstance(got, dict):
        for key in sorted(set(want) | set(got)):
            if key not in want or key not in got:
                return f"{path}.{key} ({'extra' if key in want else 'missing'} in sample)"
            inner = _diff(want[key], got[key], f"{path}.{key}")
            if inner:
                return inner
        return ""
    if isinstance(want, list) and isinstance(got, list):
        if len(want) != len(got):
            return f"{path} (length {len(want)} vs {len(got)})"
        for i, (a, b) in enumerate(zip(want, got)):
            inner = _diff(a, b, f"{path}[{i}]")
            if inner:
                return inner
        return ""
    numeric = (int, float)
    if isinstance(want, bool) or isinstance(got, bool):
        return "" if want is got else path or "."
    if isinstance(want, numeric) and isinstance(got, numeric):
        if math.copysign(1, want) == math.copysign(1, got) and (want == got or _same_float32(want, got)):
            return ""
        return path or "."
    return "" if type(want) is type(got) and want == got else path or "."


if __name__ == "__main__":
    sys.exit(main())
