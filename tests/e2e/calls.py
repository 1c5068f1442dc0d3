"""Whole calls as the media edge sees them, for end-to-end tests of call-records: an inbound call
decided by the running call-dispatch, then its status timeline, and the records to re-deliver."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import timedelta

from aiokafka import AIOKafkaProducer

from callplane_client.publisher import CallPublisher
from callplane_shared.events import (
    CallDecision,
    CallState,
    CallStatus,
    Event,
    InboundCall,
    utc_now,
)
from callplane_shared.topics import CALLS_DECISIONS, CALLS_INBOUND, CALLS_STATUS
from tests.support import eventually, unique

CALLER = "+41791234567"
ANSWERED_SECONDS = 65


@dataclass
class WholeCall:
    """One call's every record as the edge and call-dispatch published it."""

    inbound: InboundCall
    decision: CallDecision
    statuses: list[CallStatus] = field(default_factory=list)

    @property
    def call_id(self) -> str:
        return self.inbound.call_id

    def records(self) -> list[tuple[str, Event]]:
        return [
            (CALLS_INBOUND.name, self.inbound),
            (CALLS_DECISIONS.name, self.decision),
            *((CALLS_STATUS.name, s) for s in self.statuses),
        ]


async def decided(publisher: CallPublisher, number: str) -> WholeCall:
    call = InboundCall(call_id=unique("rec"), from_=CALLER, to=number, received_at=utc_now())
    return WholeCall(call, await publisher.decide(call, timeout=15))


async def until_forwarded(publisher: CallPublisher, number: str) -> WholeCall:
    """A call once call-dispatch's view has the number's forward action (calls before that are
    rejected and simply stay in the history)."""

    async def probe() -> WholeCall | None:
        call = await decided(publisher, number)
        return call if call.decision.instruction.kind == "forward" else None

    return await eventually(probe, timeout=90, interval=0.3, what="the number forwards")


def timeline(call: WholeCall, destination: str) -> list[CallStatus]:
    """RINGING → ESTABLISHED → FINISHED with 65 answered seconds."""
    start = call.inbound.received_at
    ringing, answered = start + timedelta(seconds=1), start + timedelta(seconds=4)
    ended = answered + timedelta(seconds=ANSWERED_SECONDS)
    common = {"call_id": call.call_id, "from_": CALLER, "to": call.inbound.to}
    call.statuses = [
        CallStatus(state=CallState.RINGING, ringing_at=ringing, **common),
        CallStatus(state=CallState.ESTABLISHED, ringing_at=ringing, answered_at=answered, **common),
        CallStatus(
            state=CallState.FINISHED,
            transfer_to=destination,
            ringing_at=ringing,
            answered_at=answered,
            ended_at=ended,
            duration_seconds=ANSWERED_SECONDS,
            **common,
        ),
    ]
    return call.statuses


async def publish(producer: AIOKafkaProducer, records: Sequence[tuple[str, Event]]) -> None:
    sends = [
        await producer.send(
            topic,
            event.model_dump_json(by_alias=True).encode(),
            key=event.call_id.encode(),  # type: ignore[attr-defined]
        )
        for topic, event in records
    ]
    for sent in sends:
        await sent
