"""Call events derived from a call record: which exist, in what order, with stable ids, and which
subscriptions hear them."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from call_records.call_events.domain import Target, call_events, event_id, matches

pytestmark = pytest.mark.unit

T0 = datetime(2026, 11, 27, 10, 0, 0, 250000, tzinfo=UTC)
TARGET = Target("acct-1", "conf-1", T0)


def record(*states: str, inbound: bool = True) -> dict[str, Any]:
    doc: dict[str, Any] = {
        "_id": "c-1",
        "accountId": "acct-1",
        "from": "+41791234567",
        "to": "+41445550100",
        "startTime": T0,
        "endpoint": {"type": "PHONE", "phoneNumber": "+41791234567"},
        "decisions": {
            "e1": {
                "instruction": {"kind": "subscription", "callsConfigurationId": "conf-1"},
                "receivedAt": T0,
                "decidedAt": T0 + timedelta(milliseconds=3),
            }
        },
        "states": {},
    }
    if inbound:
        doc["inboundAt"] = T0
    for offset, state in enumerate(states, start=1):
        at = T0 + timedelta(seconds=offset)
        doc["states"][state] = {
            "state": state,
            "occurredAt": at,
            "answeredAt": T0 + timedelta(seconds=2) if state != "RINGING" else None,
            "endedAt": at if state in {"FINISHED", "FAILED", "BUSY"} else None,
        }
    return doc


def test_events_come_in_the_call_order_whatever_order_the_statuses_arrived_in() -> None:
    doc = record("FINISHED", "ESTABLISHED", "RINGING")
    assert [e.type for e in call_events(doc, TARGET)] == [
        "CALL_RECEIVED",
        "CALL_RINGING",
        "CALL_ESTABLISHED",
        "CALL_FINISHED",
    ]


def test_event_ids_are_stable_per_call_and_type_so_a_subscriber_can_deduplicate() -> None:
    first = {e.type: e.event_id for e in call_events(record("ESTABLISHED"), TARGET)}
    again = {e.type: e.event_id for e in call_events(record("ESTABLISHED", "FINISHED"), TARGET)}
    assert (
        first["CALL_ESTABLISHED"]
        == again["CALL_ESTABLISHED"]
        == event_id("c-1", "CALL_ESTABLISHED")
    )
    assert len(set(again.values())) == len(again)


def test_bodies_have_infobips_envelope_and_the_call_or_call_log() -> None:
    by_type = {e.type: e.body for e in call_events(record("ESTABLISHED", "FINISHED"), TARGET)}
    received = by_type["CALL_RECEIVED"]
    assert received["timestamp"] == "2026-11-27T10:00:00.250+0000"
    assert (received["callsConfigurationId"], received["properties"]["call"]["state"]) == (
        "conf-1",
        "CALLING",
    )
    assert received["properties"]["call"]["from"] == "+41791234567"
    finished = by_type["CALL_FINISHED"]["properties"]["callLog"]
    assert (finished["state"], finished["callId"], finished["direction"]) == (
        "FINISHED",
        "c-1",
        "INBOUND",
    )


def test_failed_busy_and_no_answer_are_call_failed() -> None:
    assert [e.type for e in call_events(record("BUSY"), TARGET)] == ["CALL_RECEIVED", "CALL_FAILED"]


def test_no_events_while_only_the_decision_is_known() -> None:
    assert call_events(record(inbound=False), TARGET) == []
    assert [e.type for e in call_events(record("RINGING", inbound=False), TARGET)] == [
        "CALL_RECEIVED",
        "CALL_RINGING",
    ]


def test_the_configuration_comes_from_the_decision_even_if_the_record_lost_it() -> None:
    doc = record("FINISHED")
    doc["decisions"] = {}
    finished = call_events(doc, TARGET)[-1].body
    assert finished["properties"]["callLog"]["callsConfigurationIds"] == ["conf-1"]


@pytest.mark.parametrize(
    ("criteria", "expected"),
    [
        ([], True),
        ([{"callsConfigurationId": "conf-1"}], True),
        ([{"callsConfigurationId": "other"}, {"callsConfigurationId": "conf-1"}], True),
        ([{"callsConfigurationId": "other"}], False),
        # Decisions carry no application or entity: such a criterion matches no call.
        ([{"callsConfigurationId": "conf-1", "applicationId": "app"}], False),
        ([{"applicationId": "app"}], False),
    ],
)
def test_criteria_match_on_the_calls_configuration(
    criteria: list[dict[str, str]], expected: bool
) -> None:
    subscription = {"events": ["CALL_RECEIVED"], "criteria": criteria}
    assert matches(subscription, "conf-1", "CALL_RECEIVED") is expected


def test_only_subscribed_event_types_match() -> None:
    subscription = {"events": ["CALL_FINISHED"], "criteria": []}
    assert not matches(subscription, "conf-1", "CALL_RECEIVED")
    assert matches(subscription, "conf-1", "CALL_FINISHED")
