"""Invariant 3 across a crash: `kill -9` a call-dispatch mid-stream, start another, and every
call still has exactly one distinct decision.

Runs its own call-dispatch process on its own topics and consumer group (settings overrides), so
the instance `make up` runs never shares these partitions.
"""

from __future__ import annotations

import asyncio
import json
import os
import signal
import socket
import subprocess
import sys
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from aiokafka import AIOKafkaProducer
from aiokafka.admin import AIOKafkaAdminClient
from confluent_kafka import Consumer

from callplane_shared.topics import TopicSpec, ensure_topics
from callplane_shared.voice import ForwardToIvr, ForwardToPstn
from tests.endpoints import Endpoints
from tests.integration.call_dispatch.support import (
    TopicWatcher,
    publish_action,
    publish_call,
    publish_scenario,
)
from tests.support import eventually, unique
from tests.unit.call_dispatch.builders import action_set, inbound, unique_number

pytestmark = pytest.mark.integration
CALLS = 2000
VOLATILE = {"decidedAt", "occurredAt"}


@dataclass(frozen=True)
class OwnTopics:
    inbound: str
    decisions: str
    masking: str


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
async def own_topics(endpoints: Endpoints) -> AsyncIterator[OwnTopics]:
    run = unique("crash")
    topics = OwnTopics(f"{run}.calls.inbound", f"{run}.calls.decisions", f"{run}.masking.requests")
    specs = tuple(
        TopicSpec(name, 6, "delete", "callId", "crash test")
        for name in (topics.inbound, topics.decisions, topics.masking)
    )
    await ensure_topics(endpoints.kafka, (*specs, specs[0].dlq))
    yield topics
    admin = AIOKafkaAdminClient(bootstrap_servers=endpoints.kafka)
    await admin.start()
    try:
        await admin.delete_topics([s.name for s in specs] + [specs[0].dlq.name])
    finally:
        await admin.close()


async def _committed(bootstrap: str, group: str) -> int:
    """How many records of its topic `group` has committed, over all partitions."""
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await admin.start()
    try:
        offsets = await admin.list_consumer_group_offsets(group)
    finally:
        await admin.close()
    return sum(max(meta.offset, 0) for meta in offsets.values())


