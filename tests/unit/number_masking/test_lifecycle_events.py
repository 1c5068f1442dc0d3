"""number-masking's leased-number view ignores the rental events of numbers.lifecycle instead
of dead-lettering them (they do not change who holds a number)."""

from __future__ import annotations

from typing import cast

import pytest

from callplane_shared.events import NumberLeased
from number_masking.handlers import _LIFECYCLE, _apply_number
from number_masking.store import Store
from tests.unit.rental_events import FIELDS, NUMBER, caller_id_events, rental_events

pytestmark = pytest.mark.unit


class Recorder:
    def __init__(self) -> None:
        self.applied: list[tuple[str, str, bool, object]] = []

    async def apply_number(self, number: str, account_id: str, leased: bool, at: object) -> None:
        self.applied.append((number, account_id, leased, at))


async def test_rental_and_caller_id_events_decode_and_leave_the_view_alone() -> None:
    recorder = Recorder()
    for event in (*rental_events(), *caller_id_events(), NumberLeased(**FIELDS)):
        decoded = _LIFECYCLE.validate_json(event.model_dump_json(by_alias=True))
        await _apply_number(cast("Store", recorder), decoded)
    assert [(n, a, leased) for n, a, leased, _ in recorder.applied] == [(NUMBER, "acc", True)]
