"""Which path decides a masked call, and the decision it yields when the customer cannot."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from callplane_shared.events import (
    CallDecision,
    DecisionPath,
    ForwardInstruction,
    Instruction,
    MaskingRequest,
    RejectInstruction,
)
from callplane_shared.voice import ActionType, FallbackForward, RejectReason

DECIDED_BY = "number-masking"
# Share of the total budget the primary callback may use when a backup URL exists: the backup
# must be left enough time to answer, or configuring it would be pointless.
PRIMARY_SHARE_WITH_BACKUP = 0.6


@dataclass(frozen=True)
class Timeouts:
    connect_ms: int
    total_ms: int

    def primary_budget_ms(self, has_backup: bool) -> int:
        if not has_backup:
            return self.total_ms
        return int(self.total_ms * PRIMARY_SHARE_WITH_BACKUP)


def round_id(request: MaskingRequest) -> str:
    """One decision per callback round: the first call, then one per captured-DTMF answer."""
    if request.dtmf_captured:
        return f"{request.call_id}:dtmf:{request.from_}"
    return initial_round(request.call_id)


def initial_round(call_id: str) -> str:
    return f"{call_id}:initial"


def unavailable(request: MaskingRequest, why: str) -> tuple[Instruction, DecisionPath, str]:
    """The customer could not decide: the number's fallback if it has one, else reject."""
    fallback = request.fallback
    if isinstance(fallback, FallbackForward):
        # The masked number is shown, never the caller: the fallback target is not the
        # customer's choice for this call, so the caller's privacy wins.
        forward = ForwardInstruction(destination=fallback.pstn_number, caller_id=request.number)
        return forward, DecisionPath.FALLBACK, f"{why}; fallback forward"
    if fallback is not None:
        reject = RejectInstruction(reason=fallback.reason, detail=why)
        return reject, DecisionPath.FALLBACK, f"{why}; fallback reject"
    reject = RejectInstruction(reason=RejectReason.MASKING_UNAVAILABLE, detail=why)
    return reject, DecisionPath.REJECTED, f"{why}; no fallback"


def decision(
    request: MaskingRequest,
    instruction: Instruction,
    path: DecisionPath,
    reason: str | None,
    decided_at: datetime,
) -> CallDecision:
    return CallDecision(
        call_id=request.call_id,
        number=request.number,
        account_id=request.account_id,
        action_type=ActionType.VOICE_NUMBER_MASKING,
        action_version=request.action_version,
        instruction=instruction,
        received_at=request.received_at,
        decided_at=decided_at,
        decided_by=DECIDED_BY,
        path=path,
        path_reason=reason,
    )
