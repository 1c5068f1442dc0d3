"""A small typed client for upstream systems (the media edge, tests, the `callplane` command):
publish an `InboundCall` and, if wanted, wait for its `CallDecision`.

    async with CallPublisher("127.0.0.1:9092") as calls:
        decision = await calls.decide(InboundCall(call_id="c-1", from_="+41791234567",
                                                  to="+41797654321", received_at=utc_now()))
        print(decision.instruction)

The producer is idempotent with `acks=all` and the record is keyed by callId, as the contract
requires. Waiting for a decision reads `calls.decisions` from its end as of before the publish,
without a consumer group (nothing is committed, every waiter sees every decision).
"""

from __future__ import annotations

import asyncio
import contextlib
from types import TracebackType
from typing import Any, Self

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition
from pydantic import TypeAdapter

from callplane_shared.events import CallDecision, CallStatus, InboundCall
from callplane_shared.topics import CALLS_DECISIONS, CALLS_INBOUND, CALLS_STATUS

_CALL_JSON: TypeAdapter[InboundCall] = TypeAdapter(InboundCall)
_DECISION_JSON: TypeAdapter[CallDecision] = TypeAdapter(CallDecision)
_STATUS_JSON: TypeAdapter[CallStatus] = TypeAdapter(CallStatus)


class DecisionTimeoutError(TimeoutError):
    pass


class CallPublisher:
    def __init__(
        self,
        bootstrap_servers: str,
        *,
        inbound_topic: str = CALLS_INBOUND.name,
        decisions_topic: str = CALLS_DECISIONS.name,
        client_id: str = "callplane-publisher",
        status_topic: str = CALLS_STATUS.name,
        **kafka_options: Any,
    ) -> None:
        """`kafka_options` (security_protocol, ssl_context, sasl_*) go to every client made."""
        self._bootstrap = bootstrap_servers
        self._options = kafka_options
        self._inbound_topic = inbound_topic
        self._decisions_topic = decisions_topic
        self._status_topic = status_topic
        self._producer = AIOKafkaProducer(
            bootstrap_servers=bootstrap_servers,
            client_id=client_id,
            acks="all",
            enable_idempotence=True,
            **kafka_options,
        )

    async def __aenter__(self) -> Self:
        await self._producer.start()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self._producer.stop()

    async def publish(self, call: InboundCall, *, traceparent: str | None = None) -> None:
        """Publish `call` (key: callId) and return once Kafka acknowledged it."""
        headers = [("traceparent", traceparent.encode())] if traceparent else None
        await self._producer.send_and_wait(
            self._inbound_topic,
            _CALL_JSON.dump_json(call, by_alias=True),
            key=call.call_id.encode(),
            headers=headers,
        )

    async def publish_status(self, status: CallStatus, *, traceparent: str | None = None) -> None:
        """Publish a call's progress on `calls.status` (key: callId), acknowledged by Kafka."""
        headers = [("traceparent", traceparent.encode())] if traceparent else None
        await self._producer.send_and_wait(
            self._status_topic,
            _STATUS_JSON.dump_json(status, by_alias=True),
            key=status.call_id.encode(),
            headers=headers,
        )

    async def decide(
        self, call: InboundCall, *, timeout: float = 10.0, traceparent: str | None = None
    ) -> CallDecision:
        """Publish `call` and wait for its decision (from call-dispatch or number-masking)."""
        consumer = AIOKafkaConsumer(
            bootstrap_servers=self._bootstrap,
            enable_auto_commit=False,
            group_id=None,
            **self._options,
        )
        await consumer.start()
        try:
            # The producer's lookup waits for metadata; the consumer's only reads its cache.
            partitions = await self._producer.partitions_for(self._decisions_topic)
            if not partitions:
                raise RuntimeError(f"topic {self._decisions_topic} does not exist")
            assigned = [TopicPartition(self._decisions_topic, p) for p in partitions]
            consumer.assign(assigned)
            # Resolve the end positions before publishing, so the decision cannot slip past.
            await consumer.seek_to_end(*assigned)
            for tp in assigned:
                await consumer.position(tp)
            await self.publish(call, traceparent=traceparent)
            return await asyncio.wait_for(self._await(consumer, call.call_id), timeout)
        except TimeoutError as exc:
            raise DecisionTimeoutError(
                f"no decision for call {call.call_id} within {timeout}s: is call-dispatch running?"
            ) from exc
        finally:
            with contextlib.suppress(Exception):
                await consumer.stop()

    @staticmethod
    async def _await(consumer: AIOKafkaConsumer, call_id: str) -> CallDecision:
        key = call_id.encode()
        while True:
            batches = await consumer.getmany(timeout_ms=200)
            for records in batches.values():
                for record in records:
                    if record.key == key and record.value is not None:
                        return _DECISION_JSON.validate_json(record.value)
