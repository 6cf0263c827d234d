"""Generated Python services (`<name>_pzmq.py`), compiled fresh from schemas/ and services/edge/.

1. A services module exists for exactly the files with services; it pins the runtime API level and
   fails to import, with the fix in the message, on an older runtime.
2. `mypy --strict` accepts every generated services module and typed use of them
   (services/usage_ok.py), and reports each marked misuse in services/usage_errors.py, no more.
3. End to end with interop/test.proto, over inproc, ipc and tcp: a `Server` and an `AsyncServer`
   running TestService servicers, called by the blocking and the asyncio client, every call shape::

       TestServiceClient / TestServiceAsyncClient (DEALER)      Server / AsyncServer (ROUTER)
         EmptyCall, UnaryCall   REQUEST|END ---------------------->  servicer method
                                <-------------- TRAILERS OK + response (or the status it raised)
         StreamingOutputCall    REQUEST|END ---------------------->  generator
                                <-------------------- MESSAGE x n, TRAILERS OK
         StreamingInputCall     REQUEST, MESSAGE x n, MESSAGE|END ->  iterates request_iterator
                                <-------------- TRAILERS OK + response
         FullDuplexCall         MESSAGE ---> <--- MESSAGE (ping-pong), END ---> <--- TRAILERS OK
         Notify                 REQUEST|ONEWAY ------------------->  records the seq; no reply
         LastNotified           REQUEST|END ---------------------->  <- the recorded seq
         UnimplementedCall, UnimplementedService/...  ------------>  <- TRAILERS UNIMPLEMENTED
4. The edge fixture's corners: escaped method names call the schema's paths, deprecated services
   and methods warn, a servicer of the wrong kind is refused. Events are in test_generated_events.py.

Every socket is closed (linger 0) before the test's ZeroMQ context terminates, which fails the test
if one is left open; addresses are unique per test; every wait is bounded by a timeout.
"""

from __future__ import annotations

import asyncio
import functools
import queue
import re
import runpy
import shutil
import subprocess
import threading
from collections.abc import AsyncIterator, Callable, Iterator
from types import SimpleNamespace
from typing import Any

import pytest
import zmq

import protozmq
from protozmq import StatusCode

from generated_kit import TIMEOUT, endpoint, gen, pyharness, zctx  # noqa: F401 - fixtures

ERROR_LINE = re.compile(r"^(?P<file>[^:]+):(?P<line>\d+): error: .*?(?:  \[(?P<code>[a-z-]+)\])?$")


# -- the generated modules ------------------------------------------------------------------------


def test_a_services_module_for_each_file_with_services() -> None:
    root = pyharness.services_output()
    with_services = [p for p in pyharness.schema_files() if re.search(r"^service ", (pyharness.SCHEMAS / p).read_text(), re.M)]
    assert "interop/test.proto" in with_services
    found = sorted(p.relative_to(root).as_posix() for p in root.rglob("*_pzmq.py"))
    assert found == sorted([pyharness.pzmq_relpath(p) for p in with_services] + ["edge/edge_pzmq.py"])


def test_the_generated_api_level_is_the_runtimes() -> None:
    text = (pyharness.services_output() / "interop" / "test_pzmq.py").read_text()
    assert re.findall(r"^_check_runtime_api\((\d+), \"interop/test.proto\"\)$", text, re.M) == [str(protozmq.RUNTIME_API)]
    assert "__version__" not in text and protozmq.__version__ not in text


def test_an_older_runtime_fails_the_import_with_the_fix(gen: SimpleNamespace, monkeypatch: pytest.MonkeyPatch) -> None:
    path = str(pyharness.services_output() / "interop" / "test_pzmq.py")
    monkeypatch.setattr(protozmq.runtime_api, "RUNTIME_API", 0)
    with pytest.raises(ImportError, match=r"^interop/test.proto: .*API level 1 or newer.*fix: pip install -U protozmq$"):
        runpy.run_path(path, run_name="stale_pzmq")
    # A runtime from before API levels has no check_runtime_api at all.
    monkeypatch.delattr(protozmq, "check_runtime_api")
    with pytest.raises(ImportError, match=r"API level 1 or newer; fix: pip install -U protozmq"):
        runpy.run_path(path, run_name="stale_pzmq")


# -- mypy --strict ---------------------------------------------------------------------------------


