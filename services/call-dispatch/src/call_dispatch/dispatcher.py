"""The hot path: consume `calls.inbound` in batches, decide from the view, publish, then commit.

A raw aiokafka consumer loop rather than a FastStream subscriber, because the delivery guarantee
lives in the ordering of three steps FastStream hides: send every decision of a batch (the
producer pipelines them), wait until Kafka acknowledged all of them (`acks=all`, idempotent), and
only then commit the batch's offsets. A crash anywhere before the commit re-delivers the batch,
and the decider yields the same decision again (at-least-once, duplicates identical). It also
keeps per-call overhead to what the latency goal allows (no middleware stack per record).
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, ConsumerRecord, TopicPartition
from opentelemetry import propagate, trace
from pydantic import TypeAdapter, ValidationError

from call_dispatch import SERVICE_NAME
from call_dispatch.decider import Decided, Outcome, decide
from call_dispatch.metrics import DecisionMetrics
from call_dispatch.outbound import Outbound, OutboundBatch
from call_dispatch.settings import Settings
from call_dispatch.view import DispatchView
from callplane_shared import dlq
from callplane_shared.consumer_lag import LagGauge
from callplane_shared.events import (
    CallDecision,
    InboundCall,
    MaskingRequest,
    RejectInstruction,
    utc_now,
)
from callplane_shared.kafka import PRODUCER_OPTIONS, client_options
from callplane_shared.metrics import CALLS_SKIPPED, DLQ_RECORDS
from callplane_shared.supervision import Supervisor
from callplane_shared.telemetry import Attr
from callplane_shared.tracing import consumer_span, has_trace_context
from callplane_shared.voice import ActionType

logger = logging.getLogger(__name__)
LAG_EVERY_SECONDS = 1.0
TASK = "dispatcher"

Headers = list[tuple[str, bytes]]
_DECISION_JSON: TypeAdapter[CallDecision] = TypeAdapter(CallDecision)
_MASKING_JSON: TypeAdapter[MaskingRequest] = TypeAdapter(MaskingRequest)


def annotate(span: trace.Span, call: InboundCall, outcome: Outcome) -> None:
    """Our attributes on a traced call's span (see `Attr`): what an on-call search filters by."""
    span.set_attribute(Attr.CALL_ID, call.call_id)
    if isinstance(outcome, Decided):
        d = outcome.decision
        span.set_attribute(Attr.NUMBER, d.number)
        if d.action_type is not None:
            span.set_attribute(Attr.ACTION_TYPE, str(d.action_type))
        if d.action_version is not None:
            span.set_attribute(Attr.ACTION_VERSION, d.action_version)
        instruction = d.instruction
        span.set_attribute(Attr.DECISION_KIND, instruction.kind)
        span.set_attribute(Attr.DECISION_PATH, str(d.path))
        # The reject reason, as the `reason` label of callplane_decisions_total (dashboards
        # link from it to these spans); otherwise why a non-direct path decided.
        reason = (
            str(instruction.reason) if isinstance(instruction, RejectInstruction) else d.path_reason
        )
        if reason:
            span.set_attribute(Attr.DECISION_REASON, reason)
    else:
        r = outcome.request
        span.set_attribute(Attr.NUMBER, r.number)
        span.set_attribute(Attr.ACTION_TYPE, str(ActionType.VOICE_NUMBER_MASKING))
        span.set_attribute(Attr.ACTION_VERSION, r.action_version)
        span.set_attribute(Attr.MASKING_CONFIG_KEY, r.config_key)


class _Refused(Exception):  # noqa: N818 - a reason to dead-letter, not an error of ours
    """The record cannot be a call; the message is the dead-letter reason."""


@dataclass(frozen=True, slots=True)
class _Emission:
    """What deciding one call adds to the batch: the record, the decision, its latency."""

    record: tuple[str, bytes, bytes, Headers]
    decision: CallDecision | None
    latency_seconds: float


def outgoing_trace() -> tuple[Headers, str | None]:
    """The current span's W3C headers for the decision, and its trace id."""
    carrier: dict[str, str] = {}
    propagate.inject(carrier)
    span_context = trace.get_current_span().get_span_context()
    trace_id = format(span_context.trace_id, "032x") if span_context.is_valid else None
    return [(k, v.encode()) for k, v in carrier.items()], trace_id


