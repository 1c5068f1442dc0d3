from __future__ import annotations

from datetime import timedelta

import pytest
from pydantic import ValidationError

from call_dispatch.decider import Decided, HandedToMasking, Outcome, decide
from call_dispatch.view import DispatchView
from callplane_shared.events import (
    AccountUpserted,
    CallDecision,
    CallRoutingInstruction,
    ConversationsInstruction,
    DecisionPath,
    ForwardInstruction,
    RejectInstruction,
    SubscriptionInstruction,
    utc_now,
)
from callplane_shared.settings import ConversationsQueueSetting
from callplane_shared.voice import (
    ActionType,
    Fallback,
    FallbackForward,
    FallbackReject,
    ForwardToCallRouting,
    ForwardToConversations,
    ForwardToIvr,
    ForwardToPstn,
    ForwardToSubscription,
    RejectReason,
    VoiceAction,
    VoiceNumberMasking,
)
from tests.unit.call_dispatch.builders import (
    MONDAY_10,
    SUNDAY_03,
    WEEKDAYS_9_TO_17,
    action_set,
    inbound,
    route,
    unique_number,
)

pytestmark = pytest.mark.unit
CALLER = "+41445550100"


def _view_with(
    action: VoiceAction | None,
    *,
    voice_capable: bool = True,
    fallback: Fallback | None = None,
    account_id: str = "acc-1",
) -> tuple[DispatchView, str]:
    view = DispatchView()
    number = unique_number()
    view.set_action(
        action_set(
            number, 7, action, voice_capable=voice_capable, fallback=fallback, account_id=account_id
        )
    )
    return view, number


def _decision(outcome: Outcome) -> CallDecision:
    assert isinstance(outcome, Decided)
    return outcome.decision


def _reject_reason(outcome: Outcome) -> RejectReason:
    instruction = _decision(outcome).instruction
    assert isinstance(instruction, RejectInstruction)
    return instruction.reason


def test_forward_to_pstn_keeps_the_original_caller_as_caller_id() -> None:
    view, number = _view_with(ForwardToPstn(pstn_number="41445550111"))
    decision = _decision(decide(inbound(number, caller=CALLER), view, utc_now()))
    assert decision.instruction == ForwardInstruction(destination="+41445550111", caller_id=CALLER)
    assert (decision.action_type, decision.action_version) == (ActionType.FORWARD_TO_PSTN, 7)
    assert decision.account_id == "acc-1"
    assert decision.decided_by == "call-dispatch"
    assert decision.path is DecisionPath.DIRECT


@pytest.mark.parametrize(
    ("action", "expected"),
    [
        (
            ForwardToConversations(),
            ConversationsInstruction(account_id="acc-1", queue_id="default"),
        ),
        (
            ForwardToConversations(queue_id="support"),
            ConversationsInstruction(account_id="acc-1", queue_id="support"),
        ),
        (
            ForwardToSubscription(calls_configuration_id="cfg-1"),
            SubscriptionInstruction(calls_configuration_id="cfg-1"),
        ),
    ],
)
def test_direct_targets(action: VoiceAction, expected: object) -> None:
    view, number = _view_with(action)
    assert _decision(decide(inbound(number), view, utc_now())).instruction == expected


def test_a_conversations_number_without_a_queue_gets_the_configured_default() -> None:
    view = DispatchView(conversations_default_queue="agents")
    number = unique_number()
    view.set_action(action_set(number, 1, ForwardToConversations(), account_id="acc-1"))
    instruction = _decision(decide(inbound(number), view, utc_now())).instruction
    assert instruction == ConversationsInstruction(account_id="acc-1", queue_id="agents")


def test_the_default_queue_setting_is_validated_like_a_queue_id() -> None:
    with pytest.raises(ValidationError, match="conversations_default_queue"):
        ConversationsQueueSetting(conversations_default_queue="no spaces/allowed")
    assert ConversationsQueueSetting().conversations_default_queue == "default"


def test_an_accounts_default_queue_is_validated_like_a_queue_id() -> None:
    with pytest.raises(ValidationError, match="conversations_queue_id"):
        AccountUpserted(
            account_id="a", name="n", currency="EUR", conversations_queue_id="no spaces/allowed"
        )
    with pytest.raises(ValidationError, match="conversations_queue_id"):
        AccountUpserted(account_id="a", name="n", currency="EUR", conversations_queue_id="")


def test_masking_is_handed_over_not_decided() -> None:
    fallback = FallbackForward(pstn_number="+41445550112")
    view, number = _view_with(
        VoiceNumberMasking(voice_number_masking_config_key="mk-1"), fallback=fallback
    )
    call = inbound(number, caller=CALLER)
    outcome = decide(call, view, utc_now())
    assert isinstance(outcome, HandedToMasking)
    request = outcome.request
    assert (request.config_key, request.account_id, request.action_version) == ("mk-1", "acc-1", 7)
    assert (request.from_, request.to, request.call_id) == (CALLER, number, call.call_id)
    assert request.fallback == fallback


