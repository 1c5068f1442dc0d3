"""Consumer lag of our own consumers, as `callplane_consumer_lag_records`."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING

from callplane_shared.metrics import CONSUMER_LAG

if TYPE_CHECKING:
    # Types only: call-dispatch (librdkafka, `show`) starts without importing aiokafka.
    from aiokafka import AIOKafkaConsumer, TopicPartition

Partition = tuple[str, int]


class LagGauge:
    """`callplane_consumer_lag_records` of one consumer group: highwater - position per partition
    from the consumer's last fetch (no extra request to the broker)."""

    def __init__(self, group: str, service: str) -> None:
        self._group = group
        self._service = service
        self._shown: set[Partition] = set()

    async def update(self, consumer: AIOKafkaConsumer) -> None:
        """The lag of an aiokafka consumer's assigned partitions."""
        from aiokafka.errors import IllegalStateError  # lazily: see TYPE_CHECKING above

        assigned: Iterable[TopicPartition] = consumer.assignment()
        lags: dict[Partition, int] = {}
        for tp in assigned:
            highwater = consumer.highwater(tp)
            if highwater is None:  # nothing fetched from this partition yet
                continue
            try:
                position = await consumer.position(tp)
            except IllegalStateError:  # revoked meanwhile
                continue
            lags[tp.topic, tp.partition] = max(0, highwater - position)
        self.show(lags)

    def show(self, lags: Mapping[Partition, int]) -> None:
        """The lag per (topic, partition); a partition no longer in `lags` was revoked by a
        rebalance, and another instance reports it now."""
        for (topic, partition), lag in lags.items():
            CONSUMER_LAG.labels(self._service, self._group, topic, str(partition)).set(lag)
        for topic, partition in self._shown - set(lags):
            CONSUMER_LAG.remove(self._service, self._group, topic, str(partition))
        self._shown = set(lags)
