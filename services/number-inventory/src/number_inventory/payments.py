"""Top-ups are payments: requested by the customer (PENDING), credited only once settled.

Nothing credits a balance without a settled payment (invariant 9). A payment is settled or failed
by the payment system (`PaymentSettled` / `PaymentFailed` on `payments`) or by an operator
(`/admin/1/payments/{paymentId}/settle|fail`), and a settled one may be refunded by an operator.

The ledger decides, not the payment document: settling applies a `TOP_UP` entry with reference
`payment:<id>`, failing applies a zero-amount `PAYMENT_FAILED` entry with the same reference, so
whichever lands first wins and the other is a conflict; repeating either is a no-op. The payment
document's `status` mirrors the ledger and is written after it, so a crash in between is repaired
by the next settle/fail of the same payment (the event is re-delivered, the operator repeats).

With an `Idempotency-Key` the payment id is derived from the account and the key, so a retry is
the same single insert: there is no claimed-but-unfinished state to recover from.
"""

from __future__ import annotations

import hashlib
import uuid
from dataclasses import dataclass
from enum import StrEnum

from callplane_shared.mongo import Document
from number_inventory.ledger import Applied, Ledger, Movement, Refused
from number_inventory.payment_records import PaymentRecords
from number_inventory.store import now

MAX_IDEMPOTENCY_KEY = 255


class PaymentStatus(StrEnum):
    PENDING = "PENDING"
    SETTLED = "SETTLED"
    FAILED = "FAILED"
    REFUNDED = "REFUNDED"


class IdempotencyConflictError(RuntimeError):
    pass


class PaymentNotFoundError(LookupError):
    pass


class PaymentStateError(RuntimeError):
    """The payment is in a state that refuses this change (e.g. settling a failed payment)."""


class PaymentMismatchError(ValueError):
    """A settlement names another account, amount or currency than the payment."""


@dataclass(frozen=True)
class Requested:
    payment: Document
    replayed: bool


def payment_id_for(account_id: str, idempotency_key: str | None) -> str:
    if idempotency_key is None:
        return uuid.uuid4().hex
    return hashlib.sha256(f"{account_id}\n{idempotency_key}".encode()).hexdigest()[:32]


def payment_reference(payment_id: str) -> str:
    return f"payment:{payment_id}"


def refund_reference(payment_id: str) -> str:
    return f"refund:{payment_id}"


