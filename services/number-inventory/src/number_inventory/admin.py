"""Operator commands against MongoDB and Kafka, the same operations as /admin/1/.

    uv run python -m number_inventory.admin create-account --name "Acme" --currency EUR --balance 50
    uv run python -m number_inventory.admin issue-key <accountId>
    uv run python -m number_inventory.admin import-numbers deploy/seed/numbers.csv

Settings come from the environment like the service's (ADMIN_TOKEN is not needed here: whoever
can run this already holds the database credentials).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from decimal import Decimal
from pathlib import Path
from typing import Any

from pydantic import SecretStr

from callplane_shared.auth import AccountDirectory
from callplane_shared.kafka import build_broker
from callplane_shared.mongo import build_mongo_client
from callplane_shared.telemetry import configure_telemetry
from number_inventory import SERVICE_NAME
from number_inventory.accounts import Accounts
from number_inventory.api_models import account_response
from number_inventory.domain.money import to_minor
from number_inventory.importer import import_csv
from number_inventory.ledger import Ledger
from number_inventory.ledger_entries import MongoLedgerEntries
from number_inventory.settings import Settings
from number_inventory.store import Collections


@asynccontextmanager
async def _accounts() -> AsyncIterator[tuple[Accounts, Collections]]:
    settings = Settings(admin_token=SecretStr("not-used-by-the-command-line-" + "x" * 8))
    tracer_provider = configure_telemetry(f"{SERVICE_NAME}-admin", SERVICE_NAME)
    broker = build_broker(f"{SERVICE_NAME}-admin", settings, tracer_provider)
    mongo = build_mongo_client(settings, f"{SERVICE_NAME}-admin")
    collections = Collections.of(mongo, settings.mongodb_database)
    await broker.start()
    try:
        await collections.ensure_indexes()
        ledger = Ledger(
            MongoLedgerEntries(collections.ledger, broker),
            to_minor(settings.low_balance_threshold),
        )
        yield Accounts(collections, broker, AccountDirectory(), ledger), collections
    finally:
        await broker.stop()
        await mongo.close()
        tracer_provider.force_flush()


async def _create_account(args: argparse.Namespace) -> dict[str, Any]:
    async with _accounts() as (accounts, _):
        balance = to_minor(args.balance)
        doc = await accounts.create(args.name, args.currency.upper(), balance)
        return account_response(doc, balance).model_dump(by_alias=True)


async def _issue_key(args: argparse.Namespace) -> dict[str, Any]:
    async with _accounts() as (accounts, _):
        issued = await accounts.issue_key(args.account_id)
        return {"accountId": issued.account_id, "keyId": issued.key_id, "apiKey": issued.api_key}


async def _import_numbers(args: argparse.Namespace) -> dict[str, Any]:
    text = args.csv_text
    async with _accounts() as (_, collections):
        report = await import_csv(collections, text)
        return {
            "imported": len(report.imported),
            "existing": len(report.existing),
            "errors": report.errors,
        }


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="number_inventory.admin", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    create = commands.add_parser("create-account", help="create an account")
    create.add_argument("--name", required=True)
    create.add_argument("--currency", default="EUR")
    create.add_argument("--balance", type=Decimal, default=Decimal(0))
    create.set_defaults(run=_create_account)
    issue = commands.add_parser("issue-key", help="issue an API key (printed once)")
    issue.add_argument("account_id")
    issue.set_defaults(run=_issue_key)
    numbers = commands.add_parser("import-numbers", help="import pool numbers from a CSV file")
    numbers.add_argument("csv")
    numbers.set_defaults(run=_import_numbers)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    if args.command == "import-numbers":
        args.csv_text = Path(args.csv).read_text(encoding="utf-8")
    result = asyncio.run(args.run(args))
    sys.stdout.write(json.dumps(result, indent=2) + "\n")
    return 1 if result.get("errors") else 0


if __name__ == "__main__":
    sys.exit(main())
