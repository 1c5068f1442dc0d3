from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import stamina

from callplane_shared.events import (
    CallDecision,
    DecisionPath,
    ForwardInstruction,
    MaskingRequest,
    RejectInstruction,
)
from callplane_shared.mongo import Document
from callplane_shared.voice import FallbackForward
from callplane_shared.webhooks import SigningKey, WebhookError
from callplane_shared.webhooks.admission import InFlight
from number_masking.domain.configs import MaskingConfig
from number_masking.domain.decisions import Timeouts
from number_masking.resolver import Resolver
from number_masking.store import CredentialsUnreadableError

pytestmark = pytest.mark.unit

MASKED = "+41793026000"
CALLER = "+41793026731"
TARGET = "+41793026999"
NOW = datetime(2026, 1, 1, tzinfo=UTC)


class FakeStore:
    def __init__(self, config: MaskingConfig | None, account_id: str = "acct-1") -> None:
        self.config = config
        self.account_id = account_id
        self.decisions: dict[str, Document] = {}
        self.republished: list[str] = []
        self.leased: set[str] = set()
        self.unstored: list[CallDecision] = []

    async def find_decision(self, round_id: str) -> Document | None:
        return self.decisions.get(round_id)

    async def save_decision(
        self, round_id: str, decision: CallDecision, meta: Document
    ) -> Document:
        doc = {"_id": round_id, "decision": decision.model_dump_json(by_alias=True), **meta}
        self.decisions[round_id] = doc
        return doc

    async def republish(self, doc: Document) -> None:
        self.republished.append(doc["_id"])

    async def config_for_call(self, key: str) -> tuple[str, MaskingConfig] | None:
        if self.config is None or key != self.config.key:
            return None
        return self.account_id, self.config

    async def publish_unstored(self, decision: CallDecision) -> None:
        self.unstored.append(decision)

    async def credentials_for(self, account_id: str) -> SigningKey | None:
        return SigningKey("app", "secret-key") if account_id == self.account_id else None

    async def leased_by(self, number: str, account_id: str) -> bool:
        return number in self.leased and account_id == self.account_id


class FakePoster:
    def __init__(self, answers: dict[str, Any]) -> None:
        self.answers = answers
        self.calls: list[tuple[str, dict[str, Any], float]] = []

    async def post(
        self,
        url: str,
        payload: dict[str, Any],
        *,
        customer: str,
        signing: SigningKey | None,
        connect_timeout: float,
        budget: float,
        expect_json: bool = True,
    ) -> Any:
        assert signing is not None
        assert customer == "acct-1"
        assert expect_json
        assert connect_timeout <= budget
        self.calls.append((url, payload, budget))
        answer = self.answers[url]
        if isinstance(answer, Exception):
            raise answer
        return answer


def config(**overrides: Any) -> MaskingConfig:
    return MaskingConfig.model_validate(
        {
            "key": "K",
            "name": "n",
            "callbackUrl": "https://primary.example/cb",
            "insertDateTime": NOW,
            "updateDateTime": NOW,
            **overrides,
        }
    )


def request(**overrides: Any) -> MaskingRequest:
    return MaskingRequest.model_validate(
        {
            "call_id": "call-1",
            "number": MASKED,
            "account_id": "acct-1",
            "config_key": "K",
            "from_": CALLER,
            "to": MASKED,
            "received_at": NOW,
            "action_version": 3,
            **overrides,
        }
    )


DIAL = {"command": "dial", "phoneNumber": TARGET, "callerId": CALLER}
DEFAULTS = Timeouts(connect_ms=1000, total_ms=3000)


