# ruff: noqa: INP001, T201 - a benchmark script
"""Read-your-writes after a lease, measured: N back-to-back `POST /numbers/1/numbers` →
`POST /numbers/2/numbers/{key}/voice` pairs through nginx against a running stack (`make up`).

    uv run --frozen python services/action-config/bench/lease_then_voice.py --pairs 1000

Prints the pairs, the 404s (the goal is zero) and the voice request's latency percentiles.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[3]))

from tests.e2e.journey import admin_client
from tests.e2e.lease_pairs import prepare, run_pairs


async def main(base_url: str, pairs: int) -> int:
    async with admin_client(base_url) as admin:
        api, numbers = await prepare(admin, base_url, pairs)
    async with api:
        results = await run_pairs(api, numbers)
    cuts = statistics.quantiles(results.setup_ms, n=100)
    print(
        f"pairs={results.pairs} voice_404={results.voice_404} other={len(results.other_failures)}"
    )
    print(
        f"voice setup ms: p50={cuts[49]:.1f} p95={cuts[94]:.1f} p99={cuts[98]:.1f} "
        f"max={max(results.setup_ms):.1f}"
    )
    for failure in results.other_failures[:5]:
        print("  ", failure)
    return 0 if results.voice_404 == 0 and not results.other_failures else 1


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--pairs", type=int, default=1000)
    parser.add_argument("--base-url", default="http://127.0.0.1:8080")
    args = parser.parse_args()
    sys.exit(asyncio.run(main(args.base_url, args.pairs)))
