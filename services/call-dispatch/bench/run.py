# ruff: noqa: INP001, S603, ASYNC220, ASYNC221, PLR2004, PLR0917, S101 - a benchmark script
"""`make bench`: call-dispatch against the trivial relay, on the real broker, in one run.

1. Own topics per run (auto-create is off); `VIEW_NUMBERS` numbers published to the run's
   `voice.actions`; a call-dispatch process started on those topics (its /readyz time is the view
   rebuild from the topic).
2. The relay baseline (`relay.py`) started with the same client settings.
3. For each rate: calls published at that rate to call-dispatch, then to the relay; latency is
   `receivedAt` (stamped at send) → output record consumed, measured here.
4. The view with 1,000,000 numbers: RSS and build time in a fresh process (`view_memory.py`).

Prints a table and writes JSON (default `.cache/bench/call-dispatch.json`).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import subprocess
import sys
import time
import uuid
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path

import httpx
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient

from callplane_shared.topics import TopicSpec, ensure_topics

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[2]
CALL = (
    '{{"callId":"{call_id}","from":"+41445550100","to":"{to}","receivedAt":"{at}",'
    '"endpoint":{{"type":"PHONE"}}}}'
)


@dataclass
class Figures:
    target: str
    rate_offered: float
    rate_achieved: float
    sent: int
    received: int
    p50_ms: float
    p95_ms: float
    p99_ms: float
    max_ms: float
    cpu_ms_per_call: float = float("nan")
    """CPU time (user + system) the target process spent per call: its capacity on one core,
    whatever else competes for the machine's cores."""


def _cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


async def _publish_view(bootstrap: str, topic: str, numbers: list[str]) -> None:
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, acks="all", linger_ms=20)
    await producer.start()
    try:
        sends = []
        for i, number in enumerate(numbers):
            value = (
                f'{{"number":"{number}","numberKey":"{i:032X}","accountId":"acc-bench",'
                f'"voiceCapable":true,"version":1,'
                f'"action":{{"type":"FORWARD_TO_PSTN","pstnNumber":"+41445550{i % 1000:03d}"}}}}'
            )
            sends.append(await producer.send(topic, value.encode(), key=number.encode()))
        await asyncio.gather(*sends)
    finally:
        await producer.stop()


async def _measure(
    bootstrap: str, source: str, sink: str, numbers: list[str], rate: int, seconds: float
) -> Figures:
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, group_id=None, fetch_max_wait_ms=5)
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, acks="all", enable_idempotence=True)
    await consumer.start()
    await producer.start()
    assigned = [TopicPartition(sink, p) for p in await producer.partitions_for(sink)]
    consumer.assign(assigned)
    await consumer.seek_to_end(*assigned)
    for tp in assigned:
        await consumer.position(tp)
    total = int(rate * seconds)
    latencies: list[float] = []
    last_at = 0.0

    async def collect() -> None:
        nonlocal last_at
        while len(latencies) < total:
            batches = await consumer.getmany(timeout_ms=100)
            now = datetime.now(UTC)
            for records in batches.values():
                for r in records:
                    received = datetime.fromisoformat(json.loads(r.value)["receivedAt"])
                    latencies.append((now - received).total_seconds() * 1000)
            if batches:
                last_at = time.perf_counter()

    collector = asyncio.create_task(collect())
    began = time.perf_counter()
    pending = []
    for i in range(total):
        due = began + i / rate
        delay = due - time.perf_counter()
        if delay > 0.001:
            await asyncio.gather(*pending)
            pending.clear()
            await asyncio.sleep(delay)
        at = datetime.now(UTC).isoformat().replace("+00:00", "Z")
        value = CALL.format(call_id=uuid.uuid4().hex, to=numbers[i % len(numbers)], at=at)
        pending.append(await producer.send(source, value.encode(), key=value[11:43].encode()))
    await asyncio.gather(*pending)
    try:
        await asyncio.wait_for(collector, timeout=30)
    except TimeoutError:
        collector.cancel()
    await producer.stop()
    await consumer.stop()
    elapsed = (last_at or time.perf_counter()) - began
    return Figures(
        target=sink,
        rate_offered=rate,
        rate_achieved=round(len(latencies) / elapsed, 1) if elapsed > 0 else 0.0,
        sent=total,
        received=len(latencies),
        p50_ms=round(statistics.median(latencies), 2) if latencies else float("nan"),
        p95_ms=round(_pct(latencies, 0.95), 2) if latencies else float("nan"),
        p99_ms=round(_pct(latencies, 0.99), 2) if latencies else float("nan"),
        max_ms=round(max(latencies), 2) if latencies else float("nan"),
    )


