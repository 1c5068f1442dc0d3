"""Voice-action changes through the public API while brokers die, and the check that every change
the API acknowledged reached `voice.actions` (invariant 4: written, then published, never lost)."""

from __future__ import annotations

import asyncio
import contextlib
import time
from dataclasses import dataclass, field

import httpx
from aiokafka import AIOKafkaConsumer, TopicPartition

from callplane_shared.events import VoiceActionSet
from callplane_shared.topics import VOICE_ACTIONS

PSTN = ("+41445550101", "+41445550102")


@dataclass
class ConfigChanges:
    acknowledged: set[tuple[str, int]] = field(default_factory=set)  # (number, version)
    failed: list[str] = field(default_factory=list)  # what the API answered instead
    took: list[float] = field(default_factory=list)  # seconds per acknowledged change


async def change_continuously(
    api: httpx.AsyncClient,
    numbers: dict[str, str],
    per_second: float,
    until: asyncio.Event,
    changes: ConfigChanges,
) -> None:
    """PUT a new forward target on each number in turn; the ETag is the new version."""
    keys = list(numbers.items())
    i = 0
    while not until.is_set():
        number_key, number = keys[i % len(keys)]
        body = {"action": {"type": "FORWARD_TO_PSTN", "pstnNumber": PSTN[i % 2]}}
        began = time.monotonic()
        try:
            reply = await api.put(f"/numbers/2/numbers/{number_key}/voice", json=body, timeout=30)
        except httpx.HTTPError as exc:
            changes.failed.append(repr(exc))
        else:
            if reply.status_code == 200:
                changes.acknowledged.add((number, int(reply.headers["ETag"].strip('"'))))
                changes.took.append(time.monotonic() - began)
            else:
                changes.failed.append(f"{reply.status_code} {reply.text[:200]}")
        i += 1
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(until.wait(), timeout=1 / per_second)


async def published_versions(bootstrap: str, numbers: set[str]) -> set[tuple[str, int]]:
    """Every (number, version) of these numbers on `voice.actions`, read from the beginning."""
    consumer = AIOKafkaConsumer(
        bootstrap_servers=bootstrap,
        group_id=None,
        enable_auto_commit=False,
    )
    await consumer.start()
    seen: set[tuple[str, int]] = set()
    try:
        assigned = [TopicPartition(VOICE_ACTIONS.name, p) for p in range(VOICE_ACTIONS.partitions)]
        consumer.assign(assigned)
        await consumer.seek_to_beginning(*assigned)
        ends = await consumer.end_offsets(assigned)
        while [tp for tp in assigned if await consumer.position(tp) < ends[tp]]:
            batches = await consumer.getmany(timeout_ms=500, max_records=5000)
            for records in batches.values():
                for record in records:
                    if record.value is None or (record.key or b"").decode() not in numbers:
                        continue
                    event = VoiceActionSet.model_validate_json(record.value)
                    seen.add((event.number, event.version))
    finally:
        await consumer.stop()
    return seen
