# ruff: noqa: INP001, T201 - a benchmark helper that prints its figures
"""One way both render benchmarks time a page: N sequential GETs, then p50/p95/max (and size)."""

from __future__ import annotations

import statistics
import time

import httpx


async def time_page(browser: httpx.AsyncClient, page: str, n: int) -> None:
    times = []
    reply = None
    for _ in range(n):
        started = time.perf_counter()
        reply = await browser.get(page)
        times.append((time.perf_counter() - started) * 1000)
        reply.raise_for_status()
    assert reply is not None  # noqa: S101 - n >= 1
    times.sort()
    p95 = times[int(0.95 * (len(times) - 1))]
    print(
        f"{page[:30]:30} p50 {statistics.median(times):7.1f} ms  p95 {p95:7.1f} ms  "
        f"max {times[-1]:7.1f} ms  {len(reply.content) // 1024} KiB"
    )