async def test_primary_answer_decides_and_is_not_asked_twice() -> None:
    store = FakeStore(config())
    poster = FakePoster({"https://primary.example/cb": DIAL})
    resolver = Resolver(store, poster, DEFAULTS, clock=lambda: NOW)

    first = await resolver.handle(request())
    again = await resolver.handle(request())

    assert first.path is DecisionPath.PRIMARY
    assert first.instruction == ForwardInstruction(destination=TARGET, caller_id=CALLER)
    assert again == first
    assert len(poster.calls) == 1
    assert store.republished == ["call-1:initial"]
    assert poster.calls[0][1] == {
        "from": CALLER,
        "to": MASKED,
        "correlationId": "call-1",
        "nmCorrelationId": "call-1",
    }


async def test_backup_gets_what_the_primary_left() -> None:
    store = FakeStore(config(backupCallbackUrl="https://backup.example/cb", totalTimeoutMs=2000))
    poster = FakePoster(
        {
            "https://primary.example/cb": WebhookError("HTTP 502"),
            "https://backup.example/cb": DIAL,
        }
    )
    decided = await Resolver(store, poster, DEFAULTS, clock=lambda: NOW).handle(request())

    assert decided.path is DecisionPath.BACKUP
    assert decided.path_reason == "primary: HTTP 502"
    primary_budget, backup_budget = poster.calls[0][2], poster.calls[1][2]
    assert primary_budget == pytest.approx(1.2, abs=0.01)
    assert backup_budget <= 2.0
    assert backup_budget > 1.9  # the primary failed at once, so nearly all is left


async def test_both_failing_fall_back_then_reject() -> None:
    store = FakeStore(config(backupCallbackUrl="https://backup.example/cb"))
    poster = FakePoster(
        {
            "https://primary.example/cb": {"command": "dial", "phoneNumber": "1"},
            "https://backup.example/cb": WebhookError("timeout after 1200 ms"),
        }
    )
    resolver = Resolver(store, poster, DEFAULTS, clock=lambda: NOW)
    fallback = await resolver.handle(request(fallback=FallbackForward(pstn_number=TARGET)))
    rejected = await resolver.handle(request(call_id="call-2"))

    assert fallback.path is DecisionPath.FALLBACK
    assert "primary: invalid answer" in (fallback.path_reason or "")
    assert "backup: timeout after 1200 ms" in (fallback.path_reason or "")
    assert rejected.path is DecisionPath.REJECTED
    assert isinstance(rejected.instruction, RejectInstruction)


async def test_config_of_another_account_is_not_used() -> None:
    store = FakeStore(config(), account_id="someone-else")
    poster = FakePoster({})
    decided = await Resolver(store, poster, DEFAULTS, clock=lambda: NOW).handle(request())
    assert decided.path is DecisionPath.REJECTED
    assert "not found" in (decided.path_reason or "")
    assert poster.calls == []


async def test_dtmf_round_keeps_the_original_caller_as_allowed_caller_id() -> None:
    store = FakeStore(config())
    poster = FakePoster({"https://primary.example/cb": {"command": "captureDtmf"}})
    resolver = Resolver(store, poster, DEFAULTS, clock=lambda: NOW)
    await resolver.handle(request())
    poster.answers["https://primary.example/cb"] = DIAL
    second = await resolver.handle(request(from_="42", dtmf_captured=True))

    assert isinstance(second.instruction, ForwardInstruction)
    assert second.instruction.caller_id == CALLER
    assert not second.instruction.caller_id_replaced
    assert poster.calls[1][1]["dtmfCaptured"] is True
    assert set(store.decisions) == {"call-1:initial", "call-1:dtmf:42"}


async def test_stale_request_is_decided_without_asking_the_customer() -> None:
    store = FakeStore(config())
    poster = FakePoster({"https://primary.example/cb": DIAL})
    late = NOW + timedelta(minutes=10)
    decided = await Resolver(store, poster, DEFAULTS, clock=lambda: late).handle(request())
    assert decided.path is DecisionPath.REJECTED
    assert "600 s old" in (decided.path_reason or "")
    assert poster.calls == []


# --- the store fails: every request still gets a decision (invariant 3) -----------------------


