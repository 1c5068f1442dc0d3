"""Whole calls through the running stack: call-records keeps their history, rates them, and
number-inventory's ledger takes each charge exactly once (invariant 9), also when every record is
delivered three times and call-records is killed with SIGKILL in the middle of the stream. An
account driven to zero has its calls rejected for funds until a top-up."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import httpx
import pytest
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from aiokafka.admin import AIOKafkaAdminClient
from pymongo import AsyncMongoClient

from callplane_client.publisher import CallPublisher
from callplane_shared.events import Event
from callplane_shared.topics import CALLS_CHARGES, CALLS_DECISIONS, CALLS_INBOUND, CALLS_STATUS
from tests.e2e.calls import WholeCall, decided, publish, timeline, until_forwarded
from tests.e2e.journey import Customer, dev_setting, new_customer
from tests.e2e.processes import kill_9, restart
from tests.endpoints import Endpoints
from tests.support import eventually

pytestmark = pytest.mark.e2e

DESTINATION = "+41793026727"
# An override for the test's account, so the expected charge does not depend on the shipped list:
# 65 s at 60/60 bills two minutes, 2 x 0.50 + 0.10 connection fee.
PRICE = {"prefix": "41", "perMinute": "0.50", "increment": "60/60", "connectionFee": "0.10"}
PRICES = {"currency": "EUR", "prices": [PRICE]}
CHARGE = Decimal("1.10")
CALLS_IN_THE_STREAM = 6


@pytest.fixture
async def operator(endpoints: Endpoints) -> AsyncIterator[httpx.AsyncClient]:
    token = dev_setting("RECORDS_OPERATOR_TOKEN")
    headers = {"Authorization": f"Bearer {token}"}
    async with httpx.AsyncClient(base_url=endpoints.base_url, headers=headers) as client:
        yield client


@pytest.fixture
async def ledger(endpoints: Endpoints) -> AsyncIterator[Any]:
    client: AsyncMongoClient[dict[str, Any]] = AsyncMongoClient(endpoints.mongodb_uri)
    yield client["callplane"]["inventory_ledger"]
    await client.close()


@dataclass
class Stack:
    """The running system as the tests drive it: the edge, Kafka, the APIs and the ledger."""

    endpoints: Endpoints
    admin: httpx.AsyncClient
    operator: httpx.AsyncClient
    producer: AIOKafkaProducer
    edge: CallPublisher
    ledger: Any


@pytest.fixture
def stack(  # noqa: PLR0917 - pytest passes fixtures positionally
    endpoints: Endpoints,
    admin: httpx.AsyncClient,
    operator: httpx.AsyncClient,
    producer: AIOKafkaProducer,
    edge: CallPublisher,
    ledger: Any,
) -> Stack:
    return Stack(endpoints, admin, operator, producer, edge, ledger)


async def forwarding_customer(stack: Stack, balance: float) -> tuple[Customer, str]:
    customer = await new_customer(stack.endpoints.base_url, stack.admin, balance=balance)
    number_key, number = await customer.lease_fresh_number(stack.admin)
    setup = {"action": {"type": "FORWARD_TO_PSTN", "pstnNumber": DESTINATION}}
    reply = await customer.api.put(f"/numbers/2/numbers/{number_key}/voice", json=setup)
    assert reply.status_code in {200, 201}, reply.text
    return customer, number


async def set_prices(operator: httpx.AsyncClient, account_id: str, prices: dict[str, Any]) -> None:
    reply = await operator.put(f"/records/1/accounts/{account_id}/prices", json=prices)
    assert reply.status_code == 200, reply.text


async def balance_of(customer: Customer) -> Decimal:
    reply = await customer.api.get("/account/1/balance")
    assert reply.status_code == 200, reply.text
    return Decimal(str(reply.json()["balance"]))


async def charges_of(ledger: Any, call_id: str) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = await ledger.find({"reference": f"call:{call_id}"}).to_list()
    return found


async def caught_up(bootstrap: str, group: str, topics: list[str]) -> bool:
    """Whether `group` has committed every record of `topics` (so re-deliveries were handled)."""
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap)
    await admin.start()
    await consumer.start()
    try:
        committed = await admin.list_consumer_group_offsets(group)
        partitions = [tp for tp in committed if tp.topic in topics]
        ends = await consumer.end_offsets(partitions)
        return all(committed[tp].offset >= end for tp, end in ends.items())
    finally:
        await consumer.stop()
        await admin.close()


async def test_a_whole_call_is_in_the_history_and_charged_once_at_the_60_60_price(
    stack: Stack,
) -> None:
    customer, number = await forwarding_customer(stack, balance=100)
    await set_prices(stack.operator, customer.account_id, PRICES)
    before = await balance_of(customer)
    call = await until_forwarded(stack.edge, number)
    await publish(stack.producer, [(CALLS_STATUS.name, s) for s in timeline(call, DESTINATION)])

    async def charged() -> dict[str, Any] | None:
        reply = await customer.api.get(f"/calls/1/calls/{call.call_id}/history")
        log: dict[str, Any] = reply.json()
        # Rated and complete: the record gathers inbound, decision and statuses in any order.
        complete = log.get("charge") and log.get("to")
        return log if reply.status_code == 200 and complete else None

    # call-records consumes three topics in order; on a stack with a long backlog it may lag.
    log = await eventually(charged, timeout=90, what="the call recorded and rated")
    assert (log["state"], log["direction"], log["duration"], log["to"]) == (
        "FINISHED",
        "INBOUND",
        65,
        number,
    )
    assert (log["actionType"], log["decisionKind"], log["decidedBy"]) == (
        "FORWARD_TO_PSTN",
        "forward",
        "call-dispatch",
    )
    assert log["charge"]["amount"] == str(CHARGE)
    assert (log["charge"]["billedSeconds"], log["charge"]["billingIncrement"]) == (120, "60/60")

    async def debited() -> Decimal | None:
        now = await balance_of(customer)
        return now if now != before else None

    assert await eventually(debited, what="the balance moved") == before - CHARGE
    entries = await charges_of(stack.ledger, call.call_id)
    assert [e["amount"] for e in entries] == [-110]

    listed = await customer.api.get(
        "/calls/1/calls/history", params={"status": "FINISHED", "to": number, "size": 5}
    )
    assert listed.status_code == 200, listed.text
    assert [c["callId"] for c in listed.json()["results"]] == [call.call_id]
    assert listed.json()["paging"]["totalResults"] == 1

    operator_view = (await stack.operator.get(f"/records/1/calls/{call.call_id}")).json()
    assert operator_view["accountId"] == customer.account_id
    assert operator_view["decisions"][0]["actionVersion"] == call.decision.action_version
    assert isinstance(operator_view["latencyMs"], float)
    states = [s["state"] for s in operator_view["statuses"]]
    assert states == ["RINGING", "ESTABLISHED", "FINISHED"]


async def test_another_account_never_sees_the_call_invariant_5(stack: Stack) -> None:
    owner, number = await forwarding_customer(stack, balance=100)
    stranger = await new_customer(stack.endpoints.base_url, stack.admin)
    call = await decided(stack.edge, number)

    async def recorded() -> bool:
        reply = await owner.api.get(f"/calls/1/calls/{call.call_id}/history")
        return reply.status_code == 200

    await eventually(recorded, what="the owner sees the call")
    reply = await stranger.api.get(f"/calls/1/calls/{call.call_id}/history")
    assert reply.status_code == 404
    assert reply.json()["requestError"]["serviceException"]["messageId"] == "NOT_FOUND"
    listed = await stranger.api.get("/calls/1/calls/history", params={"to": number})
    assert listed.json()["results"] == []


@pytest.mark.timeout(900)
async def test_redelivered_twice_and_killed_9_mid_stream_every_call_is_charged_once(
    stack: Stack,
) -> None:
    customer, number = await forwarding_customer(stack, balance=100)
    await set_prices(stack.operator, customer.account_id, PRICES)
    before = await balance_of(customer)
    calls: list[WholeCall] = [await until_forwarded(stack.edge, number)]
    calls += [await decided(stack.edge, number) for _ in range(CALLS_IN_THE_STREAM - 1)]
    assert {c.decision.instruction.kind for c in calls} == {"forward"}
    for call in calls:
        timeline(call, DESTINATION)
    # Statuses first, then every record of every call twice more (the decisions and inbound
    # calls a third and second time): whatever order, as many times as Kafka likes.
    stream: list[tuple[str, Event]] = [(CALLS_STATUS.name, s) for c in calls for s in c.statuses]
    stream += [record for _ in range(2) for c in calls for record in c.records()]
    await publish(stack.producer, stream)

    async def some_charged() -> bool:
        references = [f"call:{c.call_id}" for c in calls]
        found: int = await stack.ledger.count_documents({"reference": {"$in": references}})
        return found > 0

    await eventually(some_charged, timeout=30, interval=0.05, what="the first charges")
    kill_9("call-records")
    await restart("call-records", stack.endpoints.base_url)

    expected = before - CHARGE * len(calls)

    async def all_debited() -> bool:
        return await balance_of(customer) == expected

    await eventually(all_debited, timeout=180, what="every call debited")
    group_topics = [CALLS_INBOUND.name, CALLS_DECISIONS.name, CALLS_STATUS.name]

    async def everything_handled() -> bool:
        return await caught_up(
            stack.endpoints.kafka, "call-records", group_topics
        ) and await caught_up(stack.endpoints.kafka, "number-inventory", [CALLS_CHARGES.name])

    await eventually(everything_handled, timeout=180, what="every re-delivery handled")
    for call in calls:
        entries = await charges_of(stack.ledger, call.call_id)
        assert [e["amount"] for e in entries] == [-110], call.call_id
    assert await balance_of(customer) == expected


async def test_an_account_at_zero_is_rejected_for_funds_until_a_top_up(stack: Stack) -> None:
    customer, number = await forwarding_customer(stack, balance=20)
    # One call costs more than the whole balance: the ledger takes what is left, never more.
    expensive = {"currency": "EUR", "prices": [{**PRICE, "perMinute": "1000"}]}
    await set_prices(stack.operator, customer.account_id, expensive)
    call = await until_forwarded(stack.edge, number)
    await publish(stack.producer, [(CALLS_STATUS.name, s) for s in timeline(call, DESTINATION)])

    async def at_zero() -> bool:
        return await balance_of(customer) == 0

    await eventually(at_zero, timeout=20, what="the balance at zero")
    assert len(await charges_of(stack.ledger, call.call_id)) == 1

    async def alerted() -> dict[str, Any] | None:
        reply = await customer.api.get("/account/1/balance/alerts")
        last: dict[str, Any] | None = reply.json()["lastAlert"]
        return last

    alert = await eventually(alerted, what="the BalanceLow alert visible")
    assert (alert["balance"], alert["currency"]) == (0, "EUR")

    async def rejected_for_funds() -> str | None:
        attempt = await decided(stack.edge, number)
        instruction = attempt.decision.instruction
        return (
            attempt.call_id
            if getattr(instruction, "reason", None) == "INSUFFICIENT_FUNDS"
            else None
        )

    # The bound is the polling deadline from the moment the balance was seen at zero.
    rejected = await eventually(rejected_for_funds, timeout=2.0, interval=0.05, what="funds reject")

    async def in_history() -> dict[str, Any] | None:
        reply = await customer.api.get(f"/calls/1/calls/{rejected}/history")
        return reply.json() if reply.status_code == 200 else None

    log = await eventually(in_history, what="the rejected call in the history")
    assert (log["state"], log["errorCode"]) == ("FAILED", "INSUFFICIENT_FUNDS")

    # A top-up is a pending payment until settled; here the operator settles it.
    top_up = await customer.api.post("/account/1/payments", json={"amount": 10})
    assert top_up.status_code == 201, top_up.text
    payment_id = top_up.json()["paymentId"]
    settled = await stack.admin.post(f"/admin/1/payments/{payment_id}/settle", json={})
    assert settled.status_code == 200, settled.text

    async def decided_normally() -> bool:
        return (await decided(stack.edge, number)).decision.instruction.kind == "forward"

    await eventually(decided_normally, timeout=5, interval=0.05, what="calls decided again")
