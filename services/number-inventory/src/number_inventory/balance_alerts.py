"""Low-balance alerts made visible: the last `BalanceLow` of each account, kept from the
`accounts.balance` topic this service publishes, and answered at `GET /account/1/balance/alerts`.

The alert is published once per crossing by the ledger (through its outbox); reading it back from
the topic, rather than from the ledger entry, keeps this module out of the ledger's way and
answers exactly what subscribers of the topic saw. The same handler queues the alert's signed
webhook to the account's notification URL (`balance_notifications`).
"""

# No `from __future__ import annotations`: FastAPI resolves the closure-local `Account` alias
# only when annotations are evaluated at definition time.

from collections.abc import Awaitable, Callable
from typing import Annotated, Any

from fastapi import APIRouter, Depends
from faststream.kafka import KafkaBroker
from pymongo.asynchronous.collection import AsyncCollection

from callplane_shared.consuming import consume
from callplane_shared.events import AccountUpserted, BalanceLow
from callplane_shared.mongo import Document
from callplane_shared.topics import ACCOUNTS_BALANCE
from number_inventory import SERVICE_NAME
from number_inventory.api_numbers import AccountDependency


class BalanceAlerts:
    def __init__(self, collection: AsyncCollection[Document]) -> None:
        self._collection = collection

    async def record(self, alert: BalanceLow) -> None:
        # Only a newer alert replaces the one held, whatever order re-deliveries arrive in.
        await self._collection.update_one(
            {"_id": alert.account_id},
            {"$max": {"occurredAt": alert.occurred_at}},
            upsert=True,
        )
        await self._collection.update_one(
            {"_id": alert.account_id, "occurredAt": alert.occurred_at},
            {
                "$set": {
                    "balance": alert.balance,
                    "threshold": alert.threshold,
                    "currency": alert.currency,
                    "eventId": alert.event_id,
                }
            },
        )

    async def latest(self, account_id: str) -> Document | None:
        return await self._collection.find_one({"_id": account_id, "eventId": {"$exists": True}})


def register_alert_subscriber(
    broker: KafkaBroker,
    alerts: BalanceAlerts,
    group_id: str,
    notify: Callable[[BalanceLow], Awaitable[None]],
) -> None:
    async def handle(alert: BalanceLow) -> None:
        await alerts.record(alert)
        await notify(alert)  # queued before the offset is committed: never lost

    consume(
        broker,
        ACCOUNTS_BALANCE.name,
        group_id=group_id,
        service=SERVICE_NAME,
        decode=BalanceLow.model_validate_json,
        handle=handle,
    )


def alerts_router(alerts: BalanceAlerts, current_account: AccountDependency) -> APIRouter:
    router = APIRouter(prefix="/account/1", tags=["account"])
    Account = Annotated[AccountUpserted, Depends(current_account)]  # noqa: N806

    @router.get("/balance/alerts")
    async def get_balance_alerts(account: Account) -> dict[str, Any]:
        """The account's last low-balance alert (`lastAlert` null when there was none)."""
        found = await alerts.latest(account.account_id)
        last = None
        if found is not None:
            last = {
                "balance": found["balance"],
                "threshold": found["threshold"],
                "currency": found["currency"],
                "occurredAt": found["occurredAt"],
            }
        return {"lastAlert": last}

    return router
