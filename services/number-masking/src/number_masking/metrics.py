"""number-masking's use of the shared metrics (`callplane_shared.metrics`) and span attributes.

A masked call costs a customer round trip of milliseconds to seconds, so `labels()` per call is
fine here (call-dispatch caches its children because it decides in microseconds).
"""

from __future__ import annotations

from opentelemetry import trace

from callplane_shared.events import CallDecision
from callplane_shared.metrics import (
    DECISION_LATENCY,
    DECISIONS,
    MASKING_CALLBACK_LATENCY,
    MASKING_CALLBACKS,
    decision_labels,
)
from callplane_shared.telemetry import Attr
from number_masking import SERVICE_NAME


def record_decision(decision: CallDecision) -> None:
    """One new decision: counted, and its receivedAt → decidedAt latency observed."""
    labels = decision_labels(decision)
    DECISIONS.labels(SERVICE_NAME, *labels).inc()
    seconds = (decision.decided_at - decision.received_at).total_seconds()
    DECISION_LATENCY.labels(SERVICE_NAME, labels[1]).observe(max(0.0, seconds))


def record_callback(path: str, outcome: str, seconds: float) -> None:
    """One callback attempt to the customer's primary or backup URL."""
    MASKING_CALLBACKS.labels(path, outcome).inc()
    MASKING_CALLBACK_LATENCY.labels(path).observe(seconds)


def record_refused_at_once() -> None:
    """A call decided without asking the customer because its share was full: counted with
    the refused callbacks, with no duration (nothing was sent)."""
    MASKING_CALLBACKS.labels("primary", "busy").inc()


def annotate_decision(span: trace.Span, decision: CallDecision) -> None:
    """The decision's attributes on the request's span: kind, path and the reason (the reject
    reason, as in the `reason` label; else why this path decided, e.g. the primary's failure)."""
    if not span.is_recording():
        return
    span.set_attribute(Attr.DECISION_KIND, decision.instruction.kind)
    span.set_attribute(Attr.DECISION_PATH, str(decision.path))
    if decision.action_type is not None:
        span.set_attribute(Attr.ACTION_TYPE, str(decision.action_type))
    if decision.action_version is not None:
        span.set_attribute(Attr.ACTION_VERSION, decision.action_version)
    reason = decision_labels(decision)[3] or decision.path_reason
    if reason:
        span.set_attribute(Attr.DECISION_REASON, reason)
