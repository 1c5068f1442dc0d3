"""A stored call record seen as Infobip's `CallLog`, plus what callplane knows beyond it.

The record is built by independent writes (inbound call, each decision, each status) that may
arrive in any order and more than once; everything here derives the answer from whatever is
present, so a missing part only leaves fields null.
"""

from __future__ import annotations

import math
from datetime import UTC, datetime
from typing import Any

Document = dict[str, Any]

TERMINAL = ("FINISHED", "FAILED", "CANCELLED", "NO_ANSWER", "BUSY")
STATE_RANK = {
    "CALLING": 1,
    "RINGING": 2,
    "PRE_ESTABLISHED": 3,
    "ESTABLISHED": 4,
    **dict.fromkeys(TERMINAL, 5),
}
CHARGED_KINDS = {"forward": "forwarded", "call_routing": "routed"}
"""Decision kinds that open an outbound leg we pay for, and the leg's name in a charge."""


def current_state(doc: Document) -> str:
    """The furthest state the call reached (stored as rank + name, see `records.state_key`)."""
    key: str = doc.get("stateKey") or "1CALLING"
    return key[1:]


def infobip_time(value: datetime | None) -> str | None:
    """Infobip's timestamp shape, `yyyy-MM-dd'T'HH:mm:ss.SSS+ZZZZ`, always in UTC."""
    if value is None:
        return None
    value = value.astimezone(UTC)
    return value.strftime("%Y-%m-%dT%H:%M:%S.") + f"{value.microsecond // 1000:03d}+0000"


def latest_decision(doc: Document) -> Document | None:
    decisions: list[Document] = list((doc.get("decisions") or {}).values())
    if not decisions:
        return None
    return max(decisions, key=lambda d: d.get("decidedAt") or datetime.min.replace(tzinfo=UTC))


def _state_field(doc: Document, state: str, field: str) -> Any:
    return ((doc.get("states") or {}).get(state) or {}).get(field)


def answered_at(doc: Document) -> datetime | None:
    found: datetime | None = _state_field(doc, "FINISHED", "answeredAt") or _state_field(
        doc, "ESTABLISHED", "answeredAt"
    )
    return found


def ended_at(doc: Document) -> datetime | None:
    for state in TERMINAL:
        found: datetime | None = _state_field(doc, state, "endedAt")
        if found is not None:
            return found
    return None


def answered_duration(doc: Document) -> int:
    """Seconds the leg was answered: from the answer and end times where both are known (whole
    seconds, a started second counts), else the edge's `durationSeconds` of FINISHED."""
    answer = answered_at(doc)
    end: datetime | None = _state_field(doc, "FINISHED", "endedAt")
    if answer is not None and end is not None:
        return max(0, math.ceil((end - answer).total_seconds()))
    seconds = _state_field(doc, "FINISHED", "durationSeconds")
    return int(seconds or 0)


def ring_duration(doc: Document) -> int | None:
    ringing: datetime | None = _state_field(doc, "RINGING", "ringingAt") or _state_field(
        doc, "RINGING", "occurredAt"
    )
    until = answered_at(doc) or ended_at(doc)
    if ringing is None or until is None:
        return None
    return max(0, math.ceil((until - ringing).total_seconds()))


def leg_destination(doc: Document, decision: Document) -> str | None:
    """Where the leg went: the edge's `transferTo`, else what the decision asked for."""
    transfer: str | None = _state_field(doc, "FINISHED", "transferTo")
    if transfer:
        return transfer
    instruction = decision.get("instruction") or {}
    if instruction.get("kind") == "forward":
        forward: str | None = instruction.get("destination")
        return forward
    destinations: list[Document] = instruction.get("destinations") or []
    for routed in destinations:
        phone = (routed.get("value") or {}).get("phoneNumber")
        if phone:
            return str(phone)
    return None


def leg_name(decision: Document) -> str | None:
    kind = (decision.get("instruction") or {}).get("kind")
    if kind not in CHARGED_KINDS:
        return None
    if decision.get("actionType") == "VOICE_NUMBER_MASKING":
        return "masked"
    return CHARGED_KINDS[kind]


def error_code(doc: Document, decision: Document | None) -> str | None:
    instruction = (decision or {}).get("instruction") or {}
    if instruction.get("kind") == "reject":
        return str(instruction.get("reason"))
    for state in ("FAILED", "BUSY", "NO_ANSWER", "CANCELLED"):
        cause = _state_field(doc, state, "hangupCause")
        if cause or state in (doc.get("states") or {}):
            return str(cause or state)
    return None


def hangup_source(doc: Document, decision: Document | None) -> str | None:
    if ((decision or {}).get("instruction") or {}).get("kind") == "reject":
        return "PLATFORM"
    if current_state(doc) in TERMINAL:
        return "ENDPOINT"
    return None


def call_log(doc: Document) -> Document:
    """Infobip's CallLog fields that apply to an inbound call, then callplane's own."""
    decision = latest_decision(doc)
    instruction = (decision or {}).get("instruction") or {}
    configuration = instruction.get("callsConfigurationId")
    charge = doc.get("charge")
    return {
        "callId": doc["_id"],
        "endpoint": doc.get("endpoint"),
        "from": doc.get("from"),
        "to": doc.get("to"),
        "direction": "INBOUND",
        "state": current_state(doc),
        "startTime": infobip_time(doc.get("startTime")),
        "answerTime": infobip_time(answered_at(doc)),
        "endTime": infobip_time(ended_at(doc)),
        "duration": answered_duration(doc),
        "ringDuration": ring_duration(doc),
        "callsConfigurationIds": [configuration] if configuration else [],
        "errorCode": error_code(doc, decision),
        "hangupSource": hangup_source(doc, decision),
        "number": doc.get("number"),
        "actionType": (decision or {}).get("actionType"),
        "actionVersion": (decision or {}).get("actionVersion"),
        "decisionKind": instruction.get("kind"),
        "decisionPath": (decision or {}).get("path"),
        "decidedBy": (decision or {}).get("decidedBy"),
        "traceId": (decision or {}).get("traceId"),
        "charge": None if charge is None else public_charge(charge),
    }


def public_charge(charge: Document) -> Document:
    return {k: v for k, v in charge.items() if k != "accountId"}


def operator_view(doc: Document) -> Document:
    """Everything the record holds for support: every decision (with latency), every status."""
    decisions = sorted(
        (doc.get("decisions") or {}).values(),
        key=lambda d: d.get("decidedAt") or datetime.min.replace(tzinfo=UTC),
    )
    view = call_log(doc)
    view["accountId"] = doc.get("accountId")
    view["decisions"] = [_with_latency(d) for d in decisions]
    view["statuses"] = sorted(
        (doc.get("states") or {}).values(), key=lambda s: STATE_RANK.get(s.get("state", ""), 0)
    )
    view["receivedInbound"] = doc.get("inboundAt") is not None
    latest = view["decisions"][-1] if view["decisions"] else {}
    view["latencyMs"] = latest.get("latencyMs")
    return view


def _with_latency(decision: Document) -> Document:
    out = dict(decision)
    received, decided = decision.get("receivedAt"), decision.get("decidedAt")
    if received is not None and decided is not None:
        out["latencyMs"] = round((decided - received).total_seconds() * 1000, 3)
    return out
