"""The decision: a pure function of (inbound call, view). No Kafka, MongoDB or HTTP here.

Everything that picks the outcome is read from the call and the view; the clock is only read for
`decidedAt`. Time windows of routes are evaluated at the call's `receivedAt` and the weighted
order of destinations is seeded by the callId, so a re-delivered call gets the same instruction,
action version, path and `eventId` as the first delivery (only `decidedAt`/`occurredAt` differ),
as long as the view has not changed in between.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime

from call_dispatch import SERVICE_NAME
from call_dispatch.number_table import NumberEntry, e164
from call_dispatch.view import DispatchView
from callplane_shared.events import (
    CallDecision,
    CallRoutingInstruction,
    ConversationsInstruction,
    DecisionPath,
    ForwardInstruction,
    InboundCall,
    Instruction,
    IvrInstruction,
    MaskingRequest,
    RejectInstruction,
    RoutedDestination,
    SubscriptionInstruction,
)
from callplane_shared.routing import CallFacts, Route, failover_order, match_route
from callplane_shared.voice import (
    ActionType,
    FallbackForward,
    RejectReason,
    conversations_target,
)


def event_id_for(call_id: str, kind: str) -> str:
    """The same call always yields the same event id, so consumers can drop re-deliveries.
    (blake2b rather than uuid5: a tenth of the cost, and the id is opaque anyway.)"""
    return hashlib.blake2b(f"{kind}:{call_id}".encode(), digest_size=16).hexdigest()


@dataclass(frozen=True, slots=True)
class Decided:
    decision: CallDecision


@dataclass(frozen=True, slots=True)
class HandedToMasking:
    """Masked calls are decided by number-masking; dispatch only hands them over."""

    request: MaskingRequest


Outcome = Decided | HandedToMasking


@dataclass(frozen=True, slots=True)
class _Choice:
    instruction: Instruction
    path: DecisionPath
    path_reason: str | None = None


def _reject(reason: RejectReason, detail: str) -> _Choice:
    return _Choice(RejectInstruction(reason=reason, detail=detail), DecisionPath.REJECTED, detail)


def _fallback_or_reject(
    call: InboundCall, entry: NumberEntry, reason: RejectReason, detail: str
) -> _Choice:
    """A target that cannot be used: the number's fallback decides, else the call is rejected."""
    fallback = entry.fallback
    if isinstance(fallback, FallbackForward):
        forward = ForwardInstruction(destination=e164(fallback.pstn_number), caller_id=call.from_)
        return _Choice(forward, DecisionPath.FALLBACK, detail)
    if fallback is not None:
        return _Choice(
            RejectInstruction(reason=fallback.reason, detail=detail), DecisionPath.FALLBACK, detail
        )
    return _reject(reason, detail)


def _routed(call: InboundCall, route: Route) -> CallRoutingInstruction | None:
    destinations = failover_order(route, call.received_at, seed=call.call_id)
    if not destinations:
        return None
    return CallRoutingInstruction(
        route_id=route.id,
        destinations=[
            RoutedDestination(
                type=str(d.type),
                value=d.value.model_dump(mode="json", by_alias=True, exclude_none=True),
                priority=d.priority,
                weight=d.weight,
            )
            for d in destinations
        ],
    )


def _call_routing(call: InboundCall, entry: NumberEntry, view: DispatchView) -> _Choice:
    route_id = entry.action_arg
    if route_id is not None:
        route = view.route(route_id)
        # Another account's route is as good as missing: routing never crosses accounts.
        if route is None or route.account_id != entry.account_id:
            return _fallback_or_reject(
                call, entry, RejectReason.TARGET_NOT_FOUND, f"route {route_id} no longer exists"
            )
        if route.status != "ENABLED":
            return _fallback_or_reject(
                call, entry, RejectReason.TARGET_NOT_FOUND, f"route {route_id} is disabled"
            )
        instruction = _routed(call, route)
        if instruction is None:
            return _fallback_or_reject(
                call, entry, RejectReason.NO_ROUTE, f"no destination of route {route_id} is open"
            )
        return _Choice(instruction, DecisionPath.DIRECT)
    facts = CallFacts(
        from_=call.from_,
        to=e164(call.to),
        endpoint_type=str(call.endpoint.type),
        username=call.endpoint.username,
        host=call.endpoint.host,
        identity=call.endpoint.identity,
        application_id=entry.application_id,
        sip_trunk_id=call.endpoint.sip_trunk_id,
        sip_headers=call.sip_headers or {},
    )
    assert entry.account_id is not None  # noqa: S101 - view.number() returns live entries only
    route = match_route(view.enabled_routes(entry.account_id), facts, call.received_at)
    if route is None:
        return _fallback_or_reject(call, entry, RejectReason.NO_ROUTE, "no enabled route matches")
    instruction = _routed(call, route)
    assert instruction is not None  # noqa: S101 - match_route only returns routes with one open
    return _Choice(instruction, DecisionPath.DIRECT)


