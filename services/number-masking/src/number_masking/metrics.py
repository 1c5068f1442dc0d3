"""number-masking's use of the shared metrics (`callplane_shared.metrics`) and span attributes.

A masked call costs a customer round trip of milliseconds to seconds, so `labels()` per call is
fine here (call-dispatch caches its children because it decides in microseconds).
"""

from __future__ import annotations

from aiokafka import AIOKafkaConsumer, TopicPartition
from aiokafka.errors import IllegalStateError
from opentelemetry import trace

from callplane_shared.events import CallDecision, RejectInstruction
from callplane_shared.metrics import (
    CONSUMER_LAG,
    DECISION_LATENCY,
    DECISIONS,
    MASKING_CALLBACK_LATENCY,
    MASKING_CALLBACKS,
)
from callplane_shared.telemetry import Attr
from number_masking import SERVICE_NAME


def reject_reason(decision: CallDecision) -> str:
    instruction = decision.instruction
    return str(instruction.reason) if isinstance(instruction, RejectInstruction) else ""


def decision_labels(decision: CallDecision) -> tuple[str, str, str, str]:
    """(action_type, kind, path, reason) as call-dispatch labels its decisions."""
    action_type = decision.action_type
    return (
        "none" if action_type is None else str(action_type),
        decision.instruction.kind,
        str(decision.path),
        reject_reason(decision),
    )


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
    reason = reject_reason(decision) or decision.path_reason
    if reason:
        span.set_attribute(Attr.DECISION_REASON, reason)


class LagGauge:
    """`callplane_consumer_lag_records` of one consumer group: highwater - position per partition
    from the consumer's last fetch (no extra request to the broker)."""

    def __init__(self, group: str, service: str = SERVICE_NAME) -> None:
        self._group = group
        self._service = service
        self._shown: set[TopicPartition] = set()

    async def update(self, consumer: AIOKafkaConsumer) -> None:
        current: set[TopicPartition] = set()
        for tp in consumer.assignment():
            highwater = consumer.highwater(tp)
            if highwater is None:  # nothing fetched from this partition yet
                continue
            try:
                position = await consumer.position(tp)
            except IllegalStateError:  # revoked meanwhile
                continue
            lag = max(0, highwater - position)
            CONSUMER_LAG.labels(self._service, self._group, tp.topic, str(tp.partition)).set(lag)
            current.add(tp)
        for tp in self._shown - current:
            # Revoked by a rebalance: another instance reports it now.
            CONSUMER_LAG.remove(self._service, self._group, tp.topic, str(tp.partition))
        self._shown = current