@functools.lru_cache(maxsize=None)
def _mypy() -> tuple[int, str]:
    """One strict mypy run over every generated services module plus the two usage files."""
    root = pyharness.services_output()
    for usage in ("usage_ok.py", "usage_errors.py"):
        shutil.copy(pyharness.SERVICES / usage, root / usage)
    modules = sorted(p.relative_to(root).as_posix() for p in root.rglob("*_pzmq.py"))
    cmd = [
        *pyharness.mypy_command(), "--strict", "--explicit-package-bases", "--no-color-output",
        "--no-error-summary", "--show-error-codes", f"--cache-dir={root.parent / (root.name + '-mypy')}",
        *modules, "usage_ok.py", "usage_errors.py",
    ]
    proc = subprocess.run(cmd, cwd=root, capture_output=True, text=True, env=pyharness.mypy_env())
    return proc.returncode, proc.stdout + proc.stderr


def test_generated_services_and_typed_use_pass_mypy_strict() -> None:
    _, output = _mypy()
    problems = [line for line in output.splitlines() if ": error:" in line and not line.startswith("usage_errors.py:")]
    assert problems == [], output


def test_misuse_is_reported() -> None:
    expected = {}
    for number, text in enumerate((pyharness.SERVICES / "usage_errors.py").read_text().splitlines(), start=1):
        marker = re.search(r"# error: ([a-z-]+)$", text)
        if marker:
            expected[number] = marker[1]
    assert len(expected) >= 10
    reported = {}
    for line in _mypy()[1].splitlines():
        m = ERROR_LINE.match(line)
        if m and m["file"] == "usage_errors.py":
            reported[int(m["line"])] = m["code"]
    assert reported == expected, _mypy()[1]


# -- servers ---------------------------------------------------------------------------------------


def _payload(gen: SimpleNamespace, size: int) -> Any:
    return gen.pb.Payload(body=bytes(size))


def sync_servicer(gen: SimpleNamespace) -> Any:
    pb = gen.pb

    class Impl(gen.svc.TestServiceServicer):
        """TestService, blocking; UnimplementedCall is left to the base class."""

        def __init__(self) -> None:
            self.last = 0
            self.notified: queue.SimpleQueue[int] = queue.SimpleQueue()

        def EmptyCall(self, request: Any, context: protozmq.ServicerContext) -> Any:
            return gen.empty()

        def UnaryCall(self, request: Any, context: protozmq.ServicerContext) -> Any:
            if request.response_status.code:
                context.abort(request.response_status.code, request.response_status.message)
            if request.echo_metadata:
                value = context.invocation_metadata().get("x-echo", "")
                context.set_header("x-echo", value)
                context.set_trailer("x-echo-trailer", value)
            return pb.SimpleResponse(payload=_payload(gen, request.response_size))

        def StreamingOutputCall(self, request: Any, context: protozmq.ServicerContext) -> Iterator[Any]:
            for p in request.response_parameters:
                yield pb.StreamingOutputCallResponse(payload=_payload(gen, p.size))

        def StreamingInputCall(self, request_iterator: Iterator[Any], context: protozmq.ServicerContext) -> Any:
            return pb.StreamingInputCallResponse(aggregated_payload_size=sum(len(r.payload.body) for r in request_iterator))

        def FullDuplexCall(self, request_iterator: Iterator[Any], context: protozmq.ServicerContext) -> Iterator[Any]:
            for r in request_iterator:
                yield pb.StreamingOutputCallResponse(payload=_payload(gen, r.response_parameters[0].size))

        def Notify(self, request: Any, context: protozmq.ServicerContext) -> None:
            self.last = request.seq
            self.notified.put(request.seq)

        def LastNotified(self, request: Any, context: protozmq.ServicerContext) -> Any:
            return pb.Ping(seq=self.last)

    return Impl()


