"""numbers.lifecycle carries rental events too: action-config decodes them (no dead letter) and
changes nothing, and a release for unpaid rental removes the action like any release."""

from __future__ import annotations

from typing import cast

import pytest

from action_config.handlers import _LIFECYCLE, apply_lifecycle
from action_config.number_lifecycle import NumberLifecycle
from callplane_shared.events import NumberReleased
from tests.unit.rental_events import FIELDS, caller_id_events, rental_events

pytestmark = pytest.mark.unit


class Recorder:
    def __init__(self) -> None:
        self.calls: list[str] = []

    async def on_leased(self, event: object) -> None:
        self.calls.append(f"leased {type(event).__name__}")

    async def on_released(self, event: object) -> None:
        self.calls.append(f"released {type(event).__name__}")


async def test_rental_and_caller_id_events_decode_and_change_nothing() -> None:
    recorder = Recorder()
    for event in (*rental_events(), *caller_id_events()):
        decoded = _LIFECYCLE.validate_json(event.model_dump_json(by_alias=True))
        await apply_lifecycle(cast("NumberLifecycle", recorder), decoded)
    assert recorder.calls == []


async def test_a_release_for_unpaid_rental_is_a_release() -> None:
    recorder = Recorder()
    raw = NumberReleased(**FIELDS, reason="RENTAL_UNPAID").model_dump_json(by_alias=True)
    await apply_lifecycle(cast("NumberLifecycle", recorder), _LIFECYCLE.validate_json(raw))
    assert recorder.calls == ["released NumberReleased"]
