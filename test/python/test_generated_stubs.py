"""The `.pyi` stubs protozmq generates for schemas/ pass `mypy --strict` (with types-protobuf), typed use
of them type-checks without `# type: ignore` (stub_usage/usage_ok.py), and misuse is reported: each
line of stub_usage/usage_errors.py marked `# error: <code>` gets exactly that error, and no other
line gets any.
"""

from __future__ import annotations

import functools
import pathlib
import re
import shutil
import subprocess
import sys

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[1] / "generator" / "python"))
import pyharness  # noqa: E402

USAGE_DIR = pyharness.REPO / "test" / "generator" / "python" / "stub_usage"
ERROR_LINE = re.compile(r"^(?P<file>[^:]+):(?P<line>\d+): error: (?P<message>.*?)(?:  \[(?P<code>[a-z-]+)\])?$")


@functools.lru_cache(maxsize=None)
def _mypy() -> tuple[int, str]:
    """One strict mypy run over every generated stub plus the two usage files, from the output root."""
    py_root, _ = pyharness.protozmq_output()
    for usage in ("usage_ok.py", "usage_errors.py"):
        shutil.copy(USAGE_DIR / usage, py_root / usage)
    stubs = sorted(p.relative_to(py_root).as_posix() for p in py_root.rglob("*.pyi"))
    cmd = [
        *pyharness.mypy_command(), "--strict", "--explicit-package-bases", "--no-color-output",
        "--no-error-summary", "--show-error-codes", f"--cache-dir={py_root.parent / 'mypy-cache'}",
        *stubs, "usage_ok.py", "usage_errors.py",
    ]
    proc = subprocess.run(cmd, cwd=py_root, capture_output=True, text=True)
    return proc.returncode, proc.stdout + proc.stderr


def _errors(file: str) -> list[tuple[int, str | None, str]]:
    _, output = _mypy()
    found = []
    for line in output.splitlines():
        m = ERROR_LINE.match(line)
        if m and m["file"] == file:
            found.append((int(m["line"]), m["code"], m["message"]))
    return found


def test_stubs_and_typed_usage_pass_mypy_strict() -> None:
    _, output = _mypy()
    problems = [l for l in output.splitlines() if ": error:" in l and not l.startswith("usage_errors.py:")]
    assert problems == [], "\n".join(problems)


def test_misuse_is_reported() -> None:
    expected = {}
    for number, text in enumerate((USAGE_DIR / "usage_errors.py").read_text().splitlines(), start=1):
        marker = re.search(r"# error: ([a-z-]+)$", text)
        if marker:
            expected[number] = marker[1]
    assert len(expected) >= 5
    reported = {line: code for line, code, _ in _errors("usage_errors.py")}
    assert reported == expected, f"mypy output:\n{_mypy()[1]}"


def test_stubs_exist_for_every_schema() -> None:
    py_root, _ = pyharness.protozmq_output()
    missing = [p for p in pyharness.schema_files() if not (py_root / (pyharness.pb2_relpath(p) + "i")).exists()]
    assert missing == []
