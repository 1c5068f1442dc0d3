"""Finishing purchases a crash interrupted.

A purchase is claim → mirror the owner on the number → debit → mark LEASED (+ NumberLeased).
A process that dies in between leaves a claim behind. After `stale_after` (far longer than any
purchase takes) the sweeper decides from the ledger, which is the truth about money: a purchase
debit for the number after the claim means the customer paid, so the lease is finished;
otherwise the claim is removed and the number is free again. Money is never kept for a number
the customer does not get, and no number is kept without payment.
"""

from __future__ import annotations

import logging
from datetime import timedelta

from faststream.kafka import KafkaBroker

from callplane_shared import outbox
from callplane_shared.events import NumberLeased
from callplane_shared.mongo import Document
from callplane_shared.supervision import Supervisor
from callplane_shared.topics import NUMBERS_LIFECYCLE
from number_inventory.leasing import purchase_reference, refund_purchase
from number_inventory.ledger import Ledger
from number_inventory.store import Collections, now

logger = logging.getLogger(__name__)

LEASED = "LEASED"


class StaleClaimSweeper:
    def __init__(
        self,
        collections: Collections,
        broker: KafkaBroker,
        ledger: Ledger,
        *,
        supervisor: Supervisor,
        stale_after: timedelta = timedelta(minutes=2),
        interval_seconds: float = 30.0,
    ) -> None:
        self._c = collections
        self._broker = broker
        self._ledger = ledger
        self._stale_after = stale_after
        self._interval = interval_seconds
        self._supervisor = supervisor

    async def sweep_once(self) -> int:
        fixed = 0
        cutoff = now() - self._stale_after
        async for claim in self._c.claims.find({"at": {"$lt": cutoff}}):
            number = await self._c.numbers.find_one({"_id": claim["_id"]})
            if number is None:
                continue
            if number.get("claimId") == claim["claimId"] and number.get("leaseState") == LEASED:
                continue  # a healthy lease
            fixed += 1
            debit = await self._paid(claim)
            if number.get("claimId") == claim["claimId"] and debit is not None:
                await self._finish(number, claim)
            else:
                await self._free(number, claim)
                if debit is not None:
                    # Paid, yet the number went elsewhere: the money goes back (once).
                    await refund_purchase(
                        self._ledger, claim["accountId"], -int(debit["amount"]), claim["claimId"]
                    )
        if fixed:
            logger.warning("recovered %d interrupted purchase(s) or release(s)", fixed)
        return fixed

    async def _paid(self, claim: Document) -> Document | None:
        return await self._ledger.with_reference(
            claim["accountId"], purchase_reference(claim["claimId"])
        )

    async def _finish(self, number: Document, claim: Document) -> None:
        event = NumberLeased(
            number_key=number["_id"],
            number=number["number"],
            account_id=claim["accountId"],
            capabilities=list(number["capabilities"]),
            type=number["type"],
            country=number["country"],
        )
        await self._c.numbers.update_one(
            {"_id": number["_id"], "claimId": claim["claimId"]},
            {
                "$set": {"accountId": claim["accountId"], "leaseState": LEASED, "leasedAt": now()},
                "$push": outbox.push(
                    outbox.outbox_entry(NUMBERS_LIFECYCLE.name, number["_id"], event)
                ),
            },
        )
        await outbox.flush_after_commit(self._broker, self._c.numbers, {"_id": number["_id"]})

    async def _free(self, number: Document, claim: Document) -> None:
        if number.get("claimId") == claim["claimId"]:
            await self._c.numbers.update_one(
                {"_id": number["_id"], "claimId": claim["claimId"]},
                {"$set": {"accountId": None, "leaseState": None}, "$unset": {"claimId": ""}},
            )
        await self._c.claims.delete_one({"_id": claim["_id"], "claimId": claim["claimId"]})

    async def start(self) -> None:
        self._supervisor.every("stale-claim-sweeper", self._interval, self.sweep_once)

    async def stop(self) -> None:
        await self._supervisor.stop("stale-claim-sweeper")
