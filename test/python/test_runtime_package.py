"""Smoke test: the protozmq Python runtime is installed (editable) and its version is consistent."""

import tomllib
from pathlib import Path

import protozmq

PYPROJECT = Path(__file__).resolve().parents[2] / "runtime" / "python" / "pyproject.toml"


def test_version_matches_pyproject() -> None:
    with PYPROJECT.open("rb") as f:
        declared = tomllib.load(f)["project"]["version"]
    assert protozmq.__version__ == declared


def test_imported_from_this_checkout() -> None:
    # The editable install must point at runtime/python, not a stale copy elsewhere.
    assert Path(protozmq.__file__).resolve().parent == PYPROJECT.parent / "protozmq"
