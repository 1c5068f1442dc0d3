from __future__ import annotations

import pytest

from console.voice_form import NO_ACTION, form_values, setup_body, values_of

pytestmark = pytest.mark.unit


def test_forward_with_a_fallback_becomes_the_apis_body() -> None:
    values = form_values(
        {
            "actionType": "FORWARD_TO_PSTN",
            "pstnNumber": " +41793026727 ",
            "scenarioKey": "ignored: another type's field",
            "fallbackType": "REJECT",
            "fallbackReason": "NO_ROUTE",
        }
    )
    assert setup_body(values) == {
        "action": {"type": "FORWARD_TO_PSTN", "pstnNumber": "+41793026727"},
        "fallback": {"type": "REJECT", "reason": "NO_ROUTE"},
    }


def test_call_routing_without_a_route_matches_by_criteria() -> None:
    body = setup_body(form_values({"actionType": "FORWARD_TO_CALL_ROUTING", "routeId": ""}))
    assert body == {"action": {"type": "FORWARD_TO_CALL_ROUTING"}}


def test_no_action_is_no_body_and_an_empty_required_field_is_sent_for_the_api_to_name() -> None:
    assert setup_body(form_values({"actionType": NO_ACTION})) is None
    body = setup_body(form_values({"actionType": "FORWARD_TO_IVR"}))
    assert body == {"action": {"type": "FORWARD_TO_IVR", "scenarioKey": ""}}


def test_a_stored_setup_fills_the_form_and_back() -> None:
    stored = {
        "action": {"type": "VOICE_NUMBER_MASKING", "voiceNumberMaskingConfigKey": "k1"},
        "fallback": {"type": "FORWARD_TO_PSTN", "pstnNumber": "+41793026727"},
        "version": 3,
    }
    values = values_of(stored)
    assert values["actionType"] == "VOICE_NUMBER_MASKING"
    assert setup_body(values) == {k: v for k, v in stored.items() if k != "version"}
    assert values_of(None)["actionType"] == NO_ACTION


def test_hostile_field_sizes_are_bounded() -> None:
    values = form_values({"actionType": "FORWARD_TO_PSTN", "pstnNumber": "9" * 100_000})
    assert len(values["pstnNumber"]) == 500
