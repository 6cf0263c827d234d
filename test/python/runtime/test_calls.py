"""Blocking ``Channel`` against both server flavours, over inproc, ipc and tcp.

Message flow of a unary call (one packet each way)::

    Channel (DEALER)                         Server (ROUTER)
      REQUEST  flags=HAS_MESSAGE|END  ---->  handler(request, context)
               [metadata]
               <----  TRAILERS flags=END|HAS_MESSAGE, status, [headers], [trailers], response
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any

import pytest
from google.protobuf.wrappers_pb2 import StringValue as S

import pzmq_testkit as kit
from conftest import ServerHandle
from protozmq import Channel, Metadata, MethodDescriptor, RpcError, StatusCode


def test_unary_round_trip(channel: Channel) -> None:
    assert channel.unary(kit.UNARY, S(value="hello"), timeout=5).value == "hello"


def test_unary_many_sequential_calls(channel: Channel) -> None:
    for i in range(200):
        assert channel.unary(kit.UNARY, S(value=str(i)), timeout=5).value == str(i)


def test_metadata_headers_trailers_and_binary_values(channel: Channel) -> None:
    # REQUEST [metadata] ---> handler copies it into response headers, sets trailers
    #   <--- TRAILERS [headers = request metadata] [trailers x-method, echo-bin]
    md = Metadata([("x-user", "ada"), ("x-tag", "a"), ("x-tag", "b"), ("trace-bin", b"\x00\xff\x10")])
    reply, info = channel.unary(kit.UNARY, S(value="m"), metadata=md, timeout=5, with_call=True)
    assert reply.value == "m"
    assert info.code is StatusCode.OK
    assert info.headers == md
    assert info.trailers.get("x-method") == "test.Echo/Unary"
    assert info.trailers.get("echo-bin") == b"\x00\xffbin"


def test_metadata_as_pairs_and_mapping(channel: Channel) -> None:
    _, info = channel.unary(kit.UNARY, S(), metadata={"x-a": "1", "x-b": ["2", "3"]}, timeout=5, with_call=True)
    assert info.headers.entries() == [("x-a", "1"), ("x-b", "2"), ("x-b", "3")]


STATUS_MESSAGES = [
    "plain",
    "  leading and trailing whitespace\t\n ",
    "BMP: é ß → 中文",
    "non-BMP: 🦄 𝄞 😀",
    "",
]


@pytest.mark.parametrize("code", [c for c in StatusCode if c is not StatusCode.OK])
def test_every_status_code_round_trips(channel: Channel, code: StatusCode) -> None:
    # REQUEST "<code>|<message>" ---> handler raises RpcError(code, message, details, trailers)
    #   <--- TRAILERS status=code, message, details, trailers
    with pytest.raises(RpcError) as err:
        channel.unary(kit.FAIL, S(value=f"{int(code)}|msg {code.name}"), timeout=5)
    assert err.value.code is code
    assert err.value.message == f"msg {code.name}"
    assert err.value.details == b"\x08\x05detail"
    assert err.value.trailers.get("x-reason") == "asked"
    assert err.value.trailers.get("why-bin") == b"\x01\x02"


@pytest.mark.parametrize("message", STATUS_MESSAGES)
def test_status_messages_kept_exactly(channel: Channel, message: str) -> None:
    with pytest.raises(RpcError) as err:
        channel.unary(kit.FAIL, S(value=f"5|{message}"), timeout=5)
    assert err.value.code is StatusCode.NOT_FOUND
    assert err.value.message == message


def test_handler_exception_is_unknown_and_server_keeps_serving(channel: Channel) -> None:
    with pytest.raises(RpcError) as err:
        channel.unary(kit.CRASH, S(value="boom 💥"), timeout=5)
    assert err.value.code is StatusCode.UNKNOWN
    assert err.value.message == "boom 💥"
    assert channel.unary(kit.UNARY, S(value="still here"), timeout=5).value == "still here"


def test_unknown_method_is_unimplemented(channel: Channel) -> None:
    with pytest.raises(RpcError) as err:
        channel.unary(kit.UNKNOWN_METHOD, S(), timeout=5)
    assert err.value.code is StatusCode.UNIMPLEMENTED
    assert err.value.message == "unknown method test.Echo/Missing"


def test_unknown_service_is_unimplemented_and_named_as_the_ts_server_does(channel: Channel) -> None:
    # No method of other.Service is registered: the message names the service, not the method.
    with pytest.raises(RpcError) as err:
        channel.unary(MethodDescriptor.raw("other.Service/Call", "unary"), b"", timeout=5)
    assert (err.value.code, err.value.message) == (StatusCode.UNIMPLEMENTED, "unknown service other.Service")


def test_undecodable_request_is_invalid_argument(channel: Channel) -> None:
    raw = MethodDescriptor.raw("test.Echo/Unary", "unary")
    with pytest.raises(RpcError) as err:
        channel.unary(raw, b"\x0a\x02\xff\xfe", timeout=5)  # a string field with bad UTF-8
    assert err.value.code is StatusCode.INVALID_ARGUMENT
    assert channel.unary(raw, S(value="ok").SerializeToString(), timeout=5) == S(value="ok").SerializeToString()


def test_oversized_request_fails_locally(make_channel: Callable[..., Channel], server: ServerHandle) -> None:
    channel = make_channel(server.endpoint, max_message_bytes=1000)
    with pytest.raises(RpcError) as err:
        channel.unary(kit.UNARY, S(value="x" * 2000), timeout=5)
    assert err.value.code is StatusCode.RESOURCE_EXHAUSTED
    assert channel.unary(kit.UNARY, S(value="small"), timeout=5).value == "small"


def test_oversized_request_refused_by_server(
    make_server: Callable[..., ServerHandle], make_channel: Callable[..., Channel], flavour: str, endpoint: str
) -> None:
    server = make_server(flavour, endpoint, max_message_bytes=1000)
    channel = make_channel(server.endpoint)
    with pytest.raises(RpcError) as err:
        channel.unary(kit.UNARY, S(value="x" * 2000), timeout=5)
    assert err.value.code is StatusCode.RESOURCE_EXHAUSTED
    assert channel.unary(kit.UNARY, S(value="small"), timeout=5).value == "small"


def test_oversized_response(make_channel: Callable[..., Channel], server: ServerHandle) -> None:
    # Refused by the client's limit here; the server's own limit is the default 4 MiB.
    channel = make_channel(server.endpoint, max_message_bytes=1000)
    with pytest.raises(RpcError) as err:
        channel.unary(kit.BIG, S(value="5000"), timeout=5)
    assert err.value.code is StatusCode.RESOURCE_EXHAUSTED
    assert len(channel.unary(kit.BIG, S(value="10"), timeout=5).value) == 10


def test_oversized_response_refused_by_server(
    make_server: Callable[..., ServerHandle], make_channel: Callable[..., Channel], flavour: str, endpoint: str
) -> None:
    server = make_server(flavour, endpoint, max_message_bytes=1000)
    channel = make_channel(server.endpoint)
    with pytest.raises(RpcError) as err:
        channel.unary(kit.BIG, S(value="5000"), timeout=5)
    assert err.value.code is StatusCode.RESOURCE_EXHAUSTED


def test_deadline_exceeded_on_both_sides(channel: Channel, server: ServerHandle) -> None:
    # REQUEST timeout=100ms ---> handler sleeps 5 s
    # client: DEADLINE_EXCEEDED at 100 ms, CANCEL --->   server: handler cancelled (deadline)
    start = time.monotonic()
    with pytest.raises(RpcError) as err:
        channel.unary(kit.SLEEP, S(value="5"), timeout=0.1)
    elapsed = time.monotonic() - start
    assert err.value.code is StatusCode.DEADLINE_EXCEEDED
    assert 0.09 <= elapsed < 1.0
    seen = server.rec.sleep_ended.get(timeout=3)
    assert seen["cancelled"] is True
    assert seen["deadline"] is not None and abs(seen["deadline"] - time.time()) < 1.0
    assert server.rec.callbacks.wait(3)


def test_server_enforces_deadline_by_itself(channel: Channel, server: ServerHandle) -> None:
    # The client waits longer than it told the server: the server's own timer ends the handler
    # and sends DEADLINE_EXCEEDED (the client's wait is a different, longer budget here).
    raw = MethodDescriptor.raw("test.Echo/Sleep", "unary")
    call_id = channel._new_id()
    call = _start_call_with_wire_timeout(channel, raw, S(value="5").SerializeToString(), call_id, 100)
    final, _ = _wait(channel, call, 3)
    assert final.code is StatusCode.DEADLINE_EXCEEDED
    assert server.rec.sleep_ended.get(timeout=3)["cancelled"] is True


def _start_call_with_wire_timeout(channel: Channel, method: Any, data: bytes, call_id: int, timeout_ms: int) -> Any:
    from protozmq import protocol as P
    from protozmq.stream import _SyncCall

    call = _SyncCall(call_id, method)
    channel._register(call)
    channel._submit(call, P.encode_request(call_id, 3, timeout_ms, method.path_bytes), data)
    return call


def _wait(channel: Channel, call: Any, seconds: float) -> Any:
    return channel._wait_outcome(call, time.monotonic() + seconds)


def test_deadline_already_passed(channel: Channel) -> None:
    with pytest.raises(RpcError) as err:
        channel.unary(kit.UNARY, S(), timeout=0)
    assert err.value.code is StatusCode.DEADLINE_EXCEEDED


def test_handler_sees_deadline_and_remaining_time(channel: Channel, server: ServerHandle) -> None:
    assert channel.unary(kit.SLEEP, S(value="0.01"), timeout=5).value == "slept"
    seen = server.rec.sleep_ended.get(timeout=3)
    assert seen["cancelled"] is False
    assert 3.5 < seen["remaining"] <= 5.0


def test_server_streaming(channel: Channel) -> None:
    # REQUEST ---> ; <--- MESSAGE(HEADERS) "0", MESSAGE "1", ..., TRAILERS OK
    stream = channel.server_stream(kit.STREAM, S(value="50"), timeout=5)
    assert stream.headers().get("x-stream") == "yes"
    assert [r.value for r in stream] == [str(i) for i in range(50)]
    assert stream.code() is StatusCode.OK


def test_server_streaming_empty(channel: Channel) -> None:
    assert list(channel.server_stream(kit.STREAM, S(value="0"), timeout=5)) == []


def test_stream_cancel_reaches_handler(channel: Channel, server: ServerHandle) -> None:
    # REQUEST ---> ; <--- MESSAGE ... ; CANCEL ---> handler sees cancelled(), callbacks fire
    stream = channel.server_stream(kit.SLOW_STREAM, S(), timeout=10)
    assert next(stream).value == "0"
    assert stream.cancel()
    with pytest.raises(RpcError) as err:
        for _ in stream:
            pass
    assert err.value.code is StatusCode.CANCELLED
    assert server.rec.sleep_ended.get(timeout=3)["cancelled"] is True
    assert server.rec.callbacks.wait(3)


def test_stream_context_manager_cancels(channel: Channel, server: ServerHandle) -> None:
    with channel.server_stream(kit.SLOW_STREAM, S(), timeout=10) as stream:
        assert next(stream).value == "0"
    assert server.rec.sleep_ended.get(timeout=3)["cancelled"] is True


def test_client_streaming(channel: Channel) -> None:
    # REQUEST (no message) ---> MESSAGE "a" ---> MESSAGE "b" ---> MESSAGE END --->
    #   <--- TRAILERS OK + response
    reply = channel.client_stream(kit.COLLECT, (S(value=v) for v in "abc"), timeout=5)
    assert reply.value == "a,b,c"
    assert channel.client_stream(kit.COLLECT, [], timeout=5).value == ""


def test_bidi_streaming_with_iterable(channel: Channel) -> None:
    replies = channel.bidi_stream(kit.CHAT, [S(value=v) for v in ("x", "y", "z")], timeout=5)
    assert [r.value for r in replies] == ["X", "Y", "Z"]


def test_bidi_streaming_interactive(channel: Channel) -> None:
    with channel.bidi_stream(kit.CHAT, timeout=5) as chat:
        for word in ("ping", "pong"):
            assert chat.write(S(value=word))
            assert next(chat).value == word.upper()
        chat.done_writing()
        assert list(chat) == []
        assert chat.code() is StatusCode.OK


def test_oneway(channel: Channel, server: ServerHandle) -> None:
    # REQUEST flags=ONEWAY|HAS_MESSAGE|END ---> handler runs; nothing comes back
    channel.oneway(kit.NOTIFY, S(value="fire"))
    assert server.rec.notified.get(timeout=3) == "fire"
    # An unknown oneway method gets no reply either, and the channel carries on.
    channel.oneway(kit.UNKNOWN_METHOD, S(value="lost"))
    assert channel.unary(kit.UNARY, S(value="after"), timeout=5).value == "after"
    with pytest.raises(ValueError):
        channel.oneway(kit.STREAM, S(value="1"))  # ONEWAY is for unary methods only


def test_oneway_on_streaming_method_is_dropped_by_server(server: ServerHandle, zctx: Any) -> None:
    # raw REQUEST flags=ONEWAY on a server-streaming method ---> dropped and counted (PZMQ/1 10)
    import zmq

    from protozmq import protocol as P

    dealer = zctx.socket(zmq.DEALER)
    dealer.setsockopt(zmq.LINGER, 0)
    try:
        dealer.connect(server.endpoint)
        dealer.send_multipart([P.encode_request(7, 0x13, 0, kit.STREAM.path_bytes), S(value="3").SerializeToString()])
        dealer.send_multipart([P.encode_request(8, 3, 0, kit.UNARY.path_bytes), S(value="probe").SerializeToString()])
        assert dealer.poll(3000)
        [(h, _, _)] = kit.packets(dealer.recv_multipart())
        assert h.call_id == 8  # nothing came back for call 7
        assert server.server._dropped == 1
    finally:
        dealer.close(linger=0)


def test_1000_concurrent_calls_from_threads(channel: Channel) -> None:
    # 8 threads x 125 calls share one DEALER; replies are matched by call id.
    errors: list[BaseException] = []

    def worker(t: int) -> None:
        try:
            for i in range(125):
                v = f"{t}-{i}"
                assert channel.unary(kit.UNARY, S(value=v), timeout=10).value == v
        except BaseException as e:  # noqa: BLE001 - reported below
            errors.append(e)

    threads = [threading.Thread(target=worker, args=(t,)) for t in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert not errors
    assert not any(t.is_alive() for t in threads)


def test_1000_calls_in_flight_at_once(channel: Channel) -> None:
    # 1,000 streams opened before any is read: 1,000 open call ids multiplexed on one socket,
    # their REQUESTs batched into multipart messages by the I/O thread.
    streams = [channel.server_stream(kit.STREAM, S(value="1"), timeout=20) for _ in range(1000)]
    assert all([r.value for r in s] == ["0"] for s in streams)


def test_graceful_stop_finishes_running_calls(channel: Channel, server: ServerHandle) -> None:
    # A call running when stop(grace) starts still gets its reply; new calls get UNAVAILABLE.
    result: dict[str, Any] = {}

    def call() -> None:
        try:
            result["reply"] = channel.unary(kit.SLEEP, S(value="0.2"), timeout=5).value
        except RpcError as e:
            result["error"] = e

    t = threading.Thread(target=call)
    t.start()
    assert server.rec.sleep_started.wait(3)
    server.stop(grace=3)
    t.join(5)
    assert result == {"reply": "slept"}


def test_stop_without_grace_ends_calls_unavailable(channel: Channel, server: ServerHandle) -> None:
    result: dict[str, Any] = {}

    def call() -> None:
        try:
            channel.unary(kit.SLEEP, S(value="5"), timeout=5)
        except RpcError as e:
            result["code"] = e.code

    t = threading.Thread(target=call)
    t.start()
    assert server.rec.sleep_started.wait(3)
    server.stop(None)
    t.join(5)
    assert result["code"] in (StatusCode.UNAVAILABLE, StatusCode.CANCELLED)
    assert server.rec.sleep_ended.get(timeout=3)["cancelled"] is True


def test_channel_close_fails_open_calls_cancelled(make_channel: Callable[..., Channel], server: ServerHandle) -> None:
    channel = make_channel(server.endpoint)
    result: dict[str, Any] = {}

    def call() -> None:
        try:
            channel.unary(kit.SLEEP, S(value="5"), timeout=5)
        except RpcError as e:
            result["code"] = e.code

    t = threading.Thread(target=call)
    t.start()
    assert server.rec.sleep_started.wait(3)
    channel.close()
    t.join(5)
    assert result["code"] is StatusCode.CANCELLED
    # The best-effort CANCEL usually reaches the server, whose handler then stops early.
    with pytest.raises(RpcError) as err:
        channel.unary(kit.UNARY, S(), timeout=1)
    assert err.value.code is StatusCode.CANCELLED


def test_no_server_fails_unavailable_after_connect_timeout(
    make_channel: Callable[..., Channel], transport: str, ipc_dir: str
) -> None:
    from conftest import new_endpoint

    endpoint = new_endpoint(transport, ipc_dir)
    if transport == "tcp":
        endpoint = "tcp://127.0.0.1:1"  # nothing listens on port 1
    channel = make_channel(endpoint, connect_timeout=0.2)
    start = time.monotonic()
    with pytest.raises(RpcError) as err:
        channel.unary(kit.UNARY, S(), timeout=1 if transport == "inproc" else 5)
    if transport == "inproc":
        # libzmq attaches an inproc pipe at connect time even before the bind, so ZMQ_IMMEDIATE
        # cannot refuse the send: the request waits for a server until its deadline.
        assert err.value.code is StatusCode.DEADLINE_EXCEEDED
    else:
        assert err.value.code is StatusCode.UNAVAILABLE
    assert time.monotonic() - start < 2.0
