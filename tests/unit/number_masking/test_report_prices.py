"""Infobip's price fields of a masked call's report come from call-records' charge:
`pricePerSecond` in cents per second, `currency`, `calculatedDuration` (the billed seconds),
and `inboundDuration` from the call's arrival to its end."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from callplane_shared.events import CallCharged, CallState, CallStatus
from number_masking.domain.reports import build_report, charge_fields, inbound_duration
from number_masking.report_charges import AWAITING_FIELD, waiting_report

pytestmark = pytest.mark.unit

ENDED = datetime(2026, 1, 1, 12, 1, 5, tzinfo=UTC)


def _charge(per_minute: str = "0.0600", billed: int = 120) -> CallCharged:
    return CallCharged(
        call_id="call-1",
        account_id="acc",
        amount=Decimal("0.13"),
        currency="EUR",
        destination="+41793026999",
        prefix="41",
        price_per_minute=Decimal(per_minute),
        billing_increment="60/60",
        connection_fee=Decimal("0.0100"),
        duration_seconds=65,
        billed_seconds=billed,
    )


def test_price_fields_are_infobips_from_the_charge() -> None:
    assert charge_fields(_charge()) == {
        "pricePerSecond": 0.1,  # 0.06 EUR a minute = 0.1 cent a second
        "currency": "EUR",
        "calculatedDuration": 120,
    }
    assert charge_fields(_charge("0.0500"))["pricePerSecond"] == 0.083333


def test_inbound_duration_runs_from_arrival_to_end_a_started_second_counts() -> None:
    assert inbound_duration(ENDED - timedelta(seconds=70, milliseconds=200), ENDED) == 71
    assert inbound_duration(None, ENDED) is None
    assert inbound_duration(ENDED, None) is None


def test_the_report_carries_inbound_duration_when_the_arrival_is_known() -> None:
    status = CallStatus(
        call_id="call-1",
        state=CallState.FINISHED,
        from_="+41793026731",
        to="+41793026000",
        answered_at=ENDED - timedelta(seconds=65),
        ended_at=ENDED,
        duration_seconds=65,
    )
    report = build_report(
        status,
        action="dial",
        caller="+41793026731",
        called="+41793026000",
        extra={},
        received_at=ENDED - timedelta(seconds=80),
    )
    assert report["inboundDuration"] == 80
    unknown = build_report(status, action="dial", caller="a", called="b", extra={})
    assert "inboundDuration" not in unknown


def test_an_answered_report_waits_for_its_charge_others_go_at_once() -> None:
    wait = timedelta(seconds=5)
    answered = waiting_report({"status": "answered"}, None, wait)
    assert answered[AWAITING_FIELD] is True
    assert answered["nextAttemptAt"] > datetime.now(UTC) + timedelta(seconds=4)
    busy = waiting_report({"status": "busy"}, None, wait)
    assert busy[AWAITING_FIELD] is False
    priced = waiting_report({"status": "answered"}, charge_fields(_charge()), wait)
    assert priced[AWAITING_FIELD] is False
    assert priced["body"]["calculatedDuration"] == 120
    assert waiting_report({"status": "answered"}, None, timedelta(0))[AWAITING_FIELD] is False
