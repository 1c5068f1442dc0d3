"""The local cluster (three brokers, three dedicated controllers) as the failover test sees it: who
leads what, who is the active controller, and a node's `kill -9` and restart through the same
stackctl that `make up` uses."""

from __future__ import annotations

import asyncio
import os
import re
import signal
from collections import Counter
from dataclasses import replace

from aiokafka import AIOKafkaClient, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient

from stackctl import control, kafka, process
from stackctl.components import kafka_components
from stackctl.layout import Layout

# Every voter logs the leader it follows, with the quorum's epoch; the highest epoch is current.
_FOLLOWER = re.compile(r"Completed transition to FollowerState\(.*?epoch=(\d+), leader=(\d+)")
_LEADER = re.compile(r"\[RaftManager id=(\d+)\] Completed transition to Leader\(.*?, epoch=(\d+)")


class Cluster:
    def __init__(self, layout: Layout) -> None:
        self.layout = layout
        self.nodes = {node.node_id: node for node in kafka.nodes(kafka.CLUSTER_SIZE)}
        self._components = {c.name: c for c in kafka_components(kafka.CLUSTER_SIZE)}
        self.bootstrap = kafka.bootstrap(kafka.CLUSTER_SIZE)

    def check_running(self) -> None:
        if kafka.running_brokers(self.layout) != kafka.CLUSTER_SIZE:
            raise SystemExit("the stack is not in cluster mode: `make up KAFKA_BROKERS=3` first")
        dead = [
            n.name for n in self.nodes.values() if process.read_pid(self.layout, n.name) is None
        ]
        if dead:
            raise SystemExit(f"Kafka nodes not running: {dead}; `make down` and start again")

    async def busiest_leader(self, topics: tuple[str, ...]) -> tuple[int, dict[int, int]]:
        """The broker that leads most partitions of `topics`, and the count for each broker."""
        client = AIOKafkaClient(bootstrap_servers=self.bootstrap)
        await client.bootstrap()
        try:
            cluster = await client.fetch_all_metadata()
            leaders = Counter(
                cluster.leader_for_partition(TopicPartition(topic, p))
                for topic in topics
                for p in cluster.partitions_for_topic(topic) or ()
            )
        finally:
            await client.close()
        node_id, _ = leaders.most_common(1)[0]
        return int(node_id), {int(k): v for k, v in leaders.items()}

    async def committed(self, group: str, topic: str) -> dict[int, int]:
        """The consumer group's committed offset per partition of `topic`."""
        admin = AIOKafkaAdminClient(bootstrap_servers=self.bootstrap)
        await admin.start()
        try:
            offsets = await admin.list_consumer_group_offsets(group)
        finally:
            await admin.close()
        return {tp.partition: meta.offset for tp, meta in offsets.items() if tp.topic == topic}

    def active_controller(self) -> int:
        """The KRaft quorum leader, read from the nodes' logs (the broker API does not say:
        in KRaft, metadata names a random broker as "controller")."""
        best: tuple[int, int] = (-1, -1)  # (epoch, leader)
        for node in (n for n in self.nodes.values() if n.is_controller):
            text = self.layout.log_file(node.name).read_text(errors="replace")
            for epoch, leader in _FOLLOWER.findall(text):
                best = max(best, (int(epoch), int(leader)))
            for leader, epoch in _LEADER.findall(text):
                best = max(best, (int(epoch), int(leader)))
        if best[1] < 0:
            raise RuntimeError("no KRaft leader found in the Kafka logs")
        return best[1]

    def kill9(self, node_id: int) -> None:
        name = self.nodes[node_id].name
        pid = process.read_pid(self.layout, name)
        if pid is None:
            raise RuntimeError(f"{name} is not running")
        os.kill(pid, signal.SIGKILL)

    async def restart(self, node_id: int) -> None:
        """Start the node again and wait until it is ready (a broker: serves metadata naming all
        three brokers; a controller: listens)."""
        # A node replaying the cluster's metadata under full load, on two shared cores, can take
        # longer than `make up` allows an idle one.
        component = replace(self._components[self.nodes[node_id].name], timeout_seconds=600)
        try:
            await asyncio.to_thread(control.start_all, self.layout, [component])
        except control.StackError as exc:
            # Seen on a starved host: fenced again while catching up, the broker exits. Once
            # more; a second failure ends the run (the report says so).
            print(f"  restart of node {node_id} failed, once more: {str(exc)[:200]}", flush=True)  # noqa: T201
            await asyncio.to_thread(control.start_all, self.layout, [component])
