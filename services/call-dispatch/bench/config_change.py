# ruff: noqa: INP001, T201, S101, PLR2004 - a benchmark module beside its scripts
"""The config-change row of `make bench`: a voice-action change through the public API until
call-dispatch decides a call with it, under a steady call load.

Against the running system (`make up`): an account of its own leases `--numbers` fresh numbers
through the public API; calls go to them at `--rate` calls/s (round-robin, `loadgen.py`'s
librdkafka producer) into `calls.inbound` all along. Then `--changes` times, one after another: a
PUT of a number's voice action (a new PSTN target), the wall clock when its 200 arrives, and the
first `CallDecision` for that number carrying the new action version (the ETag of the 200) or a
later one. The figure is that decision's `decidedAt` minus the 200's arrival: action-config's
write and outbox, `voice.actions`, the view's follower and the next call to the number. Both
clocks are this machine's. A change is given `TIMEOUT_SECONDS` to show; the next one starts once
it did (or did not), so changes never overlap.

The resolution is the gap between two calls to one number (`--numbers` / `--rate`: 2 ms by
default), and a decision may be stamped before the 200 reached the client (a negative figure).

Each change is also split where it went: `publish` is the `voice.actions` record's timestamp (set
by action-config's producer, whole milliseconds) minus the 200, and `follow` is the decision minus
that timestamp: the view's fetch, its apply and the next call's decision.

    python config_change.py --changes 100 --rate 1000
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import sys
import threading
import time
from datetime import datetime
from pathlib import Path
from typing import Any

import httpx
from confluent_kafka import Consumer
from loadgen import Figures, Generator, cpu_seconds, host_busy_pct, host_ticks, pct, rss_mib

from callplane_shared.topics import CALLS_DECISIONS, CALLS_INBOUND, VOICE_ACTIONS

REPO = Path(__file__).resolve().parents[3]
TIMEOUT_SECONDS = 10.0
TARGETS = ("+41445550101", "+41445550102")


class Decisions:
    """The earliest `decidedAt` per (number, action version) of the watched numbers."""

    def __init__(self, numbers: set[str]) -> None:
        self._numbers = numbers
        self._first: dict[str, dict[int, float]] = {n: {} for n in numbers}
        self._lock = threading.Lock()
        self.stop = threading.Event()

    def collect(self, consumer: Consumer) -> None:
        while not self.stop.is_set():
            message = consumer.poll(0.05)
            value = None if message is None or message.error() else message.value()
            if not value:
                continue
            seen = self.seen(json.loads(value), message.timestamp()[1] / 1000)
            if seen is not None and seen[0] in self._numbers:
                self.note(*seen)

    def seen(self, body: dict[str, Any], _: float) -> tuple[str, int, float] | None:
        """(number, version, when) of one consumed record, or None when it has none."""
        number, version = body.get("number"), body.get("actionVersion")
        if number is None or version is None:
            return None
        return number, version, datetime.fromisoformat(body["decidedAt"]).timestamp()

    def note(self, number: str, version: int, at: float) -> None:
        with self._lock:
            seen = self._first[number]
            seen[version] = min(at, seen.get(version, at))

    def first_at(self, number: str, version: int) -> float | None:
        """When a call to `number` was first decided with `version` or a later one."""
        with self._lock:
            times = [at for v, at in self._first[number].items() if v >= version]
        return min(times, default=None)


class Published(Decisions):
    """When each watched number's `voice.actions` record was produced (its timestamp), per
    version."""

    def seen(self, body: dict[str, Any], timestamp: float) -> tuple[str, int, float] | None:
        number, version = body.get("number"), body.get("version")
        return None if number is None or version is None else (number, version, timestamp)


def _offer(gen: Generator, numbers: list[str], rate: int, stop: threading.Event) -> None:
    began, sent = time.perf_counter(), 0
    while not stop.is_set():
        due = int((time.perf_counter() - began) * rate) + 1
        while sent < due:
            gen.send(CALLS_INBOUND.name, numbers[sent % len(numbers)], sent)
            sent += 1
        gen.poll()
        time.sleep(max(0.0, began + sent / rate - time.perf_counter()))


async def _applied(decisions: Decisions, number: str, version: int) -> float | None:
    deadline = time.monotonic() + TIMEOUT_SECONDS
    while time.monotonic() < deadline:
        at = decisions.first_at(number, version)
        if at is not None:
            return at
        await asyncio.sleep(0.005)  # bounded polling of the collector thread's findings
    return None


async def _change(api: httpx.AsyncClient, key: str, target: str) -> tuple[int, float]:
    """(new version, wall clock at the 200)."""
    body = {"action": {"type": "FORWARD_TO_PSTN", "pstnNumber": target}}
    reply = await api.put(f"/numbers/2/numbers/{key}/voice", json=body)
    accepted = time.time()
    assert reply.status_code == 200, reply.text
    return int(reply.headers["ETag"].strip('"')), accepted


async def _leased(count: int, base_url: str) -> tuple[httpx.AsyncClient, dict[str, str]]:
    """A fresh account's API client and `count` numbers it leased ({numberKey: number}), each
    with a voice action action-config accepted."""
    sys.path.insert(0, str(REPO))
    from tests.e2e.journey import admin_client, new_customer
    from tests.support import eventually

    async with admin_client(base_url) as admin:
        admin.timeout = httpx.Timeout(60)  # the first import warms number-inventory's geocoder
        customer = await new_customer(base_url, admin)
        numbers: dict[str, str] = {}
        for _ in range(count):
            key, number = await customer.lease_fresh_number(admin)

            async def accepted(key: str = key) -> bool:
                # action-config learns of the lease from numbers.lifecycle, a moment later
                body = {"action": {"type": "FORWARD_TO_PSTN", "pstnNumber": TARGETS[0]}}
                reply = await customer.api.put(f"/numbers/2/numbers/{key}/voice", json=body)
                return reply.status_code == 200

            await eventually(accepted, timeout=30, interval=0.2, what="first voice action")
            numbers[key] = number
    return customer.api, numbers


def _pid(service: str) -> int | None:
    pid_file = REPO / f".cache/run/pids/{service}.pid"
    return int(pid_file.read_text().strip()) if pid_file.exists() else None


async def measure(args: argparse.Namespace) -> dict[str, object]:
    """The row's figures, or {"skipped": why} when the system is not up."""
    try:
        async with httpx.AsyncClient(timeout=5) as client:
            ready = await client.get(f"{args.base_url}/_services/action-config/readyz")
            ready.raise_for_status()
    except httpx.HTTPError as exc:
        return {"skipped": f"action-config not ready at {args.base_url} ({exc}): `make up`"}
    api, numbers = await _leased(args.config_numbers, args.base_url)
    decisions, published = Decisions(set(numbers.values())), Published(set(numbers.values()))
    gen = Generator(args.bootstrap_servers)
    consumers = [gen.collector(CALLS_DECISIONS.name), gen.collector(VOICE_ACTIONS.name)]
    stop = threading.Event()
    threads = [
        threading.Thread(target=decisions.collect, args=(consumers[0],), daemon=True),
        threading.Thread(target=published.collect, args=(consumers[1],), daemon=True),
        threading.Thread(
            target=_offer, args=(gen, list(numbers.values()), args.config_rate, stop), daemon=True
        ),
    ]
    for thread in threads:
        thread.start()
    latencies: list[float] = []
    stages: dict[str, list[float]] = {"publish": [], "follow": []}
    try:
        # The calls flow and the first actions are decided before anything is measured.
        last: dict[str, int] = {}
        for key, number in numbers.items():
            last[number], _ = await _change(api, key, TARGETS[1])
            assert await _applied(decisions, number, last[number]), f"{number} never decided"
        pid = _pid("call-dispatch")
        cpu = cpu_seconds(pid) if pid else 0.0
        cpu_began, began, host = time.process_time(), time.perf_counter(), host_ticks()
        keys = list(numbers.items())
        for i in range(args.changes):
            key, number = keys[i % len(keys)]
            # Each round of the numbers flips the target, so every PUT is a real change.
            version, accepted = await _change(api, key, TARGETS[i // len(keys) % 2])
            assert version > last[number], f"{number}: a change kept version {version}"
            last[number] = version
            decided = await _applied(decisions, number, version)
            if decided is not None:
                latencies.append((decided - accepted) * 1000)
                record_at = published.first_at(number, version)
                if record_at is not None:
                    stages["publish"].append((record_at - accepted) * 1000)
                    stages["follow"].append((decided - record_at) * 1000)
        elapsed = time.perf_counter() - began
        figures = Figures(
            target="config change→view",
            rate_offered=args.config_rate,
            rate_achieved=round(len(latencies) / elapsed, 1),
            sent=args.changes,
            received=len(latencies),
            p50_ms=round(statistics.median(latencies), 2) if latencies else float("nan"),
            p95_ms=round(pct(latencies, 0.95), 2),
            p99_ms=round(pct(latencies, 0.99), 2),
            max_ms=round(max(latencies, default=float("nan")), 2),
            generator_cpu_pct=round((time.process_time() - cpu_began) * 100 / elapsed, 1),
            load_average=round(os.getloadavg()[0], 1),
            host_busy_pct=host_busy_pct(host),
        )
        if pid:
            spent = cpu_seconds(pid) - cpu
            figures.cpu_ms_per_call = round(spent * 1000 / (args.config_rate * elapsed), 3)
            figures.target_cpu_pct = round(spent * 100 / elapsed, 1)
            figures.rss_mib = round(rss_mib(pid), 1)
    finally:
        stop.set()
        decisions.stop.set()
        published.stop.set()
        for thread in threads:
            thread.join(timeout=10)
        for consumer in consumers:
            consumer.close()
        gen.close()
        await api.aclose()
    return {
        **figures.__dict__,
        **_split(stages),
        "numbers": len(numbers),
        "timeout_seconds": TIMEOUT_SECONDS,
    }


def _split(stages: dict[str, list[float]]) -> dict[str, float]:
    """p50 and p99 of each stage of the changes (`publish_p50_ms`, ...)."""
    return {
        f"{stage}_{name}_ms": round(fn(values), 2)
        for stage, values in stages.items()
        for name, fn in (("p50", statistics.median), ("p99", lambda v: pct(v, 0.99)))
        if values
    }


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--changes", type=int, default=100, help="voice-action changes measured")
    parser.add_argument("--config-rate", type=int, default=1000, help="calls/s meanwhile")
    parser.add_argument("--config-numbers", type=int, default=2, help="numbers changed in turn")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--bootstrap-servers", default="127.0.0.1:9092")
    parser.add_argument("--base-url", default="http://127.0.0.1:8080")
    add_arguments(parser)
    print(json.dumps(asyncio.run(measure(parser.parse_args()))))


if __name__ == "__main__":
    main()
