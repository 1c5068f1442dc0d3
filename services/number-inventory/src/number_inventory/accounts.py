"""Accounts and their API keys.

Every change of an account publishes its full state (`AccountUpserted`, with the hashes of all
active keys) on `accounts` through the outbox, so other services authenticate from their view.
"""

from __future__ import annotations

import asyncio
import uuid
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from faststream.kafka import KafkaBroker

from callplane_shared import outbox
from callplane_shared.auth import AccountDirectory, generate_api_key, hash_api_key
from callplane_shared.events import AccountLimits, AccountStatus, AccountUpserted
from callplane_shared.mongo import Document
from callplane_shared.topics import ACCOUNTS
from number_inventory.ledger import Ledger
from number_inventory.store import Collections, now

_MAX_VERSION_RETRIES = 20
CONVERSATIONS_QUEUE = "conversationsQueueId"


class AccountNotFoundError(LookupError):
    pass


class ConcurrentChangeError(RuntimeError):
    pass


@dataclass(frozen=True)
class IssuedKey:
    account_id: str
    key_id: str
    api_key: str


def account_event(doc: Document) -> AccountUpserted:
    return AccountUpserted(
        account_id=doc["_id"],
        name=doc["name"],
        status=AccountStatus(doc.get("status", AccountStatus.ACTIVE.value)),
        currency=doc["currency"],
        api_key_hashes=[k["hash"] for k in doc.get("apiKeys", [])],
        version=doc["version"],
        limits=AccountLimits.model_validate(doc.get("limits") or {}),
        conversations_queue_id=doc.get(CONVERSATIONS_QUEUE),
    )


class Accounts:
    def __init__(
        self,
        collections: Collections,
        broker: KafkaBroker,
        directory: AccountDirectory,
        ledger: Ledger,
    ) -> None:
        self._c = collections
        self._broker = broker
        self._directory = directory
        self.ledger = ledger
        # Key changes of one account are serialised in this process as well: FerretDB does not
        # make the `version` check of `_change_keys` atomic under concurrency (MongoDB does).
        self._key_locks: defaultdict[str, asyncio.Lock] = defaultdict(asyncio.Lock)

    async def _publish(self, account_id: str) -> None:
        await outbox.flush_after_commit(self._broker, self._c.accounts, {"_id": account_id})

    async def get(self, account_id: str) -> Document:
        doc = await self._c.accounts.find_one({"_id": account_id})
        if doc is None:
            raise AccountNotFoundError(account_id)
        return doc

    async def create(self, name: str, currency: str, balance: int) -> Document:
        account_id = uuid.uuid4().hex
        doc: Document = {
            "_id": account_id,
            "name": name,
            "currency": currency,
            "status": AccountStatus.ACTIVE.value,
            "apiKeys": [],
            "version": 1,
            "createdAt": now(),
        }
        # The ledger first: an account that is visible always has a balance.
        await self.ledger.open(account_id, currency, balance)
        doc[outbox.OUTBOX_FIELD] = [
            outbox.outbox_entry(ACCOUNTS.name, account_id, account_event(doc))
        ]
        await self._c.accounts.insert_one(doc)
        await self._publish(account_id)
        # This instance authenticates the account at once; other services follow the topic.
        self._directory.upsert(account_event(doc))
        return doc

    async def _change_keys(self, account_id: str, change: Any) -> Document:
        return await self._change(account_id, lambda doc: {"apiKeys": change(doc["apiKeys"])})

    async def _change(self, account_id: str, change: Callable[[Document], Document]) -> Document:
        """Optimistic update on `version`: the published event must state exactly the stored
        account, so it is computed from the document it replaces; its version lets views drop
        an older state published after a newer one."""
        async with self._key_locks[account_id]:
            return await self._change_once(account_id, change)

    async def _change_once(
        self, account_id: str, change: Callable[[Document], Document]
    ) -> Document:
        for _ in range(_MAX_VERSION_RETRIES):
            doc = await self.get(account_id)
            fields = change({**doc, "apiKeys": list(doc.get("apiKeys", []))})
            fields["version"] = doc["version"] + 1
            updated = {**doc, **fields}
            event = account_event(updated)
            result = await self._c.accounts.update_one(
                {"_id": account_id, "version": doc["version"]},
                {
                    "$set": fields,
                    "$push": outbox.push(outbox.outbox_entry(ACCOUNTS.name, account_id, event)),
                },
            )
            if result.modified_count == 1:
                await self._publish(account_id)
                self._directory.upsert(event)
                return updated
        raise ConcurrentChangeError(f"account {account_id} keeps changing; try again")

    async def issue_key(self, account_id: str) -> IssuedKey:
        api_key = generate_api_key()
        key_id = uuid.uuid4().hex[:12]
        entry = {"keyId": key_id, "hash": hash_api_key(api_key), "createdAt": now()}
        await self._change_keys(account_id, lambda keys: [*keys, entry])
        return IssuedKey(account_id=account_id, key_id=key_id, api_key=api_key)

    async def set_limits(self, account_id: str, limits: AccountLimits) -> Document:
        """Per-account overrides of rate limits and quotas, published to every service."""
        dumped = limits.model_dump(by_alias=True, exclude_none=True)
        return await self._change(account_id, lambda _: {"limits": dumped})

    async def set_conversations_queue(self, account_id: str, queue_id: str | None) -> Document:
        """The account's default Conversations queue (None: the platform's), published with a
        new version so every view takes it."""
        return await self._change(account_id, lambda _: {CONVERSATIONS_QUEUE: queue_id})

    async def revoke_key(self, account_id: str, key_id: str) -> bool:
        doc = await self.get(account_id)
        if not any(k["keyId"] == key_id for k in doc.get("apiKeys", [])):
            return False
        await self._change_keys(account_id, lambda keys: [k for k in keys if k["keyId"] != key_id])
        return True