def async_servicer(gen: SimpleNamespace) -> Any:
    pb = gen.pb

    class AsyncImpl(gen.svc.TestServiceAsyncServicer):
        """TestService, asyncio; UnimplementedCall is left to the base class."""

        def __init__(self) -> None:
            self.last = 0
            self.notified: queue.SimpleQueue[int] = queue.SimpleQueue()

        async def EmptyCall(self, request: Any, context: protozmq.ServicerContext) -> Any:
            return gen.empty()

        async def UnaryCall(self, request: Any, context: protozmq.ServicerContext) -> Any:
            if request.response_status.code:
                raise protozmq.RpcError(request.response_status.code, request.response_status.message)
            if request.echo_metadata:
                value = context.invocation_metadata().get("x-echo", "")
                context.set_header("x-echo", value)
                context.set_trailer("x-echo-trailer", value)
            await asyncio.sleep(0)
            return pb.SimpleResponse(payload=_payload(gen, request.response_size))

        async def StreamingOutputCall(self, request: Any, context: protozmq.ServicerContext) -> AsyncIterator[Any]:
            for p in request.response_parameters:
                yield pb.StreamingOutputCallResponse(payload=_payload(gen, p.size))

        async def StreamingInputCall(self, request_iterator: AsyncIterator[Any], context: protozmq.ServicerContext) -> Any:
            return pb.StreamingInputCallResponse(aggregated_payload_size=sum([len(r.payload.body) async for r in request_iterator]))

        async def FullDuplexCall(self, request_iterator: AsyncIterator[Any], context: protozmq.ServicerContext) -> AsyncIterator[Any]:
            async for r in request_iterator:
                yield pb.StreamingOutputCallResponse(payload=_payload(gen, r.response_parameters[0].size))

        async def Notify(self, request: Any, context: protozmq.ServicerContext) -> None:
            self.last = request.seq
            self.notified.put(request.seq)

        async def LastNotified(self, request: Any, context: protozmq.ServicerContext) -> Any:
            return pb.Ping(seq=self.last)

    return AsyncImpl()


class Running:
    """A started Server (blocking) or AsyncServer (on a loop thread of its own) with a TestService."""

    def __init__(self, gen: SimpleNamespace, flavour: str, ctx: zmq.Context[Any], endpoint: str) -> None:
        self.flavour = flavour
        if flavour == "blocking":
            self.servicer = sync_servicer(gen)
            self.server: Any = protozmq.Server(context=ctx, max_workers=4)
            gen.svc.add_TestServiceServicer_to_server(self.servicer, self.server)
            self.endpoint = self.server.bind(endpoint)
            self.server.start()
            return
        self.servicer = async_servicer(gen)
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, name="test-async-server", daemon=True)
        self.thread.start()

        async def setup() -> tuple[protozmq.AsyncServer, str]:
            server = protozmq.AsyncServer(context=ctx)
            gen.svc.add_TestServiceServicer_to_server(self.servicer, server)
            bound = server.bind(endpoint)
            await server.start()
            return server, bound

        self.server, self.endpoint = asyncio.run_coroutine_threadsafe(setup(), self.loop).result(TIMEOUT)

    def stop(self) -> None:
        if self.flavour == "blocking":
            self.server.stop(None)
            return
        asyncio.run_coroutine_threadsafe(self.server.stop(None), self.loop).result(TIMEOUT)
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(TIMEOUT)
        self.loop.close()


@pytest.fixture
def serve(gen: SimpleNamespace, zctx: zmq.Context[Any]) -> Iterator[Callable[[str, str], Running]]:
    started: list[Running] = []

    def start(flavour: str, endpoint: str) -> Running:
        started.append(Running(gen, flavour, zctx, endpoint))
        return started[-1]

    yield start
    for running in started:
        running.stop()


# -- end to end ------------------------------------------------------------------------------------


