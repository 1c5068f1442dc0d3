"""The hot path: consume `calls.inbound` in batches, decide from the view, publish, then commit.

A raw consumer loop rather than a FastStream subscriber, because the delivery guarantee lives in
the ordering of three steps FastStream hides: produce every decision of a batch, wait until Kafka
acknowledged all of them (`acks=all`, idempotent), and only then commit the batch's offsets. A
crash anywhere before the commit re-delivers the batch, and the decider yields the same decision
again (at-least-once, duplicates identical).

The loop is pipelined: while one batch's decisions wait for their acknowledgements, the next
batch is fetched and decided. Batches are committed strictly in the order they were read, each
only once its own acknowledgements are in, so a commit never passes an unacknowledged decision.
When one fails, every batch after it is dropped too and the consumer seeks back to the failed
batch's first offsets. The clients are librdkafka's (`kafka_link`), chosen by `make bench`.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from opentelemetry import propagate, trace
from pydantic import TypeAdapter, ValidationError

from call_dispatch import SERVICE_NAME
from call_dispatch.decider import Decided, Outcome, decide
from call_dispatch.kafka_link import (
    ACK_POLL_SECONDS,
    Batch,
    Headers,
    KafkaLink,
    Partition,
    Record,
)
from call_dispatch.metrics import DecisionMetrics
from call_dispatch.replay import Published
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
from callplane_shared.librdkafka import librdkafka_options
from callplane_shared.metrics import CALLS_SKIPPED, DLQ_RECORDS
from callplane_shared.supervision import Supervisor
from callplane_shared.telemetry import Attr
from callplane_shared.tracing import consumer_span, has_trace_context
from callplane_shared.voice import ActionType

logger = logging.getLogger(__name__)
LAG_EVERY_SECONDS = 1.0
TASK = "dispatcher"

Output = tuple[str, bytes, bytes, Headers]
"""(topic, key, value, headers) of one record to publish."""
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

    record: Output
    decision: CallDecision | None
    latency_seconds: float


def outgoing_trace() -> tuple[Headers, str | None]:
    """The current span's W3C headers for the decision, and its trace id."""
    carrier: dict[str, str] = {}
    propagate.inject(carrier)
    span_context = trace.get_current_span().get_span_context()
    trace_id = format(span_context.trace_id, "032x") if span_context.is_valid else None
    return [(k, v.encode()) for k, v in carrier.items()], trace_id


