"""The Python analysis module of the demo (see engine.ts): serves ``Analysis`` and publishes
``AnalysisEvents`` with the code protozmq generates from schemas/game/analysis.proto.

    python analysis.py <rpc endpoint> <events endpoint>

Prints ``ready <rpc endpoint> <events endpoint>`` once bound (``tcp://127.0.0.1:*`` resolved to the
chosen ports); stops (gracefully, then exit code 0) when its stdin closes.
"""

from __future__ import annotations

import asyncio
import pathlib
import sys
from collections.abc import AsyncIterator

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[2] / "generated" / "python"))

import protozmq  # noqa: E402
from game import analysis_pb2, analysis_pzmq, state_pb2  # noqa: E402


class Analysis(analysis_pzmq.AnalysisAsyncServicer):
    """A stand-in for an ML model: scores positions from the units' health."""

    def __init__(self, events: analysis_pzmq.AnalysisEventsPublisher) -> None:
        self.events = events

    async def Evaluate(
        self, request: analysis_pb2.EvaluateRequest, context: protozmq.ServicerContext
    ) -> analysis_pb2.Evaluation:
        state = request.state
        mine = sum(u.health for u in state.units if u.owner_id == request.player_id)
        total = sum(u.health for u in state.units) or 1
        reply = analysis_pb2.Evaluation(win_probability=mine / total, tick=state.tick)
        weakest = min((u for u in state.units if u.owner_id != request.player_id), key=lambda u: u.health, default=None)
        if weakest is not None:
            order = reply.suggestions.add(action=state_pb2.Unit.Order.ACTION_ATTACK, target_unit_id=weakest.id)
            order.target.CopyFrom(weakest.position)
        return reply

    async def WatchStates(
        self, request_iterator: AsyncIterator[state_pb2.GameState], context: protozmq.ServicerContext
    ) -> analysis_pb2.WatchSummary:
        seen = 0
        last_tick = 0
        async for state in request_iterator:
            seen += 1
            last_tick = state.tick
            # Twice a second of game time (30 ticks/s): even a loaded machine that streams only
            # half the ticks in the demo's first second still gets an insight out in it.
            if seen % 15 == 0:
                leader = max(state.scores.items(), key=lambda kv: kv[1], default=("nobody", 0))
                self.events.Insights(
                    analysis_pb2.Insight(tick=state.tick, text=f"{leader[0]} leads at tick {state.tick}", confidence=0.8),
                    topic_suffix=state.match_id,
                )
        return analysis_pb2.WatchSummary(states_seen=seen, last_tick=last_tick)


async def main(rpc_endpoint: str, events_endpoint: str) -> None:
    pub = protozmq.Publisher()
    events_bound = pub.bind(events_endpoint)  # "tcp://127.0.0.1:*" becomes the real port
    publisher = analysis_pzmq.AnalysisEventsPublisher(pub)
    server = protozmq.AsyncServer()
    analysis_pzmq.add_AnalysisServicer_to_server(Analysis(publisher), server)
    rpc_bound = server.bind(rpc_endpoint)
    await server.start()
    print(f"ready {rpc_bound} {events_bound}", flush=True)
    # Run until the engine closes our stdin (it owns this process).
    loop = asyncio.get_running_loop()
    await loop.run_in_executor(None, sys.stdin.read)
    await server.stop(grace=2.0)
    publisher.close()


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1], sys.argv[2]))
