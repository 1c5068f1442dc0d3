"""One reader of `calls.decisions` for every INVITE waiting on callplane.

`CallPublisher.decide` opens a consumer per call, which is right for a command line and far too
heavy for an edge taking hundreds of calls a second. Here one consumer, assigned every partition
from the end (no group: nothing to commit, every edge instance sees every decision), resolves
the waiter registered under the decision's callId; decisions nobody waits for are skipped.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from typing import Any

from aiokafka import AIOKafkaConsumer, TopicPartition
from pydantic import TypeAdapter, ValidationError

from callplane_shared.events import CallDecision

_DECISION: TypeAdapter[CallDecision] = TypeAdapter(CallDecision)
log = logging.getLogger(__name__)


class DecisionWaiter:
    def __init__(self, bootstrap: str, topic: str, kafka_options: dict[str, Any]) -> None:
        self._topic = topic
        self._consumer = AIOKafkaConsumer(
            bootstrap_servers=bootstrap,
            enable_auto_commit=False,
            group_id=None,
            fetch_max_wait_ms=5,
            **kafka_options,
        )  # made inside the running loop, as aiokafka requires
        self._waiting: dict[str, asyncio.Future[CallDecision]] = {}
        self._task: asyncio.Task[None] | None = None

    @property
    def pending(self) -> int:
        return len(self._waiting)

    @property
    def task(self) -> asyncio.Task[None] | None:
        return self._task

    async def start(self) -> None:
        await self._consumer.start()
        # Unsubscribed, the client has no metadata for the topic yet; ask the cluster, as
        # callplane_shared.views does (aiokafka offers no public call that refreshes it).
        cluster = await self._consumer._client.fetch_all_metadata()  # noqa: SLF001
        partitions = cluster.partitions_for_topic(self._topic)
        if not partitions:
            await self._consumer.stop()
            raise RuntimeError(f"topic {self._topic} does not exist")
        assigned = [TopicPartition(self._topic, p) for p in sorted(partitions)]
        self._consumer.assign(assigned)
        await self._consumer.seek_to_end(*assigned)
        # Resolve the positions now, so a decision published after start cannot slip past.
        for tp in assigned:
            await self._consumer.position(tp)
        self._task = asyncio.create_task(self._read(), name="decisions-reader")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        await self._consumer.stop()

    def expect(self, call_id: str) -> asyncio.Future[CallDecision]:
        """Register before publishing the call, so its decision cannot arrive unseen."""
        future = self._waiting.get(call_id)
        if future is None or future.done():
            future = asyncio.get_running_loop().create_future()
            self._waiting[call_id] = future
        return future

    def forget(self, call_id: str) -> None:
        self._waiting.pop(call_id, None)

    async def _read(self) -> None:
        while True:
            batches = await self._consumer.getmany(timeout_ms=500, max_records=1000)
            for records in batches.values():
                for record in records:
                    self._resolve(record.key, record.value)

    def _resolve(self, key: bytes | None, value: bytes | None) -> None:
        if key is None or value is None:
            return
        future = self._waiting.get(key.decode(errors="replace"))
        if future is None or future.done():
            return
        try:
            future.set_result(_DECISION.validate_json(value))
        except ValidationError as exc:
            # A decision we cannot read is one we cannot act on: the timeout default applies.
            log.warning("undecodable decision for %s: %s", key, exc.error_count())
