# ruff: noqa: INP001, T201, S311 - a script that prints its figures; random picks, not security
"""Per-lookup and per-decision cost of call-dispatch's view, in one process.

Builds a view of N numbers from `view_memory.py`'s synthetic records, then times
`view.number()` on numbers it holds, on unknown numbers, and `decide()` on calls to held numbers
(best of `--repeat` passes, so a busy neighbour shows less). Prints one JSON line. To compare two
versions of the view in the same run, point PYTHONPATH at each one's `src`:

    python view_lookup.py 200000
"""

from __future__ import annotations

import argparse
import json
import random
import time
from datetime import UTC, datetime

from view_memory import record

from call_dispatch.decider import decide
from call_dispatch.view import DispatchView
from callplane_shared.events import InboundCall


def _best_ns(run: object, items: list[str] | list[InboundCall], repeat: int) -> float:
    assert callable(run)  # noqa: S101 - the benchmark's own input
    best = float("inf")
    for _ in range(repeat):
        began = time.perf_counter_ns()
        for item in items:
            run(item)
        best = min(best, (time.perf_counter_ns() - began) / len(items))
    return round(best, 1)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("numbers", type=int, nargs="?", default=200_000)
    parser.add_argument("--lookups", type=int, default=100_000)
    parser.add_argument("--decisions", type=int, default=20_000)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    view = DispatchView()
    for i in range(args.numbers):
        view.apply_action(*record(i))
    rng = random.Random(7)
    held = [f"+4179{rng.randrange(args.numbers):07d}" for _ in range(args.lookups)]
    unknown = [f"+4178{rng.randrange(10**7):07d}" for _ in range(args.lookups)]
    at = datetime.now(UTC)
    calls = [
        InboundCall(call_id=f"c-{i}", from_="+41445550100", to=held[i], received_at=at)
        for i in range(min(args.decisions, len(held)))
    ]
    print(
        json.dumps(
            {
                "numbers": args.numbers,
                "lookup_held_ns": _best_ns(view.number, held, args.repeat),
                "lookup_unknown_ns": _best_ns(view.number, unknown, args.repeat),
                "decide_ns": _best_ns(lambda c: decide(c, view, at), calls, args.repeat),
            }
        )
    )


if __name__ == "__main__":
    main()
