"""Infobip's masked-call report, built from the edge's final call status."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from callplane_shared.events import CallState, CallStatus

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


def build_report(
    status: CallStatus, *, action: str, caller: str, called: str, extra: dict[str, Any]
) -> dict[str, Any]:
    """The JSON body posted to statusUrl. `caller`/`called` are those of the first callback, so
    the customer sees the same `from`/`to` it answered for; `extra` carries e.g. fileUrl."""
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
        **extra,
    }
    return {k: v for k, v in report.items() if v is not None}
