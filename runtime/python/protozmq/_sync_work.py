"""The blocking ``Server``'s worker pool: handlers that do not run inline (not public API).

``WorkerPoolCore`` is the part of ``SyncServerCore`` that runs on worker threads: the work loop,
running a call of any kind, streaming responses out, and the request stream client/bidi-streaming
handlers iterate. It also keeps each unary method's average handler time (``_note_cost``),
which decides whether the method runs inline on the I/O thread (see ``_sync_server``).
"""

from __future__ import annotations

import queue
import time
from collections.abc import Iterable, Iterator
from typing import Any, Final, TypeVar

from ._server import CALL_ENDED, END_OF_STREAM, ServerCore
from .context import ServicerContext
from .errors import RpcError
from .status import StatusCode

__all__ = ["INLINE_MAX_S", "SAMPLE_CAP_S", "EWMA", "KEEP", "WorkerPoolCore"]

Req = TypeVar("Req")

_OK: Final = StatusCode.OK
#: A unary method runs on the I/O thread while its average handler time stays below this. About
#: the cost of the two thread hand-offs the pool adds: slower handlers gain from running beside
#: the I/O thread (a handler waiting on I/O releases the GIL), faster ones lose.
INLINE_MAX_S: Final = 100e-6
EWMA: Final = 0.125  # weight of the newest sample in the average
KEEP: Final = 1.0 - EWMA
SAMPLE_CAP_S: Final = 4 * INLINE_MAX_S  # one outlier moves a ~10 µs average to ~60 µs, not over


class WorkerPoolCore(ServerCore):
    """``ServerCore`` plus the worker threads' side of ``SyncServerCore``."""

    _work: queue.SimpleQueue[tuple[ServicerContext, bytes | None] | None]
    _cost: dict[str, float]  # average handler seconds of each unary method

    def _note_cost(self, ctx: ServicerContext, seconds: float) -> None:
        # Racy read-modify-write from several threads: a lost sample does not matter. A sample
        # counts at most SAMPLE_CAP_S: the time is wall-clock, and one preemption of the thread
        # (milliseconds on a busy machine) must not move a fast method to the pool, where its
        # calls would pay two thread hand-offs and could finish out of order. A handler that is
        # really slow pushes the average over INLINE_MAX_S within two calls anyway.
        if seconds > SAMPLE_CAP_S:
            seconds = SAMPLE_CAP_S
        path = ctx._descriptor.path
        self._cost[path] = self._cost.get(path, seconds) * KEEP + seconds * EWMA

    # -- workers ---------------------------------------------------------------------------------

    def _work_loop(self) -> None:
        work = self._work
        while True:
            item = work.get()
            if item is None:
                return
            ctx, payload = item
            if ctx._ended:
                continue  # a call cancelled while it waited for a worker never starts
            if ctx._descriptor.kind == "unary":
                t0 = time.perf_counter()
                self._run_call(ctx, payload)
                self._note_cost(ctx, time.perf_counter() - t0)
            else:
                self._run_call(ctx, payload)

    def _run_call(self, ctx: ServicerContext, payload: bytes | None) -> None:
        d = ctx._descriptor
        try:
            if d.client_streaming:
                request: Any = _RequestIterator(self, ctx)
            else:
                try:
                    request = d.request_deserializer(payload)  # type: ignore[arg-type]
                except Exception as e:
                    self._complete(ctx, StatusCode.INVALID_ARGUMENT, f"request does not decode: {e}")
                    return
            result = ctx._handler(request, ctx)
            if d.server_streaming:
                self._stream_out(ctx, result)
                self._complete(ctx, _OK)
            else:
                try:
                    data = d.response_serializer(result)
                except Exception as e:
                    self._complete(ctx, StatusCode.INTERNAL, f"response does not serialize: {e}")
                    return
                self._complete(ctx, _OK, payload=data)
        except Exception as e:
            self._complete_error(ctx, e)

    def _stream_out(self, ctx: ServicerContext, responses: Iterable[Any]) -> None:
        serialize = ctx._descriptor.response_serializer
        it = iter(responses)
        try:
            for response in it:
                if not self._send_message(ctx, serialize(response)):
                    break  # the call ended: stop the generator instead of running it to the end
        finally:
            close = getattr(it, "close", None)
            if close is not None:
                close()



class _RequestIterator(Iterator[Req]):
    """The request stream a client/bidi-streaming handler iterates (blocking)."""

    def __init__(self, server: WorkerPoolCore, ctx: ServicerContext) -> None:
        self._server = server
        self._ctx = ctx
        self._finished = False

    def __iter__(self) -> Iterator[Req]:
        return self

    def __next__(self) -> Req:
        if self._finished:
            raise StopIteration
        ctx = self._ctx
        item = ctx._requests.get()
        if item is END_OF_STREAM:
            self._finished = True
            raise StopIteration
        if item is CALL_ENDED:
            ctx._requests.put(CALL_ENDED)  # raise again on the next call too
            raise RpcError(StatusCode.CANCELLED, "the call ended")
        try:
            return ctx._descriptor.request_deserializer(item)  # type: ignore[no-any-return]
        except Exception as e:
            message = f"request does not decode: {e}"
            self._server._end_call(ctx, StatusCode.INVALID_ARGUMENT, message, send=True)
            raise RpcError(StatusCode.INVALID_ARGUMENT, message) from e