class Link(Protocol):
    """What the loop needs of Kafka (`KafkaLink`; a fake in unit tests)."""

    def produce(
        self, batch: Batch, topic: str, key: bytes, value: bytes, headers: Headers
    ) -> None: ...

    def serve_acks(self) -> None: ...

    def seek(self, partition: Partition, offset: int) -> None: ...

    def commit(self, offsets: dict[Partition, int], *, wait: bool = False) -> None: ...


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
        self._kafka: KafkaLink | None = None
        self._link: Link
        self._in_flight: deque[Batch] = deque()
        # Offsets of acknowledged batches not committed yet, and when they next may be.
        self._uncommitted: dict[Partition, int] = {}
        self._commit_due = 0.0
        self._stopping = False
        self.decided = 0
        self.dead_lettered = 0
        self.skipped = 0
        self.replayed = 0
        self._published: Published[Output] = Published(settings.replay_capacity)
        self._metrics = DecisionMetrics()
        self._lag = LagGauge(settings.group(SERVICE_NAME), SERVICE_NAME)
        self._lag_due = 0.0

    @property
    def running(self) -> bool:
        return self._supervisor.running(TASK)

    async def kafka_ready(self) -> bool:
        """Kafka answers a metadata request over the dispatcher's own connection (no separate
        client only for a readiness ping)."""
        if self._kafka is None:
            return False
        return await asyncio.get_running_loop().run_in_executor(None, self._kafka.ready)

    async def start(self) -> None:
        s = self._settings
        kafka = KafkaLink(
            librdkafka_options(s),
            topic=s.calls_inbound_topic,
            group=s.group(SERVICE_NAME),
            instance_id=s.group_instance_id,
            client_id=SERVICE_NAME,
            consumer_options={
                "fetch.wait.max.ms": s.fetch_max_wait_ms,
                "session.timeout.ms": s.session_timeout_ms,
            },
            producer_options={"linger.ms": s.producer_linger_ms},
        )
        loop = asyncio.get_running_loop()
        for topic in (
            s.calls_decisions_topic,
            s.masking_requests_topic,
            dlq.dlq_topic(s.calls_inbound_topic),
        ):
            # Fail at start, not at the first call, when an output topic is missing.
            await loop.run_in_executor(None, kafka.partitions_of, topic)
        kafka.start()
        self._kafka = self._link = kafka
        self._supervisor.start(TASK, self._run)

    async def stop(self) -> None:
        """Finish the batches in hand (decisions acknowledged, offsets committed), then stop."""
        self._stopping = True
        await self._supervisor.stop(
            TASK, cancel=False, timeout=self._settings.shutdown_grace_seconds
        )
        if self._kafka is not None:
            await self._kafka.close()

    async def _run(self) -> None:
        fetching: asyncio.Future[list[Record]] | None = None
        while True:
            fetching = fetching or self._fetch_next()
            waits = {f for f in (fetching, self._in_flight and self._in_flight[0].acked) if f}
            if not waits:
                break  # stopping, and every batch settled
            # Delivery reports are served here, on the loop: while batches wait for theirs, wake
            # often enough to hand them over (see `kafka_link`).
            timeout = ACK_POLL_SECONDS if self._in_flight else None
            await asyncio.wait(waits, timeout=timeout, return_when=asyncio.FIRST_COMPLETED)
            self._link.serve_acks()
            if not self._settle(wait=self._stopping):
                if fetching is not None:
                    # Records read past the failed batch: read again after the seek.
                    await asyncio.gather(fetching, return_exceptions=True)
                    fetching = None
                self._rewind()
                continue
            if fetching is not None and fetching.done():
                records, fetching = fetching.result(), None
                if records:
                    try:
                        self._submit(records)
                    finally:
                        self._metrics.flush()
            self._update_lag()
        self._settle(wait=True)

    def _fetch_next(self) -> asyncio.Future[list[Record]] | None:
        """Start the next fetch unless stopping or as many batches as allowed are in flight."""
        assert self._kafka is not None  # noqa: S101 - set by start()
        if self._stopping or len(self._in_flight) >= self._settings.batches_in_flight:
            return None
        return asyncio.ensure_future(self._kafka.fetch(self._settings.batch_max_records))

    def _update_lag(self) -> None:
        if self._kafka is None or time.monotonic() < self._lag_due:
            return
        self._lag_due = time.monotonic() + LAG_EVERY_SECONDS
        try:
            self._lag.show(self._kafka.lags())
        except Exception:  # a metric must never stop the hot path
            logger.warning("updating consumer lag failed", exc_info=True)

    def _submit(self, records: list[Record]) -> Batch:
        """Decide `records` and produce the outcomes; the batch joins the in-flight queue."""
        now = self._clock()
        batch = Batch(asyncio.get_running_loop())
        produced = 0
        try:
            for record in records:
                tp = (record.topic, record.partition)
                batch.first.setdefault(tp, record.offset)
                batch.next[tp] = record.offset + 1
                for out in self._one(record, now):
                    self._link.produce(batch, *out)
                    produced += 1
        except Exception as exc:  # the producer's queue refused: this batch is read again
            logger.exception("producing a batch failed")
            batch.fail(exc)
        else:
            batch.seal(produced)
        self._in_flight.append(batch)
        return batch

    def _settle(self, *, wait: bool = False) -> bool:
        """Commit the acknowledged batches at the head of the queue, in order; False when the
        head failed (nothing after it may be committed).

        Their offsets are committed together at most every `commit_interval_ms` (and always
        when `wait`): at 1,000 calls/s a batch is a few calls, and a commit per batch was
        hundreds of offset commits a second for the group coordinator. A crash re-decides at
        most that interval's calls, identically (`replay`)."""
        while self._in_flight and self._in_flight[0].acked.done():
            head = self._in_flight[0]
            if head.acked.exception() is not None:
                break
            self._uncommitted |= head.next
            self._in_flight.popleft()
        now = time.monotonic()
        if self._uncommitted and (wait or now >= self._commit_due):
            offsets, self._uncommitted = self._uncommitted, {}
            self._commit_due = now + self._settings.commit_interval_ms / 1000
            try:
                self._link.commit(offsets, wait=wait)
            except Exception:
                # re-reads from the last commit and decides the same calls identically.
                logger.warning(
                    "commit failed after a rebalance; calls will be re-decided", exc_info=True
                )
        return not (self._in_flight and self._in_flight[0].acked.done())

    def _rewind(self) -> None:
        """Seek back to the failed head batch's first offsets and drop every batch after it."""
        failed = self._in_flight[0].acked.exception()
        logger.error("publishing a batch failed; re-reading it: %s", failed)
        first: dict[Partition, int] = {}
        for batch in self._in_flight:
            for tp, offset in batch.first.items():
                first.setdefault(tp, offset)
        self._in_flight.clear()
        for tp, offset in first.items():
            self._link.seek(tp, offset)

    def _one(self, record: Record, now: datetime) -> tuple[Output, ...]:
        """What one record publishes. Every step of one record runs under this guard: whatever a
        record holds, it ends as a decision, a masking request, a skip (too old) or a dead letter
        with the reason, and the loop moves on to the next call (invariant 6)."""
        try:
            call = self._decode(record)
            if call is None or self._too_old(call, now):
                return ()
            published = self._published.get(call.call_id)
            if published is not None:
                # Read again (uncommitted when its partition moved, or its batch failed):
                # the same record, even if the number's action changed since (`replay`).
                self.replayed += 1
                return (published,)
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
            return (self._dead_letter(record, str(refused)),)
        except Exception as exc:
            logger.exception(
                "deciding %s@%s/%s failed", record.topic, record.partition, record.offset
            )
            return (self._dead_letter(record, f"decision failed: {type(exc).__name__}: {exc}"),)
        self.decided += 1
        self._published.remember(call.call_id, emitted.record)
        try:
            if emitted.decision is not None:
                # Counted when added to the batch: a batch that fails to publish is re-read and
                # counted again, which only happens when Kafka is failing anyway.
                self._metrics.decided(emitted.decision, emitted.latency_seconds)
        except Exception:  # bookkeeping must never cost a decided call its decision
            logger.warning("counting call %s failed", call.call_id, exc_info=True)
        return (emitted.record,)

    def _decode(self, record: Record) -> InboundCall | None:
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

    def _dead_letter(self, record: Record, reason: str) -> Output:
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
        return (dlq.dlq_topic(record.topic), record.key or b"", record.value or b"", headers)
