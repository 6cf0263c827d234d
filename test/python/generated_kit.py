"""Fixtures shared by the generated-services tests (test_generated_services.py, test_generated_events.py).

``gen`` imports the modules protozmq generates for schemas/ and test/generator/python/services/edge/
from a fresh output directory of their own (pyharness.services_output), so no other test meets them.
``endpoint`` gives a unique address per test on each transport; ``zctx`` is a ZeroMQ context that
fails the test if a socket is left open.
"""

from __future__ import annotations

import importlib
import pathlib
import shutil
import sys
import tempfile
import threading
from collections.abc import Iterator
from types import SimpleNamespace
from typing import Any

import pytest
import zmq

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[1] / "generator" / "python"))
import pyharness  # noqa: E402

#: Every wait in these tests is bounded by this many seconds.
TIMEOUT = 5.0


@pytest.fixture(scope="session")
def gen() -> SimpleNamespace:
    """The generated modules, imported from fresh output (its own directory, so nothing else has them).

    ``svc``: interop/test_pzmq, ``pb``: interop/test_pb2, ``edge`` / ``edge_pb``: the edge fixture's.
    """
    root = str(pyharness.services_output())
    if root not in sys.path:
        sys.path.insert(0, root)
    return SimpleNamespace(
        svc=importlib.import_module("interop.test_pzmq"),
        pb=importlib.import_module("interop.test_pb2"),
        edge=importlib.import_module("edge.edge_pzmq"),
        edge_pb=importlib.import_module("edge.edge_pb2"),
        types_pb=importlib.import_module("edge.types_pb2"),
        empty=importlib.import_module("google.protobuf.empty_pb2").Empty,
    )


@pytest.fixture(params=["inproc", "ipc", "tcp"])
def endpoint(request: pytest.FixtureRequest) -> Iterator[str]:
    """A fresh bind address for the transport (tcp: the kernel picks the port)."""
    if request.param == "inproc":
        yield f"inproc://pzmq-services-{request.node.name}"
    elif request.param == "ipc":
        directory = tempfile.mkdtemp(prefix="pzmq-", dir="/tmp")  # ipc paths are limited to ~107 bytes
        yield f"ipc://{directory}/s.sock"
        shutil.rmtree(directory, ignore_errors=True)
    else:
        yield "tcp://127.0.0.1:*"


@pytest.fixture
def zctx() -> Iterator[zmq.Context[Any]]:
    ctx: zmq.Context[Any] = zmq.Context()
    yield ctx
    # term() returns only once every socket of the context is closed: a bounded leak check.
    t = threading.Thread(target=ctx.term, daemon=True)
    t.start()
    t.join(TIMEOUT)
    assert not t.is_alive(), "a ZeroMQ socket of this test was left open"