class Dispatcher:
    def __init__(
        self,
        settings: Settings,
        view: DispatchView,
        supervisor: Supervisor,
        clock: Callable[[], datetime] = utc_now,
    ) -> None:
        self._supervisor = supervisor
        self._settings = settings
        self._view = view
        self._clock = clock
        self._consumer: AIOKafkaConsumer | None = None
        self._producer: AIOKafkaProducer | None = None
        self._outbound: Outbound
        self._stopping = False
        self.decided = 0
        self.dead_lettered = 0
        self.skipped = 0
        self._metrics = DecisionMetrics()
        self._lag = LagGauge(settings.group(SERVICE_NAME), SERVICE_NAME)
        self._lag_due = 0.0

    @property
    def running(self) -> bool:
        return self._supervisor.running(TASK)

    async def kafka_ready(self) -> bool:
        """Kafka answers a metadata request over the dispatcher's own connection (no separate
        client only for a readiness ping)."""
        if self._producer is None:
            return False
        await self._producer.client.fetch_all_metadata()
        return True

    async def start(self) -> None:
        s = self._settings
        self._producer = AIOKafkaProducer(
            **client_options(s),
            client_id=f"{SERVICE_NAME}-decisions",
            **PRODUCER_OPTIONS,
            linger_ms=s.producer_linger_ms,
        )
        self._consumer = AIOKafkaConsumer(
            s.calls_inbound_topic,
            **client_options(s),
            client_id=SERVICE_NAME,
            group_id=s.group(SERVICE_NAME),
            enable_auto_commit=False,
            auto_offset_reset="earliest",
            fetch_max_wait_ms=s.fetch_max_wait_ms,
            max_poll_records=s.batch_max_records,
        )
        await self._producer.start()
        self._outbound = Outbound(self._producer)
        await self._outbound.prepare(
            [
                s.calls_decisions_topic,
                s.masking_requests_topic,
                dlq.dlq_topic(s.calls_inbound_topic),
            ]
        )
        await self._consumer.start()
        self._supervisor.start(TASK, self._run)

    async def stop(self) -> None:
        """Finish the batch in hand (decisions acknowledged, offsets committed), then stop."""
        self._stopping = True
        await self._supervisor.stop(
            TASK, cancel=False, timeout=self._settings.shutdown_grace_seconds
        )
        if self._consumer is not None:
            await self._consumer.stop()
        if self._producer is not None:
            await self._producer.stop()

    async def _run(self) -> None:
        assert self._consumer is not None  # noqa: S101 - set by start()
        while not self._stopping:
            batches = await self._consumer.getmany(
                timeout_ms=100, max_records=self._settings.batch_max_records
            )
            if batches:
                try:
                    await self._handle(batches)
                finally:
                    self._metrics.flush()
            if time.monotonic() >= self._lag_due:
                self._lag_due = time.monotonic() + LAG_EVERY_SECONDS
                try:
                    await self._lag.update(self._consumer)
                except Exception:  # a metric must never stop the hot path
                    logger.warning("updating consumer lag failed", exc_info=True)

    async def _handle(
        self, batches: dict[TopicPartition, list[ConsumerRecord[bytes, bytes]]]
    ) -> None:
        assert self._consumer is not None  # noqa: S101
        now = self._clock()
        out = self._outbound.batch()
        for records in batches.values():
            for record in records:
                self._one(record, now, out)
        try:
            await asyncio.gather(*await out.send())
        except Exception:
            # Not every decision of the batch is safe in Kafka: do not commit, read it again.
            logger.exception("publishing a batch failed; re-reading it")
            for tp, records in batches.items():
                self._consumer.seek(tp, records[0].offset)
            return
        offsets = {tp: records[-1].offset + 1 for tp, records in batches.items()}
        try:
            await self._consumer.commit(offsets)
        except Exception:
            # re-reads from the last commit and decides the same calls identically.
            logger.warning(
                "commit failed after a rebalance; calls will be re-decided", exc_info=True
            )

    def _one(self, record: ConsumerRecord[bytes, bytes], now: datetime, out: OutboundBatch) -> None:
        """Every step of one record runs under this guard: whatever a record holds, it ends as a
        decision, a masking request, a skip (too old) or a dead letter with the reason, and the
        loop moves on to the next call (invariant 6)."""
        try:
            call = self._decode(record)
            if call is None or self._too_old(call, now):
                return
            outcome = decide(call, self._view, now)
            if has_trace_context(record.headers):
                # Only calls the edge traces get a span: a span per untraced call would cost
                # more than deciding it.
                with consumer_span(
                    record.topic,
                    record.headers,
                    partition=record.partition,
                    offset=record.offset,
                    key=record.key,
                ) as span:
                    annotate(span, call, outcome)
                    emitted = self._emission(call, outcome, now, trace=outgoing_trace())
            else:
                emitted = self._emission(call, outcome, now, trace=([], None))
        except _Refused as refused:
            self._dead_letter(record, str(refused), out)
            return
        except Exception as exc:
            logger.exception(
                "deciding %s@%s/%s failed", record.topic, record.partition, record.offset
            )
            self._dead_letter(record, f"decision failed: {type(exc).__name__}: {exc}", out)
            return
        out.add(*emitted.record)
        self.decided += 1
        try:
            if emitted.decision is not None:
                # Counted when added to the batch: a batch that fails to publish is re-read and
                # counted again, which only happens when Kafka is failing anyway.
                self._metrics.decided(emitted.decision, emitted.latency_seconds)
        except Exception:  # bookkeeping must never cost a decided call its decision
            logger.warning("counting call %s failed", call.call_id, exc_info=True)

    def _decode(self, record: ConsumerRecord[bytes, bytes]) -> InboundCall | None:
        if record.value is None:
            raise _Refused("empty record (tombstone) on calls.inbound")
        size = len(record.value)
        if size > self._settings.max_record_bytes:
            raise _Refused(
                f"record of {size} bytes is larger than MAX_RECORD_BYTES "
                f"({self._settings.max_record_bytes})"
            )
        try:
            return InboundCall.model_validate_json(record.value)
        except ValidationError as exc:
            raise _Refused(f"undecodable InboundCall: {exc}") from exc

    def _too_old(self, call: InboundCall, now: datetime) -> bool:
        """A consumer group that starts from `earliest` (a new group, or one whose offsets
        expired) would re-decide every retained call; the edge gave up on those long ago."""
        age = (now - call.received_at).total_seconds()
        if age <= self._settings.max_call_age_seconds:
            return False
        self.skipped += 1
        CALLS_SKIPPED.labels(SERVICE_NAME, "too_old").inc()
        return True

    def _emission(
        self,
        call: InboundCall,
        outcome: Outcome,
        now: datetime,
        *,
        trace: tuple[Headers, str | None],
    ) -> _Emission:
        s = self._settings
        headers, _ = trace
        latency = (now - call.received_at).total_seconds()
        if isinstance(outcome, Decided):
            d = outcome.decision
            payload = _DECISION_JSON.dump_json(d, by_alias=True)
            record = (s.calls_decisions_topic, call.call_id.encode(), payload, headers)
            return _Emission(record, d, latency)
        r = outcome.request
        payload = _MASKING_JSON.dump_json(r, by_alias=True)
        record = (s.masking_requests_topic, call.call_id.encode(), payload, headers)
        return _Emission(record, None, latency)

    def _dead_letter(
        self, record: ConsumerRecord[bytes, bytes], reason: str, out: OutboundBatch
    ) -> None:
        logger.warning(
            "dead-lettering %s@%s/%s: %s",
            record.topic,
            record.partition,
            record.offset,
            reason[:200],
            # The key of calls.inbound is the callId, even when the value cannot be read.
            extra={"call_id": record.key.decode(errors="replace") if record.key else None},
        )
        self.dead_lettered += 1
        DLQ_RECORDS.labels(SERVICE_NAME, record.topic).inc()
        headers = [
            (dlq.REASON, reason[:1000].encode()),
            (dlq.ORIGINAL_TOPIC, record.topic.encode()),
            (dlq.ORIGINAL_PARTITION, str(record.partition).encode()),
            (dlq.ORIGINAL_OFFSET, str(record.offset).encode()),
            (dlq.FAILED_BY, SERVICE_NAME.encode()),
        ]
        out.add(dlq.dlq_topic(record.topic), record.key or b"", record.value or b"", headers)
