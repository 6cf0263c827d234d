"""The fast paths of issue #5 keep the runtime's semantics.

Blocking ``Server``: unary handlers run on the I/O thread while they are fast; one that runs long
gets the socket moved to a new I/O thread, and its method moves to the pool::

    client A --REQUEST Block--> I/O thread: handler blocks (inline)
                                 sentinel, 10-20 ms later: new I/O thread takes the ROUTER
    client B --REQUEST Unary--> new I/O thread answers at once; Block answers when released

``Channel``: a caller reads the socket itself while nobody else does (leader), or waits for the
reader to hand it its reply (follower); deadlines hold in both roles. ``AsyncServer``: a handler's
first step runs at once, as a real task (current task, ``asyncio.timeout``, contextvars per call);
one that suspends is adopted by that task.
"""

from __future__ import annotations

import asyncio
import contextvars
import threading
import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest
import zmq
from google.protobuf.wrappers_pb2 import StringValue as S

import pzmq_testkit as kit
from conftest import ServerHandle
from protozmq import AsyncChannel, AsyncServer, Channel, MethodDescriptor, RpcError, Server, ServicerContext, StatusCode
from protozmq import protocol as P

BLOCK = MethodDescriptor.for_messages("test.Fast/Block", "unary", S, S)  # waits for a test's Event
WHERE = MethodDescriptor.for_messages("test.Fast/Where", "unary", S, S)  # answers its thread's name
ECHO = MethodDescriptor.for_messages("test.Fast/Echo", "unary", S, S)


@pytest.fixture
def blocking_server(zctx: zmq.Context[Any], endpoint: str) -> Iterator[tuple[Server, str, threading.Event]]:
    release = threading.Event()
    server = Server(context=zctx, max_workers=4)

    def block(request: S, context: ServicerContext) -> S:
        release.wait(float(request.value))
        return S(value=threading.current_thread().name)

    server.add_method(BLOCK, block)
    server.add_method(WHERE, lambda request, context: S(value=threading.current_thread().name))
    server.add_method(ECHO, lambda request, context: request)
    bound = server.bind(endpoint)
    server.start()
    try:
        yield server, bound, release
    finally:
        release.set()
        server.stop()


def test_fast_unary_handlers_run_on_the_io_thread(
    blocking_server: tuple[Server, str, threading.Event], make_channel: Callable[..., Channel]
) -> None:
    _, endpoint, _ = blocking_server
    channel = make_channel(endpoint)
    assert channel.unary(WHERE, S(), timeout=5).value == "protozmq-server"


def test_inline_can_be_turned_off(zctx: zmq.Context[Any], endpoint: str, make_channel: Callable[..., Channel]) -> None:
    where = lambda request, context: S(value=threading.current_thread().name)  # noqa: E731
    other = MethodDescriptor.for_messages("test.Fast/Other", "unary", S, S)
    for inline, pin, expect in ((False, None, "protozmq-worker"), (True, False, "protozmq-worker"), (False, True, "protozmq-server")):
        server = Server(context=zctx, inline=inline)
        server.add_method(WHERE, where, inline=pin)
        server.add_method(other, where)
        bound = server.bind(endpoint if endpoint.startswith("tcp") else f"{endpoint}.{inline}{pin}")
        server.start()
        try:
            channel = make_channel(bound)
            assert channel.unary(WHERE, S(), timeout=5).value.startswith(expect)
            assert channel.unary(other, S(), timeout=5).value.startswith("protozmq-server" if inline else "protozmq-worker")
        finally:
            server.stop()


