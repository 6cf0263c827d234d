"""Misuse of generated services that `mypy --strict` must reject.

Every line ending in `# error: <code>` must be reported with that error code, and no other line may
be: test/python/test_generated_services.py checks both directions.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator

import protozmq
from google.protobuf import empty_pb2

from interop import test_pb2, test_pzmq


def blocking(channel: protozmq.Channel) -> None:
    client = test_pzmq.TestServiceClient(channel)
    client.UnaryCall(empty_pb2.Empty())  # error: call-overload
    client.EmptyCall(empty_pb2.Empty(), timeout="1s")  # error: call-overload
    reply: test_pb2.Ping = client.EmptyCall(empty_pb2.Empty())  # error: assignment
    client.StreamingOutputCall(test_pb2.StreamingOutputCallRequest(), with_call=True)  # error: call-arg
    client.StreamingInputCall(test_pb2.StreamingInputCallRequest())  # error: call-overload
    done = client.Notify(test_pb2.Ping())  # error: func-returns-value
    client.get_state(empty_pb2.Empty())  # error: attr-defined
    print(reply, done)


async def asynchronous(channel: protozmq.AsyncChannel) -> None:
    client = test_pzmq.TestServiceAsyncClient(channel)
    client.EmptyCall(empty_pb2.Empty()).SerializeToString()  # error: attr-defined
    test_pzmq.TestServiceClient(channel)  # error: arg-type


class WrongRequest(test_pzmq.TestServiceServicer):
    def UnaryCall(self, request: test_pb2.Ping, context: protozmq.ServicerContext) -> test_pb2.SimpleResponse:  # error: override
        return test_pb2.SimpleResponse()


class SyncInAsync(test_pzmq.TestServiceAsyncServicer):
    async def StreamingOutputCall(  # error: override
        self, request: test_pb2.StreamingOutputCallRequest, context: protozmq.ServicerContext
    ) -> Iterator[test_pb2.StreamingOutputCallResponse]:
        return iter([])


class Fine(test_pzmq.TestServiceAsyncServicer):
    async def FullDuplexCall(
        self, request_iterator: AsyncIterator[test_pb2.StreamingOutputCallRequest], context: protozmq.ServicerContext
    ) -> AsyncIterator[test_pb2.StreamingOutputCallResponse]:
        yield test_pb2.StreamingOutputCallResponse()


def serve(server: protozmq.Server, aio_server: protozmq.AsyncServer) -> None:
    test_pzmq.add_TestServiceServicer_to_server(Fine(), server)  # error: call-overload
    test_pzmq.add_TestServiceServicer_to_server(test_pzmq.TestServiceServicer(), aio_server)  # error: call-overload


def events(publisher: protozmq.Publisher, subscriber: protozmq.Subscriber) -> None:
    pub = test_pzmq.TestEventsPublisher(publisher)
    pub.Ticks(test_pb2.Ping())  # error: arg-type
    sub = test_pzmq.TestEventsSubscriber(subscriber)
    sub.subscribe("Tick")  # error: arg-type
    sub.subscribe(["Ticks", "Nope"])  # error: list-item
    for ev in sub:
        if ev.method == "Nope":  # error: comparison-overlap
            pass
        ev.event.no_such_field  # error: attr-defined
