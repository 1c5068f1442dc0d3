"""call-dispatch's Kafka interface as a FastStream app, so `make asyncapi` renders AsyncAPI.

The hot path is a raw librdkafka loop (see `dispatcher`), so this app is never started: it declares
the same topics (from the same settings defaults) and the same event models, and a unit test
regenerates `asyncapi.yaml` and fails when the committed file drifts from it.

    make asyncapi
"""

from __future__ import annotations

from faststream import FastStream
from faststream.kafka import KafkaBroker
from faststream.specification import AsyncAPI

from call_dispatch import SERVICE_NAME
from callplane_shared.events import (
    AccountUpserted,
    CallDecision,
    InboundCall,
    IvrScenarioPublished,
    MaskingRequest,
    RouteUpserted,
    VoiceActionSet,
)
from callplane_shared.topics import (
    ACCOUNTS,
    CALLS_DECISIONS,
    CALLS_INBOUND,
    IVR_SCENARIOS,
    MASKING_REQUESTS,
    VOICE_ACTIONS,
    VOICE_ROUTES,
)

broker = KafkaBroker("localhost:9092", description="Kafka of callplane (address per deployment).")

decisions = broker.publisher(
    CALLS_DECISIONS.name,
    title="calls.decisions:CallDecision",
    description=(
        "One decision per callId (key: callId); a call read again by the same process gets the "
        "record it had (byte for byte), re-decided after a crash it differs only in decidedAt "
        "unless the action changed meanwhile. "
        "acks=all, idempotent; 3 replicas, min.insync.replicas=2 in production."
    ),
    schema=CallDecision,
)
masking = broker.publisher(
    MASKING_REQUESTS.name,
    title="masking.requests:MaskingRequest",
    description="A masked call handed to number-masking (key: callId); it decides that call.",
    schema=MaskingRequest,
)
dead_letters = broker.publisher(
    CALLS_INBOUND.dlq.name,
    title="calls.inbound.dlq:raw",
    description="Undecodable InboundCall records, unchanged; reason in the x-dlq-reason header.",
    schema=bytes,
)


@broker.subscriber(
    CALLS_INBOUND.name,
    batch=True,
    group_id=SERVICE_NAME,
    title="calls.inbound:InboundCall",
    description="Calls from the media edge (key: callId; optional W3C traceparent header).",
)
async def on_inbound_call(calls: list[InboundCall]) -> None:
    """Decided in batches; offsets committed after the batch's decisions are acknowledged
    (at least once: a crash or a broker failover re-delivers, never loses, a call)."""


@broker.subscriber(
    VOICE_ACTIONS.name,
    title="voice.actions:VoiceActionSet",
    description="Compacted, key: E.164 number; replayed from the start; null value = released.",
)
async def on_voice_action(event: VoiceActionSet) -> None:
    """Applied to the in-memory view when its version is above the one held."""


@broker.subscriber(
    VOICE_ROUTES.name,
    title="voice.routes:RouteUpserted",
    description="Compacted, key: routeId; replayed from the start; null value = deleted.",
)
async def on_route(event: RouteUpserted) -> None:
    """Applied to the in-memory view when its version is above the one held."""


@broker.subscriber(
    IVR_SCENARIOS.name,
    title="ivr.scenarios:IvrScenarioPublished",
    description=(
        "Compacted, key: scenario id; replayed from the start; null value = deleted. Records "
        "over the script bound are skipped."
    ),
)
async def on_scenario(event: IvrScenarioPublished) -> None:
    """Held in the view (highest version wins); IVR decisions carry its id, version and script."""


@broker.subscriber(
    ACCOUNTS.name,
    title="accounts:AccountUpserted",
    description="Compacted, key: accountId; replayed from the start; only the status is kept.",
)
async def on_account(event: AccountUpserted) -> None:
    """A BLOCKED account's calls are rejected with INSUFFICIENT_FUNDS until it is ACTIVE again."""


app = FastStream(
    broker,
    specification=AsyncAPI(
        title=SERVICE_NAME,
        version="1.0.0",
        description="Decides inbound calls from an in-memory view of voice actions and routes.",
    ),
)
