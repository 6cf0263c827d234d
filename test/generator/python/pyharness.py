"""Shared helpers of the Python-emitter pytests (test/python/test_generated_*.py, test_descriptors.py).

Generation runs once per pytest process: protozmq's emitter (through gen-python.js, straight from the
TypeScript sources) and protoc from grpcio-tools, over every .proto under schemas/, each into its own
temporary directory. `services_output()` adds the service edge cases of services/edge/ to a run of its own.
"""

from __future__ import annotations

import atexit
import functools
import os
import pathlib
import shutil
import subprocess
import sys
import tempfile

REPO = pathlib.Path(__file__).resolve().parents[3]
SCHEMAS = REPO / "schemas"
BUNDLED = REPO / "generator" / "parse" / "include"
DRIVER = REPO / "test" / "generator" / "python" / "gen-python.js"
#: Inputs of the generated-services tests: edge-case schemas (`edge/*.proto`) and typed usage files.
SERVICES = REPO / "test" / "generator" / "python" / "services"
#: The runtime package's root; mypy needs it on MYPYPATH (it cannot follow an editable install's hook).
RUNTIME = REPO / "runtime" / "python"


def schema_files() -> list[str]:
    """Import names (relative to schemas/) of every fixture .proto, sorted."""
    return sorted(p.relative_to(SCHEMAS).as_posix() for p in SCHEMAS.rglob("*.proto"))


def _tmpdir(tag: str) -> pathlib.Path:
    """A fresh temporary directory, removed when the pytest process exits."""
    path = pathlib.Path(tempfile.mkdtemp(prefix=f"protozmq-{tag}-"))
    atexit.register(shutil.rmtree, path, ignore_errors=True)
    return path


@functools.lru_cache(maxsize=None)
def protozmq_output() -> tuple[pathlib.Path, pathlib.Path]:
    """(python package root, descriptor dir) written by protozmq for all schemas."""
    root = _tmpdir("py")
    py, desc = root / "py", root / "desc"
    node = shutil.which("node")
    assert node is not None, "node is needed to run the protozmq generator"
    cmd = [node, str(DRIVER), "--out", str(py), "--descriptors", str(desc), "-I", str(SCHEMAS)]
    subprocess.run(cmd + [str(SCHEMAS / f) for f in schema_files()], check=True, cwd=REPO)
    return py, desc


def _generate(out: pathlib.Path, include: list[pathlib.Path], files: list[pathlib.Path]) -> None:
    node = shutil.which("node")
    assert node is not None, "node is needed to run the protozmq generator"
    cmd = [node, str(DRIVER), "--out", str(out), *(f"-I{i}" for i in include), *map(str, files)]
    subprocess.run(cmd, check=True, cwd=REPO)


@functools.lru_cache(maxsize=None)
def services_output() -> pathlib.Path:
    """Python package root written by protozmq for all schemas plus services/edge/*.proto, in one run.

    Holds `_pb2.py`, `.pyi` and, for files with services, `_pzmq.py` modules; its own directory, so
    importing these modules in-process never meets the other tests' output.
    """
    out = _tmpdir("py-services")
    edge = sorted((SERVICES / "edge").glob("*.proto"))
    _generate(out, [SCHEMAS, SERVICES], [SCHEMAS / f for f in schema_files()] + edge)
    return out


def _protoc(*args: str) -> None:
    # grpc_tools bundles protoc and the well-known .proto files; -I for those is added by its main().
    from grpc_tools import protoc  # noqa: PLC0415 - only needed when generation runs

    include = pathlib.Path(protoc.__file__).parent / "_proto"
    # protozmq/options.proto comes from the compiler's bundled dir, searched last like in protozmq.
    argv = ["protoc", f"-I{SCHEMAS}", f"-I{include}", f"-I{BUNDLED}", *args]
    code = protoc.main(argv)
    assert code == 0, f"protoc failed ({code}): {' '.join(argv)}"


@functools.lru_cache(maxsize=None)
def protoc_descriptor_set() -> bytes:
    """FileDescriptorSet of every schema and its imports, from protoc."""
    out = _tmpdir("protoc-desc") / "all.pb"
    _protoc("--include_imports", f"--descriptor_set_out={out}", *schema_files())
    return out.read_bytes()


@functools.lru_cache(maxsize=None)
def protoc_python_output() -> pathlib.Path:
    """Directory of protoc's own `--python_out` modules for every schema."""
    out = _tmpdir("protoc-py")
    _protoc(f"--python_out={out}", *schema_files())
    return out


def pb2_relpath(proto: str) -> str:
    """`imports/base/common.proto` -> `imports/base/common_pb2.py` (protoc's rule)."""
    return proto[: -len(".proto")].replace("-", "_") + "_pb2.py"


def module_name(proto: str) -> str:
    return pb2_relpath(proto)[: -len(".py")].replace("/", ".")


def pzmq_relpath(proto: str) -> str:
    """`game/analysis.proto` -> `game/analysis_pzmq.py`: the services module next to the `_pb2.py`."""
    return proto[: -len(".proto")].replace("-", "_") + "_pzmq.py"


def mypy_command() -> list[str]:
    return [sys.executable, "-m", "mypy"]


def mypy_env() -> dict[str, str]:
    """The environment of a mypy run over generated services: the runtime package on MYPYPATH."""
    env = dict(os.environ)
    env["MYPYPATH"] = os.pathsep.join(p for p in [str(RUNTIME), env.get("MYPYPATH", "")] if p)
    return env


def env_with_pythonpath(path: pathlib.Path) -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([str(path), env.get("PYTHONPATH", "")])
    return env


CHECKER = REPO / "test" / "generator" / "python" / "check_generated.py"


@functools.lru_cache(maxsize=None)
def generated_check_report() -> dict[str, dict[str, str | None]]:
    """Result of check_generated.py over protozmq's fresh output (run once, in a child process)."""
    import json  # noqa: PLC0415

    py_root, _ = protozmq_output()
    proc = subprocess.run(
        [sys.executable, str(CHECKER), str(py_root), str(SCHEMAS)],
        check=True, capture_output=True, text=True, cwd=REPO,
    )
    report: dict[str, dict[str, str | None]] = json.loads(proc.stdout)
    return report


def sample_case_ids() -> list[str]:
    """Case ids of every sample, in check_generated.py's scheme, read at collection time."""
    import json  # noqa: PLC0415

    ids: list[str] = []
    for samples_file in sorted(SCHEMAS.rglob("samples.json")):
        fixture = samples_file.parent.relative_to(SCHEMAS).as_posix()
        samples = json.loads(samples_file.read_text(encoding="utf-8"))
        for kind in ("json", "binary"):
            for type_name, cases in samples.get(kind, {}).items():
                ids.extend(f"{fixture}/{kind}/{type_name}/{i}" for i in range(len(cases)))
    return ids
