"""A BLOCKED account's calls are rejected with INSUFFICIENT_FUNDS (even masked ones), and an
account back to ACTIVE is decided normally again."""

from __future__ import annotations

import pytest

from call_dispatch.decider import Decided, HandedToMasking, decide
from call_dispatch.view import DispatchView
from callplane_shared.events import AccountStatus, AccountUpserted, RejectInstruction, utc_now
from callplane_shared.voice import ForwardToPstn, RejectReason, VoiceNumberMasking
from tests.unit.call_dispatch.builders import action_set, inbound, unique_number

pytestmark = pytest.mark.unit


def _account(account_id: str, status: AccountStatus) -> tuple[bytes, bytes]:
    event = AccountUpserted(account_id=account_id, name="n", status=status, currency="EUR")
    return account_id.encode(), event.model_dump_json(by_alias=True).encode()


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
