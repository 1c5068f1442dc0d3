"""A batch of events becomes one update per call that writes what the events would have written
one by one: any order, duplicates harmless, the state never goes back."""

from __future__ import annotations

from datetime import timedelta

import pytest

from call_records.record_updates import (
    RecordUpdate,
    decision_update,
    inbound_update,
    merge,
    state_key,
    status_update,
    trace_id,
)
from callplane_shared.events import (
    CallDecision,
    CallState,
    CallStatus,
    ForwardInstruction,
    InboundCall,
    RejectInstruction,
    utc_now,
)
from callplane_shared.voice import RejectReason

pytestmark = pytest.mark.unit
NOW = utc_now()


def status(call_id: str, state: CallState) -> CallStatus:
    return CallStatus(call_id=call_id, state=state, from_="+41791234567", to="+41445550100")


def decision(call_id: str, *, reject: bool = False) -> CallDecision:
    instruction = (
        RejectInstruction(reason=RejectReason.NO_ACTION)
        if reject
        else ForwardInstruction(destination="+41793026727", caller_id="+41791234567")
    )
    return CallDecision(
        call_id=call_id,
        number="+41445550100",
        account_id="acc",
        instruction=instruction,
        received_at=NOW,
        decided_at=NOW + timedelta(milliseconds=3),
        decided_by="call-dispatch",
    )


def test_statuses_of_one_call_merge_into_one_update_with_the_furthest_state() -> None:
    updates = [status_update(status("c1", s)) for s in (CallState.FINISHED, CallState.RINGING)]
    [merged] = merge(updates)
    assert merged.state_key == state_key("FINISHED")
    assert set(merged.fields) == {"states.FINISHED", "states.RINGING", "direction"}


def test_calls_keep_their_first_appearance_order_and_duplicates_collapse() -> None:
    first = decision("c1")
    merged = merge(
        [
            decision_update(first, None),
            inbound_update(
                InboundCall(call_id="c2", from_="+41791234567", to="+41445550100", received_at=NOW)
            ),
            decision_update(first, None),
        ]
    )
    assert [u.call_id for u in merged] == ["c1", "c2"]
    assert merged[0] == decision_update(first, None)


def test_a_reject_fails_the_call_and_carries_the_account() -> None:
    update = decision_update(decision("c1", reject=True), "4bf92f3577b34da6a3ce929d0e0e4736")
    assert update.state_key == state_key("FAILED")
    assert update.fields["accountId"] == "acc"
    [entry] = [v for k, v in update.fields.items() if k.startswith("decisions.")]
    assert entry["traceId"] == "4bf92f3577b34da6a3ce929d0e0e4736"


def test_merge_does_not_change_the_updates_it_was_given() -> None:
    a = RecordUpdate("c1", {"x": 1}, "1CALLING")
    merge([a, RecordUpdate("c1", {"y": 2}, "2RINGING")])
    assert a.fields == {"x": 1}


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        (
            "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
            "4bf92f3577b34da6a3ce929d0e0e4736",
        ),
        ("00-00000000000000000000000000000000-00f067aa0ba902b7-01", None),
        ("garbage", None),
        (None, None),
    ],
)
def test_the_trace_id_comes_from_a_valid_traceparent_only(
    header: str | None, expected: str | None
) -> None:
    assert trace_id(header) == expected