def _ivr(call: InboundCall, entry: NumberEntry, view: DispatchView, scenario_id: str) -> _Choice:
    scenario = view.scenario(scenario_id)
    # Another account's scenario is as good as missing, like routes.
    if scenario is None or scenario.account_id != entry.account_id:
        detail = f"IVR scenario {scenario_id} is not known"
        return _fallback_or_reject(call, entry, RejectReason.TARGET_NOT_FOUND, detail)
    # The script was validated by action-config and parsed by the view: not validated again.
    instruction = IvrInstruction.model_construct(
        kind="ivr",
        scenario_key=scenario_id,
        scenario_id=scenario_id,
        scenario_version=scenario.version,
        script=scenario.script,
        record=scenario.record,
    )
    return _Choice(instruction, DecisionPath.DIRECT)


def _choose(  # noqa: PLR0911 - one return per action type reads as the table it is
    call: InboundCall, entry: NumberEntry, view: DispatchView
) -> _Choice:
    arg = entry.action_arg or ""
    match entry.action_type:
        case None:
            return _reject(RejectReason.NO_ACTION, "the number has no voice action")
        case ActionType.FORWARD_TO_PSTN:
            forward = ForwardInstruction.model_construct(
                kind="forward",
                destination=e164(arg),
                caller_id=call.from_,
                caller_id_replaced=False,
                options={},
            )
            return _Choice(forward, DecisionPath.DIRECT)
        case ActionType.VOICE_FORWARD_TO_CONVERSATIONS:
            queue = conversations_target(
                arg,
                view.accounts.conversations_queue(entry.account_id),
                view.conversations_default_queue,
            )
            target = ConversationsInstruction(account_id=entry.account_id, queue_id=queue)
            return _Choice(target, DecisionPath.DIRECT)
        case ActionType.FORWARD_TO_SUBSCRIPTION:
            subscription = SubscriptionInstruction(calls_configuration_id=arg)
            return _Choice(subscription, DecisionPath.DIRECT)
        case ActionType.FORWARD_TO_IVR:
            return _ivr(call, entry, view, arg)
        case ActionType.FORWARD_TO_CALL_ROUTING:
            return _call_routing(call, entry, view)
        case _:
            # VOICE_NUMBER_MASKING is handled before; anything newer is a contract this build
            # does not know yet.
            return _reject(RejectReason.INVALID_INPUT, f"unsupported action {entry.action_type}")


def _decision(
    call: InboundCall, number: str, entry: NumberEntry | None, choice: _Choice, now: datetime
) -> CallDecision:
    # Every field comes from validated input (the call, the view's entry), so the decision is
    # assembled without validating it again: that was a fifth of the per-call cost.
    return CallDecision.model_construct(
        event_id=event_id_for(call.call_id, "decision"),
        schema_version=1,
        occurred_at=now,
        call_id=call.call_id,
        number=number,
        account_id=None if entry is None else entry.account_id,
        action_type=None if entry is None else entry.action_type,
        action_version=None if entry is None else entry.version,
        instruction=choice.instruction,
        received_at=call.received_at,
        decided_at=now,
        decided_by=SERVICE_NAME,
        path=choice.path,
        path_reason=choice.path_reason,
    )


def decide(call: InboundCall, view: DispatchView, now: datetime) -> Outcome:
    """What happens to `call`; `now` is only stamped as `decidedAt`."""
    number = e164(call.to)  # once: it is the decision's and the masking request's
    entry = view.number(number)
    if entry is None:
        choice = _reject(RejectReason.NUMBER_NOT_IN_SERVICE, "the number is not leased")
        return Decided(_decision(call, number, None, choice, now))
    if not entry.voice_capable:
        choice = _reject(RejectReason.NO_VOICE_CAPABILITY, "the number cannot take calls")
        return Decided(_decision(call, number, entry, choice, now))
    if view.accounts.blocked(entry.account_id):
        detail = "the account's balance is exhausted; calls resume after a top-up"
        choice = _reject(RejectReason.INSUFFICIENT_FUNDS, detail)
        return Decided(_decision(call, number, entry, choice, now))
    if entry.action_type is ActionType.VOICE_NUMBER_MASKING:
        assert entry.account_id is not None  # noqa: S101 - live entry
        return HandedToMasking(
            MaskingRequest(
                event_id=event_id_for(call.call_id, "masking"),
                occurred_at=now,
                call_id=call.call_id,
                number=number,
                account_id=entry.account_id,
                config_key=entry.action_arg or "",
                from_=call.from_,
                to=number,
                received_at=call.received_at,
                action_version=entry.version,
                fallback=entry.fallback,
            )
        )
    return Decided(_decision(call, number, entry, _choose(call, entry, view), now))
