"""Pure voice-setup rules: numbers through phonenumbers, capability, targets, If-Match."""

from __future__ import annotations

from typing import Any

import pytest

from action_config.domain.refusals import Refusal
from action_config.domain.voice_setup import (
    TargetKind,
    VoiceSetup,
    normalized,
    parse_if_match,
    target_of,
)

pytestmark = pytest.mark.unit
OWN = "+41793026731"


def setup(action: dict[str, Any], **extra: Any) -> VoiceSetup:
    return VoiceSetup.model_validate({"action": action, **extra})


def test_pstn_number_is_stored_in_e164() -> None:
    result = normalized(
        setup({"type": "FORWARD_TO_PSTN", "pstnNumber": "41793026727"}), OWN, ["VOICE"]
    )
    assert result.action.pstn_number == "+41793026727"  # type: ignore[union-attr]


@pytest.mark.parametrize("bad", ["12", "abc", "+999999999999", OWN, OWN.lstrip("+")])
def test_bad_or_self_pstn_number_names_the_field(bad: str) -> None:
    with pytest.raises(Refusal) as refused:
        normalized(setup({"type": "FORWARD_TO_PSTN", "pstnNumber": bad}), OWN, ["VOICE"])
    assert refused.value.field == "action.pstnNumber"
    assert refused.value.status == 400


def test_fallback_number_is_checked_too() -> None:
    body = setup(
        {"type": "VOICE_FORWARD_TO_CONVERSATIONS"},
        fallback={"type": "FORWARD_TO_PSTN", "pstnNumber": "1"},
    )
    with pytest.raises(Refusal) as refused:
        normalized(body, OWN, ["VOICE"])
    assert refused.value.field == "fallback.pstnNumber"


def test_number_without_voice_is_refused() -> None:
    with pytest.raises(Refusal) as refused:
        normalized(setup({"type": "VOICE_FORWARD_TO_CONVERSATIONS"}), OWN, ["SMS"])
    assert refused.value.field == "numberKey"


@pytest.mark.parametrize(
    ("action", "kind", "field"),
    [
        (
            {"type": "VOICE_NUMBER_MASKING", "voiceNumberMaskingConfigKey": "k"},
            TargetKind.MASKING_CONFIG,
            "action.voiceNumberMaskingConfigKey",
        ),
        (
            {"type": "FORWARD_TO_SUBSCRIPTION", "callsConfigurationId": "k"},
            TargetKind.CALLS_CONFIGURATION,
            "action.callsConfigurationId",
        ),
        ({"type": "FORWARD_TO_CALL_ROUTING", "routeId": "k"}, TargetKind.ROUTE, "action.routeId"),
        (
            {"type": "FORWARD_TO_IVR", "scenarioKey": "k"},
            TargetKind.IVR_SCENARIO,
            "action.scenarioKey",
        ),
    ],
)
def test_target_of_each_action(action: dict[str, Any], kind: TargetKind, field: str) -> None:
    ref = target_of(setup(action).action)
    assert ref is not None
    assert (ref.kind, ref.target_id, ref.field) == (kind, "k", field)


def test_actions_without_targets() -> None:
    assert target_of(setup({"type": "FORWARD_TO_CALL_ROUTING"}).action) is None
    assert target_of(setup({"type": "VOICE_FORWARD_TO_CONVERSATIONS"}).action) is None


@pytest.mark.parametrize(
    ("header", "expected"), [(None, None), ('"3"', 3), ("3", 3), ('W/"7"', 7), ("*", "*")]
)
def test_if_match(header: str | None, expected: object) -> None:
    assert parse_if_match(header) == expected


def test_if_match_garbage_is_refused() -> None:
    with pytest.raises(Refusal) as refused:
        parse_if_match('"abc"')
    assert refused.value.field == "If-Match"