async def _replay_view(bootstrap: str, topic: str) -> float:
    """The service's own view code replaying the topic in this process: the rebuild time."""
    from call_dispatch.view import DispatchView
    from callplane_shared.supervision import Supervisor
    from callplane_shared.views import CompactedTopicView

    began = time.perf_counter()
    view = CompactedTopicView(
        {"bootstrap_servers": bootstrap},
        topic,
        DispatchView().apply_action,
        supervisor=Supervisor("bench"),
    )
    await view.start()
    await view.wait_caught_up(600)
    seconds = time.perf_counter() - began
    await view.stop()
    return seconds


async def _ready(proc: subprocess.Popen[bytes], port: int, timeout: float) -> float:
    began = time.perf_counter()
    async with httpx.AsyncClient() as client:
        while time.perf_counter() - began < timeout:
            if proc.poll() is not None:
                raise RuntimeError("call-dispatch exited; see .cache/bench/call-dispatch.log")
            try:
                if (await client.get(f"http://127.0.0.1:{port}/readyz")).status_code == 200:
                    return time.perf_counter() - began
            except httpx.HTTPError:
                pass
            await asyncio.sleep(0.1)
    raise RuntimeError("call-dispatch did not become ready; see .cache/bench/call-dispatch.log")


async def bench(args: argparse.Namespace) -> dict[str, object]:
    bootstrap = args.bootstrap_servers
    run = f"bench-{uuid.uuid4().hex[:8]}"
    t = {
        name: f"{run}.{name}"
        for name in ("calls", "decisions", "masking", "actions", "routes", "relay-in", "relay-out")
    }
    specs = [
        TopicSpec(t[n], 6, "delete", "callId", "bench")
        for n in ("calls", "decisions", "masking", "relay-in", "relay-out")
    ]
    specs += [
        TopicSpec(t["actions"], 6, "compact", "number", "bench"),
        TopicSpec(t["routes"], 3, "compact", "routeId", "bench"),
    ]
    specs.append(specs[0].dlq)
    await ensure_topics(bootstrap, tuple(specs))
    numbers = [f"+4179{i:07d}" for i in range(args.view_numbers)]
    began = time.perf_counter()
    await _publish_view(bootstrap, t["actions"], numbers)
    publish_view_s = time.perf_counter() - began
    replay_s = await _replay_view(bootstrap, t["actions"])

    log_dir = REPO / ".cache/bench"
    log_dir.mkdir(parents=True, exist_ok=True)
    env = {
        **os.environ,
        "HTTP_PORT": str(args.port),
        "KAFKA_BOOTSTRAP_SERVERS": bootstrap,
        "DISPATCH_OPERATOR_TOKEN": "bench-operator-token-0123456789-xx",
        "CONSUMER_GROUP": f"{run}-dispatch",
        "CALLS_INBOUND_TOPIC": t["calls"],
        "CALLS_DECISIONS_TOPIC": t["decisions"],
        "MASKING_REQUESTS_TOPIC": t["masking"],
        "VOICE_ACTIONS_TOPIC": t["actions"],
        "VOICE_ROUTES_TOPIC": t["routes"],
        "DECISION_LOG_COLLECTION": "bench_dispatch_decisions",
        "OTEL_TRACES_EXPORTER": "none",
        "DECISION_LOG_ENABLED": "false" if args.no_decision_log else "true",
    }
    procs = []
    with (log_dir / "call-dispatch.log").open("wb") as out:
        procs.append(
            subprocess.Popen(
                [sys.executable, "-m", "call_dispatch"],
                env=env,
                stdout=out,
                stderr=subprocess.STDOUT,
            )
        )
        procs.append(
            subprocess.Popen(
                [
                    sys.executable,
                    str(HERE / "relay.py"),
                    bootstrap,
                    t["relay-in"],
                    t["relay-out"],
                    f"{run}-relay",
                ],
                stdout=out,
                stderr=subprocess.STDOUT,
            )
        )
    try:
        rebuild_s = await _ready(procs[0], args.port, 120)
        # Warm both paths (connections, caches, group joins) before measuring.
        await _measure(bootstrap, t["calls"], t["decisions"], numbers, 500, 1)
        await _measure(bootstrap, t["relay-in"], t["relay-out"], numbers, 500, 1)
        rows: list[Figures] = []
        for rate in args.rates:
            cpu = _cpu_seconds(procs[0].pid)
            dispatch = await _measure(
                bootstrap, t["calls"], t["decisions"], numbers, rate, args.seconds
            )
            dispatch.target = "call-dispatch"
            dispatch.cpu_ms_per_call = round(
                (_cpu_seconds(procs[0].pid) - cpu) * 1000 / max(dispatch.received, 1), 3
            )
            cpu = _cpu_seconds(procs[1].pid)
            relay = await _measure(
                bootstrap, t["relay-in"], t["relay-out"], numbers, rate, args.seconds
            )
            relay.target = "relay baseline"
            relay.cpu_ms_per_call = round(
                (_cpu_seconds(procs[1].pid) - cpu) * 1000 / max(relay.received, 1), 3
            )
            rows += [dispatch, relay]
    finally:
        for p in procs:
            p.terminate()
            p.wait(timeout=30)
        admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
        await admin.start()
        await admin.delete_topics([s.name for s in specs])
        await admin.close()

    memory = json.loads(
        subprocess.run(
            [sys.executable, str(HERE / "view_memory.py"), str(args.memory_numbers)],
            capture_output=True,
            check=True,
            text=True,
        ).stdout
    )
    return {
        "run": run,
        "decision_log": not args.no_decision_log,
        "rows": [asdict(r) for r in rows],
        "view_from_topic": {
            "numbers": args.view_numbers,
            "publish_seconds": round(publish_view_s, 2),
            "replay_seconds": round(replay_s, 2),
            "replay_scaled_to_1m_seconds": round(replay_s * 1_000_000 / args.view_numbers, 1),
            "process_start_to_ready_seconds": round(rebuild_s, 2),
        },
        "view_in_process": memory,
    }


