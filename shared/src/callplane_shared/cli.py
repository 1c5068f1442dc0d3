"""The `callplane` command for upstream systems and operators.

    callplane calls simulate --from +41791234567 --to +41797654321

publishes an `InboundCall` to Kafka and prints the decision it got, as JSON. Deliberately small
(argparse): more commands can join under their own nouns.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
import uuid

from callplane_shared.events import CallEndpoint, EndpointType, InboundCall, utc_now
from callplane_shared.publisher import CallPublisher, DecisionTimeoutError


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="callplane", description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--bootstrap-servers",
        default=os.environ.get("KAFKA_BOOTSTRAP_SERVERS", "127.0.0.1:9092"),
        help="Kafka bootstrap servers (default: $KAFKA_BOOTSTRAP_SERVERS or 127.0.0.1:9092).",
    )
    nouns = parser.add_subparsers(dest="noun", required=True)
    calls = nouns.add_parser("calls", help="Inbound calls.").add_subparsers(
        dest="verb", required=True
    )
    simulate = calls.add_parser("simulate", help="Publish an InboundCall and print its decision.")
    simulate.add_argument("--from", dest="from_", required=True, help="Caller, E.164.")
    simulate.add_argument("--to", required=True, help="Called number, E.164.")
    simulate.add_argument("--call-id", default=None, help="Default: a new random id.")
    simulate.add_argument(
        "--endpoint-type", default="PHONE", choices=[t.value for t in EndpointType]
    )
    simulate.add_argument("--timeout", type=float, default=10.0, help="Seconds to wait.")
    return parser


async def _simulate(args: argparse.Namespace) -> int:
    call = InboundCall(
        call_id=args.call_id or f"sim-{uuid.uuid4().hex}",
        from_=args.from_,
        to=args.to,
        received_at=utc_now(),
        endpoint=CallEndpoint(type=EndpointType(args.endpoint_type)),
    )
    async with CallPublisher(args.bootstrap_servers) as publisher:
        try:
            decision = await publisher.decide(call, timeout=args.timeout)
        except DecisionTimeoutError as exc:
            sys.stderr.write(f"{exc}\n")
            return 1
    sys.stdout.write(decision.model_dump_json(by_alias=True, indent=2) + "\n")
    return 0


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    if args.noun == "calls" and args.verb == "simulate":
        return asyncio.run(_simulate(args))
    return 2  # argparse rejects anything else before this line


if __name__ == "__main__":
    sys.exit(main())
