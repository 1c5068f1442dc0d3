"""Who may write and read each topic: the table the Kafka ACLs of a deployment are made from.

With SASL each service authenticates as its own principal (`User:<service>`); upstream systems
as `User:edge` and `User:payment-system`. Only these principals may write a topic, so no other
workload can publish, say, an `AccountUpserted` with its own key hash. A test keeps this table
complete (every topic of `topics.py`), and the chart's README shows it as rendered by

    uv run python -m callplane_shared.acls            # Markdown table
    uv run python -m callplane_shared.acls --commands  # kafka-acls.sh commands
"""

from __future__ import annotations

import argparse
from dataclasses import dataclass

from callplane_shared import topics

INVENTORY = "number-inventory"
CONFIG = "action-config"
DISPATCH = "call-dispatch"
MASKING = "number-masking"
RECORDS = "call-records"
SERVICES = (INVENTORY, CONFIG, DISPATCH, MASKING, RECORDS)
EDGE = "edge"
PAYMENT_SYSTEM = "payment-system"


@dataclass(frozen=True)
class TopicAccess:
    topic: topics.TopicSpec
    writers: tuple[str, ...]
    readers: tuple[str, ...]


PRIMARY: tuple[TopicAccess, ...] = (
    TopicAccess(topics.NUMBERS_LIFECYCLE, (INVENTORY,), (CONFIG, MASKING)),
    TopicAccess(topics.ACCOUNTS, (INVENTORY,), SERVICES),
    TopicAccess(topics.ACCOUNTS_BALANCE, (INVENTORY,), (INVENTORY,)),
    TopicAccess(topics.VOICE_ACTIONS, (CONFIG,), (DISPATCH, INVENTORY)),
    TopicAccess(topics.VOICE_ROUTES, (CONFIG,), (DISPATCH,)),
    TopicAccess(topics.IVR_SCENARIOS, (CONFIG,), (DISPATCH,)),
    TopicAccess(topics.MASKING_CONFIGS, (MASKING,), (CONFIG,)),
    TopicAccess(topics.CALLS_INBOUND, (EDGE,), (DISPATCH, RECORDS)),
    TopicAccess(topics.MASKING_REQUESTS, (DISPATCH,), (MASKING,)),
    TopicAccess(topics.CALLS_DECISIONS, (DISPATCH, MASKING), (EDGE, RECORDS, CONFIG)),
    TopicAccess(topics.CALLS_STATUS, (EDGE,), (MASKING, RECORDS, CONFIG)),
    TopicAccess(topics.PAYMENTS, (PAYMENT_SYSTEM,), (INVENTORY,)),
    TopicAccess(topics.CALLS_CHARGES, (RECORDS,), (INVENTORY, MASKING)),
)


def table() -> tuple[TopicAccess, ...]:
    """Every topic with its DLQ: a topic's consumers write its DLQ; operators read it."""
    dlqs = tuple(
        TopicAccess(access.topic.dlq, tuple(r for r in access.readers if r in SERVICES), ())
        for access in PRIMARY
    )
    return PRIMARY + dlqs


def markdown() -> str:
    lines = ["| topic | may write | may read |", "|---|---|---|"]
    for access in table():
        writers = ", ".join(access.writers) or "—"
        readers = ", ".join(access.readers) or "operators only"
        lines.append(f"| `{access.topic.name}` | {writers} | {readers} |")
    return "\n".join(lines) + "\n"


def commands(bootstrap: str = "$BOOTSTRAP", config: str = "admin.properties") -> str:
    base = f"kafka-acls.sh --bootstrap-server {bootstrap} --command-config {config} --add"
    lines = []
    for access in table():
        name = access.topic.name
        lines += [
            f"{base} --allow-principal User:{writer} --operation Write --topic {name}"
            for writer in access.writers
        ]
        lines += [
            f"{base} --allow-principal User:{reader} --operation Read --topic {name}"
            for reader in access.readers
        ]
    for service in SERVICES:
        # Consumer groups are named after the service; idempotent producers need the cluster ACL.
        lines.append(f"{base} --allow-principal User:{service} --operation Read --group {service}")
        lines.append(
            f"{base} --allow-principal User:{service} --operation IdempotentWrite --cluster"
        )
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description="Render callplane's Kafka ACL table.")
    parser.add_argument("--commands", action="store_true", help="kafka-acls.sh commands")
    args = parser.parse_args()
    print(commands() if args.commands else markdown(), end="")  # noqa: T201


if __name__ == "__main__":
    main()
