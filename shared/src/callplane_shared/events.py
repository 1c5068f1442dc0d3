"""The event contract: every Kafka event of callplane is a model in this module.

Services import these models, never each other. On the wire fields are camelCase (as in
Infobip's APIs); in Python they are snake_case. Every event carries `eventId`, `occurredAt` and
`schemaVersion`. AsyncAPI is generated from these models, so descriptions here are the docs.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from decimal import Decimal
from enum import StrEnum
from typing import Annotated, Any, Literal

from pydantic import AwareDatetime, Field, StringConstraints

from callplane_shared.routing.models import Route
from callplane_shared.voice import (
    CONVERSATIONS_QUEUE_ID,
    ActionType,
    Fallback,
    RejectReason,
    VoiceAction,
)
from callplane_shared.wire import WireModel


def utc_now() -> datetime:
    return datetime.now(UTC)


def _new_event_id() -> str:
    return uuid.uuid4().hex


class Event(WireModel):
    """Fields every event carries, whatever its topic."""

    event_id: str = Field(
        default_factory=_new_event_id,
        description="Unique id of this event; consumers use it to drop duplicates.",
        examples=["5f0c6a8e2b6f4c4fb1d0d7e1a0c3b2f4"],
    )
    occurred_at: AwareDatetime = Field(
        default_factory=utc_now, description="When the fact happened (UTC, ISO 8601)."
    )
    schema_version: int = Field(default=1, ge=1, description="Version of this event's schema.")


# --- accounts (key: accountId, compacted) -------------------------------------------------------


class AccountStatus(StrEnum):
    ACTIVE = "ACTIVE"
    SUSPENDED = "SUSPENDED"
    # The balance reached zero: calls are rejected (INSUFFICIENT_FUNDS) until a top-up settles;
    # the account's API keys keep working so the customer can top up.
    BLOCKED = "BLOCKED"


class AccountLimits(WireModel):
    """Per-account overrides of the platform's default limits; a null field keeps the default
    of the service that enforces it (see each service's README)."""

    requests_per_second: float | None = Field(
        default=None, gt=0, le=100_000, description="Token-bucket refill rate per API key."
    )
    burst: int | None = Field(
        default=None, ge=1, le=100_000, description="Token-bucket size per API key."
    )
    numbers: int | None = Field(default=None, ge=0, le=1_000_000, description="Leased numbers.")
    routes: int | None = Field(default=None, ge=0, le=100_000, description="Call-routing routes.")
    criteria_per_route: int | None = Field(
        default=None, ge=1, le=1_000, description="Criteria of one route."
    )
    scenarios: int | None = Field(default=None, ge=0, le=100_000, description="IVR scenarios.")
    configs: int | None = Field(
        default=None, ge=0, le=100_000, description="Calls configurations (and masking configs)."
    )


class AccountUpserted(Event):
    """The current state of an account, so other services authenticate without asking."""

    account_id: str
    name: str
    status: AccountStatus = AccountStatus.ACTIVE
    currency: str = Field(min_length=3, max_length=3, examples=["EUR"])
    api_key_hashes: list[str] = Field(
        default_factory=list,
        description="SHA-256 hex digests of the account's active API keys; never the keys.",
    )
    version: int = Field(
        default=0,
        ge=0,
        description=(
            "Monotonic per account; views keep the highest, so a re-published older state "
            "never brings back a revoked key."
        ),
    )
    limits: AccountLimits = Field(default_factory=AccountLimits)
    conversations_queue_id: str | None = Field(
        default=None,
        pattern=CONVERSATIONS_QUEUE_ID,
        description=(
            "The account's default Conversations queue: where calls to its Conversations "
            "numbers that name no queue of their own go. Null (and absent in records published "
            "before it existed) means the platform's default (`CONVERSATIONS_DEFAULT_QUEUE`)."
        ),
        examples=["support"],
    )


class BalanceLow(Event):
    """An account's balance fell below the low-balance threshold; published once per crossing."""

    account_id: str
    balance: float = Field(description="Balance after the movement, in currency units.")
    threshold: float = Field(description="The threshold that was crossed, in currency units.")
    currency: str = Field(min_length=3, max_length=3, examples=["EUR"])


# --- payments (key: paymentId; published by the payment system) ---------------------------------

PAYMENT_ID = r"^[0-9a-f]{32}$"


class PaymentSettled(Event):
    """The payment system collected a pending top-up: number-inventory credits it, once."""

    event_type: Literal["PaymentSettled"] = "PaymentSettled"
    payment_id: str = Field(
        pattern=PAYMENT_ID, description="The id `POST /account/1/payments` answered."
    )
    account_id: str = Field(max_length=64, description="Must match the payment's account.")
    amount: Decimal = Field(
        gt=0,
        max_digits=12,
        decimal_places=2,
        description="Currency units; must equal the requested amount.",
        examples=["20.00"],
    )
    currency: str = Field(min_length=3, max_length=3, examples=["EUR"])
    provider_reference: str | None = Field(
        default=None, max_length=255, description="The payment system's own id, for audits."
    )


class PaymentFailed(Event):
    """The payment system could not collect a pending top-up: nothing is credited."""

    event_type: Literal["PaymentFailed"] = "PaymentFailed"
    payment_id: str = Field(pattern=PAYMENT_ID)
    account_id: str = Field(max_length=64)
    reason: str = Field(min_length=1, max_length=500, examples=["card declined"])
    provider_reference: str | None = Field(default=None, max_length=255)


PaymentResult = Annotated[PaymentSettled | PaymentFailed, Field(discriminator="event_type")]


# --- numbers.lifecycle (key: numberKey) -----------------------------------------------------------


class NumberLifecycle(Event):
    number_key: str = Field(pattern=r"^[0-9A-F]{32}$", description="Opaque 32-hex number id.")
    number: str = Field(description="E.164 with '+'.", examples=["+41793026731"])
    account_id: str
    capabilities: list[str] = Field(examples=[["SMS", "VOICE"]])
    type: str = Field(examples=["VIRTUAL_LONG_NUMBER"])
    country: str = Field(min_length=2, max_length=2, examples=["CH"])


class NumberLeased(NumberLifecycle):
    event_type: Literal["NumberLeased"] = "NumberLeased"


class NumberReleased(NumberLifecycle):
    event_type: Literal["NumberReleased"] = "NumberReleased"
    reason: Literal["RENTAL_UNPAID"] | None = Field(
        default=None,
        description=(
            "Null when the customer released the number; RENTAL_UNPAID when number-inventory "
            "released it because a month's rental stayed unpaid past the grace period."
        ),
    )


class NumberRentalCharged(NumberLifecycle):
    """A month's rental of a leased number was debited (ledger entry `reference`, once)."""

    event_type: Literal["NumberRentalCharged"] = "NumberRentalCharged"
    period_start: AwareDatetime = Field(description="Start of the paid period (lease-anchored).")
    period_end: AwareDatetime
    amount: Decimal = Field(ge=0, decimal_places=2, description="The number's pricePerMonth.")
    currency: str = Field(min_length=3, max_length=3, examples=["EUR"])
    reference: str = Field(examples=["rental:0A1B...:2026-12-27T19:50:38.123+00:00"])


class NumberRentalOverdue(NumberLifecycle):
    """A period's rental could not be paid: the number is OVERDUE and is released at
    `release_at` unless the balance covers it before then."""

    event_type: Literal["NumberRentalOverdue"] = "NumberRentalOverdue"
    period_start: AwareDatetime
    amount: Decimal = Field(ge=0, decimal_places=2)
    currency: str = Field(min_length=3, max_length=3, examples=["EUR"])
    release_at: AwareDatetime = Field(description="period_start plus the grace period.")
    reference: str


class NumberCallerIdChanged(NumberLifecycle):
    """Whether Conversations agents may present this leased number as caller ID on outbound
    calls changed: true while its voice action is VOICE_FORWARD_TO_CONVERSATIONS (and again when
    its queue changes, also through the account's default queue), false once another action (or
    none) replaces it. number-inventory
    publishes it from `voice.actions`, so an outbound dialer learns it without calling the API;
    a NumberReleased withdraws it too. Inbound decisions do not depend on it (they come from
    `voice.actions`)."""

    event_type: Literal["NumberCallerIdChanged"] = "NumberCallerIdChanged"
    conversations_caller_id: bool = Field(
        description="Agents' outbound calls may show this number; refuse them when false."
    )
    queue_id: str | None = Field(
        default=None,
        max_length=128,
        description=(
            "The Conversations queue the number's inbound calls go to (its own, else the "
            "account's default, else the platform's); null when false. Published again when "
            "the account's default changes and the number follows it."
        ),
        examples=["support"],
    )


# Consumers that only care about leases match on NumberLeased / NumberReleased and ignore the
# rental and caller-ID events instead of dead-lettering them.
AnyNumberLifecycle = (
    NumberLeased
    | NumberReleased
    | NumberRentalCharged
    | NumberRentalOverdue
    | NumberCallerIdChanged
)
NumberLifecycleEvent = Annotated[AnyNumberLifecycle, Field(discriminator="event_type")]


# --- voice.actions (key: E.164 number, compacted; tombstone on release) ---------------------------


class VoiceActionBody(WireModel):
    """A number's voice setup: what a `VoiceActionSet` says beyond the event's envelope. A view
    that replays a million of them validates only this (no `eventId`, no `occurredAt`)."""

    number: str = Field(description="E.164 with '+'.", examples=["+41793026731"])
    number_key: str
    account_id: str
    voice_capable: bool = Field(description="Whether the number has the VOICE capability.")
    version: int = Field(ge=0, description="Monotonic per number; consumers keep the highest.")
    action: VoiceAction | None = None
    fallback: Fallback | None = None
    application_id: str | None = None
    entity_id: str | None = None


class VoiceActionSet(VoiceActionBody, Event):
    """The full current voice setup of a leased number. `action` null means No Action."""


# --- ivr.scenarios (key: scenario id, compacted; tombstone on delete) -----------------------------

IVR_SCRIPT_MAX_BYTES = 32 * 1024
"""Most bytes of a scenario's script as compact JSON: checked when it is written (400) and again
by call-dispatch's view (larger records are skipped), so every IVR decision stays small."""


class IvrScenarioPublished(Event):
    """The current version of an IVR scenario with its validated script: call-dispatch copies it
    into every IVR decision, so the edge needs nothing else (and no customer credentials)."""

    scenario_id: str = Field(max_length=64)
    account_id: str
    version: int = Field(ge=1, description="Monotonic per scenario; consumers keep the highest.")
    name: str = Field(max_length=255)
    script: list[Any] = Field(
        description=f"The validated steps, at most {IVR_SCRIPT_MAX_BYTES} bytes as compact JSON."
    )
    record: bool = Field(default=False, description="Record the whole IVR session.")


# --- masking.configs (key: config key, compacted) -------------------------------------------------


class MaskingConfigUpserted(Event):
    """A masking configuration exists for an account. Carries no secret and no URL."""

    key: str
    account_id: str
    name: str


# --- voice.routes (key: routeId, compacted; tombstone on delete) ----------------------------------


class RouteUpserted(Event):
    """The full current state of a call-routing route (any status), with its version."""

    route_id: str
    account_id: str
    version: int = Field(ge=1, description="Monotonic per route; consumers keep the highest.")
    route: Route


# --- calls.inbound (key: callId) ------------------------------------------------------------------


class EndpointType(StrEnum):
    PHONE = "PHONE"
    SIP = "SIP"
    WEBRTC = "WEBRTC"
    VIBER = "VIBER"
    WHATSAPP = "WHATSAPP"


# What the edge sends is external input (invariant 10): every string and map it carries is bounded.
EdgeText = Annotated[str, StringConstraints(max_length=256)]


class CallEndpoint(WireModel):
    type: EndpointType = EndpointType.PHONE
    phone_number: EdgeText | None = None
    username: EdgeText | None = Field(default=None, description="SIP user or WebRTC identity.")
    host: EdgeText | None = Field(default=None, description="SIP host or trunk.")
    identity: EdgeText | None = None
    sip_trunk_id: EdgeText | None = Field(
        default=None, description="The SIP trunk the call came in on (SIP calls), for routing."
    )


class InboundCall(Event):
    """A call reached one of our numbers; published by the media edge."""

    call_id: str = Field(min_length=1, max_length=128)
    from_: EdgeText = Field(alias="from", description="Caller (E.164 for PHONE).")
    to: EdgeText = Field(description="The called number, E.164.")
    received_at: AwareDatetime = Field(
        description="When the edge received the call, with a UTC offset (naive times are refused)."
    )
    endpoint: CallEndpoint = Field(default_factory=CallEndpoint)
    sip_headers: dict[EdgeText, Annotated[str, StringConstraints(max_length=4096)]] | None = Field(
        default=None, max_length=64
    )


# --- masking.requests (key: callId) ---------------------------------------------------------------


class MaskingRequest(Event):
    """call-dispatch hands a masked call to number-masking, which asks the customer's platform."""

    call_id: str
    number: str
    account_id: str
    config_key: str
    from_: str = Field(alias="from")
    to: str
    received_at: AwareDatetime
    action_version: int
    fallback: Fallback | None = None
    dtmf_captured: bool | None = Field(
        default=None, description="Second request after captureDtmf: `from` holds the digits."
    )


# --- calls.decisions (key: callId) ----------------------------------------------------------------


class ForwardInstruction(WireModel):
    kind: Literal["forward"] = "forward"
    destination: str
    caller_id: str
    caller_id_replaced: bool = Field(
        default=False, description="The requested caller ID was not allowed and was replaced."
    )
    options: dict[str, Any] = Field(
        default_factory=dict,
        description="Passed through from the customer (announcements, recording, ...).",
    )


class MaskedInstruction(WireModel):
    kind: Literal["masked"] = "masked"
    config_key: str


class ConversationsInstruction(WireModel):
    kind: Literal["conversations"] = "conversations"
    account_id: str | None = Field(default=None, description="Whose Conversations takes the call.")
    queue_id: str | None = Field(
        default=None,
        description=(
            "The queue (entry point): the number's own, else the account's default queue, else "
            "the platform's (`CONVERSATIONS_DEFAULT_QUEUE`)."
        ),
        examples=["support", "default"],
    )


class SubscriptionInstruction(WireModel):
    kind: Literal["subscription"] = "subscription"
    calls_configuration_id: str


class RoutedDestination(WireModel):
    type: str = Field(examples=["ENDPOINT", "URL", "APPLICATION"])
    value: dict[str, Any]
    priority: int | None = None
    weight: int | None = None


class CallRoutingInstruction(WireModel):
    kind: Literal["call_routing"] = "call_routing"
    route_id: str
    destinations: list[RoutedDestination] = Field(description="In failover order.")


class IvrInstruction(WireModel):
    kind: Literal["ivr"] = "ivr"
    scenario_key: str
    scenario_id: str | None = Field(default=None, description="Same as `scenarioKey`.")
    scenario_version: int | None = Field(
        default=None, description="The scenario version whose script this is."
    )
    script: list[Any] | None = Field(
        default=None,
        description=(
            f"The validated IVR steps to run (at most {IVR_SCRIPT_MAX_BYTES} bytes as compact "
            "JSON). Report the run's events on calls.status with `ivr` set."
        ),
    )
    record: bool = False


class PlayAudioInstruction(WireModel):
    kind: Literal["play_audio"] = "play_audio"
    file_url: str | None = None
    file_id: str | None = None


class CaptureDtmfInstruction(WireModel):
    kind: Literal["capture_dtmf"] = "capture_dtmf"
    max_length: int | None = None
    timeout: int | None = None
    options: dict[str, Any] = Field(default_factory=dict)


class RejectInstruction(WireModel):
    kind: Literal["reject"] = "reject"
    reason: RejectReason
    detail: str | None = None


Instruction = Annotated[
    ForwardInstruction
    | MaskedInstruction
    | ConversationsInstruction
    | SubscriptionInstruction
    | CallRoutingInstruction
    | IvrInstruction
    | PlayAudioInstruction
    | CaptureDtmfInstruction
    | RejectInstruction,
    Field(discriminator="kind"),
]


class DecisionPath(StrEnum):
    DIRECT = "direct"
    PRIMARY = "primary"
    BACKUP = "backup"
    FALLBACK = "fallback"
    REJECTED = "rejected"


class CallDecision(Event):
    """What the edge does with a call; exactly one per callId (duplicates identical)."""

    call_id: str
    number: str
    account_id: str | None = None
    action_type: ActionType | None = None
    action_version: int | None = None
    instruction: Instruction
    received_at: AwareDatetime
    decided_at: AwareDatetime
    decided_by: str = Field(examples=["call-dispatch", "number-masking"])
    path: DecisionPath = DecisionPath.DIRECT
    path_reason: str | None = Field(default=None, description="Why this path decided.")


# --- calls.status (key: callId) -------------------------------------------------------------------


class CallState(StrEnum):
    CALLING = "CALLING"
    RINGING = "RINGING"
    PRE_ESTABLISHED = "PRE_ESTABLISHED"
    ESTABLISHED = "ESTABLISHED"
    FINISHED = "FINISHED"
    FAILED = "FAILED"
    CANCELLED = "CANCELLED"
    NO_ANSWER = "NO_ANSWER"
    BUSY = "BUSY"


class IvrEventType(StrEnum):
    DTMF_COLLECTED = "DTMF_COLLECTED"
    RECORDING_AVAILABLE = "RECORDING_AVAILABLE"
    FINISHED = "FINISHED"


class IvrRunEvent(WireModel):
    """Something an IVR run produced; forwarded to the scenario's `notifyUrl` (signed)."""

    type: IvrEventType
    scenario_id: EdgeText = Field(description="From the decision's `instruction.scenarioId`.")
    scenario_version: int = Field(ge=1, description="From the decision's `scenarioVersion`.")
    action_id: int | None = Field(default=None, ge=0, le=1_000_000, description="The step.")
    variable: EdgeText | None = Field(default=None, description="Capture/Collect variable name.")
    dtmf: str | None = Field(default=None, max_length=128, description="Digits collected.")
    recording_url: str | None = Field(default=None, max_length=2048)
    duration_seconds: int | None = Field(default=None, ge=0, le=86_400)
    reason: EdgeText | None = Field(default=None, description="Why the run finished.")


class CallStatus(Event):
    """Progress of a call on the edge (ringing, answered, finished, ...)."""

    call_id: str
    state: CallState
    from_: str = Field(alias="from")
    to: str
    transfer_to: str | None = None
    ringing_at: AwareDatetime | None = None
    answered_at: AwareDatetime | None = None
    ended_at: AwareDatetime | None = None
    duration_seconds: int | None = Field(default=None, ge=0)
    hangup_cause: str | None = None
    ivr: IvrRunEvent | None = Field(
        default=None,
        description=(
            "Set on the IVR run's own events (DTMF collected, recording available, finished); "
            "`state` then repeats the call's current state."
        ),
    )


# --- calls.charges (key: callId) ------------------------------------------------------------------


class CallCharged(Event):
    """A finished call leg was rated; number-inventory debits it once (ledger reference: callId).

    Re-publications of the same charge are identical (same `eventId`), so consumers apply a
    callId once, whatever they receive."""

    call_id: str = Field(min_length=1, max_length=128)
    account_id: str
    amount: Decimal = Field(
        ge=0, decimal_places=2, description="What to debit, in currency units (whole cents)."
    )
    currency: str = Field(min_length=3, max_length=3, examples=["EUR"])
    destination: str | None = Field(default=None, description="The number the leg reached.")
    prefix: str = Field(description="The price-list prefix that matched ('' for the default).")
    price_per_minute: Decimal = Field(ge=0, description="Per-minute price applied.")
    billing_increment: str = Field(examples=["60/60", "1/1"])
    connection_fee: Decimal = Field(ge=0)
    duration_seconds: int = Field(ge=0, description="Answered duration of the leg.")
    billed_seconds: int = Field(ge=0, description="Duration after the billing increment.")
