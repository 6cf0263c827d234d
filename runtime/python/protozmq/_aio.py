"""asyncio fast paths shared by ``AsyncChannel`` and ``AsyncServer`` (not public API).

The default event loop runs a callback or task step per item of its ready queue, and each loop
iteration costs a ``select`` call and some bookkeeping; so does each hop a round trip makes from
one callback to the next. These helpers remove the hops that carry no work:

- ``step_now``: a new task's first step runs now, not next iteration (3.12's eager tasks).
- ``EagerRunner``: a handler coroutine's first step runs now without creating a task at all; a
  task is only made, by adoption, if the coroutine suspends.
- ``resume_ready``: the tasks waiting for replies continue in the reader callback that got them.

They use the loop's ready queue (``BaseEventLoop._ready``) and ``asyncio.tasks._enter_task`` /
``_leave_task``, internals that have been stable since Python 3.7 (3.12 builds its eager tasks
on the same two functions). Where they are missing (another loop implementation, another
Python), every helper falls back to plain asyncio behaviour.

The callers also read the ready queue themselves, looked up once (``loop._ready``, ``None`` when
unknown): an empty queue means the loop is idle, no other callback or task step is due in this
iteration. Then nothing can join a batch before a flush deferred with ``call_soon`` would run, so
sending now is as good for batching and one iteration sooner; and the tasks a reader callback
wakes may run right there (``resume_ready``).
"""

from __future__ import annotations

import asyncio
import contextvars
from collections.abc import Coroutine, Generator
from typing import Any, Final

__all__ = ["EagerRunner", "resume_ready", "step_now"]

_enter_task: Final = getattr(asyncio.tasks, "_enter_task", None)
_leave_task: Final = getattr(asyncio.tasks, "_leave_task", None)


def step_now(loop: asyncio.AbstractEventLoop, task: asyncio.Task[Any]) -> None:
    """Run a just-created task's first step now instead of on the next loop iteration.

    ``loop.create_task`` only schedules the first step; a coroutine that finishes without ever
    suspending (a fast async handler) then costs a loop iteration and its reply another. This is
    Python 3.12's ``eager_start`` for 3.11: the step is the task's own (scheduled handle, taken
    back off the ready queue), so it runs as that task: ``asyncio.current_task()``,
    ``asyncio.timeout`` and cancellation behave as in any task. Nothing happens (the task starts
    as usual) on loops without the ready queue (uvloop), with a custom task factory, or when called
    from inside another task (a loop runs one task at a time).
    """
    ready = getattr(loop, "_ready", None)
    if not ready or asyncio.current_task(loop) is not None:
        return
    handle = ready[-1]
    if getattr(handle._callback, "__self__", None) is task:
        ready.pop()
        handle._run()


def resume_ready(loop: asyncio.AbstractEventLoop) -> int:
    """Run now the task wake-ups at the head of the ready queue (their awaited futures just
    completed); return how many ran.

    Called by a reader callback after it finished with its socket: the callers that waited for
    replies continue in this iteration instead of the next one, a lone caller's round trip costs
    one loop wake-up, and a batch of replies (one ZeroMQ message completing many calls) one as
    well, not one for the replies and another for the callers. Each step is the task's own
    scheduled wake-up, so it runs as that task. The callback must have found the loop idle when
    it started (an empty ready queue, see above): then everything queued now was queued by it,
    and the loop, which counts an iteration's callbacks up front and takes exactly that many off
    the queue, takes none of these. They run in the order they were queued; the first handle that is not
    a task's wake-up, and anything the steps queue themselves, stays for the next iteration, so
    no other callback is overtaken.
    """
    ready = getattr(loop, "_ready", None)
    if not ready or asyncio.current_task(loop) is not None:
        return 0
    n = 0
    for _ in range(len(ready)):  # those queued before we started, not what the steps queue
        handle = ready[0]
        if handle._cancelled or not isinstance(getattr(handle._callback, "__self__", None), asyncio.Task):
            break
        ready.popleft()
        handle._run()  # (a step's exceptions end up in its task, never here)
        n += 1
    return n


