# ruff: noqa: INP001, S101, PLR2004, T201 - a benchmark script that prints its figures
"""`make bench` (number-masking): one customer's hanging callback must not slow another's calls.

Against the running system (`make up`): two accounts, each with a masking config pointing at a
customer server of this script on 127.0.0.1. The "hung" customer answers after 10 s (longer
than any deadline); the "healthy" one at once. Masking requests are published straight to
`masking.requests` and latency is publish → `CallDecision` consumed from `calls.decisions`.

1. baseline: the healthy customer alone, `--healthy-rate` calls/s for `--seconds`.
2. under attack: the same, while the hung customer gets `--hung-rate` calls/s (100 by default).

Requests are produced and decisions read with librdkafka (confluent-kafka), as call-dispatch's
`make bench` generator does: the figures hold number-masking's own two Kafka hops, not an aiokafka
floor of the bench's. Prints p50/p99 of both customers in both phases and how the hung
customer's calls were decided (its share of in-flight callbacks times out on the primary; the
rest go straight to the fallback, `pathReason` "customer share full"). Writes JSON (default
`.cache/bench/number-masking.json`).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import socket
import statistics
import sys
import threading
import time
import uuid
from collections import Counter
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import httpx
import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from callplane_shared.auth import generate_api_key, hash_api_key
from callplane_shared.events import AccountUpserted, CallDecision, MaskingRequest
from callplane_shared.topics import ACCOUNTS, CALLS_DECISIONS, MASKING_REQUESTS
from callplane_shared.voice import FallbackForward

REPO = Path(__file__).resolve().parents[3]
# call-dispatch's generator clients: the same producer and collector as the rest of `make bench`.
sys.path.insert(0, str(REPO / "services/call-dispatch/bench"))
import loadgen  # noqa: E402 - after its folder is importable

MASKED = "+41793026000"
TARGET = "+41793026999"
HANG_SECONDS = 10.0


@dataclass
class Figures:
    phase: str
    customer: str
    rate: float
    sent: int
    decided: int
    p50_ms: float
    p99_ms: float
    max_ms: float
    paths: dict[str, int] = field(default_factory=dict)
    share_full: int = 0
    """Decisions whose pathReason says the customer's share was full (sent straight to fallback)."""


