"""Applying `CallCharged` to the ledger, exactly once per call (invariant 9).

The ledger reference `call:<callId>` is the idempotency key: a charge whose reference is already
in the ledger is a re-delivery and changes nothing. `calls.charges` is keyed by callId, so one
call's charges reach one consumer in order and the check and the debit never race each other.
A charge larger than the balance debits what is left (the balance never goes negative) and the
account is then blocked by the ledger's funds rule; the shortfall is logged and counted.
"""

from __future__ import annotations

import logging

from faststream.kafka import KafkaBroker

from callplane_shared.consuming import consume
from callplane_shared.events import CallCharged
from callplane_shared.metrics import LEDGER_CHARGES
from callplane_shared.topics import CALLS_CHARGES
from number_inventory import SERVICE_NAME
from number_inventory.domain.money import to_minor
from number_inventory.funds import AccountFunds
from number_inventory.ledger import Ledger, Movement, Refused

logger = logging.getLogger(__name__)
_MAX_ATTEMPTS = 20


def charge_reference(call_id: str) -> str:
    return f"call:{call_id}"


class ChargeMismatchError(ValueError):
    pass


class CallCharges:
    def __init__(self, ledger: Ledger, funds: AccountFunds) -> None:
        self._ledger = ledger
        self._funds = funds

    async def apply(self, charge: CallCharged) -> str:
        reference = charge_reference(charge.call_id)
        if await self._ledger.with_reference(charge.account_id, reference) is not None:
            LEDGER_CHARGES.labels("duplicate").inc()
            # A crash may have come between the debit and the block: check the status again.
            balance = await self._ledger.balance(charge.account_id)
            await self._funds.after_movement(charge.account_id, 0, balance)
            return "duplicate"
        amount = to_minor(charge.amount)
        for _ in range(_MAX_ATTEMPTS):
            last = await self._ledger.last(charge.account_id)
            if last["currency"] != charge.currency:
                raise ChargeMismatchError(
                    f"charge in {charge.currency}, account {charge.account_id} in "
                    f"{last['currency']}"
                )
            debit = min(amount, max(int(last["balanceAfter"]), 0))
            result = await self._ledger.apply(
                charge.account_id, -debit, Movement.CALL_CHARGE, reference
            )
            if isinstance(result, Refused):
                continue  # the balance moved under us; price the debit again
            if result.replayed:
                LEDGER_CHARGES.labels("duplicate").inc()
                return "duplicate"
            outcome = "applied" if debit == amount else "short"
            if debit != amount:
                logger.warning(
                    "call %s charged %s of %s minor units: the balance ran out",
                    charge.call_id,
                    debit,
                    amount,
                )
            LEDGER_CHARGES.labels(outcome).inc()
            return outcome
        raise RuntimeError(f"could not debit call {charge.call_id}; will retry")


def register_charge_subscriber(broker: KafkaBroker, charges: CallCharges, group_id: str) -> None:
    consume(
        broker,
        CALLS_CHARGES.name,
        group_id=group_id,
        service=SERVICE_NAME,
        decode=CallCharged.model_validate_json,
        handle=charges.apply,
    )
