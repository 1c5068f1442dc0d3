"""The SIP answer to each reject reason: the one table the README documents.

Codes follow the usual Q.850 ↔ SIP mapping (RFC 3398) so a carrier's equipment reacts as it
does to any other network; the `Reason` header carries the Q.850 cause and callplane's reason.
Reasons this table does not know yet (the contract may grow) get 403 with the reason attached.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class SipAnswer:
    code: int
    phrase: str
    q850: int


REJECTS: dict[str, SipAnswer] = {
    "NUMBER_NOT_IN_SERVICE": SipAnswer(404, "Not Found", 1),
    "NO_ROUTE": SipAnswer(404, "No Route To Destination", 3),
    "NO_ACTION": SipAnswer(480, "Temporarily Unavailable", 18),
    "TARGET_NOT_FOUND": SipAnswer(480, "Temporarily Unavailable", 18),
    "NO_VOICE_CAPABILITY": SipAnswer(403, "Forbidden", 57),
    "INSUFFICIENT_FUNDS": SipAnswer(403, "Forbidden", 21),
    "INVALID_INPUT": SipAnswer(484, "Address Incomplete", 28),
    "REJECTED_BY_CUSTOMER": SipAnswer(603, "Decline", 21),
    "MASKING_UNAVAILABLE": SipAnswer(503, "Service Unavailable", 41),
}
UNKNOWN_REASON = SipAnswer(403, "Forbidden", 21)
# The edge's own answers (not callplane's reasons).
DECISION_TIMEOUT = SipAnswer(503, "Service Unavailable", 41)
OVERLOADED = SipAnswer(503, "Service Unavailable", 42)
NO_GATEWAY = SipAnswer(404, "No Route To Destination", 3)
BAD_REQUEST = SipAnswer(400, "Bad Request", 100)


def answer_for(reason: str) -> SipAnswer:
    return REJECTS.get(reason, UNKNOWN_REASON)
