"""Topic names and layout, and the one idempotent place that creates them.

Every service, the local stack and the Helm hook job create topics through `ensure_topics`, so
partitions and cleanup policies are written down once.
"""

from __future__ import annotations

import argparse
import asyncio
from dataclasses import dataclass
from typing import Any, Literal

CleanupPolicy = Literal["delete", "compact"]
Environment = Literal["single-node", "cluster", "production"]


@dataclass(frozen=True, slots=True)
class Replication:
    """How many copies of every partition, and how many must have a record before a producer
    with `acks=all` is told it is written.

    With 3 copies and `min.insync.replicas=2`, an acknowledged record is on two brokers, so the
    death of any one broker (a leader right after acknowledging, included) loses nothing, and
    writes go on while one broker is down. With the broker default of 1, `acks=all` is satisfied
    by the leader alone whenever the followers lag, and that leader's death loses the record.
    """

    factor: int
    min_insync_replicas: int


# Every topic (DLQs included: a dead-lettered record exists nowhere else) gets its environment's
# replication. One node can hold only one copy; the local cluster mirrors production.
REPLICATION: dict[Environment, Replication] = {
    "single-node": Replication(factor=1, min_insync_replicas=1),  # make up, make test, CI
    "cluster": Replication(factor=3, min_insync_replicas=2),  # make up KAFKA_BROKERS=3
    "production": Replication(factor=3, min_insync_replicas=2),  # Helm values-prod
}


@dataclass(frozen=True, slots=True)
class TopicSpec:
    name: str
    partitions: int
    cleanup_policy: CleanupPolicy
    key: str
    summary: str

    @property
    def dlq(self) -> TopicSpec:
        """Where records of this topic go when they cannot be decoded or handled."""
        return TopicSpec(
            name=f"{self.name}.dlq",
            partitions=1,
            cleanup_policy="delete",
            key=self.key,
            summary=f"Records of {self.name} that could not be handled; reason in headers.",
        )


NUMBERS_LIFECYCLE = TopicSpec(
    "numbers.lifecycle",
    3,
    "delete",
    "numberKey",
    "NumberLeased, NumberReleased, NumberRentalCharged, NumberRentalOverdue, NumberCallerIdChanged",
)
ACCOUNTS = TopicSpec("accounts", 3, "compact", "accountId", "AccountUpserted")
ACCOUNTS_BALANCE = TopicSpec(
    "accounts.balance", 3, "delete", "accountId", "BalanceLow, once per threshold crossing"
)
VOICE_ACTIONS = TopicSpec(
    "voice.actions", 6, "compact", "number (E.164)", "VoiceActionSet, tombstone on release"
)
VOICE_ROUTES = TopicSpec("voice.routes", 3, "compact", "routeId", "RouteUpserted, tombstone")
IVR_SCENARIOS = TopicSpec(
    "ivr.scenarios",
    3,
    "compact",
    "scenario id",
    "IvrScenarioPublished (current version, validated script), tombstone on delete",
)
MASKING_CONFIGS = TopicSpec(
    "masking.configs", 3, "compact", "config key", "MaskingConfigUpserted (no secrets), tombstone"
)
CALLS_INBOUND = TopicSpec("calls.inbound", 6, "delete", "callId", "InboundCall from the edge")
MASKING_REQUESTS = TopicSpec(
    "masking.requests", 6, "delete", "callId", "Masked calls handed to number-masking"
)
CALLS_DECISIONS = TopicSpec(
    "calls.decisions",
    6,
    "delete",
    "callId",
    # A masked call answered with captureDtmf is asked again with the digits: a second round.
    "CallDecision, exactly one per callId and round (re-deliveries identical)",
)
CALLS_STATUS = TopicSpec("calls.status", 6, "delete", "callId", "CallStatus from the edge")
PAYMENTS = TopicSpec(
    "payments", 3, "delete", "paymentId", "PaymentSettled, PaymentFailed from the payment system"
)
CALLS_CHARGES = TopicSpec(
    "calls.charges", 6, "delete", "callId", "CallCharged: one rated leg, applied to the ledger once"
)

