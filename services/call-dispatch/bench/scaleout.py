# ruff: noqa: INP001, PLR0915, PLR0917, PLR2004, S101 - a benchmark script
"""`make bench-scaleout`: three call-dispatch processes in one consumer group, one killed -9.

Own topics per run; three processes with static membership (`GROUP_INSTANCE_ID`
dispatch-0/1/2) and cooperative-sticky rebalancing share `calls.inbound`'s partitions. Calls go in
at `--rate` for `--seconds`; after `--kill-after` seconds process 0 is killed with SIGKILL and
started again `--restart-after` seconds later under the same instance id. Prints:

- lost: calls sent that never got a decision;
- duplicates: calls decided more than once, and how many of those disagree (conflicting);
- latency of the calls sent from the kill until `--settle` seconds after the restarted process
  is ready again (p50/p99/max), next to those sent before the kill;
- liveness restarts: processes found not live (or exited) meanwhile and started again, as
  Kubernetes' liveness probe would (`Dispatchers.keep_alive`).

A static member that dies keeps its partitions until it comes back or `SESSION_TIMEOUT_MS`
passes, whichever is first: the restart time is the pause its partitions see.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import signal
import statistics
import subprocess
import sys
import threading
import time
import uuid
from pathlib import Path

import httpx
import view_memory
from aiokafka.admin import AIOKafkaAdminClient
from confluent_kafka import Consumer
from loadgen import Generator, pct
from run import LOGS, _publish_view

from callplane_shared.topics import TopicSpec, ensure_topics

VOLATILE = {"decidedAt", "occurredAt", "eventId"}


class Dispatchers:
    def __init__(self, env: dict[str, str], base_port: int) -> None:
        self._env = env
        self._base_port = base_port
        self.procs: dict[int, subprocess.Popen[bytes]] = {}
        self.lock = threading.Lock()
        self._held_down: set[int] = set()
        """Killed on purpose, not yet started again: not the liveness probe's business."""
        self.liveness_restarts: list[tuple[int, float]] = []

    def start(self, index: int) -> None:
        self._held_down.discard(index)
        env = {
            **self._env,
            "HTTP_PORT": str(self._base_port + index),
            "GROUP_INSTANCE_ID": f"dispatch-{index}",
        }
        with (LOGS / f"scaleout-{index}.log").open("ab") as out:
            self.procs[index] = subprocess.Popen(
                [sys.executable, "-m", "call_dispatch"], env=env, stdout=out, stderr=out
            )

    def ready(self, index: int, timeout: float) -> float:
        began = time.monotonic()
        while time.monotonic() - began < timeout:
            assert self.procs[index].poll() is None, f"dispatch-{index} exited: see its log"
            base = f"http://127.0.0.1:{self._base_port + index}"
            try:
                if httpx.get(f"{base}/readyz", timeout=2).status_code == 200:
                    return time.time()
                live = httpx.get(f"{base}/livez", timeout=2)
                assert live.status_code == 200, f"dispatch-{index} is not live: {live.text}"
            except httpx.HTTPError:
                pass
            time.sleep(0.1)
        raise RuntimeError(f"dispatch-{index} not ready after {timeout} s")

    def kill(self, index: int) -> None:
        self._held_down.add(index)
        self.procs[index].send_signal(signal.SIGKILL)
        self.procs[index].wait()

    def _dead(self, index: int) -> bool:
        if self.procs[index].poll() is not None:
            return index not in self._held_down
        try:
            live = httpx.get(f"http://127.0.0.1:{self._base_port + index}/livez", timeout=2)
        except httpx.HTTPError:
            return False  # starting, or too busy to answer: a probe's timeout is not a verdict
        return live.status_code != 200

    def keep_alive(self, until: threading.Event) -> None:
        """What Kubernetes' liveness probe does: a process that is not live (its loop died, e.g.
        a static member the broker fenced after its session timed out) or exited is killed and
        started again under its name. Each such restart is counted."""
        while not until.wait(1.0):
            for index, proc in list(self.procs.items()):
                # Probed outside the lock: a slow probe must not delay the bench's own kill and
                # restart, which the measured pause starts from.
                if index in self._held_down or not self._dead(index):
                    continue
                with self.lock:
                    if until.is_set():  # stopping: `stop_all` ends them, nothing starts again
                        return
                    if index in self._held_down or self.procs[index] is not proc:
                        continue  # killed or restarted by the bench meanwhile
                    self.liveness_restarts.append((index, time.time()))
                    self.kill(index)
                    self.start(index)

    def stop_all(self) -> None:
        with self.lock:  # after `keep_alive`'s round in progress, if any
            for p in self.procs.values():
                if p.poll() is None:
                    p.terminate()
            for p in self.procs.values():
                p.wait(timeout=60)


