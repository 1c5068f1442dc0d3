"""Delivery of queued call events against in-memory collections and a recording poster: in order
per call, retried with backoff, deduplicated when re-derived, isolated per account."""

from __future__ import annotations

import asyncio
import base64
from datetime import UTC, datetime, timedelta
from typing import Any, cast

import pytest

from call_records.call_events.delivery import CallEventDelivery
from call_records.call_events.queue import CallEventQueue
from call_records.subscriptions.model import NewSubscription
from call_records.subscriptions.store import SubscriptionStore
from callplane_shared.events import CallDecision, SubscriptionInstruction
from callplane_shared.sealing import CredentialCipher
from callplane_shared.signing import verify
from callplane_shared.supervision import Supervisor
from callplane_shared.webhooks import SigningKey, WebhookError
from callplane_shared.webhooks.queue import DeliveryQueue, QueuePolicy
from tests.unit.call_records.memory_collection import MemoryCollection
from tests.unit.call_records.test_call_events import T0, record

pytestmark = pytest.mark.unit

SECRET = "s3cret-s3cret-s3cret"


class Poster:
    """Answers from a script (None = 2xx, else the WebhookError outcome), records what it got."""

    def __init__(self, *script: str | None) -> None:
        self.script = list(script)
        self.sent: list[dict[str, Any]] = []

    async def post(self, url: str, payload: dict[str, Any], **kwargs: Any) -> None:
        outcome = self.script.pop(0) if self.script else None
        signing: SigningKey | None = kwargs["signing"]
        self.sent.append({"url": url, "body": payload, "signing": signing, **kwargs})
        if outcome is not None:
            raise WebhookError(f"scripted {outcome}", outcome)


class Harness:
    def __init__(self, poster: Poster, **policy: Any) -> None:
        self.records = MemoryCollection()
        self.events = MemoryCollection()
        self.subs_collection = MemoryCollection()
        cipher = CredentialCipher(bytes(32))
        self.subscriptions = SubscriptionStore.__new__(SubscriptionStore)
        self.subscriptions.collection = cast("Any", self.subs_collection)
        self.subscriptions._cipher = cipher  # noqa: SLF001 - built without a MongoDB client
        self.queue = CallEventQueue.__new__(CallEventQueue)
        self.queue.deliveries = DeliveryQueue(cast("Any", self.events))
        self.queue.records = cast("Any", self.records)
        self.queue.calls = cast("Any", MemoryCollection())
        self.queue._subscriptions = self.subscriptions  # noqa: SLF001
        self.queue._per_account = 100  # noqa: SLF001
        rules = QueuePolicy(first_backoff=1.0, **policy)
        self.delivery = CallEventDelivery(
            self.queue, self.subscriptions, poster, rules, Supervisor("test")
        )

    async def subscribe(self, account: str, sid: str, events: list[str]) -> None:
        body = NewSubscription.model_validate(
            {
                "subscriptionId": sid,
                "events": events,
                "criteria": [{"callsConfigurationId": "conf-1"}],
                "profile": {
                    "webhook": {"notifyUrl": f"https://hooks.example.com/{sid}"},
                    "security": {
                        "authId": "auth-1",
                        "type": "HMAC",
                        "credentials": {"secretKey": SECRET, "algorithm": "HMAC_SHA_256"},
                    },
                },
            }
        )
        await self.subscriptions.create(account, body)

    async def put_record(self, doc: dict[str, Any]) -> int:
        """Store the record and, like the decision handler, the call's target; then sync."""
        self.records.docs[doc["_id"]] = doc
        decision = CallDecision(
            call_id=doc["_id"],
            number="+41445550100",
            account_id=doc["accountId"],
            instruction=SubscriptionInstruction(calls_configuration_id="conf-1"),
            received_at=T0,
            decided_at=T0,
            decided_by="call-dispatch",
        )
        await self.queue.remember(decision)
        return await self.queue.sync(doc["_id"])

    async def drain(self, passes: int = 10) -> None:
        """Run delivery passes, each waiting for its deliveries, making every event due again
        between passes (the backoff is covered by its own test)."""
        for _ in range(passes):
            for doc in self.events.docs.values():
                doc["nextAttemptAt"] = datetime.now(UTC) - timedelta(seconds=1)
            await asyncio.gather(*await self.delivery.deliver_due())


ALL = ["CALL_RECEIVED", "CALL_RINGING", "CALL_ESTABLISHED", "CALL_FINISHED"]


async def test_events_of_a_call_reach_the_subscriber_in_call_order_even_when_one_fails() -> None:
    poster = Poster(None, "http_error", None, None, None)  # RINGING fails once
    harness = Harness(poster)
    await harness.subscribe("acct-1", "sub-1", ALL)
    await harness.put_record(record("FINISHED", "RINGING", "ESTABLISHED"))
    await harness.drain()
    types = [s["body"]["type"] for s in poster.sent]
    assert types == ["CALL_RECEIVED", "CALL_RINGING", "CALL_RINGING", *ALL[2:]]


async def test_re_deriving_the_same_events_queues_nothing_twice() -> None:
    harness = Harness(Poster())
    await harness.subscribe("acct-1", "sub-1", ALL)
    assert await harness.put_record(record("ESTABLISHED")) == 2
    assert await harness.put_record(record("ESTABLISHED")) == 0
    assert await harness.put_record(record("ESTABLISHED", "FINISHED")) == 1