def test_long_inline_handler_does_not_hold_up_other_calls(
    blocking_server: tuple[Server, str, threading.Event], make_channel: Callable[..., Channel]
) -> None:
    # Block runs inline (its method is new, so presumed fast) and blocks the I/O thread; the
    # sentinel moves the I/O to a new thread, so Echo calls keep being answered meanwhile.
    server, endpoint, release = blocking_server
    channel = make_channel(endpoint)
    result: dict[str, Any] = {}
    t = threading.Thread(target=lambda: result.setdefault("block", channel.unary(BLOCK, S(value="10"), timeout=10)))
    t.start()
    time.sleep(0.05)
    start = time.monotonic()
    for i in range(20):
        assert channel.unary(ECHO, S(value=str(i)), timeout=2).value == str(i)
    assert time.monotonic() - start < 1.0
    assert t.is_alive()  # Block is still waiting: it was not the I/O thread that answered
    release.set()
    t.join(5)
    assert result["block"].value == "protozmq-server"  # it started inline...
    # ...and its method now runs on the pool.
    assert channel.unary(BLOCK, S(value="0"), timeout=5).value.startswith("protozmq-worker")
    assert channel.unary(WHERE, S(), timeout=5).value == "protozmq-server"  # the new I/O thread


def test_take_over_continues_a_batched_message(
    blocking_server: tuple[Server, str, threading.Event], zctx: zmq.Context[Any]
) -> None:
    # One message: [REQUEST Block, REQUEST Echo "after"]. Block blocks the I/O thread; the thread
    # that takes over must still run the Echo that came behind it in the same message.
    _, endpoint, release = blocking_server
    dealer = zctx.socket(zmq.DEALER)
    dealer.setsockopt(zmq.LINGER, 0)
    try:
        dealer.connect(endpoint)
        dealer.send_multipart([
            P.encode_request(1, 3, 0, BLOCK.path_bytes), S(value="10").SerializeToString(),
            P.encode_request(2, 3, 0, ECHO.path_bytes), S(value="after").SerializeToString(),
        ])
        assert dealer.poll(2000), "the packet behind the blocked handler was not answered"
        [(h, message, _)] = kit.packets(dealer.recv_multipart())
        assert h.call_id == 2
        assert S.FromString(message).value == "after"
        release.set()
        assert dealer.poll(3000)
        assert kit.packets(dealer.recv_multipart())[0][0].call_id == 1
    finally:
        dealer.close(linger=0)


def test_follower_deadline_while_another_thread_reads(channel: Channel, server: ServerHandle) -> None:
    # Thread A leads (reads the socket) waiting for Sleep(0.5); the main thread follows with a
    # 0.1 s deadline, fails on time, and A still gets its reply.
    result: dict[str, Any] = {}
    t = threading.Thread(target=lambda: result.setdefault("a", channel.unary(kit.SLEEP, S(value="0.5"), timeout=5)))
    t.start()
    assert server.rec.sleep_started.wait(3)
    start = time.monotonic()
    with pytest.raises(RpcError) as err:
        channel.unary(kit.SLEEP, S(value="5"), timeout=0.1)
    assert err.value.code is StatusCode.DEADLINE_EXCEEDED
    assert time.monotonic() - start < 0.6
    t.join(5)
    assert result["a"].value == "slept"


def test_leader_deadline_hands_the_socket_on(channel: Channel, server: ServerHandle) -> None:
    # The leader gives up at its deadline; the caller waiting behind it must still be answered.
    result: dict[str, Any] = {}
    started = threading.Event()

    def lead() -> None:
        started.set()
        try:
            channel.unary(kit.SLEEP, S(value="5"), timeout=0.15)
        except RpcError as e:
            result["lead"] = e.code

    t = threading.Thread(target=lead)
    t.start()
    started.wait(3)
    time.sleep(0.02)
    assert channel.unary(kit.SLEEP, S(value="0.4"), timeout=5).value == "slept"
    t.join(5)
    assert result["lead"] is StatusCode.DEADLINE_EXCEEDED


def test_unary_calls_while_a_stream_is_read_slowly(channel: Channel) -> None:
    # An open stream that nobody is iterating keeps the channel's I/O thread reading; unary
    # calls from other threads meanwhile follow it, then lead again once the stream is done.
    stream = channel.server_stream(kit.STREAM, S(value="200"), timeout=10)
    errors: list[BaseException] = []

    def calls(n: int) -> None:
        try:
            for i in range(50):
                assert channel.unary(kit.UNARY, S(value=f"{n}-{i}"), timeout=5).value == f"{n}-{i}"
        except BaseException as e:  # noqa: BLE001 - reported below
            errors.append(e)

    threads = [threading.Thread(target=calls, args=(n,)) for n in range(3)]
    for t in threads:
        t.start()
    got = []
    for reply in stream:
        got.append(reply.value)
        if len(got) % 50 == 0:
            time.sleep(0.01)
    for t in threads:
        t.join(10)
    assert not errors
    assert got == [str(i) for i in range(200)]
    assert channel.unary(kit.UNARY, S(value="last"), timeout=5).value == "last"