def _collect(consumer: Consumer, until: threading.Event, out: dict[str, list[bytes]]) -> None:
    """callId → every decision value seen, with the arrival time prefixed."""
    while not until.is_set():
        message = consumer.poll(0.1)
        if message is None or message.error() is not None:
            continue
        arrived = time.time_ns()
        key, value = message.key(), message.value()
        if isinstance(key, bytes) and isinstance(value, bytes):
            out.setdefault(key.decode(), []).append(b"%d|" % arrived + value)


async def _delete(bootstrap: str, topics: list[str]) -> None:
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await admin.start()
    await admin.delete_topics(topics)
    await admin.close()


def _conflicting(values: list[bytes]) -> bool:
    decisions = [json.loads(v.split(b"|", 1)[1]) for v in values]
    stable = [{k: v for k, v in d.items() if k not in VOLATILE} for d in decisions]
    return any(s != stable[0] for s in stable[1:])


def scaleout(args: argparse.Namespace) -> dict[str, object]:
    bootstrap, run = args.bootstrap_servers, f"scaleout-{uuid.uuid4().hex[:8]}"
    t = {n: f"{run}.{n}" for n in ("calls", "decisions", "masking", "actions", "routes")}
    specs = [
        TopicSpec(t[n], args.partitions, "delete", "callId", "bench")
        for n in ("calls", "decisions", "masking")
    ]
    specs += [
        TopicSpec(t["actions"], 6, "compact", "number", "bench"),
        TopicSpec(t["routes"], 3, "compact", "routeId", "bench"),
        specs[0].dlq,
    ]
    asyncio.run(ensure_topics(bootstrap, tuple(specs)))
    published = [f"+4179{i:07d}" for i in range(7000)]
    _publish_view(bootstrap, t["actions"], published)
    numbers = published[:: view_memory.ACTION_KINDS]  # 1,000 forwarding to the PSTN
    LOGS.mkdir(parents=True, exist_ok=True)
    env = {
        **os.environ,
        "KAFKA_BOOTSTRAP_SERVERS": bootstrap,
        "CONSUMER_GROUP": f"{run}-dispatch",
        "CALLS_INBOUND_TOPIC": t["calls"],
        "CALLS_DECISIONS_TOPIC": t["decisions"],
        "MASKING_REQUESTS_TOPIC": t["masking"],
        "VOICE_ACTIONS_TOPIC": t["actions"],
        "VOICE_ROUTES_TOPIC": t["routes"],
        "SESSION_TIMEOUT_MS": str(args.session_timeout_ms),
        "OTEL_TRACES_EXPORTER": "none",
    }
    dispatchers = Dispatchers(env, args.port)
    gen = Generator(bootstrap)
    seen: dict[str, list[bytes]] = {}
    sent: dict[str, float] = {}
    done = threading.Event()
    ready_times: list[float] = []
    killed_at = restarted_at = ready_at = None
    try:
        for i in range(3):
            dispatchers.start(i)
        for i in range(3):
            dispatchers.ready(i, 600)
        consumer = gen.collector(t["decisions"])
        collector = threading.Thread(target=_collect, args=(consumer, done, seen), daemon=True)
        collector.start()
        threading.Thread(target=dispatchers.keep_alive, args=(done,), daemon=True).start()
        began, seq = time.perf_counter(), 0
        while True:
            now = time.perf_counter() - began
            if killed_at is None and now >= args.kill_after:
                with dispatchers.lock:
                    dispatchers.kill(0)
                killed_at = time.time()
            if killed_at and restarted_at is None and now >= args.kill_after + args.restart_after:
                with dispatchers.lock:
                    dispatchers.start(0)
                restarted_at = time.time()
                # Readiness is awaited beside the load: the load must not stop meanwhile.
                threading.Thread(
                    target=lambda: ready_times.append(dispatchers.ready(0, 600)), daemon=True
                ).start()
            # The load runs `--seconds`, and on until `--settle` s after the restart is ready.
            settled = bool(ready_times) and time.time() > ready_times[0] + args.settle
            if now >= args.seconds and (settled or now >= args.seconds + 600):
                break
            call_id = gen.send(t["calls"], numbers[seq % len(numbers)], seq)
            sent[call_id] = time.time()
            seq += 1
            if seq % 20 == 0:
                gen.poll()
            time.sleep(max(0.0, began + seq / args.rate - time.perf_counter()))
        gen.close()
        deadline = time.monotonic() + args.drain
        while time.monotonic() < deadline and len(seen) < len(sent):
            time.sleep(0.2)
        done.set()
        collector.join()
        consumer.close()
        ready_at = ready_times[0] if ready_times else None
    finally:
        done.set()
        dispatchers.stop_all()
        asyncio.run(_delete(bootstrap, [s.name for s in specs]))
    figures = _figures(args, sent, seen, killed_at, restarted_at, ready_at)
    figures["liveness_restarts"] = [
        {"process": f"dispatch-{i}", "after_kill_s": round(at - (killed_at or at), 1)}
        for i, at in dispatchers.liveness_restarts
    ]
    return figures


