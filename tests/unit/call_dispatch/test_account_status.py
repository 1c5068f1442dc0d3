"""A BLOCKED account's calls are rejected with INSUFFICIENT_FUNDS (even masked ones), and an
account back to ACTIVE is decided normally again. An account's default Conversations queue comes
between the number's own and the platform's."""

from __future__ import annotations

import pytest

from call_dispatch.decider import Decided, HandedToMasking, decide
from call_dispatch.view import DispatchView
from callplane_shared.events import (
    AccountStatus,
    AccountUpserted,
    ConversationsInstruction,
    RejectInstruction,
    utc_now,
)
from callplane_shared.voice import (
    ForwardToConversations,
    ForwardToPstn,
    RejectReason,
    VoiceNumberMasking,
)
from tests.unit.call_dispatch.builders import action_set, inbound, unique_number

pytestmark = pytest.mark.unit


def _account(
    account_id: str, status: AccountStatus = AccountStatus.ACTIVE, queue: str | None = None
) -> tuple[bytes, bytes]:
    event = AccountUpserted(
        account_id=account_id,
        name="n",
        status=status,
        currency="EUR",
        conversations_queue_id=queue,
    )
    return account_id.encode(), event.model_dump_json(by_alias=True).encode()


def _queue(view: DispatchView, number: str) -> str | None:
    outcome = decide(inbound(number), view, utc_now())
    assert isinstance(outcome, Decided)
    instruction = outcome.decision.instruction
    assert isinstance(instruction, ConversationsInstruction)
    return instruction.queue_id


def test_blocked_account_is_rejected_for_funds_until_active_again() -> None:
    view = DispatchView()
    number = unique_number()
    view.set_action(
        action_set(number, 1, ForwardToPstn(pstn_number="+41445550101"), account_id="a1")
    )
    view.accounts.apply(*_account("a1", AccountStatus.BLOCKED))

    outcome = decide(inbound(number), view, utc_now())
    assert isinstance(outcome, Decided)
    instruction = outcome.decision.instruction
    assert isinstance(instruction, RejectInstruction)
    assert instruction.reason is RejectReason.INSUFFICIENT_FUNDS
    assert outcome.decision.account_id == "a1"

    view.accounts.apply(*_account("a1", AccountStatus.ACTIVE))
    again = decide(inbound(number), view, utc_now())
    assert isinstance(again, Decided)
    assert again.decision.instruction.kind == "forward"


def test_masked_numbers_of_a_blocked_account_are_not_handed_to_masking() -> None:
    view = DispatchView()
    number = unique_number()
    masking = VoiceNumberMasking(voice_number_masking_config_key="k")
    view.set_action(action_set(number, 1, masking, account_id="a2"))
    assert isinstance(decide(inbound(number), view, utc_now()), HandedToMasking)
    view.accounts.apply(*_account("a2", AccountStatus.BLOCKED))
    assert isinstance(decide(inbound(number), view, utc_now()), Decided)


def test_other_accounts_and_tombstones_do_not_block() -> None:
    view = DispatchView()
    view.accounts.apply(*_account("a3", AccountStatus.BLOCKED))
    assert view.accounts.blocked("a3")
    assert not view.accounts.blocked("a4")
    assert not view.accounts.blocked(None)
    view.accounts.apply(b"a3", None)
    assert not view.accounts.blocked("a3")


def test_the_accounts_default_queue_comes_between_the_numbers_and_the_platforms() -> None:
    view = DispatchView(conversations_default_queue="platform")
    plain, own, other = unique_number(), unique_number(), unique_number()
    view.set_action(action_set(plain, 1, ForwardToConversations(), account_id="q1"))
    view.set_action(action_set(own, 1, ForwardToConversations(queue_id="own"), account_id="q1"))
    view.set_action(action_set(other, 1, ForwardToConversations(), account_id="q2"))
    assert (_queue(view, plain), _queue(view, own)) == ("platform", "own")

    view.accounts.apply(*_account("q1", queue="sales"))
    assert (_queue(view, plain), _queue(view, own), _queue(view, other)) == (
        "sales",  # the account's default
        "own",  # the number's own queue still wins
        "platform",  # another account's default is not this one's
    )
    view.accounts.apply(*_account("q1", queue=None))
    assert _queue(view, plain) == "platform"
    view.accounts.apply(*_account("q1", queue="sales"))
    view.accounts.apply(b"q1", None)  # a tombstone forgets it
    assert _queue(view, plain) == "platform"


def test_only_accounts_with_a_default_queue_are_held_and_queue_names_are_shared() -> None:
    view = DispatchView()
    for i in range(100):
        view.accounts.apply(*_account(f"plain-{i}"))
        view.accounts.apply(*_account(f"queued-{i}", queue="support"))
    held = view.accounts._queues  # noqa: SLF001 - the memory bound is what is tested
    assert len(held) == 100
    assert len({id(queue) for queue in held.values()}) == 1


def test_an_account_record_from_before_the_default_queue_decodes_without_it() -> None:
    old = b'{"accountId": "old-1", "name": "n", "currency": "EUR", "version": 3}'
    assert AccountUpserted.model_validate_json(old).conversations_queue_id is None
    view = DispatchView()
    view.accounts.apply(b"old-1", old)
    assert view.accounts.conversations_queue("old-1") is None
