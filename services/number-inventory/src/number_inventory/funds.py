"""A balance with consequences: an account whose balance reaches zero is BLOCKED on `accounts`
(call-dispatch then rejects its calls with INSUFFICIENT_FUNDS), and a credit that brings it back
above zero makes it ACTIVE again.

`FundedLedger` is the ledger with that rule applied after every movement, so top-ups, charges,
rental and purchases all count without each path remembering to. The status change is an
optimistic update on the account's `version` with its `AccountUpserted` in the outbox, like key
changes. A crash between the movement and the status change is healed by the next movement (or
a re-delivered charge), which checks the balance again.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any

from faststream.kafka import KafkaBroker
from pymongo.asynchronous.collection import AsyncCollection

from callplane_shared import outbox
from callplane_shared.auth import AccountDirectory
from callplane_shared.events import AccountStatus
from callplane_shared.metrics import ACCOUNT_STATUS_CHANGES
from callplane_shared.mongo import Document
from callplane_shared.topics import ACCOUNTS
from number_inventory.accounts import account_event
from number_inventory.ledger import Applied, Ledger, Movement, Refused

logger = logging.getLogger(__name__)
_MAX_VERSION_RETRIES = 20


class AccountFunds:
    def __init__(
        self, accounts: AsyncCollection[Document], broker: KafkaBroker, directory: AccountDirectory
    ) -> None:
        self._accounts = accounts
        self._broker = broker
        self._directory = directory

    async def after_movement(self, account_id: str, amount: int, balance_after: int) -> None:
        if amount <= 0 and balance_after <= 0:
            await self._change(account_id, AccountStatus.ACTIVE, AccountStatus.BLOCKED)
        elif amount > 0 and balance_after > 0:
            await self._change(account_id, AccountStatus.BLOCKED, AccountStatus.ACTIVE)

    async def _change(self, account_id: str, old: AccountStatus, new: AccountStatus) -> None:
        for _ in range(_MAX_VERSION_RETRIES):
            doc = await self._accounts.find_one({"_id": account_id})
            if doc is None or doc.get("status", AccountStatus.ACTIVE.value) != old.value:
                return  # suspended accounts stay suspended; nothing to do otherwise
            version = int(doc.get("version", 1))
            event = account_event({**doc, "status": new.value, "version": version + 1})
            result = await self._accounts.update_one(
                {"_id": account_id, "version": version},
                {
                    "$set": {"status": new.value, "version": version + 1},
                    "$push": outbox.push(outbox.outbox_entry(ACCOUNTS.name, account_id, event)),
                },
            )
            if result.modified_count == 1:
                await outbox.flush(self._broker, self._accounts, {"_id": account_id})
                self._directory.upsert(event)
                ACCOUNT_STATUS_CHANGES.labels(new.value).inc()
                logger.info("account %s is %s", account_id, new.value)
                return
        logger.warning("account %s kept changing; status left to the next movement", account_id)


class FundedLedger(Ledger):
    """The ledger, with the account's status following its balance after every movement."""

    def __init__(self, *args: Any, funds: AccountFunds, **kwargs: Any) -> None:
        # Whatever the ledger itself takes is passed through untouched.
        super().__init__(*args, **kwargs)
        self._funds = funds

    async def apply(
        self,
        account_id: str,
        amount: int,
        movement: Movement,
        reference: str,
        *,
        events: Sequence[Document] = (),
    ) -> Applied | Refused:
        result = await super().apply(account_id, amount, movement, reference, events=events)
        if isinstance(result, Applied) and not result.replayed:
            await self._funds.after_movement(account_id, amount, int(result.entry["balanceAfter"]))
        return result