AS_TASK = MethodDescriptor.for_messages("test.Fast/AsTask", "unary", S, S)
TIMES_OUT = MethodDescriptor.for_messages("test.Fast/TimesOut", "unary", S, S)
GROUP = MethodDescriptor.for_messages("test.Fast/Group", "unary", S, S)
VAR = MethodDescriptor.for_messages("test.Fast/Var", "unary", S, S)
_request_var: contextvars.ContextVar[str] = contextvars.ContextVar("request_var", default="unset")


def test_async_handlers_run_as_real_tasks(zctx: zmq.Context[Any], endpoint: str) -> None:
    async def as_task(request: S, context: ServicerContext) -> S:
        # Completes in its first step (eagerly, no task created) or after a suspension.
        task = asyncio.current_task()
        assert task is not None
        async with asyncio.timeout(5):
            if request.value == "suspend":
                await asyncio.sleep(0.01)
        assert asyncio.current_task() is task
        return S(value="ok")

    async def times_out(request: S, context: ServicerContext) -> S:
        # The timeout captured the current task during the eager first step: when it expires,
        # it must cancel the task that actually runs the handler by then.
        try:
            async with asyncio.timeout(0.05):
                await asyncio.sleep(5)
        except TimeoutError:
            return S(value="timed out")
        return S(value="slept")

    async def group(request: S, context: ServicerContext) -> S:
        async with asyncio.TaskGroup() as tg:
            a = tg.create_task(asyncio.sleep(0.01, "a"))
            b = tg.create_task(asyncio.sleep(0.02, "b"))
        return S(value=a.result() + b.result())

    async def var(request: S, context: ServicerContext) -> S:
        # contextvars are per call, even though no task is made for calls that do not suspend.
        before = _request_var.get()
        _request_var.set(request.value)
        if request.value.endswith("suspend"):
            await asyncio.sleep(0)
        assert _request_var.get() == request.value
        return S(value=before)

    async def main() -> None:
        server = AsyncServer(context=zctx)
        server.add_method(AS_TASK, as_task)
        server.add_method(TIMES_OUT, times_out)
        server.add_method(GROUP, group)
        server.add_method(VAR, var)
        bound = server.bind(endpoint)
        await server.start()
        try:
            async with AsyncChannel(bound, context=zctx) as ch:
                for value in ("now", "suspend", "now"):
                    assert (await ch.unary(AS_TASK, S(value=value), timeout=5)).value == "ok"
                assert (await ch.unary(TIMES_OUT, S(), timeout=5)).value == "timed out"
                assert (await ch.unary(GROUP, S(), timeout=5)).value == "ab"
                for value in ("1", "2-suspend", "3", "4-suspend"):
                    assert (await ch.unary(VAR, S(value=value), timeout=5)).value == "unset"
                replies = await asyncio.gather(*(ch.unary(VAR, S(value=f"{i}-suspend"), timeout=5) for i in range(20)))
                assert {r.value for r in replies} == {"unset"}
        finally:
            await server.stop()
        # stop() leaves no task behind (the parked task that adopts suspended handlers included).
        assert [t for t in asyncio.all_tasks() if t.get_coro().__qualname__ == "_adopt"] == []  # type: ignore[union-attr]

    asyncio.run(asyncio.wait_for(main(), 20))


SLEEPY = MethodDescriptor.for_messages("test.Fast/Sleepy", "unary", S, S)


