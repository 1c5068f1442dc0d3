"""number-masking's leased-number view ignores the rental events of numbers.lifecycle instead
of dead-lettering them (they do not change who holds a number)."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from typing import Any, cast

import pytest

from callplane_shared.events import NumberLeased, NumberRentalCharged, NumberRentalOverdue
from number_masking.handlers import _LIFECYCLE, _apply_number
from number_masking.store import Store

pytestmark = pytest.mark.unit

FIELDS: dict[str, Any] = {
    "number_key": "0" * 32,
    "number": "+41793026731",
    "account_id": "acc",
    "capabilities": ["VOICE"],
    "type": "VIRTUAL_LONG_NUMBER",
    "country": "CH",
}
AT = datetime(2026, 2, 28, tzinfo=UTC)


class Recorder:
    def __init__(self) -> None:
        self.applied: list[tuple[str, str, bool, object]] = []

    async def apply_number(self, number: str, account_id: str, leased: bool, at: object) -> None:
        self.applied.append((number, account_id, leased, at))


async def test_rental_events_decode_and_leave_the_view_alone() -> None:
    recorder = Recorder()
    events = (
        NumberRentalCharged(
            **FIELDS,
            period_start=AT,
            period_end=AT,
            amount=Decimal("2.00"),
            currency="EUR",
            reference="rental:x",
        ),
        NumberRentalOverdue(
            **FIELDS,
            period_start=AT,
            amount=Decimal("2.00"),
            currency="EUR",
            release_at=AT,
            reference="rental-overdue:x",
        ),
        NumberLeased(**FIELDS),
    )
    for event in events:
        decoded = _LIFECYCLE.validate_json(event.model_dump_json(by_alias=True))
        await _apply_number(cast("Store", recorder), decoded)
    assert [(n, a, leased) for n, a, leased, _ in recorder.applied] == [
        ("+41793026731", "acc", True)
    ]
