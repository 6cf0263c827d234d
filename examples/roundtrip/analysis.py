"""The Python side of the round-trip demo: reads a GameState (hex, one line on stdin), prints what it
sees, changes it the way an analysis module might (advance the tick, record a score), and writes the
re-encoded bytes back as hex. Uses the generated module on Google's official protobuf runtime."""

from __future__ import annotations

import pathlib
import sys

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[2] / "generated" / "python"))

from game import state_pb2  # noqa: E402  (generated code, found through sys.path above)


def main() -> None:
    state = state_pb2.GameState.FromString(bytes.fromhex(sys.stdin.readline().strip()))
    phase = state.WhichOneof("phase")
    print(
        f"  python: decoded GameState match={state.match_id!r} tick={state.tick} "
        f"players={len(state.players)} units={len(state.units)} phase={phase} scores={dict(state.scores)}",
        file=sys.stderr,
    )
    state.tick += 1
    state.scores["analysis"] = sum(u.health for u in state.units)
    state.events.append("analysis: scored the board 😀")
    print(f"  python: tick -> {state.tick}, scores['analysis'] = {state.scores['analysis']}", file=sys.stderr)
    print(state.SerializeToString().hex(), flush=True)


if __name__ == "__main__":
    main()
