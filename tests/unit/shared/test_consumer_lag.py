"""`LagGauge.show`: the lag a librdkafka consumer computed is exported per partition, and a
partition revoked by a rebalance stops being reported (another instance reports it)."""

from __future__ import annotations

import pytest
from prometheus_client import REGISTRY

from callplane_shared.consumer_lag import LagGauge
from tests.support import unique

pytestmark = pytest.mark.unit


def _lag(group: str, topic: str, partition: int) -> float | None:
    labels = {"service": "test", "group": group, "topic": topic, "partition": str(partition)}
    return REGISTRY.get_sample_value("callplane_consumer_lag_records", labels)


def test_lag_is_shown_per_partition_and_a_revoked_partition_disappears() -> None:
    group, topic = unique("group"), unique("topic")
    gauge = LagGauge(group, "test")
    gauge.show({(topic, 0): 5, (topic, 3): 0})
    assert _lag(group, topic, 0) == 5
    assert _lag(group, topic, 3) == 0

    gauge.show({(topic, 3): 2})
    assert _lag(group, topic, 0) is None
    assert _lag(group, topic, 3) == 2
