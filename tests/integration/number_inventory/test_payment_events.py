"""The payment system settles and fails payments through `payments` on the real broker:
credited once however often the event is delivered; a settlement that does not match the
payment credits nothing and is dead-lettered with the reason (invariants 6 and 9)."""

from __future__ import annotations

import asyncio
import os
import re
import subprocess
import sys
from collections.abc import AsyncIterator
from decimal import Decimal

import pytest
from aiokafka import AIOKafkaProducer
from aiokafka.partitioner import murmur2

from callplane_shared.events import PaymentFailed, PaymentSettled
from callplane_shared.topics import PAYMENTS
from tests.endpoints import Endpoints
from tests.integration.number_inventory.inventory import Inventory, Tenant
from tests.integration.number_inventory.test_events import tail
from tests.support import REPO_ROOT, eventually

pytestmark = pytest.mark.integration


@pytest.fixture
async def payment_system(endpoints: Endpoints) -> AsyncIterator[AIOKafkaProducer]:
    producer = AIOKafkaProducer(bootstrap_servers=endpoints.kafka, acks="all")
    await producer.start()
    try:
        yield producer
    finally:
        await producer.stop()


async def _pending(inventory: Inventory, tenant: Tenant, amount: float) -> str:
    reply = await inventory.http.post(
        "/account/1/payments", json={"amount": amount}, headers=tenant.headers
    )
    assert reply.status_code == 201, reply.text
    payment_id: str = reply.json()["paymentId"]
    return payment_id


def _partition(key: str) -> int:
    return (int(murmur2(key.encode())) & 0x7FFFFFFF) % PAYMENTS.partitions


async def _pending_on_partition_of(inventory: Inventory, tenant: Tenant, other: str) -> str:
    for _ in range(40):  # each lands there with probability 1/partitions
        payment_id = await _pending(inventory, tenant, 1)
        if _partition(payment_id) == _partition(other):
            return payment_id
    raise AssertionError("no payment id on the same partition in 40 tries")


async def _status(inventory: Inventory, tenant: Tenant, payment_id: str) -> str:
    reply = await inventory.http.get(f"/account/1/payments/{payment_id}", headers=tenant.headers)
    status: str = reply.json()["status"]
    return status


async def test_a_settlement_delivered_twice_credits_once(
    inventory: Inventory, payment_system: AIOKafkaProducer
) -> None:
    tenant = await inventory.tenant(balance=1)
    payment_id = await _pending(inventory, tenant, 20)
    settled = PaymentSettled(
        payment_id=payment_id,
        account_id=tenant.account_id,
        amount=Decimal("20.00"),
        currency="EUR",
        provider_reference="psp-1",
    )
    for _ in range(2):
        await payment_system.send_and_wait(
            PAYMENTS.name, settled.model_dump_json(by_alias=True).encode(), key=payment_id.encode()
        )

    async def credited() -> bool:
        return await _status(inventory, tenant, payment_id) == "SETTLED"

    await eventually(credited, timeout=20, what="the payment is settled")
    # A later event on the same partition proves both deliveries were consumed.
    marker = await _pending_on_partition_of(inventory, tenant, payment_id)
    failed = PaymentFailed(payment_id=marker, account_id=tenant.account_id, reason="declined")
    await payment_system.send_and_wait(
        PAYMENTS.name, failed.model_dump_json(by_alias=True).encode(), key=marker.encode()
    )

    async def marker_failed() -> bool:
        return await _status(inventory, tenant, marker) == "FAILED"

    await eventually(marker_failed, timeout=20, what="the marker payment failed")
    assert await inventory.balance(tenant) == 21


async def test_a_settlement_for_another_amount_is_dead_lettered_and_credits_nothing(
    inventory: Inventory, payment_system: AIOKafkaProducer, endpoints: Endpoints
) -> None:
    tenant = await inventory.tenant(balance=0)
    payment_id = await _pending(inventory, tenant, 5)
    forged = PaymentSettled(
        payment_id=payment_id,
        account_id=tenant.account_id,
        amount=Decimal("5000.00"),
        currency="EUR",
    )
    async with tail(endpoints, PAYMENTS.dlq) as dead:
        await payment_system.send_and_wait(
            PAYMENTS.name, forged.model_dump_json(by_alias=True).encode(), key=payment_id.encode()
        )
        await dead.until(lambda key, _: key == payment_id.encode())
    assert await _status(inventory, tenant, payment_id) == "PENDING"
    assert await inventory.balance(tenant) == 0


README_EXAMPLE = re.compile(
    r"<!-- payment-system-example -->\n```python\n(.*?)^```", re.MULTILINE | re.DOTALL
)


async def test_the_readme_example_of_the_payment_system_settles_a_payment(
    inventory: Inventory, endpoints: Endpoints
) -> None:
    found = README_EXAMPLE.search((REPO_ROOT / "README.md").read_text(encoding="utf-8"))
    assert found is not None, "README lost the payment system's example"
    example = found.group(1).replace("127.0.0.1:9092", endpoints.kafka)
    tenant = await inventory.tenant(balance=0)
    payment_id = await _pending(inventory, tenant, 7.5)
    env = {
        **os.environ,
        "PAYMENT_ID": payment_id,
        "ACCOUNT_ID": tenant.account_id,
        "AMOUNT": "7.50",
    }
    ran = await asyncio.to_thread(
        subprocess.run,
        [sys.executable, "-c", example],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert ran.returncode == 0, ran.stderr

    async def credited() -> bool:
        return await _status(inventory, tenant, payment_id) == "SETTLED"

    await eventually(credited, timeout=20, what="the README's settlement is applied")
    assert await inventory.balance(tenant) == 7.5
