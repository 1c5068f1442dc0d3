"""Infobip's masked-call report, built from the edge's final call status."""

from __future__ import annotations

import math
from datetime import datetime
from decimal import Decimal
from typing import Any

from callplane_shared.events import CallCharged, CallState, CallStatus

FINAL_STATES = frozenset(
    {CallState.FINISHED, CallState.FAILED, CallState.CANCELLED, CallState.NO_ANSWER, CallState.BUSY}
)


def report_status(status: CallStatus) -> str:
    """Infobip's vocabulary: answered, busy, no answer, failed, congestion."""
    if status.state is CallState.BUSY:
        return "busy"
    if status.state in {CallState.NO_ANSWER, CallState.CANCELLED}:
        return "no answer"
    cause = (status.hangup_cause or "").lower()
    if "congestion" in cause:
        return "congestion"
    if status.state is CallState.FINISHED and status.answered_at is not None:
        return "answered"
    if status.state is CallState.FINISHED:
        return "no answer"
    return "failed"


def _iso(moment: datetime | None) -> str | None:
    return None if moment is None else moment.isoformat()


def charge_fields(charge: CallCharged) -> dict[str, Any]:
    """Infobip's price fields, from the charge call-records rated for this call.

    Why the charge and not a price list of our own: call-records is the one rater (its price
    list, the account's operator overrides, the billing increment), and the ledger debits
    exactly this charge; a second rating here could disagree with what the customer pays.
    `pricePerSecond` is in cents per second, as Infobip's StatusRequest schema describes it."""
    per_second = (charge.price_per_minute * 100 / 60).quantize(Decimal("0.000001"))
    return {
        "pricePerSecond": float(per_second),
        "currency": charge.currency,
        "calculatedDuration": charge.billed_seconds,
    }


def inbound_duration(received_at: datetime | None, ended_at: datetime | None) -> int | None:
    """Seconds from the edge receiving the call to its end (a started second counts)."""
    if received_at is None or ended_at is None:
        return None
    return max(0, math.ceil((ended_at - received_at).total_seconds()))


def build_report(
    status: CallStatus,
    *,
    action: str,
    caller: str,
    called: str,
    extra: dict[str, Any],
    received_at: datetime | None = None,
) -> dict[str, Any]:
    """The JSON body posted to statusUrl. `caller`/`called` are those of the first callback, so
    the customer sees the same `from`/`to` it answered for; `extra` carries e.g. fileUrl;
    `received_at` (of the first masking request) gives `inboundDuration`."""
    report: dict[str, Any] = {
        "action": action,
        "from": caller,
        "to": called,
        "transferTo": status.transfer_to,
        "duration": status.duration_seconds or 0,
        "status": report_status(status),
        "correlationId": status.call_id,
        "nmCorrelationId": status.call_id,
        "ringingTime": _iso(status.ringing_at),
        "answeredTime": _iso(status.answered_at),
        "endTime": _iso(status.ended_at),
        "hangupCause": status.hangup_cause,
        "inboundDuration": inbound_duration(received_at, status.ended_at),
        **extra,
    }
    return {k: v for k, v in report.items() if v is not None}