def test_cancel_read_with_its_request_reaches_a_suspended_handler(zctx: zmq.Context[Any], endpoint: str) -> None:
    # One message carries a REQUEST and the CANCEL of the same call, so the server reads both in
    # one callback: the handler's first step runs at once and suspends (adopted by a task), then
    # the CANCEL cancels that task. The handler must see CancelledError, as any task would.
    #
    #   DEALER --[REQUEST 7, payload, CANCEL 7, ""]--> AsyncServer: step 1 of Sleepy (sleep 5 s)
    #                                                   CANCEL 7 -> the handler's task is cancelled
    seen: asyncio.Queue[str] | None = None

    async def sleepy(request: S, context: ServicerContext) -> S:
        assert seen is not None
        try:
            await asyncio.sleep(5)
        except asyncio.CancelledError:
            seen.put_nowait("cancelled")
            raise
        seen.put_nowait("finished")
        return S()

    async def main() -> None:
        nonlocal seen
        seen = asyncio.Queue()
        server = AsyncServer(context=zctx)
        server.add_method(SLEEPY, sleepy)
        bound = server.bind(endpoint)
        await server.start()
        dealer = zctx.socket(zmq.DEALER)
        try:
            dealer.connect(bound)
            request = P.encode_request(7, int(P.Flag.HAS_MESSAGE | P.Flag.END), 0, SLEEPY.path_bytes, None)
            cancel = P.encode_simple(int(P.Kind.CANCEL), 0, 7, None)
            dealer.send_multipart([request, S(value="x").SerializeToString(), cancel, b""])
            assert await asyncio.wait_for(seen.get(), 3) == "cancelled"
        finally:
            dealer.close(linger=0)
            await server.stop()

    asyncio.run(asyncio.wait_for(main(), 20))


def test_async_channel_lone_and_concurrent_callers(zctx: zmq.Context[Any], server: ServerHandle) -> None:
    # A lone caller sends at once and is resumed by the reader; concurrent callers still batch.
    async def main() -> None:
        async with AsyncChannel(server.endpoint, context=zctx) as ch:
            for i in range(50):
                assert (await ch.unary(kit.UNARY, S(value=str(i)), timeout=5)).value == str(i)
            replies = await asyncio.gather(*(ch.unary(kit.UNARY, S(value=str(i)), timeout=5) for i in range(100)))
            assert [r.value for r in replies] == [str(i) for i in range(100)]
            other = asyncio.ensure_future(asyncio.sleep(0.01, "other"))
            assert (await ch.unary(kit.UNARY, S(value="x"), timeout=5)).value == "x"
            assert await other == "other"

    asyncio.run(asyncio.wait_for(main(), 20))


# -- Channel: a lone caller's unary call without metadata (_unary_alone) ------------------------------
#
#   caller A (lone)                       caller B                       DEALER
#     send REQUEST a  --------------------------------------------------->
#     blocking recv (at most 5 ms)        outbox += REQUEST b, (follows; channel "crowded")
#     times out: on as leader (_next_item, polls [DEALER, waker])
#     send REQUEST b  --------------------------------------------------->
#     recv TRAILERS b, queue it to B  <------------------------------------
#     recv TRAILERS a  <---------------------------------------------------
#
# While crowded (other threads used the channel lately), A polls from the start: B's wake-up
# ends A's wait at once.


def _count_alone(channel: Channel) -> list[str]:
    """Record what each _unary_alone call returned: "reply", "general" (the call goes on as
    usual) or "skipped"."""
    seen: list[str] = []
    inner = channel._unary_alone

    def counted(*args: Any) -> Any:
        got = inner(*args)
        seen.append("reply" if type(got) is bytes else "skipped" if got is None else "general")
        return got

    channel._unary_alone = counted  # type: ignore[method-assign]
    return seen


def _in_thread(fn: Callable[[], Any]) -> tuple[threading.Thread, dict[str, Any]]:
    out: dict[str, Any] = {}

    def run() -> None:
        try:
            out["value"] = fn()
        except BaseException as e:  # noqa: BLE001 - checked by the test
            out["error"] = e

    t = threading.Thread(target=run, daemon=True)  # a hang fails the test's join, not the run
    t.start()
    return t, out


