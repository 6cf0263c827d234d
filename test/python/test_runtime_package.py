"""Smoke test: the protozmq Python runtime is installed (editable) and its version is consistent."""

import subprocess
import sys
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


def test_codec_modules_import_in_any_order() -> None:
    # protocol.py re-exports the codec from _packet_encode / _packet_decode, which import it back:
    # safe only because any import of the package loads protocol.py first. Each order, in a fresh
    # interpreter, must give the same functions.
    for first in ("protozmq._packet_encode", "protozmq._packet_decode", "protozmq.protocol"):
        code = (
            f"import {first}\n"
            "from protozmq import _packet_decode as D, _packet_encode as E, protocol as P\n"
            "assert P.decode_header is D.decode_header and P._bare_ok_reply_id is D._bare_ok_reply_id\n"
            "assert P.encode_request is E.encode_request and P.method_bytes is E.method_bytes\n"
            "print(P.decode_header(P.encode_simple(P.Kind.CANCEL, 0, 7)).call_id)\n"
        )
        out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
        assert out.returncode == 0, out.stderr
        assert out.stdout.strip() == "7"