class EagerRunner:
    """Runs coroutines' first steps at once, as a task, creating a task only if one suspends.

    A task costs more than a fast handler: ``create_task`` builds it and schedules its first step
    for the next loop iteration. Here the step runs right away, while a parked **host** task is
    the current task (``asyncio.current_task()``, ``asyncio.timeout``, ``TaskGroup`` all see a
    real task) and in a fresh copy of the caller's context (contextvars stay per call). A
    coroutine that returns in that step needs nothing more, and the host waits for the next one.
    One that suspends is adopted by the host, which from then on *is* its task (everything that
    captured the current task during the first step captured the right one), and a new host is
    made for the next coroutine.

    Example::

        runner = EagerRunner(loop)
        if runner.available(loop) and runner.host() is not None:
            task = runner.run(handle(request))  # None: finished already
    """

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self._loop = loop
        self._host: asyncio.Task[Any] | None = None
        self._wake: asyncio.Future[tuple[Coroutine[Any, Any, Any], contextvars.Context, Any]] | None = None
        self._disabled = False  # no host could be parked on this loop: never try again

    def available(self, loop: asyncio.AbstractEventLoop) -> bool:
        """True if eager runs are possible now (outside any task, on a supported Python and loop)."""
        return _enter_task is not None and not self._disabled and asyncio.current_task(loop) is None

    def host(self) -> asyncio.Task[Any] | None:
        """The parked task the next coroutine runs as (its adopter if it suspends), or None if
        no task can be parked on this loop (the caller then makes an ordinary task).

        A new host's first step runs at once, up to its ``await``: a task that has not started
        yet cannot pass a cancellation on. ``cancel()`` on it would be thrown into ``_adopt``
        before its ``try`` (at the coroutine's very start), and the coroutine handed to it
        would never hear of it: a CANCEL read in the same callback as its REQUEST did that.
        """
        if self._host is None or self._host.done():
            wake: asyncio.Future[tuple[Coroutine[Any, Any, Any], contextvars.Context, Any]] = self._loop.create_future()
            parked: list[bool] = []
            host = self._loop.create_task(_adopt(wake, parked))
            step_now(self._loop, host)
            if not parked:  # its first step cannot be run now (another loop implementation)
                self._disabled = True
                host.cancel()
                return None
            self._host, self._wake = host, wake
        return self._host

    def run(self, coro: Coroutine[Any, Any, Any]) -> asyncio.Task[Any] | None:
        """Run ``coro``'s first step now as ``host()`` (call only after ``host()`` returned a
        task); None if it returned, else the task that carries on with it. The step's
        exceptions propagate (a coroutine that must not fail catches its own)."""
        loop = self._loop
        host, wake = self._host, self._wake
        assert _enter_task is not None and _leave_task is not None and host is not None and wake is not None
        context = contextvars.copy_context()
        _enter_task(loop, host)
        try:
            pending = context.run(coro.send, None)
        except StopIteration:
            return None
        finally:
            _leave_task(loop, host)
        wake.set_result((coro, context, pending))
        self._host = self._wake = None
        return host

    async def close(self) -> None:
        """Cancel the parked host (call before the loop closes: no pending task left behind)."""
        host, self._host = self._host, None
        if host is not None and not host.done():
            host.cancel()
            try:
                await host
            except asyncio.CancelledError:
                pass


async def _adopt(
    wake: asyncio.Future[tuple[Coroutine[Any, Any, Any], contextvars.Context, Any]], parked: list[bool]
) -> Any:
    """A host task's coroutine: park until handed a suspended coroutine, then drive it."""
    parked.append(True)  # (EagerRunner.host checks that this first step ran)
    try:
        coro, context, pending = await wake
    except asyncio.CancelledError as e:
        if not wake.done() or wake.cancelled():
            raise  # cancelled while parked: nothing was handed over
        # Cancelled between the hand-over and our first step: the coroutine gets the cancel.
        coro, context, pending = wake.result()
        return await _Continue(coro, context, pending, e)
    return await _Continue(coro, context, pending, None)


class _Continue:
    """Awaiting this resumes a coroutine that yielded ``pending`` in another caller's step.

    ``yield from`` for a coroutine whose first step already ran: whatever it yields goes up to
    the host task (futures to wait for, or None for a bare yield), whatever the task sends or
    throws goes down to it, each step in the coroutine's own context.
    """

    __slots__ = ("_coro", "_context", "_pending", "_throw")

    def __init__(
        self, coro: Coroutine[Any, Any, Any], context: contextvars.Context, pending: Any, throw: BaseException | None
    ) -> None:
        self._coro = coro
        self._context = context
        self._pending = pending
        self._throw = throw

    def __await__(self) -> Generator[Any, Any, Any]:
        coro, context, pending, exc = self._coro, self._context, self._pending, self._throw
        while True:
            try:
                if exc is not None:
                    pending = context.run(coro.throw, exc)
                    exc = None
                try:
                    value = yield pending
                except GeneratorExit:
                    coro.close()
                    raise
                except BaseException as e:  # a cancellation thrown into the host task
                    exc = e
                    continue
                pending = context.run(coro.send, value)
            except StopIteration as stop:
                return stop.value
