"""The local stack without Docker: `python deploy/local/stack.py up|down|status|...`.

The Makefile drives this; see the README for what each target does.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import time

from stackctl import control, kafka, process
from stackctl.components import infrastructure, services
from stackctl.layout import Layout
from stackctl.nginx import PUBLIC_PORT
from stackctl.provision import ProvisionError
from stackctl.sip import SIP_EDGE


def _topics(brokers: int) -> None:
    from callplane_shared.topics import ALL_TOPICS, REPLICATION, ensure_topics

    replication = REPLICATION["single-node" if brokers == 1 else "cluster"]
    created = asyncio.run(ensure_topics(kafka.bootstrap(brokers), replication=replication))
    print(
        f"  topics            {len(ALL_TOPICS)} declared, {len(created)} created "
        f"(replicas {replication.factor}, min.insync.replicas {replication.min_insync_replicas})",
        flush=True,
    )


def _brokers(layout: Layout, command: str) -> int:
    """One node unless KAFKA_BROKERS says otherwise; a running stack keeps its own mode."""
    running = kafka.running_brokers(layout)
    if command not in {"up", "all-up"}:
        return running
    alive = any(process.read_pid(layout, node.name) for node in kafka.nodes(running))
    requested = kafka.requested_brokers()
    if requested is None:
        return running if alive else 1
    kafka.nodes(requested)  # refuses anything but 1 or 3
    if alive and requested != running:
        raise control.StackError(
            f"Kafka runs with {running} broker(s); `make down` first to switch to {requested}"
        )
    return requested


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument(
        "command",
        choices=[
            "up",
            "down",
            "status",
            "services-up",
            "services-down",
            "all-up",
            "all-down",
            "restart",
            "sip-up",
            "sip-down",
        ],
    )
    parser.add_argument("names", nargs="*", help="services to restart (restart only)")
    args = parser.parse_args()
    layout = Layout.from_env()
    began = time.monotonic()
    try:
        brokers = _brokers(layout, args.command)
        if args.command in {"up", "all-up"}:
            kafka.remember_brokers(layout, brokers)
            control.start_all(layout, infrastructure(brokers))
            _topics(brokers)
        if args.command in {"services-up", "all-up"}:
            control.start_all(layout, services(layout))
            print(f"callplane is up: http://127.0.0.1:{PUBLIC_PORT}", flush=True)
        if args.command == "sip-up":
            control.start_all(layout, SIP_EDGE)
            print("SIP edge is up: sip:<number>@127.0.0.1:5060 (UDP)", flush=True)
        if args.command in {"sip-down", "all-down"}:
            control.stop_all(layout, SIP_EDGE)
        if args.command in {"services-down", "all-down"}:
            control.stop_all(layout, services(layout))
        if args.command in {"down", "all-down"}:
            control.stop_all(layout, infrastructure(brokers))
            kafka.remember_brokers(layout, None)
        if args.command == "restart":
            chosen = [c for c in services(layout) if c.name in args.names or not args.names]
            control.stop_all(layout, chosen)
            control.start_all(layout, chosen)
        if args.command == "status":
            infra_ok = control.status(layout, infrastructure(brokers))
            services_ok = control.status(layout, services(layout))
            control.status(layout, SIP_EDGE)  # optional: reported, never required
            return 0 if infra_ok and services_ok else 1
    except (control.StackError, ProvisionError) as exc:
        print(f"error: {exc}", file=sys.stderr, flush=True)
        return 1
    print(f"  ({args.command} took {time.monotonic() - began:.1f}s)", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