PRIMARY_TOPICS: tuple[TopicSpec, ...] = (
    NUMBERS_LIFECYCLE,
    ACCOUNTS,
    ACCOUNTS_BALANCE,
    VOICE_ACTIONS,
    VOICE_ROUTES,
    IVR_SCENARIOS,
    MASKING_CONFIGS,
    CALLS_INBOUND,
    MASKING_REQUESTS,
    CALLS_DECISIONS,
    CALLS_STATUS,
    PAYMENTS,
    CALLS_CHARGES,
)
ALL_TOPICS: tuple[TopicSpec, ...] = PRIMARY_TOPICS + tuple(t.dlq for t in PRIMARY_TOPICS)


async def ensure_topics(
    bootstrap_servers: str,
    topics: tuple[TopicSpec, ...] = ALL_TOPICS,
    replication: Replication = REPLICATION["single-node"],
    **security: Any,
) -> list[str]:
    """Create the topics that do not exist yet; return the names created.

    Existing topics are left alone: changing partitions or policies of a live topic is an
    operator's decision, not something a start-up should do silently.
    """
    # Imported here: every service reads this module for topic names, and only set-up creates
    # topics (call-dispatch never does, and starts 0.1 s sooner without aiokafka).
    from aiokafka.admin import AIOKafkaAdminClient, NewTopic

    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap_servers, **security)
    await admin.start()
    try:
        existing = set(await admin.list_topics())
        missing = [t for t in topics if t.name not in existing]
        if missing:
            await admin.create_topics(
                [
                    NewTopic(
                        name=t.name,
                        num_partitions=t.partitions,
                        replication_factor=replication.factor,
                        topic_configs={
                            "cleanup.policy": t.cleanup_policy,
                            "min.insync.replicas": str(replication.min_insync_replicas),
                        },
                    )
                    for t in missing
                ]
            )
        return [t.name for t in missing]
    finally:
        await admin.close()


def main() -> None:
    """Create the topics; connection and security come from the same KAFKA_* variables as the
    services (so the Helm hook job needs nothing else), `--bootstrap-servers` overrides."""
    from callplane_shared.kafka import client_options
    from callplane_shared.settings import ServiceSettings

    parser = argparse.ArgumentParser(description="Create callplane's Kafka topics idempotently.")
    parser.add_argument("--bootstrap-servers", default=None)
    parser.add_argument(
        "--environment",
        choices=list(REPLICATION),
        default="single-node",
        help="replication factor and min.insync.replicas from the table in this module",
    )
    parser.add_argument("--replication-factor", type=int, default=None, help="overrides")
    parser.add_argument("--min-insync-replicas", type=int, default=None, help="overrides")
    args = parser.parse_args()
    chosen = REPLICATION[args.environment]
    replication = Replication(
        factor=args.replication_factor or chosen.factor,
        min_insync_replicas=args.min_insync_replicas or chosen.min_insync_replicas,
    )
    if not 1 <= replication.min_insync_replicas <= replication.factor:
        parser.error("--min-insync-replicas must be between 1 and the replication factor")
    settings = ServiceSettings()
    if args.bootstrap_servers:
        settings = settings.model_copy(update={"kafka_bootstrap_servers": args.bootstrap_servers})
    options = client_options(settings)
    bootstrap = options.pop("bootstrap_servers")
    created = asyncio.run(ensure_topics(bootstrap, replication=replication, **options))
    print(  # noqa: T201
        f"topics: {len(ALL_TOPICS)} declared, {len(created)} created "
        f"(replication factor {replication.factor}, "
        f"min.insync.replicas {replication.min_insync_replicas})",
        flush=True,
    )


if __name__ == "__main__":
    main()