def test_lone_caller_takes_the_one_piece_path(channel: Channel) -> None:
    # Big answers a bare OK (no headers, no trailers): the usual reply, taken in one piece once
    # connected (the first call may wait for the connection on the general path). (A longer
    # bound on the blocking receive than _ALONE_WAIT_MS: a busy test machine must not turn a
    # reply into a "general" one here.)
    channel._sock.setsockopt(zmq.RCVTIMEO, 3000)
    assert channel.unary(kit.BIG, S(value="0"), timeout=5).value == ""
    seen = _count_alone(channel)
    for i in range(20):
        assert channel.unary(kit.BIG, S(value=str(i))).value == "x" * i
    assert seen == ["reply"] * 20
    # Other replies go on through the general path, with the same results as with a deadline:
    # trailers, an error status with details, a crash, a reply of several fragments.
    assert channel.unary(kit.UNARY, S(value="u")).value == "u"
    _, info = channel.unary(kit.UNARY, S(value="u"), with_call=True)
    assert info.trailers.get("x-method") == "test.Echo/Unary"
    with pytest.raises(RpcError) as err:
        channel.unary(kit.FAIL, S(value="9|nope"))
    assert err.value.code is StatusCode.FAILED_PRECONDITION and err.value.message == "nope"
    assert err.value.trailers is not None and err.value.trailers.get("x-reason") == "asked"
    with pytest.raises(RpcError) as crash:
        channel.unary(kit.CRASH, S(value="boom"))
    assert crash.value.code is StatusCode.UNKNOWN
    assert len(channel.unary(kit.BIG, S(value="200000")).value) == 200000
    assert seen[20:] == ["general", "general", "general", "reply"]  # (with_call: not tried)
    # A deadline: the same path. Metadata: the general path from the start.
    assert channel.unary(kit.BIG, S(value="2"), timeout=5).value == "xx"
    assert seen[-1] == "reply"
    _, info = channel.unary(kit.UNARY, S(value="m"), metadata={"x-k": "v"}, with_call=True)
    assert info.headers.get("x-k") == "v"
    assert channel.unary(kit.UNARY, S(value="m"), metadata={"x-k": "v"}).value == "m"
    assert len(seen) == 25
    assert channel.unary(kit.BIG, S(value="1")).value == "x"
    assert seen[-1] == "reply"


def test_lone_caller_deadline(channel: Channel) -> None:
    # The one-piece path's wait ends at the deadline; the call fails DEADLINE_EXCEEDED on time
    # and the channel works on (the late reply is ignored).
    assert channel.unary(kit.BIG, S(value="0"), timeout=5).value == ""  # connected
    seen = _count_alone(channel)
    start = time.monotonic()
    with pytest.raises(RpcError) as err:
        channel.unary(kit.SLEEP, S(value="0.5"), timeout=0.1)
    assert err.value.code is StatusCode.DEADLINE_EXCEEDED
    assert 0.09 < time.monotonic() - start < 0.45
    assert seen == ["general"]
    assert channel.unary(kit.BIG, S(value="4"), timeout=5).value == "xxxx"
    _role_released(channel)


def _role_released(channel: Channel) -> None:
    # (The channel's I/O thread may hold the role a moment longer, e.g. while the late reply of
    # an abandoned call can still come: it lets go once no call is open.)
    deadline = time.monotonic() + 2
    while channel._reader is not None and time.monotonic() < deadline:
        time.sleep(0.01)
    assert channel._reader is None


def test_lone_caller_is_woken_for_a_follower(channel: Channel, server: ServerHandle) -> None:
    # A waits in the one-piece path for Sleep(0.6); B's REQUEST must go out within the blocking
    # receive's bound (5 ms; then A polls and is woken to send it), so B is answered long before A.
    assert channel.unary(kit.BIG, S(value="0"), timeout=5).value == ""  # connected
    seen = _count_alone(channel)
    t, out = _in_thread(lambda: channel.unary(kit.SLEEP, S(value="0.6")))
    assert server.rec.sleep_started.wait(3)
    start = time.monotonic()
    assert channel.unary(kit.UNARY, S(value="b"), timeout=5).value == "b"
    assert time.monotonic() - start < 0.4
    t.join(5)
    assert not t.is_alive()
    assert out["value"].value == "slept"
    # A was woken out of the one-piece path and went on as leader; B found the role taken.
    assert sorted(seen[:2]) == ["general", "skipped"]
    assert channel.unary(kit.BIG, S(value="3")).value == "xxx"
    assert seen[-1] == "reply"