class Payments:
    def __init__(self, records: PaymentRecords, ledger: Ledger) -> None:
        self._records = records
        self._ledger = ledger

    async def request(
        self, account_id: str, currency: str, amount: int, idempotency_key: str | None
    ) -> Requested:
        payment: Document = {
            "_id": payment_id_for(account_id, idempotency_key),
            "accountId": account_id,
            "amount": amount,
            "currency": currency,
            "status": PaymentStatus.PENDING.value,
            "idempotencyKey": idempotency_key,
            "createdAt": now(),
            "updatedAt": now(),
        }
        if await self._records.insert(payment):
            return Requested(payment, replayed=False)
        earlier = await self._records.get(payment["_id"])
        if earlier is None or earlier["accountId"] != account_id:  # pragma: no cover - sha256
            raise IdempotencyConflictError("Use another Idempotency-Key.")
        if earlier["amount"] != amount:
            raise IdempotencyConflictError(
                "This Idempotency-Key was used for a different amount; use a new key for a new "
                "payment."
            )
        return Requested(earlier, replayed=True)

    async def get(self, payment_id: str, account_id: str | None = None) -> Document:
        """`account_id` set: another account's payment is not found (never forbidden)."""
        payment = await self._records.get(payment_id)
        if payment is None or (account_id is not None and payment["accountId"] != account_id):
            raise PaymentNotFoundError(payment_id)
        return payment

    async def page(
        self, account_id: str | None, status: PaymentStatus | None, skip: int, limit: int
    ) -> tuple[list[Document], int]:
        query: Document = {}
        if account_id is not None:
            query["accountId"] = account_id
        if status is not None:
            query["status"] = status.value
        return await self._records.page(query, skip, limit)

    async def settle(
        self,
        payment_id: str,
        *,
        account_id: str | None = None,
        amount: int | None = None,
        currency: str | None = None,
        provider_reference: str | None = None,
    ) -> Document:
        payment = await self.get(payment_id)
        _check_matches(payment, account_id, amount, currency)
        applied = await self._ledger.apply(
            payment["accountId"], payment["amount"], Movement.TOP_UP, payment_reference(payment_id)
        )
        assert isinstance(applied, Applied)  # noqa: S101 - a credit is never refused
        if applied.entry["movement"] != Movement.TOP_UP.value:
            raise PaymentStateError(f"Payment {payment_id} has failed; it cannot be settled.")
        return await self._mirror(payment, applied, PaymentStatus.SETTLED, provider_reference)

    async def fail(
        self,
        payment_id: str,
        reason: str,
        *,
        account_id: str | None = None,
        provider_reference: str | None = None,
    ) -> Document:
        payment = await self.get(payment_id)
        _check_matches(payment, account_id, None, None)
        applied = await self._ledger.apply(
            payment["accountId"], 0, Movement.PAYMENT_FAILED, payment_reference(payment_id)
        )
        assert isinstance(applied, Applied)  # noqa: S101 - a zero movement is never refused
        if applied.entry["movement"] != Movement.PAYMENT_FAILED.value:
            raise PaymentStateError(
                f"Payment {payment_id} is settled; refund it instead of failing it."
            )
        return await self._mirror(
            payment, applied, PaymentStatus.FAILED, provider_reference, reason=reason
        )

    async def refund(self, payment_id: str, reason: str) -> Document:
        payment = await self.get(payment_id)
        settled = await self._ledger.with_reference(
            payment["accountId"], payment_reference(payment_id)
        )
        if settled is None or settled["movement"] != Movement.TOP_UP.value:
            raise PaymentStateError(f"Payment {payment_id} is not settled; nothing to refund.")
        applied = await self._ledger.apply(
            payment["accountId"], -payment["amount"], Movement.REFUND, refund_reference(payment_id)
        )
        if isinstance(applied, Refused):
            raise PaymentStateError(
                f"The balance ({applied.balance / 100:.2f} {applied.currency}) no longer covers "
                f"the refund of payment {payment_id}."
            )
        return await self._mirror(payment, applied, PaymentStatus.REFUNDED, None, reason=reason)

    async def _mirror(
        self,
        payment: Document,
        applied: Applied,
        status: PaymentStatus,
        provider_reference: str | None,
        *,
        reason: str | None = None,
    ) -> Document:
        if applied.replayed and payment["status"] not in {PaymentStatus.PENDING.value, status}:
            return payment  # a re-delivered settlement of a payment refunded since
        fields: Document = {
            "status": status.value,
            "updatedAt": now(),
            "ledgerEntryId": applied.entry["_id"],
        }
        if provider_reference is not None:
            fields["providerReference"] = provider_reference
        if reason is not None:
            fields["reason"] = reason
        if payment.get("status") != status.value or not applied.replayed:
            await self._records.set_fields(payment["_id"], fields)
        return {**payment, **fields}


def _check_matches(
    payment: Document, account_id: str | None, amount: int | None, currency: str | None
) -> None:
    wrong = []
    if account_id is not None and account_id != payment["accountId"]:
        wrong.append("accountId")
    if amount is not None and amount != payment["amount"]:
        wrong.append("amount")
    if currency is not None and currency != payment["currency"]:
        wrong.append("currency")
    if wrong:
        raise PaymentMismatchError(
            f"Payment {payment['_id']} does not match the settlement: {', '.join(wrong)} differ."
        )
