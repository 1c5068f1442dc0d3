"""What each event writes into its call's record, as data: pure, so a batch of events becomes one
bulk write (`RecordStore.apply`) and the rules are unit-tested without a database.

Each event sets only its own part of the record, so the three topics can arrive in any order and
any number of times: a duplicate sets the same values again. The coarse state only moves forward
(`$max` of `stateKey`, the state's rank followed by its name: "2RINGING", "5FINISHED"), so a late
RINGING never hides a FINISHED, without a conditional update.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from call_records.domain.call_log import STATE_RANK
from callplane_shared.events import CallDecision, CallStatus, InboundCall

Document = dict[str, Any]
_UNSAFE_KEY = re.compile(r"[.$]")
_TRACEPARENT = re.compile(r"^[0-9a-f]{2}-([0-9a-f]{32})-[0-9a-f]{16}-[0-9a-f]{2}$")


@dataclass(frozen=True, slots=True)
class RecordUpdate:
    """The fields one or more events of a call set, and the furthest state they reach."""

    call_id: str
    fields: Document = field(default_factory=dict)
    state_key: str = ""


def state_key(state: str) -> str:
    return f"{STATE_RANK[state]}{state}"


def trace_id(traceparent: str | None) -> str | None:
    """The trace id of a W3C `traceparent` header (the call's trace, for the operator's lookup);
    None when absent, malformed or all zeros."""
    match = _TRACEPARENT.match((traceparent or "").strip())
    if match is None or set(match.group(1)) == {"0"}:
        return None
    return match.group(1)


def inbound_update(call: InboundCall) -> RecordUpdate:
    return RecordUpdate(
        call.call_id,
        {
            "from": call.from_,
            "to": call.to,
            "startTime": call.received_at,
            "endpoint": call.endpoint.model_dump(mode="json", by_alias=True, exclude_none=True),
            "endpointType": str(call.endpoint.type),
            "direction": "INBOUND",
            "inboundAt": call.occurred_at,
        },
        state_key("CALLING"),
    )


def decision_update(decision: CallDecision, trace: str | None) -> RecordUpdate:
    """A decision is an entry keyed by its `eventId`: a masked call answered with captureDtmf
    has two rounds, and the latest (by `decidedAt`) decides the record."""
    instruction = decision.instruction.model_dump(mode="json", by_alias=True)
    entry = {
        "eventId": decision.event_id,
        "instruction": instruction,
        "actionType": None if decision.action_type is None else str(decision.action_type),
        "actionVersion": decision.action_version,
        "path": str(decision.path),
        "pathReason": decision.path_reason,
        "decidedBy": decision.decided_by,
        "receivedAt": decision.received_at,
        "decidedAt": decision.decided_at,
        "traceId": trace,
    }
    fields: Document = {
        f"decisions.{_UNSAFE_KEY.sub('_', decision.event_id)}": entry,
        "number": decision.number,
        "startTime": decision.received_at,
        "direction": "INBOUND",
    }
    if decision.account_id is not None:
        fields["accountId"] = decision.account_id
    if instruction.get("callsConfigurationId"):
        fields["callsConfigurationId"] = instruction["callsConfigurationId"]
    state = "FAILED" if instruction["kind"] == "reject" else "CALLING"
    return RecordUpdate(decision.call_id, fields, state_key(state))


def status_update(status: CallStatus) -> RecordUpdate:
    """A status is an entry keyed by its state (a re-delivery overwrites it with itself)."""
    state = str(status.state)
    entry = {
        "state": state,
        "occurredAt": status.occurred_at,
        "transferTo": status.transfer_to,
        "ringingAt": status.ringing_at,
        "answeredAt": status.answered_at,
        "endedAt": status.ended_at,
        "durationSeconds": status.duration_seconds,
        "hangupCause": status.hangup_cause,
    }
    return RecordUpdate(
        status.call_id, {f"states.{state}": entry, "direction": "INBOUND"}, state_key(state)
    )


def merge(updates: Iterable[RecordUpdate]) -> list[RecordUpdate]:
    """One update per call, in the order calls first appear: the fields of every event (a later
    event's value wins where two set the same field, as separate writes in that order would) and
    the furthest state. Events of one call set disjoint paths except for equal duplicates."""
    merged: dict[str, RecordUpdate] = {}
    for update in updates:
        seen = merged.get(update.call_id)
        if seen is None:
            merged[update.call_id] = RecordUpdate(
                update.call_id, dict(update.fields), update.state_key
            )
            continue
        seen.fields.update(update.fields)
        merged[update.call_id] = RecordUpdate(
            update.call_id, seen.fields, max(seen.state_key, update.state_key)
        )
    return list(merged.values())
