# ruff: noqa: INP001, T201 - a benchmark script that prints its figures
"""Where a masked call's time goes, from its trace: number-masking's spans, per stage.

Against the running system (`make up`, with its Jaeger): the isolation bench's instant customer
gets `--rate` masked calls/s for `--seconds` (`isolation.healthy_only`), then every trace of
number-masking's `masking.requests process` span in that window is read from Jaeger's query API.
Prints the calls' end-to-end p50 (request published → decision consumed), the consumer span's p50
(the request inside number-masking), and per child span name (store reads and writes, the
customer's POST, the decision's publish) how many a call has and their p50 total. What the
consumer span holds beyond its children is our own Python; what the end-to-end time holds beyond
the consumer span is the two Kafka hops.

    uv run python services/number-masking/bench/stages.py --rate 20 --seconds 10
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import time
from collections import Counter, defaultdict
from pathlib import Path
from typing import Any

import httpx
import isolation

REPO = Path(__file__).resolve().parents[3]
sys.path.insert(0, str(REPO))
from tests.endpoints import LOCAL_JAEGER  # noqa: E402 - after the repository is importable

ROOT = "masking.requests process"
EXPORT_WAIT_SECONDS = 60.0


async def _traces(jaeger: str, since: float, expected: int) -> list[dict[str, Any]]:
    """The window's traces, once at least `expected` have been exported (batched), or what
    arrived within EXPORT_WAIT_SECONDS."""
    deadline = time.monotonic() + EXPORT_WAIT_SECONDS
    params = {"service": "number-masking", "operation": ROOT, "limit": expected * 2}
    async with httpx.AsyncClient(base_url=jaeger, timeout=30) as client:
        while True:
            window = {"start": int(since * 1e6), "end": int(time.time() * 1e6)}
            reply = await client.get("/api/traces", params={**params, **window})
            traces: list[dict[str, Any]] = reply.json()["data"] or []
            if len(traces) >= expected or time.monotonic() > deadline:
                return traces
            await asyncio.sleep(1)  # bounded polling of the exporter's batches


def _stages(traces: list[dict[str, Any]]) -> tuple[list[float], dict[str, list[tuple[int, float]]]]:
    """Root span durations, and per child span name (count, total ms) of each trace."""
    roots: list[float] = []
    children: dict[str, list[tuple[int, float]]] = defaultdict(list)
    for trace in traces:
        root = next((s for s in trace["spans"] if s["operationName"] == ROOT), None)
        if root is None:
            continue
        roots.append(root["duration"] / 1000)
        counts: Counter[str] = Counter()
        totals: Counter[str] = Counter()
        for span in trace["spans"]:
            service = trace["processes"][span["processID"]]["serviceName"]
            if span is root or service != "number-masking":
                continue
            counts[span["operationName"]] += 1
            totals[span["operationName"]] += span["duration"] / 1000
        for name, count in counts.items():
            children[name].append((count, totals[name]))
    return roots, children


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--kafka", default="127.0.0.1:9092")
    parser.add_argument("--base-url", default="http://127.0.0.1:8080")
    parser.add_argument("--jaeger", default=LOCAL_JAEGER)
    parser.add_argument("--rate", type=float, default=20.0)
    parser.add_argument("--seconds", type=float, default=10.0)
    args = parser.parse_args()
    since = time.time()
    figures = await isolation.healthy_only(
        argparse.Namespace(
            kafka=args.kafka, base_url=args.base_url, healthy_rate=args.rate, seconds=args.seconds
        )
    )
    paths = ", ".join(f"{k} {v}" for k, v in sorted(figures.paths.items()))
    print(
        f"{figures.sent} calls at {args.rate:.0f}/s: end to end p50 {figures.p50_ms} ms ({paths})"
    )
    roots, children = _stages(await _traces(args.jaeger, since, figures.sent))
    if not roots:
        print("no trace of number-masking in Jaeger: is OTEL_TRACES_EXPORTER on for the stack?")
        return
    print(f"{len(roots)} traces: {ROOT} p50 {statistics.median(roots):.2f} ms")
    for name, rows in sorted(
        children.items(), key=lambda kv: -statistics.median(t for _, t in kv[1])
    ):
        count = statistics.median(c for c, _ in rows)
        total = statistics.median(t for _, t in rows)
        print(
            f"  {name:<40} in {len(rows):>5} traces, {count:.0f} each, p50 {total:8.2f} ms in all"
        )


if __name__ == "__main__":
    asyncio.run(main())
