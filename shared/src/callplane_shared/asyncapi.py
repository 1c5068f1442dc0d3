"""Every topic of callplane as one AsyncAPI document, generated from the event contract.

This FastStream app is never started; it exists so `make asyncapi` can render the
contract for upstream systems (the media edge publishes `calls.inbound` and `calls.status` and
consumes `calls.decisions`). `tests/unit/shared/test_asyncapi.py` fails when the committed
`shared/asyncapi.yaml` drifts from it. Regenerate with:

    make asyncapi
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from faststream import FastStream
from faststream.kafka import KafkaBroker
from faststream.specification import AsyncAPI

from callplane_shared import topics
from callplane_shared.events import (
    AccountUpserted,
    BalanceLow,
    CallCharged,
    CallDecision,
    CallStatus,
    InboundCall,
    IvrScenarioPublished,
    MaskingConfigUpserted,
    MaskingRequest,
    NumberCallerIdChanged,
    NumberLeased,
    NumberReleased,
    NumberRentalCharged,
    NumberRentalOverdue,
    PaymentFailed,
    PaymentSettled,
    RouteUpserted,
    VoiceActionSet,
)
from callplane_shared.telemetry import package_version


@dataclass(frozen=True)
class Channel:
    topic: topics.TopicSpec
    event: type[Any]
    producer: str
    consumers: str


INVENTORY, CONFIG, DISPATCH, MASKING, EDGE, PAYMENT_SYSTEM, RECORDS = (
    "number-inventory",
    "action-config",
    "call-dispatch",
    "number-masking",
    "the media edge",
    "the payment system",
    "call-records",
)
CHANNELS: tuple[Channel, ...] = (
    Channel(topics.NUMBERS_LIFECYCLE, NumberLeased, INVENTORY, f"{CONFIG}, {MASKING}"),
    Channel(
        topics.NUMBERS_LIFECYCLE,
        NumberReleased,
        INVENTORY,
        f"{CONFIG}, {MASKING}",
    ),
    Channel(
        topics.NUMBERS_LIFECYCLE,
        NumberRentalCharged,
        INVENTORY,
        f"{CONFIG}, {MASKING} (both ignore it)",
    ),
    Channel(
        topics.NUMBERS_LIFECYCLE,
        NumberRentalOverdue,
        INVENTORY,
        f"{CONFIG}, {MASKING} (both ignore it)",
    ),
    Channel(
        topics.NUMBERS_LIFECYCLE,
        NumberCallerIdChanged,
        INVENTORY,
        f"Conversations' outbound dialer (caller ID for agents); {CONFIG}, {MASKING} ignore it",
    ),
    Channel(
        topics.ACCOUNTS, AccountUpserted, INVENTORY, "every service (API keys; status for calls)"
    ),
    Channel(topics.ACCOUNTS_BALANCE, BalanceLow, INVENTORY, "billing and alerting"),
    Channel(topics.VOICE_ACTIONS, VoiceActionSet, CONFIG, f"{DISPATCH}, {INVENTORY}"),
    Channel(topics.VOICE_ROUTES, RouteUpserted, CONFIG, DISPATCH),
    Channel(topics.IVR_SCENARIOS, IvrScenarioPublished, CONFIG, DISPATCH),
    Channel(topics.MASKING_CONFIGS, MaskingConfigUpserted, MASKING, CONFIG),
    Channel(topics.CALLS_INBOUND, InboundCall, EDGE, f"{DISPATCH}, {RECORDS}"),
    Channel(topics.MASKING_REQUESTS, MaskingRequest, DISPATCH, MASKING),
    Channel(
        topics.CALLS_DECISIONS,
        CallDecision,
        f"{DISPATCH}, {MASKING}",
        f"{EDGE}, {RECORDS}, {CONFIG} (IVR decisions: lastUsageDate)",
    ),
    Channel(
        topics.CALLS_STATUS,
        CallStatus,
        EDGE,
        f"{MASKING}, {RECORDS}, {CONFIG} (IVR run events: forwarded to the scenario's notifyUrl)",
    ),
    Channel(topics.PAYMENTS, PaymentSettled, PAYMENT_SYSTEM, INVENTORY),
    Channel(topics.PAYMENTS, PaymentFailed, PAYMENT_SYSTEM, INVENTORY),
    Channel(
        topics.CALLS_CHARGES,
        CallCharged,
        RECORDS,
        f"{INVENTORY}, {MASKING} (masked calls: price fields of the status report)",
    ),
)

# What a consumer of each topic can rely on (invariants 3 and 4). Durability is the same for all:
# see DURABILITY.
_OUTBOX = (
    "Published through an outbox: a change the API acknowledged reaches this topic even if the "
    "service dies in between (a relay re-publishes it)."
)
_VIEW = (
    "Consumers replay the whole topic on start and keep the highest version per key, so "
    "re-deliveries and duplicates are harmless."
)
GUARANTEES: dict[str, str] = {
    topics.NUMBERS_LIFECYCLE.name: f"{_OUTBOX} At least once: consumers commit after applying.",
    topics.ACCOUNTS.name: f"{_OUTBOX} {_VIEW}",
    topics.ACCOUNTS_BALANCE.name: f"{_OUTBOX} At least once.",
    topics.VOICE_ACTIONS.name: f"{_OUTBOX} {_VIEW}",
    topics.VOICE_ROUTES.name: f"{_OUTBOX} {_VIEW}",
    topics.MASKING_CONFIGS.name: f"{_OUTBOX} {_VIEW}",
    topics.IVR_SCENARIOS.name: f"{_OUTBOX} {_VIEW}",
    topics.CALLS_INBOUND.name: (
        "At least once: call-dispatch commits a call only after Kafka acknowledged its decision "
        "or masking request; the edge must publish with acks=all (CallPublisher does)."
    ),
    topics.MASKING_REQUESTS.name: (
        "At least once: number-masking commits a request only after its decision is stored and "
        "acknowledged; a re-delivery re-publishes the stored decision, never a second callback."
    ),
    topics.CALLS_DECISIONS.name: (
        "Exactly one decision per callId and round: a re-delivery carries the same eventId; "
        "call-dispatch repeats the very record it published (even if the action changed since), "
        "a call decided again after a crash has the same instruction unless the number's action "
        "changed in between; drop repeats by eventId."
    ),
    topics.CALLS_STATUS.name: (
        "At least once: number-masking and call-records commit after storing the status."
    ),
    topics.PAYMENTS.name: (
        "At least once: number-inventory commits after the ledger entry is written; the payment "
        "id is the ledger reference, so a re-delivered settlement credits nothing twice."
    ),
    topics.CALLS_CHARGES.name: (
        f"{_OUTBOX} At least once: number-inventory commits after the ledger entry is written; "
        "the reference call:<callId> makes a re-delivered charge change nothing."
    ),
}
DURABILITY = (
    "Produced with acks=all and idempotence; production topics have 3 replicas and "
    "min.insync.replicas=2, so an acknowledged record survives the loss of any one broker."
)

broker = KafkaBroker(
    "localhost:9092", description="The Kafka cluster of a callplane deployment (address varies)."
)

for channel in CHANNELS:
    spec = channel.topic
    tombstone = (
        " A null value (tombstone) removes the key." if spec.cleanup_policy == "compact" else ""
    )
    broker.publisher(
        spec.name,
        title=f"{spec.name}:{channel.event.__name__}",
        description=(
            f"{spec.summary}. Key: {spec.key}; cleanup: {spec.cleanup_policy}; "
            f"{spec.partitions} partitions (dev). Produced by {channel.producer}; consumed by "
            f"{channel.consumers}.{tombstone} Records that cannot be handled go to {spec.dlq.name} "
            f"with the reason in the x-dlq-reason header. {GUARANTEES[spec.name]} {DURABILITY}"
        ),
        schema=channel.event,
    )

app = FastStream(
    broker,
    specification=AsyncAPI(
        title="callplane events",
        version=package_version("callplane-shared"),
        description=(
            "Every Kafka topic of callplane: the event contract between its services and with "
            "the media edge. Values are JSON (camelCase); producers may add a W3C traceparent "
            "header, which consumers continue."
        ),
    ),
)
