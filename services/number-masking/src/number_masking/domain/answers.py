"""Turning a customer's callback answer into an instruction for the edge."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from callplane_shared import phone
from callplane_shared.events import (
    CaptureDtmfInstruction,
    ForwardInstruction,
    PlayAudioInstruction,
)

# Dial options the edge understands; passed through untouched, anything else is dropped.
DIAL_PASSTHROUGH = ("announcements", "recording", "machineDetection", "clientReferenceId")
DTMF_PASSTHROUGH = ("terminator", "announcement", "announcements", "minLength")
MAX_DTMF_LENGTH = 32
MAX_DTMF_TIMEOUT = 60


class InvalidAnswerError(ValueError):
    """The customer answered, but not with something we can act on (the message says why)."""


def to_e164(raw: object) -> str | None:
    """E.164 with '+' for a valid number (with or without '+'), else None."""
    if not isinstance(raw, str | int) or isinstance(raw, bool):
        return None
    try:
        return phone.to_e164(raw)
    except phone.InvalidPhoneNumberError:
        return None


@dataclass(frozen=True)
class CallerIdChoice:
    caller_id: str
    replaced: bool
    reason: str | None


def choose_caller_id(
    requested: object, *, original_caller: str | None, masked_number: str, leased_by_account: bool
) -> CallerIdChoice:
    """The caller ID to present: the original caller or one of the account's numbers, never a
    number the account does not own (no spoofing); anything else becomes the masked number."""
    if requested is None or requested == "":
        return CallerIdChoice(masked_number, replaced=False, reason=None)
    normalised = to_e164(requested)
    if normalised is None:
        return CallerIdChoice(
            masked_number, replaced=True, reason=f"callerId {requested!r} is not a valid number"
        )
    if normalised in {masked_number, original_caller} or leased_by_account:
        return CallerIdChoice(normalised, replaced=False, reason=None)
    return CallerIdChoice(
        masked_number,
        replaced=True,
        reason=f"callerId {normalised} is neither the caller nor a number of the account",
    )


@dataclass(frozen=True)
class DialAnswer:
    phone_number: str
    requested_caller_id: object
    options: dict[str, Any]

    def instruction(self, choice: CallerIdChoice) -> ForwardInstruction:
        return ForwardInstruction(
            destination=self.phone_number,
            caller_id=choice.caller_id,
            caller_id_replaced=choice.replaced,
            options=self.options,
        )


Answer = DialAnswer | PlayAudioInstruction | CaptureDtmfInstruction


def parse_answer(payload: object) -> Answer:
    if not isinstance(payload, dict):
        raise InvalidAnswerError("answer is not a JSON object")
    command = payload.get("command")
    if command == "dial":
        return _dial(payload)
    if command == "audio":
        return _audio(payload)
    if command == "captureDtmf":
        return _capture(payload)
    raise InvalidAnswerError(f"unknown command {command!r}; expected dial, audio or captureDtmf")


def _dial(payload: dict[str, Any]) -> DialAnswer:
    destination = to_e164(payload.get("phoneNumber"))
    if destination is None:
        raise InvalidAnswerError(
            f"dial.phoneNumber {payload.get('phoneNumber')!r} is not a valid number"
        )
    options = {k: payload[k] for k in DIAL_PASSTHROUGH if payload.get(k) is not None}
    return DialAnswer(destination, payload.get("callerId"), options)


def _audio(payload: dict[str, Any]) -> PlayAudioInstruction:
    file_url, file_id = payload.get("fileUrl"), payload.get("fileId")
    if isinstance(file_url, str) and file_url.startswith(("http://", "https://")):
        return PlayAudioInstruction(file_url=file_url)
    if isinstance(file_id, str) and file_id:
        return PlayAudioInstruction(file_id=file_id)
    raise InvalidAnswerError("audio needs an http(s) fileUrl or a fileId")


def _bounded_int(payload: dict[str, Any], name: str, upper: int) -> int | None:
    value = payload.get(name)
    if value is None:
        return None
    if not isinstance(value, int) or isinstance(value, bool) or not 1 <= value <= upper:
        raise InvalidAnswerError(f"captureDtmf.{name} must be an integer from 1 to {upper}")
    return value


def _capture(payload: dict[str, Any]) -> CaptureDtmfInstruction:
    return CaptureDtmfInstruction(
        max_length=_bounded_int(payload, "maxLength", MAX_DTMF_LENGTH),
        timeout=_bounded_int(payload, "timeout", MAX_DTMF_TIMEOUT),
        options={k: payload[k] for k in DTMF_PASSTHROUGH if payload.get(k) is not None},
    )
