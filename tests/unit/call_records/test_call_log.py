"""The CallLog of a stored record: Infobip's fields, derived from whatever parts have arrived."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from call_records.domain.call_log import (
    answered_duration,
    call_log,
    infobip_time,
    leg_destination,
    leg_name,
    operator_view,
)

pytestmark = pytest.mark.unit

T0 = datetime(2026, 11, 23, 10, 0, 0, 123000, tzinfo=UTC)


def _record() -> dict[str, object]:
    return {
        "_id": "c-1",
        "accountId": "a",
        "from": "+41791234567",
        "to": "+41445550100",
        "startTime": T0,
        "endpoint": {"type": "PHONE"},
        "number": "+41445550100",
        "stateKey": "5FINISHED",
        "decisions": {
            "e1": {
                "instruction": {"kind": "forward", "destination": "+41445550101"},
                "actionType": "FORWARD_TO_PSTN",
                "actionVersion": 3,
                "path": "direct",
                "decidedBy": "call-dispatch",
                "receivedAt": T0,
                "decidedAt": T0 + timedelta(milliseconds=4),
                "traceId": "ab" * 16,
            }
        },
        "states": {
            "RINGING": {"state": "RINGING", "ringingAt": T0 + timedelta(seconds=1)},
            "ESTABLISHED": {"state": "ESTABLISHED", "answeredAt": T0 + timedelta(seconds=5)},
            "FINISHED": {
                "state": "FINISHED",
                "endedAt": T0 + timedelta(seconds=70),
                "durationSeconds": 65,
            },
        },
    }


def test_infobip_timestamp_shape() -> None:
    assert infobip_time(T0) == "2026-11-23T10:00:00.123+0000"


def test_a_finished_forwarded_call_as_a_call_log() -> None:
    log = call_log(_record())
    assert log["callId"] == "c-1"
    assert (log["direction"], log["state"], log["duration"], log["ringDuration"]) == (
        "INBOUND",
        "FINISHED",
        65,
        4,
    )
    assert log["answerTime"] == "2026-11-23T10:00:05.123+0000"
    assert log["endTime"] == "2026-11-23T10:01:10.123+0000"
    assert (log["actionType"], log["actionVersion"], log["decisionKind"]) == (
        "FORWARD_TO_PSTN",
        3,
        "forward",
    )
    assert log["errorCode"] is None
    assert log["hangupSource"] == "ENDPOINT"


def test_the_duration_comes_from_answer_and_end_times_when_both_are_known() -> None:
    record = _record()
    record["states"]["FINISHED"]["durationSeconds"] = 999  # type: ignore[index]
    assert answered_duration(record) == 65
    del record["states"]["ESTABLISHED"]  # type: ignore[attr-defined]
    assert answered_duration(record) == 999


def test_a_rejected_call_names_the_reason() -> None:
    record = {
        "_id": "c-2",
        "stateKey": "5FAILED",
        "decisions": {
            "e": {
                "instruction": {"kind": "reject", "reason": "INSUFFICIENT_FUNDS"},
                "decidedAt": T0,
            }
        },
    }
    log = call_log(record)
    assert (log["state"], log["errorCode"], log["hangupSource"]) == (
        "FAILED",
        "INSUFFICIENT_FUNDS",
        "PLATFORM",
    )
    assert log["duration"] == 0


def test_legs_we_pay_for_and_where_they_went() -> None:
    record = _record()
    decision = record["decisions"]["e1"]  # type: ignore[index]
    assert leg_name(decision) == "forwarded"
    assert leg_destination(record, decision) == "+41445550101"
    masked = {**decision, "actionType": "VOICE_NUMBER_MASKING"}
    assert leg_name(masked) == "masked"
    routed = {
        "instruction": {
            "kind": "call_routing",
            "destinations": [{"value": {"type": "PHONE", "phoneNumber": "+4930123"}}],
        }
    }
    assert leg_name(routed) == "routed"
    assert leg_destination({}, routed) == "+4930123"
    assert leg_name({"instruction": {"kind": "ivr"}}) is None


def test_the_latest_decision_wins_and_the_operator_sees_every_one_with_its_latency() -> None:
    record = _record()
    record["decisions"]["e0"] = {  # type: ignore[index]
        "instruction": {"kind": "capture_dtmf"},
        "receivedAt": T0,
        "decidedAt": T0 - timedelta(seconds=1),
    }
    view = operator_view(record)
    assert [d["instruction"]["kind"] for d in view["decisions"]] == ["capture_dtmf", "forward"]
    assert view["decisionKind"] == "forward"
    assert view["latencyMs"] == 4.0
    assert view["traceId"] == "ab" * 16
