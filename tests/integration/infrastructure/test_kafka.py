"""The real broker: a produce → consume round trip through a consumer group, and the topic table
as the broker holds it (partitions, cleanup policy, replication)."""

from __future__ import annotations

import pytest
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from aiokafka.admin import AIOKafkaAdminClient
from aiokafka.admin.config_resource import ConfigResource, ConfigResourceType

from callplane_shared.topics import ALL_TOPICS, REPLICATION, TopicSpec, ensure_topics
from tests.endpoints import Endpoints
from tests.support import unique

pytestmark = pytest.mark.integration


async def test_round_trip_through_a_consumer_group(endpoints: Endpoints) -> None:
    topic = TopicSpec(unique("it-roundtrip"), 3, "delete", "key", "test topic")
    created = await ensure_topics(endpoints.kafka, (topic,))
    assert created == [topic.name]

    producer = AIOKafkaProducer(bootstrap_servers=endpoints.kafka, acks="all")
    await producer.start()
    try:
        sent = {f"key-{i}".encode(): f"value-{i}".encode() for i in range(30)}
        for key, value in sent.items():
            await producer.send_and_wait(topic.name, value, key=key)
    finally:
        await producer.stop()

    group = unique("it-group")
    consumer = AIOKafkaConsumer(
        topic.name,
        bootstrap_servers=endpoints.kafka,
        group_id=group,
        auto_offset_reset="earliest",
        enable_auto_commit=False,
    )
    await consumer.start()
    received: dict[bytes, bytes] = {}
    try:
        while len(received) < len(sent):
            batch = await consumer.getmany(timeout_ms=10_000)
            assert batch, f"no records within 10s; got {len(received)} of {len(sent)}"
            for records in batch.values():
                received.update({r.key: r.value for r in records if r.key and r.value})
        await consumer.commit()
    finally:
        await consumer.stop()
    assert received == sent

    admin = AIOKafkaAdminClient(bootstrap_servers=endpoints.kafka)
    await admin.start()
    try:
        offsets = await admin.list_consumer_group_offsets(group)
    finally:
        await admin.close()
    assert sum(meta.offset for meta in offsets.values()) == len(sent)


async def test_declared_topics_exist_with_their_cleanup_policy(endpoints: Endpoints) -> None:
    await ensure_topics(endpoints.kafka)  # idempotent: a second call creates nothing
    assert await ensure_topics(endpoints.kafka) == []

    admin = AIOKafkaAdminClient(bootstrap_servers=endpoints.kafka)
    await admin.start()
    try:
        described = await admin.describe_topics([t.name for t in ALL_TOPICS])
        configs = await admin.describe_configs(
            [ConfigResource(ConfigResourceType.TOPIC, t.name) for t in ALL_TOPICS]
        )
    finally:
        await admin.close()
    partitions = {t["topic"]: len(t["partitions"]) for t in described}
    assert partitions == {t.name: t.partitions for t in ALL_TOPICS}
    policies: dict[str, str] = {}
    for response in configs:
        for resource in response.resources:
            entries = {entry[0]: entry[1] for entry in resource[4]}
            policies[resource[3]] = entries["cleanup.policy"]
    assert policies == {t.name: t.cleanup_policy for t in ALL_TOPICS}


async def test_every_topic_has_its_environments_replication(endpoints: Endpoints) -> None:
    """One node: 1 copy, min.insync.replicas 1 (`make up`, CI). Three brokers (`make up
    KAFKA_BROKERS=3`): 3 copies and 2, so an `acks=all` write is on two brokers before it is
    acknowledged and one broker's death loses nothing."""
    await ensure_topics(endpoints.kafka)  # creates nothing on a running stack
    admin = AIOKafkaAdminClient(bootstrap_servers=endpoints.kafka)
    await admin.start()
    try:
        brokers = len((await admin.describe_cluster())["brokers"])
        described = await admin.describe_topics([t.name for t in ALL_TOPICS])
        configs = await admin.describe_configs(
            [ConfigResource(ConfigResourceType.TOPIC, t.name) for t in ALL_TOPICS]
        )
    finally:
        await admin.close()
    expected = REPLICATION["single-node" if brokers == 1 else "cluster"]
    copies = {t["topic"]: sorted({len(p["replicas"]) for p in t["partitions"]}) for t in described}
    assert copies == {t.name: [expected.factor] for t in ALL_TOPICS}
    min_insync: dict[str, str] = {}
    for response in configs:
        for resource in response.resources:
            entries = {entry[0]: entry[1] for entry in resource[4]}
            min_insync[resource[3]] = entries["min.insync.replicas"]
    assert min_insync == {t.name: str(expected.min_insync_replicas) for t in ALL_TOPICS}