class FailingStore(FakeStore):
    """A FakeStore whose named methods raise (or hang past the store timeout)."""

    def __init__(
        self, config: MaskingConfig | None, failing: dict[str, BaseException | None]
    ) -> None:
        super().__init__(config)
        self.failing = failing

    async def _maybe_fail(self, name: str) -> None:
        if name not in self.failing:
            return
        error = self.failing[name]
        if error is None:
            await asyncio.Event().wait()  # hangs: the store timeout must end it
        raise error  # type: ignore[misc]

    async def find_decision(self, round_id: str) -> Document | None:
        await self._maybe_fail("find_decision")
        return await super().find_decision(round_id)

    async def save_decision(
        self, round_id: str, decision: CallDecision, meta: Document
    ) -> Document:
        await self._maybe_fail("save_decision")
        return await super().save_decision(round_id, decision, meta)

    async def config_for_call(self, key: str) -> tuple[str, MaskingConfig] | None:
        await self._maybe_fail("config_for_call")
        return await super().config_for_call(key)

    async def credentials_for(self, account_id: str) -> SigningKey | None:
        await self._maybe_fail("credentials_for")
        return await super().credentials_for(account_id)

    async def leased_by(self, number: str, account_id: str) -> bool:
        await self._maybe_fail("leased_by")
        return await super().leased_by(number, account_id)


FALLBACK = FallbackForward(pstn_number=TARGET)


@pytest.mark.parametrize(
    ("failing", "reason"),
    [
        ({"find_decision": ConnectionError("down")}, "store failed (reading decisions)"),
        ({"find_decision": None}, "store did not answer in 50 ms (reading decisions)"),
        ({"config_for_call": None}, "store did not answer in 50 ms (reading the masking config)"),
        (
            {"credentials_for": CredentialsUnreadableError("credentials do not decrypt")},
            "credentials do not decrypt",
        ),
    ],
    ids=["down", "hanging", "config-hangs", "credentials-unreadable"],
)
async def test_a_failing_store_decides_by_the_fallback_and_publishes_unstored(
    failing: dict[str, BaseException | None], reason: str
) -> None:
    store = FailingStore(config(), failing)
    poster = FakePoster({"https://primary.example/cb": DIAL})
    # A short bound only where a hang is under test: elsewhere it must not be what decides.
    bound = 0.05 if None in failing.values() else 5.0
    resolver = Resolver(store, poster, DEFAULTS, clock=lambda: NOW, store_timeout=bound)

    decided = await resolver.handle(request(fallback=FALLBACK))

    assert decided.path is DecisionPath.FALLBACK
    assert reason in (decided.path_reason or "")
    assert decided.instruction == ForwardInstruction(destination=TARGET, caller_id=MASKED)
    assert poster.calls == []  # never unsigned, never without the config
    assert store.unstored == [decided] or store.decisions  # published one way or the other
    if "find_decision" in failing:
        assert store.unstored == [decided]


async def test_without_a_fallback_a_failing_store_rejects_with_the_reason() -> None:
    store = FailingStore(config(), {"config_for_call": ConnectionError("down")})
    decided = await Resolver(
        store, FakePoster({}), DEFAULTS, clock=lambda: NOW, store_timeout=5.0
    ).handle(request())
    assert decided.path is DecisionPath.REJECTED
    assert isinstance(decided.instruction, RejectInstruction)
    assert "store failed (reading the masking config): ConnectionError" in (
        decided.path_reason or ""
    )


async def test_the_customers_answer_is_published_even_when_it_cannot_be_stored() -> None:
    store = FailingStore(config(), {"save_decision": ConnectionError("down")})
    poster = FakePoster({"https://primary.example/cb": DIAL})
    resolver = Resolver(store, poster, DEFAULTS, clock=lambda: NOW, store_timeout=5.0)

    decided = await resolver.handle(request())

    assert decided.path is DecisionPath.PRIMARY
    assert store.unstored == [decided]