def call_everything(gen: SimpleNamespace, channel: protozmq.Channel, servicer: Any) -> None:
    """Every method of TestService, and UnimplementedService, through the blocking client."""
    pb, empty = gen.pb, gen.empty
    client = gen.svc.TestServiceClient(channel)
    assert client.EmptyCall(empty(), timeout=TIMEOUT) == empty()
    assert client.UnaryCall(pb.SimpleRequest(response_size=3), timeout=TIMEOUT).payload.body == bytes(3)
    reply, info = client.UnaryCall(pb.SimpleRequest(echo_metadata=True), metadata={"x-echo": "hi"}, with_call=True, timeout=TIMEOUT)
    assert (reply.payload.body, info.code, info.headers.get("x-echo"), info.trailers.get("x-echo-trailer")) == (b"", StatusCode.OK, "hi", "hi")
    with pytest.raises(protozmq.RpcError) as failed:
        client.UnaryCall(pb.SimpleRequest(response_status=pb.EchoStatus(code=5, message="no such ünit")), timeout=TIMEOUT)
    assert (failed.value.code, failed.value.message) == (StatusCode.NOT_FOUND, "no such ünit")

    request = pb.StreamingOutputCallRequest(response_parameters=[pb.ResponseParameters(size=n) for n in (1, 2, 3)])
    with client.StreamingOutputCall(request, timeout=TIMEOUT) as stream:
        assert [len(r.payload.body) for r in stream] == [1, 2, 3]
    inputs = (pb.StreamingInputCallRequest(payload=_payload(gen, n)) for n in (1, 2, 3))
    assert client.StreamingInputCall(inputs, timeout=TIMEOUT).aggregated_payload_size == 6
    total, info = client.StreamingInputCall([], timeout=TIMEOUT, with_call=True)
    assert (total.aggregated_payload_size, info.code) == (0, StatusCode.OK)

    def ping(n: int) -> Any:
        return pb.StreamingOutputCallRequest(response_parameters=[pb.ResponseParameters(size=n)])

    with client.FullDuplexCall(timeout=TIMEOUT) as chat:  # ping-pong: one response per request
        for n in (4, 5):
            assert chat.write(ping(n))
            assert len(next(chat).payload.body) == n
        chat.done_writing()
        assert list(chat) == []
    assert [len(r.payload.body) for r in client.FullDuplexCall([ping(6), ping(7)], timeout=TIMEOUT)] == [6, 7]

    assert client.Notify(pb.Ping(seq=7), timeout=TIMEOUT) is None
    assert servicer.notified.get(timeout=TIMEOUT) == 7
    assert client.LastNotified(empty(), timeout=TIMEOUT).seq == 7

    for call, message in unimplemented(client, gen.svc.UnimplementedServiceClient(channel)):
        with pytest.raises(protozmq.RpcError) as failed:
            call(empty(), timeout=TIMEOUT)
        assert (failed.value.code, failed.value.message) == (StatusCode.UNIMPLEMENTED, message)


def unimplemented(client: Any, other: Any) -> list[tuple[Any, str]]:
    """The calls that must fail UNIMPLEMENTED, with the message: the servicer base class's for a method
    the servicer did not override, the server's own for a service nobody registered."""
    return [
        (client.UnimplementedCall, "method protozmq.fixtures.interop.TestService/UnimplementedCall is not implemented"),
        (other.UnimplementedCall, "unknown service protozmq.fixtures.interop.UnimplementedService"),
    ]


async def call_everything_async(gen: SimpleNamespace, endpoint: str, ctx: zmq.Context[Any], servicer: Any) -> None:
    """Every method of TestService, and UnimplementedService, through the asyncio client."""
    pb, empty = gen.pb, gen.empty
    async with protozmq.AsyncChannel(endpoint, context=ctx) as channel:
        client = gen.svc.TestServiceAsyncClient(channel)
        assert await client.EmptyCall(empty(), timeout=TIMEOUT) == empty()
        reply, info = await client.UnaryCall(pb.SimpleRequest(response_size=2, echo_metadata=True), metadata={"x-echo": "ho"}, with_call=True)
        assert (reply.payload.body, info.headers.get("x-echo")) == (bytes(2), "ho")
        with pytest.raises(protozmq.RpcError) as failed:
            await client.UnaryCall(pb.SimpleRequest(response_status=pb.EchoStatus(code=9, message="later")), timeout=TIMEOUT)
        assert (failed.value.code, failed.value.message) == (StatusCode.FAILED_PRECONDITION, "later")

        request = pb.StreamingOutputCallRequest(response_parameters=[pb.ResponseParameters(size=n) for n in (3, 1)])
        assert [len(r.payload.body) async for r in client.StreamingOutputCall(request, timeout=TIMEOUT)] == [3, 1]

        async def inputs() -> AsyncIterator[Any]:
            for n in (2, 4):
                yield pb.StreamingInputCallRequest(payload=_payload(gen, n))

        assert (await client.StreamingInputCall(inputs(), timeout=TIMEOUT)).aggregated_payload_size == 6
        assert (await client.StreamingInputCall([pb.StreamingInputCallRequest(payload=_payload(gen, 5))])).aggregated_payload_size == 5

        def ping(n: int) -> Any:
            return pb.StreamingOutputCallRequest(response_parameters=[pb.ResponseParameters(size=n)])

        chat = client.FullDuplexCall(timeout=TIMEOUT)
        for n in (4, 5):
            assert await chat.write(ping(n))
            assert len((await anext(chat)).payload.body) == n
        await chat.done_writing()
        assert [r async for r in chat] == []
        assert [len(r.payload.body) async for r in client.FullDuplexCall([ping(8), ping(9)], timeout=TIMEOUT)] == [8, 9]

        assert await client.Notify(pb.Ping(seq=8), timeout=TIMEOUT) is None
        assert await asyncio.to_thread(servicer.notified.get, timeout=TIMEOUT) == 8
        assert (await client.LastNotified(empty(), timeout=TIMEOUT)).seq == 8

        for call, message in unimplemented(client, gen.svc.UnimplementedServiceAsyncClient(channel)):
            with pytest.raises(protozmq.RpcError) as failed:
                await call(empty(), timeout=TIMEOUT)
            assert (failed.value.code, failed.value.message) == (StatusCode.UNIMPLEMENTED, message)