async def test_a_late_earlier_state_is_superseded_not_sent_out_of_order() -> None:
    poster = Poster()
    harness = Harness(poster)
    await harness.subscribe("acct-1", "sub-1", ALL)
    await harness.put_record(record("ESTABLISHED"))
    await harness.drain()
    await harness.put_record(record("ESTABLISHED", "RINGING"))
    await harness.drain()
    assert [s["body"]["type"] for s in poster.sent] == ["CALL_RECEIVED", "CALL_ESTABLISHED"]
    ringing = next(d for d in harness.events.docs.values() if d["type"] == "CALL_RINGING")
    assert ringing["state"] == "superseded"


async def test_a_failure_is_retried_later_with_backoff_and_shown_in_the_call_history() -> None:
    harness = Harness(Poster("connect_error"))
    await harness.subscribe("acct-1", "sub-1", ["CALL_RECEIVED"])
    await harness.put_record(record())
    before = datetime.now(UTC)
    await asyncio.gather(*await harness.delivery.deliver_due())
    (doc,) = harness.events.docs.values()
    assert (doc["state"], doc["attempts"]) == ("pending", 1)
    assert doc["nextAttemptAt"] >= before + timedelta(seconds=1)
    (shown,) = await harness.queue.deliveries_of("acct-1", "c-1")
    assert (shown["state"], shown["attempts"], shown["lastError"]) == (
        "pending",
        1,
        "scripted connect_error",
    )


async def test_after_max_attempts_the_event_is_dead_lettered_and_the_next_one_goes() -> None:
    poster = Poster("http_error", "http_error", None)
    harness = Harness(poster, max_attempts=2)
    await harness.subscribe("acct-1", "sub-1", ["CALL_RECEIVED", "CALL_ESTABLISHED"])
    await harness.put_record(record("ESTABLISHED"))
    await harness.drain()
    states = {d["type"]: d["state"] for d in harness.events.docs.values()}
    assert states == {"CALL_RECEIVED": "dead_letter", "CALL_ESTABLISHED": "delivered"}


async def test_busy_is_deferred_without_counting_an_attempt() -> None:
    harness = Harness(Poster("busy"))
    await harness.subscribe("acct-1", "sub-1", ["CALL_RECEIVED"])
    await harness.put_record(record())
    await asyncio.gather(*await harness.delivery.deliver_due())
    (doc,) = harness.events.docs.values()
    assert (doc["state"], doc["attempts"]) == ("pending", 0)


async def test_one_account_holds_at_most_its_share_of_the_delivery_slots() -> None:
    harness = Harness(Poster(), per_account=1)
    await harness.subscribe("acct-1", "sub-1", ["CALL_RECEIVED"])
    await harness.subscribe("acct-2", "sub-2", ["CALL_RECEIVED"])
    for n in range(3):
        await harness.put_record({**record(), "_id": f"busy-{n}"})
    await harness.put_record({**record(), "_id": "quiet", "accountId": "acct-2"})
    started = await harness.delivery.deliver_due()
    accounts = sorted(harness.delivery.worker.running[t]["accountId"] for t in started)
    assert accounts == ["acct-1", "acct-2"]
    await asyncio.gather(*started)


async def test_deliveries_are_signed_with_the_subscriptions_secret() -> None:
    poster = Poster()
    harness = Harness(poster)
    await harness.subscribe("acct-1", "sub-1", ["CALL_RECEIVED"])
    await harness.put_record(record())
    await harness.drain(1)
    (sent,) = poster.sent
    assert sent["signing"] == SigningKey("auth-1", SECRET)
    assert (sent["customer"], sent["authorization"]) == ("acct-1", None)


async def test_a_deleted_subscription_drops_its_pending_events() -> None:
    poster = Poster()
    harness = Harness(poster)
    await harness.subscribe("acct-1", "sub-1", ["CALL_RECEIVED"])
    await harness.put_record(record())
    harness.subs_collection.docs.clear()
    await harness.drain(1)
    assert poster.sent == []
    assert [d["state"] for d in harness.events.docs.values()] == ["dropped"]


def test_basic_security_sends_basic_auth_and_still_signs() -> None:
    harness = Harness(Poster())
    sealed = CredentialCipher(bytes(32)).encrypt(
        '{"username": "u", "password": "p4ssw0rd!"}', "acct-1"
    )
    target = harness.subscriptions.delivery(
        {
            "accountId": "acct-1",
            "notifyUrl": "https://h.example.com/",
            "security": {"authId": "a", "type": "BASIC", "sealed": sealed},
        }
    )
    assert target.authorization == "Basic " + base64.b64encode(b"u:p4ssw0rd!").decode()
    assert target.signing == SigningKey("a", "p4ssw0rd!")
    body = b"{}"
    headers = {"X-Callplane-Timestamp": "100"}
    from callplane_shared.signing import compute_signature

    headers["X-Callplane-Signature"] = compute_signature("p4ssw0rd!", 100, body)
    assert verify(headers, body, "p4ssw0rd!", now=100) == 100
