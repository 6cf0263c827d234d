"""Every `_pb2` module protozmq generates for schemas/ imports, and every fixture sample
(`schemas/<feature>/samples.json`) goes through the generated classes: canonical proto3 JSON parses
with `json_format.Parse` and survives binary and JSON round trips; binary samples parse and re-encode
to the same message.

The modules are generated fresh (test/generator/python/gen-python.js) and exercised in a child process
(check_generated.py), so they never share a descriptor pool with modules other tests import.
"""

from __future__ import annotations

import pathlib
import sys

import pytest

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[1] / "generator" / "python"))
import pyharness  # noqa: E402

MODULES = [pyharness.module_name(p) for p in pyharness.schema_files()]
CASES = pyharness.sample_case_ids()


@pytest.mark.parametrize("module", MODULES)
def test_generated_module_imports(module: str) -> None:
    imports = pyharness.generated_check_report()["imports"]
    assert module in imports, f"{module} was not generated"
    error = imports[module]
    assert error is None, f"importing {module} failed:\n{error}"


@pytest.mark.parametrize("case", CASES)
def test_sample_round_trips(case: str) -> None:
    error = pyharness.generated_check_report()["samples"].get(case, "case missing from the report")
    assert error is None, f"{case}:\n{error}"


def test_there_are_samples() -> None:
    assert len(CASES) > 20, "no samples.json found under schemas/"
