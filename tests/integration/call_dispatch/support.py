"""Real-broker helpers for call-dispatch tests: publish inputs, watch outputs."""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections import defaultdict
from typing import Any

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition

from callplane_shared.events import InboundCall, RouteUpserted, VoiceActionSet
from callplane_shared.topics import IVR_SCENARIOS, VOICE_ACTIONS, VOICE_ROUTES
from callplane_shared.voice import Fallback, ForwardToIvr, ForwardToPstn, VoiceAction
from tests.support import eventually, stop_bounded
from tests.unit.call_dispatch.builders import action_set, inbound, scenario_record, unique_number

Record = dict[str, Any]


class TopicWatcher:
    """Collects every record of some topics from their end at start, by key."""

    def __init__(self, bootstrap: str, topics: list[str]) -> None:
        self._bootstrap = bootstrap
        self._topics = topics
        self.records: dict[str, dict[str, list[tuple[dict[str, bytes], bytes]]]] = {
            t: defaultdict(list) for t in topics
        }
        self._consumer: AIOKafkaConsumer | None = None
        self._task: asyncio.Task[None] | None = None

    async def start(self, producer: AIOKafkaProducer) -> None:
        self._consumer = AIOKafkaConsumer(
            bootstrap_servers=self._bootstrap, group_id=None, enable_auto_commit=False
        )
        await self._consumer.start()
        assigned = [
            TopicPartition(t, p) for t in self._topics for p in await producer.partitions_for(t)
        ]
        self._consumer.assign(assigned)
        await self._consumer.seek_to_end(*assigned)
        for tp in assigned:
            await self._consumer.position(tp)
        self._task = asyncio.create_task(self._follow())

    async def _follow(self) -> None:
        assert self._consumer is not None
        while True:
            batches = await self._consumer.getmany(timeout_ms=100)
            for tp, records in batches.items():
                for r in records:
                    headers = dict(r.headers)
                    self.records[tp.topic][(r.key or b"").decode()].append((headers, r.value))

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        if self._consumer is not None:
            await stop_bounded(self._consumer.stop, what="topic watcher consumer")

    def values(self, topic: str, key: str) -> list[Record]:
        return [json.loads(v) for _, v in self.records[topic].get(key, [])]

    async def first(self, topic: str, key: str, timeout: float = 15.0) -> Record:
        async def probe() -> Record | None:
            found = self.values(topic, key)
            return found[0] if found else None

        return await eventually(probe, timeout=timeout, what=f"{topic} record for {key}")


async def publish_action(producer: AIOKafkaProducer, event: VoiceActionSet) -> int:
    """Publish to `voice.actions` (key: number); return the partition it landed on."""
    meta = await producer.send_and_wait(
        VOICE_ACTIONS.name, event.model_dump_json(by_alias=True).encode(), key=event.number.encode()
    )
    return int(meta.partition)


async def publish_tombstone(producer: AIOKafkaProducer, number: str) -> None:
    await producer.send_and_wait(VOICE_ACTIONS.name, None, key=number.encode())


async def publish_route(producer: AIOKafkaProducer, event: RouteUpserted) -> None:
    await producer.send_and_wait(
        VOICE_ROUTES.name,
        event.model_dump_json(by_alias=True).encode(),
        key=event.route_id.encode(),
    )


async def publish_call(
    producer: AIOKafkaProducer, call: InboundCall, topic: str = "calls.inbound"
) -> None:
    await producer.send_and_wait(
        topic, call.model_dump_json(by_alias=True).encode(), key=call.call_id.encode()
    )


async def decision_for(
    producer: AIOKafkaProducer, watcher: TopicWatcher, call: InboundCall, timeout: float = 15.0
) -> Record:
    await publish_call(producer, call)
    return await watcher.first("calls.decisions", call.call_id, timeout)


async def barrier(producer: AIOKafkaProducer, watcher: TopicWatcher, partition: int) -> None:
    """Wait until the view applied everything published to `partition` of voice.actions so far:
    a fresh number written to the same partition is applied after them, in offset order."""
    number = unique_number()
    marker = action_set(number, 1, ForwardToPstn(pstn_number="+41445550999"))
    await producer.send_and_wait(
        VOICE_ACTIONS.name,
        marker.model_dump_json(by_alias=True).encode(),
        key=number.encode(),
        partition=partition,
    )

    async def applied() -> bool:
        decision = await decision_for(producer, watcher, inbound(number))
        return bool(decision["instruction"]["kind"] == "forward")

    await eventually(applied, timeout=20, what="view applied the barrier")


async def forward_target(producer: AIOKafkaProducer, watcher: TopicWatcher, number: str) -> Any:
    decision = await decision_for(producer, watcher, inbound(number))
    return decision["instruction"].get("destination") or decision["instruction"].get("reason")


async def publish_scenario(producer: AIOKafkaProducer, scenario_id: str) -> None:
    """Publish version 1 of an IVR scenario of the test account to `ivr.scenarios`: call-dispatch
    decides IVR only with a scenario its view holds (the decision carries the script)."""
    key, value = scenario_record(scenario_id, 1)
    await producer.send_and_wait(IVR_SCENARIOS.name, value, key=key)


async def number_with(
    producer: AIOKafkaProducer,
    watcher: TopicWatcher,
    action: VoiceAction | None,
    *,
    voice_capable: bool = True,
    fallback: Fallback | None = None,
) -> str:
    """A fresh number with `action`, applied by the running call-dispatch's view. An IVR action's
    scenario travels on another topic than the action, so that one is waited for separately."""
    ivr = isinstance(action, ForwardToIvr)
    if isinstance(action, ForwardToIvr):
        await publish_scenario(producer, action.scenario_key)
    number = unique_number()
    event = action_set(number, 1, action, voice_capable=voice_capable, fallback=fallback)
    await barrier(producer, watcher, await publish_action(producer, event))
    if ivr and voice_capable:

        async def scenario_known() -> bool:
            decision = await decision_for(producer, watcher, inbound(number))
            return bool(decision["instruction"]["kind"] == "ivr")

        await eventually(scenario_known, timeout=20, what="view holds the IVR scenario")
    return number
