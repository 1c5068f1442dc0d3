"""Thin Kafka handlers: decode a batch, write it to the records, rate what finished.

Wiring at a glance (one consumer group, `call-records`, batches of up to 500 records):
  calls.inbound   → RecordStore.apply
  calls.decisions → RecordStore.apply → Charger.settle (forwarded and routed calls) → calls.charges
  calls.status    → RecordStore.apply → Charger.settle (FINISHED statuses)          → calls.charges
and after each batch's writes `after_write(callId)` per call (call events for subscriptions,
`call_events`). A batch's offsets are committed only after all of it (`consume_batches`).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence

from faststream.kafka import KafkaBroker

from call_records import SERVICE_NAME
from call_records.charging import Charger
from call_records.domain.call_log import CHARGED_KINDS
from call_records.record_updates import decision_update, inbound_update, status_update, trace_id
from call_records.records import RecordStore
from callplane_shared.consuming import Delivered, consume_batches
from callplane_shared.events import CallDecision, CallState, CallStatus, InboundCall
from callplane_shared.topics import CALLS_DECISIONS, CALLS_INBOUND, CALLS_STATUS


def register_subscribers(
    broker: KafkaBroker,
    store: RecordStore,
    charger: Charger,
    group_id: str,
    after_write: Callable[[str, CallDecision | None], Awaitable[None]],
) -> None:
    async def each_call(call_ids: Sequence[str]) -> None:
        for call_id in dict.fromkeys(call_ids):
            await after_write(call_id, None)

    async def on_inbound(batch: Sequence[Delivered[InboundCall]]) -> None:
        await store.apply([inbound_update(d.event) for d in batch])
        await each_call([d.event.call_id for d in batch])

    async def on_decisions(batch: Sequence[Delivered[CallDecision]]) -> None:
        # The decision's trace is the call's: its `traceparent` is what the operator follows.
        await store.apply(
            [decision_update(d.event, trace_id(d.header("traceparent"))) for d in batch]
        )
        # Only a decision that opens a paid leg can complete a charge (its FINISHED came first).
        await charger.settle(
            d.event.call_id for d in batch if d.event.instruction.kind in CHARGED_KINDS
        )
        for d in batch:
            if d.event.instruction.kind == "subscription":  # no extra read for other calls
                await after_write(d.event.call_id, d.event)

    async def on_statuses(batch: Sequence[Delivered[CallStatus]]) -> None:
        await store.apply([status_update(d.event) for d in batch])
        await charger.settle(d.event.call_id for d in batch if d.event.state == CallState.FINISHED)
        await each_call([d.event.call_id for d in batch])

    consume_batches(
        broker,
        CALLS_INBOUND.name,
        decode=InboundCall.model_validate_json,
        handle=on_inbound,
        group_id=group_id,
        service=SERVICE_NAME,
    )
    consume_batches(
        broker,
        CALLS_DECISIONS.name,
        decode=CallDecision.model_validate_json,
        handle=on_decisions,
        group_id=group_id,
        service=SERVICE_NAME,
    )
    consume_batches(
        broker,
        CALLS_STATUS.name,
        decode=CallStatus.model_validate_json,
        handle=on_statuses,
        group_id=group_id,
        service=SERVICE_NAME,
    )
