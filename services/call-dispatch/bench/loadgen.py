# ruff: noqa: INP001, PLR0917 - a benchmark module beside its scripts
"""The load generator of `make bench`: calls into a source topic, their outputs read back from a
sink topic, each call's latency from its send to the output's arrival here.

librdkafka (confluent-kafka) on both sides so the generator costs a few microseconds per call and
is never what saturates: its own CPU is measured and printed with every row. The send time travels
in the callId (`<ns since epoch, hex>-<seq>`), which every target copies into its output's key, so
the collector reads no JSON.

A rate of 0 is "one call at a time": send, wait for its output, send the next.
"""

from __future__ import annotations

import os
import statistics
import threading
import time
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from confluent_kafka import Consumer, Producer, TopicPartition

CALL = (
    '{{"callId":"{call_id}","from":"+41445550100","to":"{to}","receivedAt":"{at}",'
    '"endpoint":{{"type":"PHONE"}}}}'
)
DRAIN_SECONDS = 20.0
"""How long outputs are awaited after the last send before the rest counts as not received."""


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
    generator_cpu_pct: float
    """The generator's own CPU (all its threads) over the row, in % of one core."""
    cpu_ms_per_call: float = float("nan")
    """CPU time (user + system) the target process spent per call: its cost on one core, whatever
    else competes for the machine's cores."""
    target_cpu_pct: float = float("nan")
    loop_cpu_ms_per_call: float = float("nan")
    """The share of `cpu_ms_per_call` spent on the main thread: the event loop, where Python runs
    under one lock. One process cannot decide more than 1000 / this many calls per second,
    however many cores it is given; librdkafka's own threads make up the rest."""
    rss_mib: float = float("nan")
    load_average: float = float("nan")
    """The machine's 1-minute load average at the end of the row."""
    host_busy_pct: float = float("nan")
    """How busy the machine's cores were over the row (all processes, 100 = every core): at 100
    the row measures the machine, not the target."""


