"""How a delivery to a customer's URL fails: one exception with a reason a person can read (it
ends up in a decision's `pathReason` or a report's `lastError`) and a short outcome for metrics."""

from __future__ import annotations

OUTCOMES = (
    "ok",
    "timeout",
    "connect_timeout",
    "connect_error",
    "tls_error",
    "transport_error",
    "redirect",
    "http_error",
    "not_json",
    "too_large",
    "invalid_json",
    "invalid_answer",
    "refused_url",
    "refused_address",
    "dns_error",
    "busy",
    "error",
)
"""Every outcome a delivery can have (`invalid_answer` is the caller's own: valid JSON that is no
usable answer; `busy` is admission refusing because the customer's share is full)."""


class WebhookError(Exception):
    """The customer's server did not give a usable answer; `reason` says why; `outcome` is one
    of `OUTCOMES`, bounded, for metric labels."""

    def __init__(self, reason: str, outcome: str = "error") -> None:
        super().__init__(reason)
        self.reason = reason
        self.outcome = outcome
