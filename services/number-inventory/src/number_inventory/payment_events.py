"""The payment system's results, consumed from `payments` (group number-inventory).

Thin: decode, hand to `Payments`, dead-letter what cannot be applied (an unknown payment, a
settlement for another amount or account, settling a failed payment) with the reason.
"""

from __future__ import annotations

from functools import partial

from faststream.kafka import KafkaBroker
from pydantic import TypeAdapter

from callplane_shared.consuming import consume
from callplane_shared.events import PaymentFailed, PaymentResult, PaymentSettled
from callplane_shared.topics import PAYMENTS
from number_inventory import SERVICE_NAME
from number_inventory.domain.money import to_minor
from number_inventory.payments import Payments

_RESULT: TypeAdapter[PaymentSettled | PaymentFailed] = TypeAdapter(PaymentResult)


async def apply_payment_result(payments: Payments, event: PaymentSettled | PaymentFailed) -> None:
    if isinstance(event, PaymentSettled):
        await payments.settle(
            event.payment_id,
            account_id=event.account_id,
            amount=to_minor(event.amount),
            currency=event.currency,
            provider_reference=event.provider_reference,
        )
    else:
        await payments.fail(
            event.payment_id,
            event.reason,
            account_id=event.account_id,
            provider_reference=event.provider_reference,
        )


def register_payment_subscriber(broker: KafkaBroker, payments: Payments, group_id: str) -> None:
    consume(
        broker,
        PAYMENTS.name,
        group_id=group_id,
        service=SERVICE_NAME,
        decode=_RESULT.validate_json,
        handle=partial(apply_payment_result, payments),
    )
