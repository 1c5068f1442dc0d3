"""Fixtures of the SIP tests: the SIP edge running (started on demand, like `make sip-up`), a
customer with the public API, and a reader of what the edge published and callplane decided."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from aiokafka import AIOKafkaConsumer, TopicPartition
from pydantic import TypeAdapter

from callplane_shared.events import CallDecision, CallStatus
from callplane_shared.topics import CALLS_DECISIONS, CALLS_STATUS
from stackctl.sip import ADAPTER_PORT
from tests.e2e.journey import Customer, admin_client, new_customer
from tests.endpoints import Endpoints
from tests.support import REPO_ROOT, eventually


def _adapter_ready() -> bool:
    try:
        return httpx.get(f"http://127.0.0.1:{ADAPTER_PORT}/readyz", timeout=2).status_code == 200
    except httpx.HTTPError:
        return False


@pytest.fixture(scope="session")
def sip_edge(endpoints: Endpoints) -> Endpoints:
    """Kamailio and the adapter, started here when `make sip-up` has not (they are optional
    components of the local stack; `make down` stops them)."""
    if endpoints.source != "local":
        pytest.skip("the SIP edge runs only beside the local stack (make up)")
    if not _adapter_ready():
        started = subprocess.run(
            [sys.executable, "deploy/local/stack.py", "sip-up"],
            cwd=REPO_ROOT,
            capture_output=True,
            text=True,
            check=False,
        )
        assert started.returncode == 0, started.stdout + started.stderr
    return endpoints


@pytest.fixture
def workdir(tmp_path: Path) -> Path:
    return tmp_path


@pytest.fixture
async def customer(endpoints: Endpoints) -> AsyncIterator[tuple[Customer, httpx.AsyncClient]]:
    async with admin_client(endpoints.base_url) as admin:
        account = await new_customer(endpoints.base_url, admin)
        yield account, admin
        await account.api.aclose()


class EdgeEvents:
    """Decisions and statuses of calls, read from the end of both topics as of the fixture."""

    def __init__(self, consumer: AIOKafkaConsumer) -> None:
        self._consumer = consumer
        self.decisions: dict[str, CallDecision] = {}
        self.statuses: dict[str, list[tuple[CallStatus, dict[str, bytes]]]] = {}

    async def _drain(self) -> None:
        batches = await self._consumer.getmany(timeout_ms=200)
        for records in batches.values():
            for record in records:
                if record.key is None or record.value is None:
                    continue
                key = record.key.decode()
                headers = dict(record.headers or ())
                if record.topic == CALLS_DECISIONS.name:
                    self.decisions[key] = _DECISION.validate_json(record.value)
                else:
                    status = _STATUS.validate_json(record.value)
                    self.statuses.setdefault(key, []).append((status, headers))

    async def decision(self, call_id: str) -> CallDecision:
        async def seen() -> CallDecision | None:
            await self._drain()
            return self.decisions.get(call_id)

        return await eventually(seen, timeout=20, what=f"decision of {call_id}")

    async def status(self, call_id: str, state: str) -> tuple[CallStatus, dict[str, bytes]]:
        async def seen() -> tuple[CallStatus, dict[str, bytes]] | None:
            await self._drain()
            found = [s for s in self.statuses.get(call_id, []) if s[0].state == state]
            return found[0] if found else None

        return await eventually(seen, timeout=20, what=f"{state} of {call_id}")


_DECISION: TypeAdapter[CallDecision] = TypeAdapter(CallDecision)
_STATUS: TypeAdapter[CallStatus] = TypeAdapter(CallStatus)


@pytest.fixture
async def edge_events(sip_edge: Endpoints) -> AsyncIterator[EdgeEvents]:
    consumer = AIOKafkaConsumer(
        bootstrap_servers=sip_edge.kafka, group_id=None, enable_auto_commit=False
    )
    await consumer.start()
    try:
        assigned = [
            TopicPartition(spec.name, p)
            for spec in (CALLS_DECISIONS, CALLS_STATUS)
            for p in range(spec.partitions)
        ]
        consumer.assign(assigned)
        await consumer.seek_to_end(*assigned)
        for tp in assigned:
            await consumer.position(tp)
        yield EdgeEvents(consumer)
    finally:
        await consumer.stop()


@pytest.fixture
def callees() -> Iterator[list[Any]]:
    """SIPp callees a test started; stopped after it whatever happened."""
    started: list[Any] = []
    yield started
    for callee in started:
        callee.stop()
