"""Consumer lag of our own consumers, as `callplane_consumer_lag_records`."""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from aiokafka import AIOKafkaConsumer, TopicPartition
from aiokafka.errors import IllegalStateError

from callplane_shared.metrics import CONSUMER_LAG


class LagGauge:
    """`callplane_consumer_lag_records` of one consumer group: highwater - position per partition
    from the consumer's last fetch (no extra request to the broker)."""

    def __init__(self, group: str, service: str) -> None:
        self._group = group
        self._service = service
        self._shown: set[TopicPartition] = set()

    async def update(self, consumer: AIOKafkaConsumer) -> None:
        assigned: Iterable[TopicPartition] = consumer.assignment()
        current: set[TopicPartition] = set()
        for tp in assigned:
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

    def show(self, lags: Mapping[tuple[str, int], int]) -> None:
        """The lag per (topic, partition) that a librdkafka consumer computed itself."""
        current = {TopicPartition(topic, partition) for topic, partition in lags}
        for (topic, partition), lag in lags.items():
            CONSUMER_LAG.labels(self._service, self._group, topic, str(partition)).set(lag)
        for tp in self._shown - current:
            CONSUMER_LAG.remove(self._service, self._group, tp.topic, str(tp.partition))
        self._shown = current
