from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from pydantic import ValidationError

from callplane_shared.events import (
    CallState,
    CallStatus,
    CaptureDtmfInstruction,
    DecisionPath,
    ForwardInstruction,
    MaskingRequest,
    PlayAudioInstruction,
    RejectInstruction,
)
from callplane_shared.voice import FallbackForward, FallbackReject, RejectReason
from number_masking.domain.answers import (
    DialAnswer,
    InvalidAnswerError,
    choose_caller_id,
    parse_answer,
    to_e164,
)
from number_masking.domain.configs import ConfigBody
from number_masking.domain.decisions import Timeouts, round_id, unavailable
from number_masking.domain.reports import build_report, report_status

pytestmark = pytest.mark.unit

MASKED = "+41793026000"
CALLER = "+41793026731"


def request(**overrides: object) -> MaskingRequest:
    values: dict[str, object] = {
        "call_id": "call-1",
        "number": MASKED,
        "account_id": "acct-1",
        "config_key": "K",
        "from_": CALLER,
        "to": MASKED,
        "received_at": datetime(2026, 1, 1, tzinfo=UTC),
        "action_version": 3,
        **overrides,
    }
    return MaskingRequest.model_validate(values)


# --- answers ---------------------------------------------------------------------------------


def test_dial_answer_keeps_only_documented_options() -> None:
    answer = parse_answer(
        {
            "command": "dial",
            "phoneNumber": "41793026999",
            "callerId": CALLER,
            "recording": {"recordingType": "AUDIO"},
            "machineDetection": {"enabled": True},
            "smuggled": "x",
        }
    )
    assert isinstance(answer, DialAnswer)
    assert answer.phone_number == "+41793026999"
    assert answer.options == {
        "recording": {"recordingType": "AUDIO"},
        "machineDetection": {"enabled": True},
    }


@pytest.mark.parametrize(
    ("payload", "message"),
    [
        ([], "not a JSON object"),
        ({"command": "dial", "phoneNumber": "123"}, "not a valid number"),
        ({"command": "dial"}, "not a valid number"),
        ({"command": "audio", "fileUrl": "ftp://x"}, "fileUrl"),
        ({"command": "captureDtmf", "maxLength": 0}, "maxLength"),
        ({"command": "captureDtmf", "timeout": True}, "timeout"),
        ({"command": "hangup"}, "unknown command"),
    ],
)
def test_invalid_answers(payload: object, message: str) -> None:
    with pytest.raises(InvalidAnswerError, match=message):
        parse_answer(payload)


def test_audio_and_capture_answers() -> None:
    audio = parse_answer({"command": "audio", "fileId": "f-1"})
    assert audio == PlayAudioInstruction(file_id="f-1")
    capture = parse_answer({"command": "captureDtmf", "maxLength": 4, "terminator": "#"})
    assert capture == CaptureDtmfInstruction(max_length=4, options={"terminator": "#"})


def test_to_e164() -> None:
    assert to_e164("41793026731") == CALLER
    assert to_e164(CALLER) == CALLER
    assert to_e164("12") is None
    assert to_e164(True) is None  # noqa: FBT003 - JSON booleans are not numbers


@pytest.mark.parametrize(
    ("requested", "leased", "expected", "replaced"),
    [
        (None, False, MASKED, False),
        (CALLER, False, CALLER, False),
        ("41793026731", False, CALLER, False),
        (MASKED, False, MASKED, False),
        ("+14155550100", True, "+14155550100", False),
        ("+14155550100", False, MASKED, True),
        ("not-a-number", False, MASKED, True),
    ],
)
def test_caller_id_policy(requested: object, leased: bool, expected: str, replaced: bool) -> None:
    choice = choose_caller_id(
        requested, original_caller=CALLER, masked_number=MASKED, leased_by_account=leased
    )
    assert (choice.caller_id, choice.replaced) == (expected, replaced)
    assert (choice.reason is not None) == replaced


# --- decisions -------------------------------------------------------------------------------


