"""A decision becomes the SIP plan the README's table promises."""

from __future__ import annotations

import pytest

from callplane_shared.events import (
    CallRoutingInstruction,
    ConversationsInstruction,
    ForwardInstruction,
    IvrInstruction,
    RejectInstruction,
    RoutedDestination,
    SubscriptionInstruction,
)
from callplane_shared.voice import RejectReason
from callplane_sip_edge.plan import Reject, Relay, plan_for
from callplane_sip_edge.responses import REJECTS
from tests.unit.sip_edge.builders import MEDIA, ROUTES, decision

pytestmark = pytest.mark.unit
CALLER = "+41791234567"


def test_a_forward_goes_through_the_longest_matching_gateway_with_the_decided_caller_id() -> None:
    plan = plan_for(
        decision(ForwardInstruction(destination="+41793026727", caller_id="+4930123463")),
        CALLER,
        ROUTES,
    )
    assert plan == Relay(
        "forward",
        ("sip:+41793026727@ch.carrier.test:5070",),
        "+4930123463",
        "+41793026727",
        {"X-Callplane-Call-Id": "sip-1"},
    )


def test_a_forward_elsewhere_takes_the_default_gateway() -> None:
    plan = plan_for(
        decision(ForwardInstruction(destination="+33142", caller_id="")), CALLER, ROUTES
    )
    assert isinstance(plan, Relay)
    assert plan.destinations == ("sip:+33142@world.carrier.test",)
    assert plan.caller_id == CALLER  # no caller ID decided: the caller's own


def test_no_gateway_for_the_destination_is_a_404() -> None:
    routes = type(ROUTES)(type(ROUTES.gateways)({"+49": "sip:de.test"}), MEDIA)
    plan = plan_for(decision(ForwardInstruction(destination="+4179", caller_id="")), CALLER, routes)
    assert isinstance(plan, Reject)
    assert (plan.reason, plan.answer.code) == ("NO_GATEWAY", 404)


def test_routing_tries_destinations_by_priority_and_keeps_callplanes_order_within_one() -> None:
    destinations = [
        RoutedDestination(
            type="ENDPOINT", value={"type": "PHONE", "phoneNumber": "41790000003"}, priority=2
        ),
        RoutedDestination(
            type="ENDPOINT",
            value={"type": "PHONE", "phoneNumber": "41790000001"},
            priority=1,
            weight=1,
        ),
        RoutedDestination(type="URL", value={"url": "https://example.com/where"}, priority=1),
        RoutedDestination(
            type="ENDPOINT",
            value={"type": "SIP", "username": "desk", "host": "pbx.test", "port": 5080},
            priority=1,
            weight=5,
        ),
    ]
    plan = plan_for(
        decision(CallRoutingInstruction(route_id="r", destinations=destinations)), CALLER, ROUTES
    )
    assert isinstance(plan, Relay)
    assert plan.destinations == (
        "sip:+41790000001@ch.carrier.test:5070",
        "sip:desk@pbx.test:5080",
        "sip:+41790000003@ch.carrier.test:5070",
    )
    assert plan.caller_id == CALLER


@pytest.mark.parametrize(
    ("instruction", "header", "value"),
    [
        (IvrInstruction(scenario_key="sc-1"), "X-Callplane-Scenario-Key", "sc-1"),
        (
            SubscriptionInstruction(calls_configuration_id="cfg-1"),
            "X-Callplane-Calls-Configuration-Id",
            "cfg-1",
        ),
        (ConversationsInstruction(), "X-Callplane-Kind", "conversations"),
    ],
)
def test_media_kinds_go_to_the_media_server_with_their_identifiers(
    instruction: IvrInstruction | SubscriptionInstruction | ConversationsInstruction,
    header: str,
    value: str,
) -> None:
    plan = plan_for(decision(instruction), CALLER, ROUTES)
    assert isinstance(plan, Relay)
    assert plan.destinations == (MEDIA,)
    assert plan.headers[header] == value
    assert plan.headers["X-Callplane-Account-Id"] == "acc-1"


@pytest.mark.parametrize("reason", list(RejectReason))
def test_every_reject_reason_has_its_documented_answer(reason: RejectReason) -> None:
    plan = plan_for(decision(RejectInstruction(reason=reason)), CALLER, ROUTES)
    assert isinstance(plan, Reject)
    assert plan.answer == REJECTS[reason.value]
    assert plan.headers()["X-Callplane-Reject-Reason"] == reason.value


def test_the_readme_documents_every_answer() -> None:
    from tests.support import REPO_ROOT

    readme = (REPO_ROOT / "README.md").read_text()
    for reason, answer in REJECTS.items():
        assert f"| `{reason}` | {answer.code} {answer.phrase} |" in readme