@pytest.mark.parametrize("flavour", ["blocking", "asyncio"])
def test_every_call_shape_end_to_end(gen: SimpleNamespace, serve: Callable[[str, str], Running], zctx: zmq.Context[Any], endpoint: str, flavour: str) -> None:
    running = serve(flavour, endpoint)
    with protozmq.Channel(running.endpoint, context=zctx) as channel:
        call_everything(gen, channel, running.servicer)
    asyncio.run(call_everything_async(gen, running.endpoint, zctx, running.servicer))


# -- names, deprecation, registration --------------------------------------------------------------


def test_escaped_method_names_call_the_schema_paths(gen: SimpleNamespace, zctx: zmq.Context[Any]) -> None:
    edge, pb = gen.edge, gen.edge_pb
    thing = gen.types_pb.Thing

    class Odd(edge.OddServicer):
        def class_(self, request: Any, context: protozmq.ServicerContext) -> Any:
            assert context.method == "edge.v1.Odd/class"
            return pb.Req.Inner(s=str(request.id))

        def class__(self, request: Any, context: protozmq.ServicerContext) -> Iterator[Any]:
            assert context.method == "edge.v1.Odd/class_"
            yield thing(name=request.name * 2)

    server = protozmq.Server(context=zctx, max_workers=2)
    edge.add_OddServicer_to_server(Odd(), server)
    edge.add_LegacyServicer_to_server(edge.LegacyServicer(), server)
    with pytest.raises(ValueError, match="already registered"):
        edge.add_OddServicer_to_server(Odd(), server)
    with pytest.raises(TypeError, match="needs a protozmq.AsyncServer"):
        edge.add_OddServicer_to_server(edge.OddAsyncServicer(), server)
    server.bind("inproc://pzmq-services-odd")
    server.start()
    try:
        with protozmq.Channel("inproc://pzmq-services-odd", context=zctx) as channel:
            client = edge.OddClient(channel)
            assert client.class_(pb.Req(id=4), timeout=TIMEOUT).s == "4"
            assert [t.name for t in client.class__(thing(name="ab"), timeout=TIMEOUT)] == ["abab"]
            with pytest.raises(protozmq.RpcError, match="edge.v1.Odd/_channel is not implemented"):
                client._channel_(gen.empty(), timeout=TIMEOUT)
            with pytest.warns(DeprecationWarning, match=r"^edge.v1.Odd/Old is deprecated$"):
                with pytest.raises(protozmq.RpcError, match="UNIMPLEMENTED"):
                    client.Old(pb.Req(), timeout=TIMEOUT)
            with pytest.warns(DeprecationWarning, match=r"^edge.v1.Legacy is deprecated$"):
                edge.LegacyClient(channel)
    finally:
        server.stop(None)


def test_an_async_servicer_is_refused_by_a_blocking_server_and_vice_versa(gen: SimpleNamespace, zctx: zmq.Context[Any]) -> None:
    server = protozmq.Server(context=zctx)
    aio_server = protozmq.AsyncServer(context=zctx)
    try:
        with pytest.raises(TypeError, match="TestServiceAsyncServicer needs a protozmq.AsyncServer"):
            gen.svc.add_TestServiceServicer_to_server(gen.svc.TestServiceAsyncServicer(), server)
        with pytest.raises(TypeError, match=r"TestServiceServicer \(blocking\) needs a protozmq.Server"):
            gen.svc.add_TestServiceServicer_to_server(gen.svc.TestServiceServicer(), aio_server)
    finally:
        server.stop(None)
        asyncio.run(aio_server.stop(None))