async def test_an_unverifiable_caller_id_is_replaced_by_the_masked_number() -> None:
    store = FailingStore(config(), {"leased_by": ConnectionError("down")})
    store.leased.add("+41793026111")
    poster = FakePoster({"https://primary.example/cb": {**DIAL, "callerId": "+41793026111"}})
    resolver = Resolver(store, poster, DEFAULTS, clock=lambda: NOW, store_timeout=5.0)

    decided = await resolver.handle(request())

    assert isinstance(decided.instruction, ForwardInstruction)
    assert decided.instruction.caller_id == MASKED
    assert decided.instruction.caller_id_replaced


async def test_a_decision_that_cannot_be_published_is_retried_until_it_is() -> None:
    store = FailingStore(config(), {"find_decision": ConnectionError("down")})
    failures = [ConnectionError("broker down"), ConnectionError("still down")]

    async def publish(decision: CallDecision) -> None:
        if failures:
            raise failures.pop(0)
        store.unstored.append(decision)

    store.publish_unstored = publish  # type: ignore[method-assign]
    with stamina.set_testing(True, attempts=5):
        decided = await Resolver(
            store, FakePoster({}), DEFAULTS, clock=lambda: NOW, store_timeout=5.0
        ).handle(request())
    assert failures == []
    assert store.unstored == [decided]


async def test_a_store_call_past_the_deadline_is_left_to_finish_not_cancelled() -> None:
    """Cancelling a MongoDB call mid-reply would throw its connection away."""
    release, finished = asyncio.Event(), asyncio.Event()

    class SlowStore(FakeStore):
        async def find_decision(self, round_id: str) -> Document | None:  # noqa: ARG002
            await release.wait()
            finished.set()
            return None

    store = SlowStore(config())
    resolver = Resolver(store, FakePoster({}), DEFAULTS, clock=lambda: NOW, store_timeout=0.05)

    decided = await resolver.handle(request())
    release.set()
    async with asyncio.timeout(5):
        await finished.wait()  # a cancelled call would never get here

    assert "store did not answer in 50 ms" in (decided.path_reason or "")


class _NoStore(FakeStore):
    """Fails the test on any store call: a refused-at-once call must not wait for the store."""

    async def find_decision(self, round_id: str) -> Document | None:  # noqa: ARG002
        raise AssertionError("the store was read for a call whose customer share is full")


async def test_a_full_customer_share_decides_by_fallback_without_the_store() -> None:
    # Issue 12 item 4: admission before any shared resource, the store included.
    store = _NoStore(config())
    poster = FakePoster({})
    share = InFlight(1, "customer")
    resolver = Resolver(store, poster, DEFAULTS, clock=lambda: NOW, share=share)
    fallback = FallbackForward(pstn_number=TARGET)

    with share.hold("acct-1"):  # its one call in flight, e.g. waiting for a hung server
        decided = await resolver.handle(request(fallback=fallback))

    assert decided.path is DecisionPath.FALLBACK
    assert isinstance(decided.instruction, ForwardInstruction)
    assert decided.instruction.destination == TARGET
    assert "share full" in (decided.path_reason or "")
    assert poster.calls == []
    assert store.unstored == [decided]  # published, so the call still gets its one decision


async def test_the_share_is_released_when_a_decision_is_done() -> None:
    share = InFlight(1, "customer")
    resolver = Resolver(
        FakeStore(config()),
        FakePoster({"https://primary.example/cb": DIAL}),
        DEFAULTS,
        clock=lambda: NOW,
        share=share,
    )
    first = await resolver.handle(request(call_id="call-a"))
    second = await resolver.handle(request(call_id="call-b"))
    assert (first.path, second.path) == (DecisionPath.PRIMARY, DecisionPath.PRIMARY)
    assert share.count("acct-1") == 0