def _pct(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


class Customers:
    """Two customer platforms in one uvicorn server on 127.0.0.1: /hung and /healthy."""

    def __init__(self) -> None:
        self.port = 0
        self._server: uvicorn.Server | None = None

    async def _hung(self, _: Request) -> JSONResponse:
        await asyncio.sleep(HANG_SECONDS)  # the hanging customer is what is measured
        return JSONResponse({"command": "dial", "phoneNumber": TARGET})

    async def _healthy(self, _: Request) -> JSONResponse:
        return JSONResponse({"command": "dial", "phoneNumber": TARGET})

    def start(self) -> None:
        sock = socket.socket()
        sock.bind(("127.0.0.1", 0))
        self.port = sock.getsockname()[1]
        app = Starlette(
            routes=[
                Route("/hung", self._hung, methods=["POST"]),
                Route("/healthy", self._healthy, methods=["POST"]),
            ]
        )
        config = uvicorn.Config(app, log_level="warning", lifespan="off", backlog=4096)
        self._server = uvicorn.Server(config)
        threading.Thread(target=self._server.run, kwargs={"sockets": [sock]}, daemon=True).start()
        deadline = time.monotonic() + 10
        while not self._server.started:
            assert time.monotonic() < deadline, "customer server did not start"
            time.sleep(0.01)

    def stop(self) -> None:
        if self._server is not None:
            self._server.should_exit = True


async def _tenant(run: Run, base_url: str, callback_url: str) -> tuple[str, str]:
    """(accountId, masking config key) of a fresh account."""
    account_id = f"bench-{uuid.uuid4().hex[:12]}"
    key = generate_api_key()
    event = AccountUpserted(
        account_id=account_id, name=account_id, currency="EUR", api_key_hashes=[hash_api_key(key)]
    )
    run.publish(ACCOUNTS.name, account_id, event.model_dump_json(by_alias=True))
    assert run.producer.flush(10) == 0, "the bench account was not published"
    async with httpx.AsyncClient(
        base_url=base_url, headers={"Authorization": f"App {key}"}, timeout=10
    ) as client:
        deadline = time.monotonic() + 30
        while (await client.get("/voice/masking/2/config")).status_code != 200:
            assert time.monotonic() < deadline, "the API never accepted the bench account's key"
            await asyncio.sleep(0.2)
        body = {"name": f"bench {account_id[-12:]}", "callbackUrl": callback_url}
        response = await client.post("/voice/masking/2/config", json=body)
        assert response.status_code == 200, response.text
        return account_id, str(response.json()["key"])


class Run:
    """Publishes masking requests and, in a thread of its own, reads `calls.decisions` from its
    current end, noting when each request's decision arrived."""

    def __init__(self, bootstrap: str) -> None:
        self.producer = loadgen.sender(bootstrap)
        self.sent: dict[str, tuple[str, float]] = {}  # callId -> (customer, monotonic sent)
        self.decided: dict[str, tuple[float, CallDecision]] = {}
        self._consumer = loadgen.collector(bootstrap, CALLS_DECISIONS.name)
        self._stopping = threading.Event()
        self._follower = threading.Thread(target=self._follow, daemon=True)
        self._follower.start()

    def _follow(self) -> None:
        while not self._stopping.is_set():
            first = self._consumer.poll(0.05)
            if first is None:
                continue
            arrived = time.monotonic()
            for message in (first, *self._consumer.consume(10_000, 0)):
                key, value = message.key(), message.value()
                if message.error() is not None or not isinstance(key, bytes) or not value:
                    continue
                call_id = key.decode()
                if call_id in self.sent and call_id not in self.decided:
                    self.decided[call_id] = (arrived, CallDecision.model_validate_json(value))

    def publish(self, topic: str, key: str, value: str) -> None:
        self.producer.produce(topic, value=value.encode(), key=key.encode())
        self.producer.poll(0)

    def close(self) -> None:
        self._stopping.set()
        self._follower.join(10)
        self._consumer.close()
        self.producer.flush(10)

    async def offer(
        self, customer: str, account_id: str, config_key: str, rate: float, seconds: float
    ) -> list[str]:
        """Publish `rate` requests per second for `seconds`, paced every 10 ms."""
        ids: list[str] = []
        started = time.monotonic()
        total = int(rate * seconds)
        while len(ids) < total:
            due = min(total, int((time.monotonic() - started) * rate) + 1)
            while len(ids) < due:
                call_id = f"{customer}-{uuid.uuid4().hex[:16]}"
                request = MaskingRequest(
                    call_id=call_id,
                    number=MASKED,
                    account_id=account_id,
                    config_key=config_key,
                    from_="+41793026731",
                    to=MASKED,
                    received_at=datetime.now(UTC),
                    action_version=1,
                    fallback=FallbackForward(pstn_number=TARGET),
                )
                self.sent[call_id] = (customer, time.monotonic())
                self.publish(MASKING_REQUESTS.name, call_id, request.model_dump_json(by_alias=True))
                ids.append(call_id)
            await asyncio.sleep(0.01)
        return ids

    async def settle(self, ids: list[str], timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while any(i not in self.decided for i in ids) and time.monotonic() < deadline:  # noqa: ASYNC110 - bounded polling
            await asyncio.sleep(0.1)

    def figures(self, phase: str, customer: str, ids: list[str], rate: float) -> Figures:
        latencies, paths, share_full = [], Counter[str](), 0
        for call_id in ids:
            if call_id not in self.decided:
                continue
            at, decision = self.decided[call_id]
            latencies.append((at - self.sent[call_id][1]) * 1000)
            paths[str(decision.path)] += 1
            share_full += "share full" in (decision.path_reason or "")
        return Figures(
            phase=phase,
            customer=customer,
            rate=rate,
            sent=len(ids),
            decided=len(latencies),
            p50_ms=round(statistics.median(latencies), 1) if latencies else float("nan"),
            p99_ms=round(_pct(latencies, 0.99), 1),
            max_ms=round(max(latencies, default=float("nan")), 1),
            paths=dict(paths),
            share_full=share_full,
        )


async def bench(args: argparse.Namespace) -> list[Figures]:
    customers = Customers()
    customers.start()
    run = Run(args.kafka)
    try:
        base = f"http://127.0.0.1:{customers.port}"
        hung = await _tenant(run, args.base_url, f"{base}/hung")
        healthy = await _tenant(run, args.base_url, f"{base}/healthy")
        warm = await run.offer("warmup", *healthy, rate=10, seconds=2)
        await run.settle(warm, timeout=30)

        alone = await run.offer("healthy", *healthy, rate=args.healthy_rate, seconds=args.seconds)
        await run.settle(alone, timeout=30)
        results = [run.figures("baseline", "healthy", alone, args.healthy_rate)]

        attack = asyncio.create_task(
            run.offer("hung", *hung, rate=args.hung_rate, seconds=args.seconds)
        )
        # The hung customer's share fills first; the healthy customer is measured under it.
        await asyncio.sleep(3)
        during = await run.offer(
            "healthy", *healthy, rate=args.healthy_rate, seconds=args.seconds - 3
        )
        hung_ids = await attack
        await run.settle(during + hung_ids, timeout=60)
        results.append(run.figures("hung customer at load", "healthy", during, args.healthy_rate))
        results.append(run.figures("hung customer at load", "hung", hung_ids, args.hung_rate))
        return results
    finally:
        run.close()
        customers.stop()


async def healthy_only(args: argparse.Namespace) -> Figures:
    """One instant customer alone at `args.healthy_rate` for `args.seconds`: number-masking's
    own floor (call-dispatch's `make bench` prints it beside the other layers)."""
    customers = Customers()
    customers.start()
    run = Run(args.kafka)
    try:
        base = f"http://127.0.0.1:{customers.port}"
        healthy = await _tenant(run, args.base_url, f"{base}/healthy")
        warm = await run.offer("warmup", *healthy, rate=10, seconds=2)
        await run.settle(warm, timeout=30)
        ids = await run.offer("instant", *healthy, rate=args.healthy_rate, seconds=args.seconds)
        await run.settle(ids, timeout=30)
        return run.figures("alone", "instant", ids, args.healthy_rate)
    finally:
        run.close()
        customers.stop()


def _print(results: list[Figures]) -> None:
    print(
        f"{'phase':24} {'customer':8} {'rate':>5} {'sent':>5} {'decided':>7} "
        f"{'p50 ms':>8} {'p99 ms':>8} {'max ms':>8}  paths"
    )
    for f in results:
        paths = ", ".join(f"{k} {v}" for k, v in sorted(f.paths.items()))
        if f.share_full:
            paths += f" (share full: {f.share_full})"
        print(
            f"{f.phase:24} {f.customer:8} {f.rate:5.0f} {f.sent:5d} {f.decided:7d} "
            f"{f.p50_ms:8.1f} {f.p99_ms:8.1f} {f.max_ms:8.1f}  {paths}"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--kafka", default=os.environ.get("CALLPLANE_TEST_KAFKA", "127.0.0.1:9092"))
    parser.add_argument(
        "--base-url", default=os.environ.get("CALLPLANE_TEST_BASE_URL", "http://127.0.0.1:8080")
    )
    parser.add_argument("--hung-rate", type=float, default=100.0)
    parser.add_argument("--healthy-rate", type=float, default=20.0)
    parser.add_argument("--seconds", type=float, default=20.0)
    parser.add_argument("--out", type=Path, default=REPO / ".cache/bench/number-masking.json")
    args = parser.parse_args()
    try:
        httpx.get(f"{args.base_url}/_services/number-masking/readyz", timeout=15).raise_for_status()
    except httpx.HTTPError as exc:
        raise SystemExit(
            f"number-masking is not ready at {args.base_url} ({exc}): run `make up`"
        ) from None
    results = asyncio.run(bench(args))
    _print(results)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps([asdict(f) for f in results], indent=2))
    print(f"written to {args.out}")


if __name__ == "__main__":
    main()