def test_rejects_no_action_unknown_number_and_no_voice() -> None:
    view, number = _view_with(None)
    assert _reject_reason(decide(inbound(number), view, utc_now())) is RejectReason.NO_ACTION
    unknown = _decision(decide(inbound(unique_number()), view, utc_now()))
    assert unknown.instruction == RejectInstruction(
        reason=RejectReason.NUMBER_NOT_IN_SERVICE, detail="the number is not leased"
    )
    assert unknown.account_id is None
    assert unknown.path is DecisionPath.REJECTED
    mute, mute_number = _view_with(ForwardToIvr(scenario_key="s"), voice_capable=False)
    reason = _reject_reason(decide(inbound(mute_number), mute, utc_now()))
    assert reason is RejectReason.NO_VOICE_CAPABILITY


def test_fixed_route_lists_destinations() -> None:
    r = route("acc-1", phone="+41445550120")
    view, number = _view_with(ForwardToCallRouting(route_id=r.id))
    view.set_route(r)
    instruction = _decision(decide(inbound(number), view, utc_now())).instruction
    assert isinstance(instruction, CallRoutingInstruction)
    assert instruction.route_id == r.id
    assert [d.value["phoneNumber"] for d in instruction.destinations] == ["+41445550120"]


def test_a_vanished_route_takes_the_fallback_else_target_not_found() -> None:
    fallback = FallbackForward(pstn_number="+41445550130")
    view, number = _view_with(ForwardToCallRouting(route_id="gone"), fallback=fallback)
    decision = _decision(decide(inbound(number, caller=CALLER), view, utc_now()))
    assert decision.instruction == ForwardInstruction(destination="+41445550130", caller_id=CALLER)
    assert decision.path is DecisionPath.FALLBACK
    bare, bare_number = _view_with(ForwardToCallRouting(route_id="gone"))
    reason = _reject_reason(decide(inbound(bare_number), bare, utc_now()))
    assert reason is RejectReason.TARGET_NOT_FOUND
    rejecting, rej_number = _view_with(
        ForwardToCallRouting(route_id="gone"), fallback=FallbackReject()
    )
    outcome = decide(inbound(rej_number), rejecting, utc_now())
    assert _reject_reason(outcome) is RejectReason.REJECTED_BY_CUSTOMER
    assert _decision(outcome).path is DecisionPath.FALLBACK


def test_another_accounts_route_counts_as_missing() -> None:
    foreign = route("acc-other")
    view, number = _view_with(ForwardToCallRouting(route_id=foreign.id))
    view.set_route(foreign)
    reason = _reject_reason(decide(inbound(number), view, utc_now()))
    assert reason is RejectReason.TARGET_NOT_FOUND


def test_dynamic_routing_takes_the_first_matching_route_of_the_account_only() -> None:
    view, number = _view_with(ForwardToCallRouting())
    digits = number.lstrip("+")
    view.set_route(route("acc-other", order=1, phone="+41445550140"))  # matches all, wrong account
    view.set_route(route("acc-1", order=1, to=f"{digits[:6]}9(.+)", phone="+41445550141"))
    view.set_route(route("acc-1", order=2, to=f"{digits[:6]}(.+)", phone="+41445550142"))
    view.set_route(route("acc-1", order=3, phone="+41445550143"))
    instruction = _decision(decide(inbound(number), view, utc_now())).instruction
    assert isinstance(instruction, CallRoutingInstruction)
    expected = "+41445550141" if digits[6] == "9" else "+41445550142"
    assert instruction.destinations[0].value["phoneNumber"] == expected


def test_time_windows_are_read_at_received_at() -> None:
    view, number = _view_with(ForwardToCallRouting())
    view.set_route(route("acc-1", order=1, windows=WEEKDAYS_9_TO_17, phone="+41445550150"))
    view.set_route(route("acc-1", order=2, phone="+41445550151"))

    def first_destination(received_at: object) -> object:
        outcome = decide(inbound(number, received_at=received_at), view, utc_now())
        instruction = _decision(outcome).instruction
        assert isinstance(instruction, CallRoutingInstruction)
        return instruction.destinations[0].value["phoneNumber"]

    assert first_destination(MONDAY_10) == "+41445550150"
    assert first_destination(SUNDAY_03) == "+41445550151"


def test_no_matching_route_rejects_no_route_or_takes_the_fallback() -> None:
    view, number = _view_with(ForwardToCallRouting())
    view.set_route(route("acc-1", to="999(.+)"))
    assert _reject_reason(decide(inbound(number), view, utc_now())) is RejectReason.NO_ROUTE
    fallback = FallbackForward(pstn_number="+41445550160")
    fb_view, fb_number = _view_with(ForwardToCallRouting(), fallback=fallback)
    decision = _decision(decide(inbound(fb_number), fb_view, utc_now()))
    assert decision.path is DecisionPath.FALLBACK
    assert isinstance(decision.instruction, ForwardInstruction)


def test_a_redelivered_call_gets_the_same_decision_but_decided_at() -> None:
    view, number = _view_with(ForwardToCallRouting())
    view.set_route(route("acc-1", windows=WEEKDAYS_9_TO_17))
    view.set_route(route("acc-1", order=2))
    call = inbound(number, received_at=MONDAY_10)
    first = _decision(decide(call, view, utc_now()))
    again = _decision(decide(call, view, utc_now() + timedelta(seconds=30)))
    volatile = {"decided_at", "occurred_at"}
    assert first.model_dump(exclude=volatile) == again.model_dump(exclude=volatile)
    assert first.event_id == again.event_id
    assert first.decided_at != again.decided_at