def _print(result: dict[str, object]) -> None:
    rows = result["rows"]
    assert isinstance(rows, list)
    head = f"{'target':<16}{'offered/s':>10}{'achieved/s':>11}{'recv':>8}{'p50 ms':>9}"
    head += f"{'p95 ms':>9}{'p99 ms':>9}{'max ms':>9}{'cpu ms/call':>12}"
    lines = [head, "-" * len(head)]
    lines += [
        f"{r['target']:<16}{r['rate_offered']:>10.0f}{r['rate_achieved']:>11.0f}{r['received']:>8}"
        f"{r['p50_ms']:>9.2f}{r['p95_ms']:>9.2f}{r['p99_ms']:>9.2f}{r['max_ms']:>9.2f}"
        f"{r['cpu_ms_per_call']:>12.3f}"
        for r in rows
    ]
    lines.append(f"view from topic: {json.dumps(result['view_from_topic'])}")
    lines.append(f"view in process: {json.dumps(result['view_in_process'])}")
    sys.stdout.write("\n".join(lines) + "\n")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--bootstrap-servers", default="127.0.0.1:9092")
    parser.add_argument("--rates", type=int, nargs="+", default=[1000, 5000])
    parser.add_argument("--seconds", type=float, default=8.0)
    parser.add_argument("--view-numbers", type=int, default=100_000)
    parser.add_argument("--memory-numbers", type=int, default=1_000_000)
    parser.add_argument("--port", type=int, default=8193)
    parser.add_argument(
        "--no-decision-log", action="store_true", help="Run call-dispatch without its MongoDB log."
    )
    parser.add_argument("--out", type=Path, default=REPO / ".cache/bench/call-dispatch.json")
    args = parser.parse_args()
    result = asyncio.run(bench(args))
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=2))
    _print(result)
    sys.stdout.write(f"JSON: {args.out}\n")


if __name__ == "__main__":
    main()
