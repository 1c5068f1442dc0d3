"""Sample rental and caller-ID events of numbers.lifecycle, for the tests of the services that
consume it (and ignore them)."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from callplane_shared.events import (
    NumberCallerIdChanged,
    NumberRentalCharged,
    NumberRentalOverdue,
)

NUMBER = "+41793026731"
FIELDS: dict[str, Any] = {
    "number_key": "0" * 32,
    "number": NUMBER,
    "account_id": "acc",
    "capabilities": ["VOICE"],
    "type": "VIRTUAL_LONG_NUMBER",
    "country": "CH",
}
AT = datetime(2026, 2, 28, tzinfo=UTC)


def rental_events() -> tuple[NumberRentalCharged, NumberRentalOverdue]:
    charged = NumberRentalCharged(
        **FIELDS,
        period_start=AT,
        period_end=AT,
        amount=Decimal("2.00"),
        currency="EUR",
        reference="rental:x",
    )
    overdue = NumberRentalOverdue(
        **FIELDS,
        period_start=AT,
        amount=Decimal("2.00"),
        currency="EUR",
        release_at=AT,
        reference="rental-overdue:x",
    )
    return charged, overdue


def caller_id_events() -> tuple[NumberCallerIdChanged, NumberCallerIdChanged]:
    return (
        NumberCallerIdChanged(**FIELDS, conversations_caller_id=True, queue_id="support"),
        NumberCallerIdChanged(**FIELDS, conversations_caller_id=False),
    )
