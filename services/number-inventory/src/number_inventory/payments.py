"""Top-ups, with `Idempotency-Key` honoured: the same key gives the same answer and one credit.

The key is claimed first (a document with a unique id per account and key); the credit carries
the payment id as its ledger reference, and the response is stored on the claim. A replay with a
different amount is refused instead of silently answering for another request.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

from pymongo.errors import DuplicateKeyError

from number_inventory.ledger import Ledger, Movement, Refused
from number_inventory.store import Collections, now

MAX_IDEMPOTENCY_KEY = 255


class IdempotencyConflictError(RuntimeError):
    pass


@dataclass(frozen=True)
class Payment:
    response: dict[str, Any]
    replayed: bool


class Payments:
    def __init__(self, collections: Collections, ledger: Ledger) -> None:
        self._c = collections
        self._ledger = ledger

    async def top_up(self, account_id: str, amount: int, idempotency_key: str | None) -> Payment:
        payment_id = uuid.uuid4().hex
        if idempotency_key is not None:
            claim_id = f"{account_id}:{idempotency_key}"
            try:
                await self._c.payments.insert_one(
                    {
                        "_id": claim_id,
                        "paymentId": payment_id,
                        "accountId": account_id,
                        "amount": amount,
                        "createdAt": now(),
                        "response": None,
                    }
                )
            except DuplicateKeyError:
                return await self._replay(claim_id, amount)
        entry = await self._ledger.move(account_id, amount, Movement.TOP_UP, payment_id)
        if isinstance(entry, Refused):  # pragma: no cover - a credit is never refused
            raise IdempotencyConflictError("A credit was refused; retry.")
        response = {
            "paymentId": payment_id,
            "amount": amount,
            "balance": entry["balanceAfter"],
            "currency": entry["currency"],
        }
        if idempotency_key is not None:
            await self._c.payments.update_one(
                {"_id": f"{account_id}:{idempotency_key}"}, {"$set": {"response": response}}
            )
        return Payment(response=response, replayed=False)

    async def _replay(self, claim_id: str, amount: int) -> Payment:
        earlier = await self._c.payments.find_one({"_id": claim_id})
        if earlier is None:  # pragma: no cover - claims are never deleted
            raise IdempotencyConflictError("Idempotency-Key state vanished; retry")
        if earlier["amount"] != amount:
            raise IdempotencyConflictError(
                "This Idempotency-Key was used for a different amount; use a new key for a new "
                "payment."
            )
        if earlier.get("response") is None:
            raise IdempotencyConflictError(
                "A payment with this Idempotency-Key is still being processed; retry shortly."
            )
        return Payment(response=dict(earlier["response"]), replayed=True)
