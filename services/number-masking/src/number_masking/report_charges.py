"""The price fields of a masked call's status report (Infobip's `pricePerSecond`, `currency`,
`calculatedDuration`), from the `CallCharged` call-records publishes on `calls.charges`.

A charge and the call's final status arrive on two topics in either order, so each side writes
what it knows and then reads the other's: the charge is kept on the call's first masking
decision (only masked calls have one, so other calls' charges match nothing and store nothing),
and an answered call's report waits at most `wait` for it (`awaitingCharge`), then goes without
prices rather than late. A charge that comes after the report was first tried is not added.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from callplane_shared.events import CallCharged
from callplane_shared.mongo import Document
from number_masking.domain.decisions import initial_round
from number_masking.domain.reports import charge_fields
from number_masking.store import Store

CHARGE_FIELD = "charge"
AWAITING_FIELD = "awaitingCharge"


def _now() -> datetime:
    return datetime.now(UTC)


async def record_charge(store: Store, charge: CallCharged) -> bool:
    """Keep the charge of a masked call and complete its waiting report; False: not masked."""
    fields = charge_fields(charge)
    kept = await store.decisions.update_one(
        {"_id": initial_round(charge.call_id)}, {"$set": {CHARGE_FIELD: fields}}
    )
    if kept.matched_count == 0:
        return False
    await complete_report(store, charge.call_id, fields)
    return True


async def known_charge(store: Store, call_id: str) -> dict[str, Any] | None:
    first = await store.find_decision(initial_round(call_id))
    found: dict[str, Any] | None = None if first is None else first.get(CHARGE_FIELD)
    return found


async def complete_report(store: Store, call_id: str, fields: dict[str, Any]) -> None:
    """Add the prices to a report still waiting for them, and make it due now. Never to one
    already tried: its retries carry the body the customer may have seen."""
    await store.reports.update_one(
        {"_id": call_id, "state": "pending", AWAITING_FIELD: True, "attempts": 0},
        {
            "$set": {
                **{f"body.{name}": value for name, value in fields.items()},
                AWAITING_FIELD: False,
                "nextAttemptAt": _now(),
            }
        },
    )


def waiting_report(body: Document, charge: dict[str, Any] | None, wait: timedelta) -> Document:
    """The fields of a new report: with the prices when the charge is known, else (answered
    calls only: nothing else is charged) due after `wait` unless the charge completes it."""
    now = _now()
    if charge is not None:
        return {"body": {**body, **charge}, AWAITING_FIELD: False, "nextAttemptAt": now}
    if body.get("status") != "answered" or wait <= timedelta(0):
        return {"body": body, AWAITING_FIELD: False, "nextAttemptAt": now}
    return {"body": body, AWAITING_FIELD: True, "nextAttemptAt": now + wait}
