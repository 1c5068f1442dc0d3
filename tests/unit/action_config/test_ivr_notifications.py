"""What action-config makes of IVR run events and decisions before any I/O: only IVR records
are parsed, the notification body is the exact bytes signed, retries back off with jitter, and
lastUsageDate writes are throttled per scenario."""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qs

import pytest

from action_config.ivr_notifications import decode_ivr_status, notification
from action_config.ivr_usage import IvrUsage, decode_ivr_decision
from callplane_shared.events import (
    CallDecision,
    CallState,
    CallStatus,
    ForwardInstruction,
    IvrEventType,
    IvrInstruction,
    IvrRunEvent,
    utc_now,
)
from callplane_shared.webhooks.queue import QueuePolicy
from callplane_shared.webhooks.sender import FORM, JSON, encode_body

pytestmark = pytest.mark.unit


def _status(ivr: IvrRunEvent | None) -> CallStatus:
    return CallStatus(
        call_id="c-1", state=CallState.ESTABLISHED, from_="+41791234567", to="+41445550100", ivr=ivr
    )


def _decision(instruction: Any) -> CallDecision:
    now = utc_now()
    return CallDecision(
        call_id="c-1",
        number="+41445550100",
        account_id="acc-1",
        instruction=instruction,
        received_at=now,
        decided_at=now,
        decided_by="call-dispatch",
    )


RUN = IvrRunEvent(
    type=IvrEventType.RECORDING_AVAILABLE,
    scenario_id="scn-1",
    scenario_version=4,
    recording_url="https://rec.example/1.wav",
)


def test_only_ivr_events_are_decoded() -> None:
    assert decode_ivr_status(_status(None).model_dump_json(by_alias=True).encode()) is None
    decoded = decode_ivr_status(_status(RUN).model_dump_json(by_alias=True).encode())
    assert decoded is not None
    assert decoded.ivr == RUN


def test_only_ivr_decisions_are_decoded() -> None:
    forward = _decision(ForwardInstruction(destination="+41445550111", caller_id="+41791234567"))
    assert decode_ivr_decision(forward.model_dump_json(by_alias=True).encode()) is None
    ivr = _decision(IvrInstruction(scenario_key="scn-1", scenario_id="scn-1", scenario_version=2))
    assert decode_ivr_decision(ivr.model_dump_json(by_alias=True).encode()) == ivr


def test_the_notification_in_both_content_types() -> None:
    body = notification(_status(RUN))
    assert body["type"] == "RECORDING_AVAILABLE"
    assert body["scenarioVersion"] == 4
    assert "dtmf" not in body, "absent values are left out, not sent as null"
    assert encode_body(body, JSON).startswith(b'{"eventId":')
    form = parse_qs(encode_body(body, FORM).decode())
    assert form["recordingUrl"] == ["https://rec.example/1.wav"]
    with pytest.raises(ValueError, match="neither"):
        encode_body(body, "text/xml")


def test_backoff_grows_with_jitter_and_stays_bounded() -> None:
    policy = QueuePolicy(first_backoff=1.0, max_backoff=60.0)
    for attempts in range(1, 20):
        wait = policy.backoff(attempts).total_seconds()
        ceiling = min(60.0, 2 ** (attempts - 1))
        assert ceiling / 2 <= wait <= ceiling


class _FakeScenarios:
    def __init__(self) -> None:
        self.updates: list[tuple[dict[str, Any], dict[str, Any]]] = []

    async def update_one(self, query: dict[str, Any], update: dict[str, Any]) -> None:
        self.updates.append((query, update))


async def test_last_usage_writes_are_throttled_per_scenario() -> None:
    scenarios = _FakeScenarios()
    usage = IvrUsage(scenarios, throttle_seconds=3600)  # type: ignore[arg-type]
    one = _decision(IvrInstruction(scenario_key="scn-1", scenario_id="scn-1", scenario_version=1))
    two = _decision(IvrInstruction(scenario_key="scn-2", scenario_id="scn-2", scenario_version=1))
    for decision in (one, one, one, two, None):
        await usage.on_decision(decision)
    assert [q["_id"] for q, _ in scenarios.updates] == ["scn-1", "scn-2"]
    query, update = scenarios.updates[0]
    assert query["accountId"] == "acc-1", "a decision only touches its own account's scenario"
    assert update == {"$set": {"lastUsageDate": one.decided_at}}