def test_crowded_lone_caller_polls_and_is_woken_at_once(channel: Channel, server: ServerHandle) -> None:
    # After a sign of another thread (here a follower), lone calls wait in zmq_poll: a follower
    # arriving then is sent at once even if the blocking receive's bound were long. (The bound
    # is raised to 3 s to tell the two waits apart: the blocking one would hold B that long.)
    assert channel.unary(kit.BIG, S(value="0"), timeout=5).value == ""  # connected
    channel._sock.setsockopt(zmq.RCVTIMEO, 3000)
    t, out = _in_thread(lambda: channel.unary(kit.SLEEP, S(value="0.2")))
    assert server.rec.sleep_started.wait(3)
    assert channel.unary(kit.UNARY, S(value="b"), timeout=5).value == "b"  # follows: crowded now
    t.join(5)
    assert not t.is_alive() and out["value"].value == "slept"
    assert channel._crowded > 0
    server.rec.sleep_started.clear()
    seen = _count_alone(channel)
    t, out = _in_thread(lambda: channel.unary(kit.SLEEP, S(value="1.5")))
    assert server.rec.sleep_started.wait(3)
    start = time.monotonic()
    assert channel.unary(kit.UNARY, S(value="c"), timeout=5).value == "c"
    assert time.monotonic() - start < 1.0, "the crowded lone caller waited deaf to a follower"
    t.join(5)
    assert not t.is_alive() and out["value"].value == "slept"
    assert sorted(seen[:2]) == ["general", "skipped"]
    _role_released(channel)


def test_lone_caller_short_deadline_is_kept(channel: Channel) -> None:
    # A deadline sooner than the blocking receive's bound: the call waits in zmq_poll and fails
    # on time, not at the bound.
    assert channel.unary(kit.BIG, S(value="0"), timeout=5).value == ""  # connected
    channel._sock.setsockopt(zmq.RCVTIMEO, 3000)  # (a blocking wait would show as ~3 s)
    start = time.monotonic()
    with pytest.raises(RpcError) as err:
        channel.unary(kit.SLEEP, S(value="2"), timeout=0.004)
    assert err.value.code is StatusCode.DEADLINE_EXCEEDED
    assert time.monotonic() - start < 1.0
    assert channel.unary(kit.BIG, S(value="2"), timeout=5).value == "xx"


def test_lone_caller_fails_on_close(channel: Channel, server: ServerHandle) -> None:
    t, out = _in_thread(lambda: channel.unary(kit.SLEEP, S(value="5")))
    assert server.rec.sleep_started.wait(3)
    start = time.monotonic()
    channel.close()
    t.join(3)
    assert not t.is_alive(), "the lone caller hung in close()"
    assert isinstance(out.get("error"), RpcError) and out["error"].code is StatusCode.CANCELLED
    assert time.monotonic() - start < 2.0
    with pytest.raises(RpcError) as err:
        channel.unary(kit.UNARY, S())
    assert err.value.code is StatusCode.CANCELLED


def test_lone_callers_from_many_threads(channel: Channel) -> None:
    # Threads race for the role: some take the one-piece path, others follow; all get their
    # own replies, and the channel ends with nobody holding the role.
    errors: list[BaseException] = []

    def calls(n: int) -> None:
        try:
            for i in range(100):
                assert channel.unary(kit.UNARY, S(value=f"{n}-{i}")).value == f"{n}-{i}"
        except BaseException as e:  # noqa: BLE001 - reported below
            errors.append(e)

    threads = [threading.Thread(target=calls, args=(n,), daemon=True) for n in range(4)]
    for th in threads:
        th.start()
    for th in threads:
        th.join(20)
    assert not any(th.is_alive() for th in threads)
    assert not errors
    _role_released(channel)