def test_round_ids_separate_dtmf_rounds() -> None:
    assert round_id(request()) == "call-1:initial"
    assert round_id(request(from_="12", dtmf_captured=True)) == "call-1:dtmf:12"


def test_primary_keeps_a_share_for_the_backup() -> None:
    assert Timeouts(1000, 3000).primary_budget_ms(has_backup=False) == 3000
    assert Timeouts(1000, 3000).primary_budget_ms(has_backup=True) == 1800


def test_unavailable_uses_fallback_forward_with_the_masked_number() -> None:
    target = "+41793026999"
    instruction, path, reason = unavailable(
        request(fallback=FallbackForward(pstn_number=target)), "primary: HTTP 500"
    )
    assert path is DecisionPath.FALLBACK
    assert instruction == ForwardInstruction(destination=target, caller_id=MASKED)
    assert reason.startswith("primary: HTTP 500")


def test_unavailable_rejects_with_reason() -> None:
    fallback_reject = FallbackReject(reason=RejectReason.REJECTED_BY_CUSTOMER)
    instruction, path, _ = unavailable(request(fallback=fallback_reject), "why")
    assert path is DecisionPath.FALLBACK
    assert isinstance(instruction, RejectInstruction)
    assert instruction.reason is RejectReason.REJECTED_BY_CUSTOMER
    instruction, path, _ = unavailable(request(), "why")
    assert path is DecisionPath.REJECTED
    assert instruction == RejectInstruction(reason=RejectReason.MASKING_UNAVAILABLE, detail="why")


# --- configs ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "url",
    ["ftp://x.example/a", "javascript:alert(1)", "http://", "https://u:p@x.example/", "/relative"],
)
def test_config_refuses_non_http_urls(url: str) -> None:
    with pytest.raises(ValidationError):
        ConfigBody.model_validate({"name": "a", "callbackUrl": url})


def test_config_timeouts_within_bounds_and_connect_below_total() -> None:
    ok = ConfigBody.model_validate(
        {"name": "a", "callbackUrl": "https://x.example", "totalTimeoutMs": 5000}
    )
    assert ok.total_timeout_ms == 5000
    with pytest.raises(ValidationError, match="connectTimeoutMs"):
        ConfigBody.model_validate(
            {
                "name": "a",
                "callbackUrl": "https://x.example",
                "connectTimeoutMs": 3000,
                "totalTimeoutMs": 2000,
            }
        )


# --- reports ---------------------------------------------------------------------------------


def status(state: CallState, **overrides: object) -> CallStatus:
    return CallStatus.model_validate(
        {"call_id": "call-1", "state": state, "from_": CALLER, "to": MASKED, **overrides}
    )


@pytest.mark.parametrize(
    ("state", "overrides", "expected"),
    [
        (CallState.FINISHED, {"answered_at": datetime(2026, 1, 1, tzinfo=UTC)}, "answered"),
        (CallState.FINISHED, {}, "no answer"),
        (CallState.BUSY, {}, "busy"),
        (CallState.NO_ANSWER, {}, "no answer"),
        (CallState.FAILED, {"hangup_cause": "NETWORK_CONGESTION"}, "congestion"),
        (CallState.FAILED, {}, "failed"),
    ],
)
def test_report_status_vocabulary(
    state: CallState, overrides: dict[str, object], expected: str
) -> None:
    assert report_status(status(state, **overrides)) == expected


def test_report_carries_infobip_fields_and_drops_nulls() -> None:
    answered = datetime(2026, 1, 1, 12, tzinfo=UTC)
    report = build_report(
        status(
            CallState.FINISHED,
            answered_at=answered,
            ringing_at=answered - timedelta(seconds=5),
            duration_seconds=42,
            transfer_to="+41793026999",
        ),
        action="dial",
        caller=CALLER,
        called=MASKED,
        extra={"clientReferenceId": "ref"},
    )
    assert report["status"] == "answered"
    assert report["duration"] == 42
    assert report["answeredTime"] == answered.isoformat()
    assert report["clientReferenceId"] == "ref"
    assert "hangupCause" not in report
