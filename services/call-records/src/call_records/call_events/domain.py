"""Which call events a call record has produced so far, and which subscriptions hear them.

Pure: the same record always yields the same events with the same ids and bodies, whichever
handler (inbound, decision, status) derived them and however often, so queueing them is
idempotent and a subscriber deduplicates by `eventId`.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from call_records.domain.call_log import call_log, infobip_time

Document = dict[str, Any]

_EVENT_IDS = uuid.UUID("6f1d3c2a-9b7e-4e53-8c1a-3d2f0b9a7e41")
"""Namespace of event ids: uuid5(namespace, callId/type) is stable across redeliveries."""

EVENT_OF_STATE = {
    "RINGING": "CALL_RINGING",
    "PRE_ESTABLISHED": "CALL_PRE_ESTABLISHED",
    "ESTABLISHED": "CALL_ESTABLISHED",
    "FINISHED": "CALL_FINISHED",
    "FAILED": "CALL_FAILED",
    "BUSY": "CALL_FAILED",
    "NO_ANSWER": "CALL_FAILED",
    "CANCELLED": "CALL_FAILED",
}
SEQUENCE = {
    "CALL_RECEIVED": 0,
    "CALL_RINGING": 1,
    "CALL_PRE_ESTABLISHED": 2,
    "CALL_ESTABLISHED": 3,
    "CALL_FINISHED": 4,
    "CALL_FAILED": 4,
}
"""Delivery order within one call and subscription: an event waits for every lower one."""
_CALL_LOG_FIELDS = (
    "callId",
    "endpoint",
    "from",
    "to",
    "direction",
    "state",
    "startTime",
    "answerTime",
    "endTime",
    "duration",
    "ringDuration",
    "callsConfigurationIds",
    "errorCode",
    "hangupSource",
)


@dataclass(frozen=True)
class CallEvent:
    type: str
    sequence: int
    event_id: str
    body: Document


def event_id(call_id: str, event_type: str) -> str:
    return uuid.uuid5(_EVENT_IDS, f"{call_id}/{event_type}").hex


@dataclass(frozen=True)
class Target:
    """A call decided to a calls configuration, as its decision said (kept apart from the call
    record, so the events do not depend on the record's concurrent writes)."""

    account_id: str
    calls_configuration_id: str
    received_at: datetime


def call_events(doc: Document, target: Target) -> list[CallEvent]:
    """Every event the record supports so far, in delivery order; none until the call is known
    beyond its decision (its inbound event or a status recorded), so bodies are complete."""
    if doc.get("inboundAt") is None and not doc.get("states"):
        return []
    configuration = target.calls_configuration_id
    events = [_event(doc, "CALL_RECEIVED", "CALLING", target.received_at, configuration)]
    for state, entry in (doc.get("states") or {}).items():
        kind = EVENT_OF_STATE.get(state)
        if kind is not None:
            events.append(_event(doc, kind, state, entry.get("occurredAt"), configuration))
    return sorted(events, key=lambda e: (e.sequence, e.type))


def _event(doc: Document, kind: str, state: str, at: Any, configuration: str) -> CallEvent:
    call_id = str(doc["_id"])
    if kind in {"CALL_FINISHED", "CALL_FAILED"}:
        log = call_log(doc)
        log["state"] = state
        log["callsConfigurationIds"] = [configuration]
        properties: Document = {"callLog": {k: log.get(k) for k in _CALL_LOG_FIELDS}}
    else:
        properties = {"call": _call(doc, state, configuration)}
    identifier = event_id(call_id, kind)
    body = {
        "type": kind,
        "callId": call_id,
        "timestamp": infobip_time(at),
        "callsConfigurationId": configuration,
        "properties": properties,
        "eventId": identifier,
    }
    return CallEvent(kind, SEQUENCE[kind], identifier, body)


def _call(doc: Document, state: str, configuration: str) -> Document:
    log = call_log(doc)
    return {
        "id": log["callId"],
        "endpoint": log["endpoint"],
        "from": log["from"],
        "to": log["to"],
        "direction": "INBOUND",
        "state": state,
        "startTime": log["startTime"],
        "answerTime": log["answerTime"] if state == "ESTABLISHED" else None,
        "callsConfigurationId": configuration,
    }


def matches(subscription: Document, configuration: str, event_type: str) -> bool:
    """Whether a subscription hears this event of a call decided to `configuration`: the event is
    one of its `events`, and it has no criteria (every calls configuration of the account) or a
    criterion naming this configuration. Decisions carry no application or entity, so a
    criterion that names one never matches (documented in the service README)."""
    if event_type not in subscription.get("events", []):
        return False
    criteria: list[Document] = subscription.get("criteria") or []
    if not criteria:
        return True
    return any(
        c.get("callsConfigurationId") == configuration
        and not c.get("applicationId")
        and not c.get("entityId")
        for c in criteria
    )