def _figures(
    args: argparse.Namespace,
    sent: dict[str, float],
    seen: dict[str, list[bytes]],
    killed_at: float | None,
    restarted_at: float | None,
    ready_at: float | None,
) -> dict[str, object]:
    assert killed_at is not None
    window_end = (ready_at or time.time()) + args.settle
    before, during = [], []
    for call_id, at in sent.items():
        values = seen.get(call_id)
        if not values:
            continue
        latency = (int(values[0].split(b"|", 1)[0]) / 1e9 - at) * 1000
        if at < killed_at:
            before.append(latency)
        elif at <= window_end:
            during.append(latency)

    def summary(values: list[float]) -> dict[str, float]:
        return {
            "calls": len(values),
            "p50_ms": round(statistics.median(values), 1) if values else float("nan"),
            "p99_ms": round(pct(values, 0.99), 1),
            "max_ms": round(max(values, default=float("nan")), 1),
        }

    duplicates = [v for v in seen.values() if len(v) > 1]
    return {
        "rate": args.rate,
        "sent": len(sent),
        "lost": sum(1 for c in sent if c not in seen),
        "duplicates": len(duplicates),
        "conflicting_duplicates": sum(1 for v in duplicates if _conflicting(v)),
        "restart_to_ready_s": round(ready_at - restarted_at, 2)
        if ready_at and restarted_at
        else None,
        "before_kill": summary(before),
        "kill_to_ready_plus_settle": summary(during),
        "session_timeout_ms": args.session_timeout_ms,
        "load_average": os.getloadavg(),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--bootstrap-servers", default="127.0.0.1:9092")
    parser.add_argument("--rate", type=float, default=2000.0)
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--kill-after", type=float, default=15.0)
    parser.add_argument("--restart-after", type=float, default=0.0)
    parser.add_argument("--settle", type=float, default=5.0)
    parser.add_argument("--drain", type=float, default=60.0)
    parser.add_argument("--partitions", type=int, default=6)
    parser.add_argument("--session-timeout-ms", type=int, default=10_000)
    parser.add_argument("--port", type=int, default=8194)
    parser.add_argument("--out", type=Path, default=LOGS / "scaleout.json")
    args = parser.parse_args()
    # A stopped run (Ctrl-C, `timeout`) still stops its call-dispatch processes and topics.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    result = scaleout(args)
    args.out.write_text(json.dumps(result, indent=2))
    sys.stdout.write(json.dumps(result, indent=2) + "\n")
    sys.stdout.write(f"JSON: {args.out}\n")


if __name__ == "__main__":
    main()
