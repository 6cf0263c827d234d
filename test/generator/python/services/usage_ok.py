"""Typed use of generated services: `mypy --strict` must accept this file with no `# type: ignore`,
and every `assert_type` must hold. Checked by test/python/test_generated_services.py against the
`_pzmq.py` modules protozmq generates for schemas/ and services/edge/.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from typing import Any, assert_type

import protozmq
from google.protobuf import empty_pb2

from edge import edge_pb2, edge_pzmq, types_pb2
from interop import test_pb2, test_pzmq

Out = test_pb2.StreamingOutputCallResponse


def blocking(channel: protozmq.Channel) -> int:
    client = test_pzmq.TestServiceClient(channel)
    assert_type(client.EmptyCall(empty_pb2.Empty(), timeout=0.5), empty_pb2.Empty)
    reply, info = client.UnaryCall(test_pb2.SimpleRequest(response_size=1), metadata={"x-user": "ada"}, with_call=True)
    assert_type(reply, test_pb2.SimpleResponse)
    assert_type(info, protozmq.CallInfo)
    with client.StreamingOutputCall(test_pb2.StreamingOutputCallRequest()) as stream:
        assert_type(stream, protozmq.ResponseStream[Out])
        sizes = [len(r.payload.body) for r in stream]
    total = client.StreamingInputCall(test_pb2.StreamingInputCallRequest() for _ in range(3))
    assert_type(total, test_pb2.StreamingInputCallResponse)
    chat = client.FullDuplexCall(timeout=1.0)
    assert_type(chat, protozmq.BidiStream[test_pb2.StreamingOutputCallRequest, Out])
    chat.write(test_pb2.StreamingOutputCallRequest())
    chat.done_writing()
    assert_type(client.Notify(test_pb2.Ping(seq=1)), None)
    assert_type(test_pzmq.TestServiceMethods.UnaryCall, protozmq.MethodDescriptor[test_pb2.SimpleRequest, test_pb2.SimpleResponse])
    return sum(sizes) + total.aggregated_payload_size + client.LastNotified(empty_pb2.Empty()).seq


async def asynchronous(channel: protozmq.AsyncChannel) -> int:
    client = test_pzmq.TestServiceAsyncClient(channel)
    assert_type(await client.EmptyCall(empty_pb2.Empty()), empty_pb2.Empty)
    _, info = await client.UnaryCall(test_pb2.SimpleRequest(), with_call=True)
    assert_type(info, protozmq.CallInfo)

    async def requests() -> AsyncIterator[test_pb2.StreamingInputCallRequest]:
        yield test_pb2.StreamingInputCallRequest()

    total = await client.StreamingInputCall(requests())
    assert_type(await client.StreamingInputCall([test_pb2.StreamingInputCallRequest()]), test_pb2.StreamingInputCallResponse)
    async for response in client.StreamingOutputCall(test_pb2.StreamingOutputCallRequest()):
        assert_type(response, Out)
    chat = client.FullDuplexCall()
    assert_type(chat, protozmq.AsyncBidiStream[test_pb2.StreamingOutputCallRequest, Out])
    await chat.write(test_pb2.StreamingOutputCallRequest())
    await chat.done_writing()
    await client.Notify(test_pb2.Ping(seq=2))
    return total.aggregated_payload_size


class Impl(test_pzmq.TestServiceServicer):
    def UnaryCall(self, request: test_pb2.SimpleRequest, context: protozmq.ServicerContext) -> test_pb2.SimpleResponse:
        context.set_header("x-server", "1")
        return test_pb2.SimpleResponse()

    def StreamingOutputCall(self, request: test_pb2.StreamingOutputCallRequest, context: protozmq.ServicerContext) -> Iterator[Out]:
        yield Out()

    def StreamingInputCall(
        self, request_iterator: Iterator[test_pb2.StreamingInputCallRequest], context: protozmq.ServicerContext
    ) -> test_pb2.StreamingInputCallResponse:
        return test_pb2.StreamingInputCallResponse(aggregated_payload_size=sum(1 for _ in request_iterator))

    def Notify(self, request: test_pb2.Ping, context: protozmq.ServicerContext) -> None:
        pass


class AsyncImpl(test_pzmq.TestServiceAsyncServicer):
    async def UnaryCall(self, request: test_pb2.SimpleRequest, context: protozmq.ServicerContext) -> test_pb2.SimpleResponse:
        return test_pb2.SimpleResponse()

    async def StreamingOutputCall(
        self, request: test_pb2.StreamingOutputCallRequest, context: protozmq.ServicerContext
    ) -> AsyncIterator[Out]:
        yield Out()

    async def FullDuplexCall(
        self, request_iterator: AsyncIterator[test_pb2.StreamingOutputCallRequest], context: protozmq.ServicerContext
    ) -> AsyncIterator[Out]:
        async for _ in request_iterator:
            yield Out()

    async def Notify(self, request: test_pb2.Ping, context: protozmq.ServicerContext) -> None:
        pass


def serve(server: protozmq.Server, aio_server: protozmq.AsyncServer) -> None:
    test_pzmq.add_TestServiceServicer_to_server(Impl(), server)
    test_pzmq.add_TestServiceServicer_to_server(AsyncImpl(), aio_server)
    test_pzmq.add_UnimplementedServiceServicer_to_server(test_pzmq.UnimplementedServiceServicer(), server)


def events(publisher: protozmq.Publisher, subscriber: protozmq.Subscriber) -> list[str]:
    pub = test_pzmq.TestEventsPublisher(publisher)
    seq: int = pub.Ticks(test_pb2.Tick(seq=1), "red") + pub.Alerts(test_pb2.Tick())
    sub = test_pzmq.TestEventsSubscriber(subscriber)
    sub.subscribe("all")
    sub.subscribe("Ticks", topic_suffix="red")
    sub.subscribe(["Ticks", "Alerts"])
    names: list[test_pzmq.TestEventsEventName] = ["Alerts"]
    sub.unsubscribe(names)
    labels = [str(seq)]
    for ev in sub:
        assert_type(ev, test_pzmq.TestEventsEvent)
        if ev.method == "Ticks":
            assert_type(ev, test_pzmq.TestEventsTicksEvent)
        else:
            assert_type(ev, test_pzmq.TestEventsAlertsEvent)
        assert_type(ev.event, test_pb2.Tick)
        labels.append(f"{ev.topic} {ev.seq} {ev.event.label}")
    maybe = sub.recv(timeout=0.1)
    assert_type(maybe, test_pzmq.TestEventsEvent | None)
    return labels


async def edge_events(subscriber: protozmq.AsyncSubscriber) -> int:
    # Events of different message types: the `method` tag narrows the event, and its message with it.
    sub = edge_pzmq.EvAsyncSubscriber(subscriber)
    sub.subscribe("Tick")
    sub.subscribe(["all"])  # the event named "all", not every event
    n = 0
    async for ev in sub:
        if ev.method == "Tick":
            assert_type(ev.event, edge_pb2.Req)
            n += ev.event.id
        elif ev.method == "Ticks":
            assert_type(ev.event, types_pb2.Thing)
        elif isinstance(ev, edge_pzmq.EvCloseEvent):
            assert_type(ev.event, edge_pb2.Req)
        else:
            assert_type(ev, edge_pzmq.EvAllEvent)
            assert_type(ev.event, Any)  # message `None`: the stub cannot name it
    return n + sub.undecodable


def edge_names(channel: protozmq.Channel, publisher: protozmq.Publisher) -> None:
    odd = edge_pzmq.OddClient(channel)
    assert_type(odd.class_(edge_pb2.Req()), edge_pb2.Req.Inner)
    assert_type(odd._channel_(empty_pb2.Empty()), Any)
    assert_type(odd.class__(types_pb2.Thing()), protozmq.ResponseStream[types_pb2.Thing])
    edge_pzmq.OddAsyncClient_(channel).Get(edge_pb2.Req())
    pub = edge_pzmq.EvPublisher(publisher)
    pub.close_(edge_pb2.Req())
    pub.close()
