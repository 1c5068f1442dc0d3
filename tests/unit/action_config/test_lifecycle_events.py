"""numbers.lifecycle carries rental events too: action-config decodes them (no dead letter) and
changes nothing, and a release for unpaid rental removes the action like any release."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from typing import Any, cast

import pytest

from action_config.handlers import _LIFECYCLE, apply_lifecycle
from action_config.number_lifecycle import NumberLifecycle
from callplane_shared.events import NumberReleased, NumberRentalCharged, NumberRentalOverdue

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
        self.calls: list[str] = []

    async def on_leased(self, event: object) -> None:
        self.calls.append(f"leased {type(event).__name__}")

    async def on_released(self, event: object) -> None:
        self.calls.append(f"released {type(event).__name__}")


async def test_rental_events_decode_and_change_nothing() -> None:
    recorder = Recorder()
    for event in (
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
    ):
        decoded = _LIFECYCLE.validate_json(event.model_dump_json(by_alias=True))
        await apply_lifecycle(cast("NumberLifecycle", recorder), decoded)
    assert recorder.calls == []


async def test_a_release_for_unpaid_rental_is_a_release() -> None:
    recorder = Recorder()
    raw = NumberReleased(**FIELDS, reason="RENTAL_UNPAID").model_dump_json(by_alias=True)
    await apply_lifecycle(cast("NumberLifecycle", recorder), _LIFECYCLE.validate_json(raw))
    assert recorder.calls == ["released NumberReleased"]