class DispatchProcess:
    def __init__(self, env: dict[str, str], log: Path) -> None:
        self.port = int(env["HTTP_PORT"])
        self.group = env["CONSUMER_GROUP"]
        self.env = env
        """Read at `start`: a test may add to it before."""
        self._log = log
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        with self._log.open("ab") as out:
            self.proc = subprocess.Popen(
                [sys.executable, "-m", "call_dispatch"],
                env=self.env,
                stdout=out,
                stderr=subprocess.STDOUT,
            )

    async def ready(self) -> None:
        async def probe() -> bool:
            assert self.proc is not None
            assert self.proc.poll() is None, self._log.read_text()[-2000:]
            try:
                async with httpx.AsyncClient() as client:
                    reply = await client.get(f"http://127.0.0.1:{self.port}/readyz")
            except httpx.HTTPError:
                return False
            return reply.status_code == 200

        # Generous: a cold interpreter start takes over a minute on a busy shared machine.
        await eventually(probe, timeout=240, interval=0.2, what="own call-dispatch ready")

    def kill9(self) -> None:
        assert self.proc is not None
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait(timeout=10)

    def terminate(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.proc.kill()


@pytest.fixture
def dispatch_process(
    endpoints: Endpoints, own_topics: OwnTopics, tmp_path: Path
) -> Iterator[DispatchProcess]:
    env = {
        **os.environ,
        "HTTP_PORT": str(_free_port()),
        "KAFKA_BOOTSTRAP_SERVERS": endpoints.kafka,
        "MONGODB_URI": endpoints.mongodb_uri,
        "CONSUMER_GROUP": unique("call-dispatch-crash"),
        "CALLS_INBOUND_TOPIC": own_topics.inbound,
        "CALLS_DECISIONS_TOPIC": own_topics.decisions,
        "MASKING_REQUESTS_TOPIC": own_topics.masking,
        "BATCH_MAX_RECORDS": "100",
        "OTEL_TRACES_EXPORTER": "none",
        # Test-only: this instance lets a test crash one of its tasks (never in `make up`).
        "SUPERVISION_FAULT_INJECTION": "true",
    }
    process = DispatchProcess(env, tmp_path / "call-dispatch.log")
    yield process
    process.terminate()


# Two cold starts of a service and 2,000 calls: beyond the default 300 s on a busy shared machine.
@pytest.mark.timeout(900)
async def test_kill_9_mid_stream_loses_and_changes_no_decision(
    endpoints: Endpoints,
    producer: AIOKafkaProducer,
    own_topics: OwnTopics,
    dispatch_process: DispatchProcess,
) -> None:
    forward, ivr = unique_number(), unique_number()
    await publish_action(
        producer, action_set(forward, 1, ForwardToPstn(pstn_number="+41445550501"))
    )
    await publish_scenario(producer, "crash")  # replayed by the process before it is ready
    await publish_action(producer, action_set(ivr, 1, ForwardToIvr(scenario_key="crash")))
    targets = [forward, ivr, unique_number()]
    calls = [inbound(targets[i % 3]) for i in range(CALLS)]

    watcher = TopicWatcher(endpoints.kafka, [own_topics.decisions])
    await watcher.start(producer)
    decided = watcher.records[own_topics.decisions]
    try:
        dispatch_process.start()
        await dispatch_process.ready()
        first, second = calls[: CALLS // 2], calls[CALLS // 2 :]
        await asyncio.gather(*(publish_call(producer, c, own_topics.inbound) for c in first))

        async def some_decided() -> bool:
            return len(decided) >= 100

        await eventually(some_decided, timeout=30, interval=0.01, what="first decisions")
        dispatch_process.kill9()
        decided_before_kill = len(decided)
        committed_at_kill = await _committed(endpoints.kafka, dispatch_process.group)
        await asyncio.gather(*(publish_call(producer, c, own_topics.inbound) for c in second))
        dispatch_process.start()
        await dispatch_process.ready()  # the bound below is for deciding, not a cold start

        async def all_decided() -> bool:
            return all(c.call_id in decided for c in calls)

        await eventually(all_decided, timeout=120, interval=0.2, what="every call decided")
    finally:
        await watcher.stop()

    assert decided_before_kill < CALLS, "the kill came after the last call: nothing was tested"
    # The killed instance had been handed calls it never committed: the next one read them
    # again (re-delivery), and each still has one distinct decision (checked below).
    assert committed_at_kill < len(first), (committed_at_kill, len(first))
    redelivered = [c for c in first[committed_at_kill:] if c.call_id in decided]
    assert redelivered, "no call published before the kill was decided after it"
    for call in calls:
        distinct = {
            json.dumps({k: v for k, v in json.loads(raw).items() if k not in VOLATILE})
            for _, raw in decided[call.call_id]
        }
        assert len(distinct) == 1, (call.call_id, distinct)
    kinds = {json.loads(decided[c.call_id][0][1])["instruction"]["kind"] for c in calls}
    assert kinds == {"forward", "ivr", "reject"}


async def _probe(port: int, path: str) -> httpx.Response:
    async with httpx.AsyncClient(timeout=10) as client:
        return await client.get(f"http://127.0.0.1:{port}{path}")


async def test_a_dead_task_makes_the_process_not_live_and_says_which(
    dispatch_process: DispatchProcess,
) -> None:
    """Invariant 10: a view follower or the hot loop that dies fails /livez (Kubernetes
    restarts the process) and /readyz; before issue 12 /livez stayed 200 for good."""
    dispatch_process.start()
    await dispatch_process.ready()
    port = dispatch_process.port
    assert (await _probe(port, "/livez")).status_code == 200
    async with httpx.AsyncClient(timeout=10) as client:
        killed = await client.post(
            f"http://127.0.0.1:{port}/_supervision/tasks/view:voice.routes/kill"
        )
    assert killed.status_code == 202, killed.text

    async def not_live() -> httpx.Response | None:
        reply = await _probe(port, "/livez")
        return reply if reply.status_code == 503 else None

    dead = await eventually(not_live, timeout=10, what="/livez failing")
    assert dead.json()["checks"]["view:voice.routes"] == "died: cancelled"
    assert dead.json()["checks"]["dispatcher"] == "ok"
    ready = await _probe(port, "/readyz")
    assert ready.status_code == 503
    assert ready.json()["checks"]["view"] == "not ready"


async def test_a_fenced_static_member_makes_the_process_not_live(
    endpoints: Endpoints, dispatch_process: DispatchProcess
) -> None:
    """A static member whose `group.instance.id` another consumer took over is fenced by the
    broker; librdkafka reports it as a fatal `_FATAL` event, and the consumer is unusable. The
    hot loop must die with it (Kubernetes restarts the process): a `make bench-scaleout` run
    read past that event, and three live processes decided nothing."""
    instance = unique("dispatch-static")
    dispatch_process.env["GROUP_INSTANCE_ID"] = instance
    dispatch_process.start()
    await dispatch_process.ready()
    port = dispatch_process.port
    assert (await _probe(port, "/livez")).status_code == 200

    usurper = Consumer(
        {
            "bootstrap.servers": endpoints.kafka,
            "group.id": dispatch_process.group,
            "group.instance.id": instance,
            "partition.assignment.strategy": "cooperative-sticky",
            "enable.auto.commit": False,
        }
    )
    try:
        usurper.subscribe([dispatch_process.env["CALLS_INBOUND_TOPIC"]])

        async def not_live() -> httpx.Response | None:
            await asyncio.to_thread(usurper.poll, 0.2)  # joins, and takes the member's place
            reply = await _probe(port, "/livez")
            return reply if reply.status_code == 503 else None

        dead = await eventually(not_live, timeout=60, interval=0.2, what="/livez failing")
    finally:
        await asyncio.to_thread(usurper.close)
    why = dead.json()["checks"]["dispatcher"]
    assert why.startswith("died: KafkaException"), dead.json()
    assert "fenced" in why, why