def host_ticks() -> tuple[int, int]:
    """(all, idle) CPU ticks of the whole machine since boot (/proc/stat)."""
    ticks = [int(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    return sum(ticks), ticks[3] + ticks[4]  # idle + iowait


def host_busy_pct(since: tuple[int, int]) -> float:
    total, idle = host_ticks()
    spent = total - since[0]
    return round(100 * (1 - (idle - since[1]) / spent), 1) if spent else float("nan")


def wait_for_quiet_host(busy_below_pct: float = 35.0, timeout: float = 60.0) -> float:
    """Wait (bounded) until the machine was under `busy_below_pct` busy for a whole second, and
    return how busy that last second was. A row started right after the 10,000/s rows measured
    the broker deleting their topics and the stack catching up, not its own target."""
    deadline = time.monotonic() + timeout
    while True:
        since = host_ticks()
        time.sleep(1.0)  # the sampling window itself, not a wait for an event
        busy = host_busy_pct(since)
        if busy < busy_below_pct or time.monotonic() > deadline:
            return busy


def cpu_seconds(pid: int, thread: int | None = None) -> float:
    """User + system CPU of process `pid`, or of its thread `thread` only (the main thread, the
    event loop, is `pid` itself)."""
    stat = f"/proc/{pid}/stat" if thread is None else f"/proc/{pid}/task/{thread}/stat"
    fields = Path(stat).read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def rss_mib(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def pct(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def sender(bootstrap: str) -> Producer:
    """The generator's producer (also number-masking's bench): acks=all, idempotent, no linger."""
    return Producer(
        {
            "bootstrap.servers": bootstrap,
            "acks": "all",
            "enable.idempotence": True,
            "linger.ms": 0,
            "partitioner": "murmur2_random",
        }
    )


def collector(bootstrap: str, sink: str) -> Consumer:
    """A consumer of `sink` from its current ends, resolved now (outputs of the first calls must
    not be skipped), in no group's way (a group id of its own, nothing committed)."""
    consumer = Consumer(
        {
            "bootstrap.servers": bootstrap,
            "group.id": f"bench-collector-{uuid.uuid4().hex[:8]}",
            "enable.auto.commit": False,
            "fetch.wait.max.ms": 5,
        }
    )
    partitions = consumer.list_topics(sink, timeout=10).topics[sink].partitions
    consumer.assign(
        [
            TopicPartition(sink, p, consumer.get_watermark_offsets(TopicPartition(sink, p))[1])
            for p in partitions
        ]
    )
    return consumer


class Generator:
    def __init__(self, bootstrap: str) -> None:
        self._bootstrap = bootstrap
        self._producer = sender(bootstrap)

    def close(self) -> None:
        self._producer.flush(10)

    def collector(self, sink: str) -> Consumer:
        return collector(self._bootstrap, sink)

    def send(self, source: str, to: str, seq: int) -> str:
        sent_ns = time.time_ns()
        call_id = f"{sent_ns:x}-{seq}"
        at = datetime.fromtimestamp(sent_ns / 1e9, UTC).isoformat().replace("+00:00", "Z")
        value = CALL.format(call_id=call_id, to=to, at=at)
        self._producer.produce(source, value=value.encode(), key=call_id.encode())
        return call_id

    def measure(
        self, target: str, source: str, sink: str, numbers: list[str], rate: int, seconds: float
    ) -> Figures:
        consumer = self.collector(sink)
        latencies: list[float] = []
        total = int(rate * seconds) if rate else int(seconds)
        cpu_began, began = time.process_time(), time.perf_counter()
        try:
            if rate:
                self._paced(consumer, source, numbers, rate, total, latencies)
            else:
                self._one_at_a_time(consumer, source, numbers, total, latencies)
        finally:
            consumer.close()
        elapsed = time.perf_counter() - began
        return Figures(
            target=target,
            rate_offered=rate,
            rate_achieved=round(len(latencies) / elapsed, 1),
            sent=total,
            received=len(latencies),
            p50_ms=round(statistics.median(latencies), 2) if latencies else float("nan"),
            p95_ms=round(pct(latencies, 0.95), 2),
            p99_ms=round(pct(latencies, 0.99), 2),
            max_ms=round(max(latencies, default=float("nan")), 2),
            generator_cpu_pct=round((time.process_time() - cpu_began) * 100 / elapsed, 1),
            load_average=round(os.getloadavg()[0], 1),
        )

    def _paced(
        self,
        consumer: Consumer,
        source: str,
        numbers: list[str],
        rate: int,
        total: int,
        latencies: list[float],
    ) -> None:
        sending = threading.Thread(
            target=self._pace, args=(source, numbers, rate, total), daemon=True
        )
        sending.start()
        deadline = None
        while len(latencies) < total:
            if deadline is None and not sending.is_alive():
                deadline = time.monotonic() + DRAIN_SECONDS
            if deadline is not None and time.monotonic() > deadline:
                break
            _collect(consumer, latencies)
        sending.join()

    def _pace(self, source: str, numbers: list[str], rate: int, total: int) -> None:
        began = time.perf_counter()
        sent = 0
        while sent < total:
            due = min(total, int((time.perf_counter() - began) * rate) + 1)
            while sent < due:
                self.send(source, numbers[sent % len(numbers)], sent)
                sent += 1
            self.poll()
            # Sleep to the next call's due time (at least a scheduler tick).
            time.sleep(max(0.0, began + sent / rate - time.perf_counter()))
        self._producer.flush(30)

    def poll(self) -> None:
        """Serve the producer's delivery reports (none are asked for: errors only)."""
        self._producer.poll(0)

    def _one_at_a_time(
        self, consumer: Consumer, source: str, numbers: list[str], total: int, out: list[float]
    ) -> None:
        for seq in range(total):
            wanted = len(out) + 1
            self.send(source, numbers[seq % len(numbers)], seq)
            self._producer.poll(0)
            deadline = time.monotonic() + 10
            while len(out) < wanted and time.monotonic() < deadline:
                _collect(consumer, out)


def _collect(consumer: Consumer, latencies: list[float]) -> None:
    first = consumer.poll(0.05)
    if first is None:
        return
    now_ns = time.time_ns()
    for message in (first, *consumer.consume(10_000, 0)):
        key = message.key()
        if message.error() is None and isinstance(key, bytes) and b"-" in key:
            latencies.append((now_ns - int(key.split(b"-", 1)[0], 16)) / 1e6)
