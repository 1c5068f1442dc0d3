"""The voice setup of a number (Infobip's VoiceSetup plus our optional fallback and version)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any

from pydantic import Field

from action_config.domain.phone import forward_target
from action_config.domain.refusals import invalid
from callplane_shared.voice import (
    Fallback,
    FallbackForward,
    ForwardToCallRouting,
    ForwardToIvr,
    ForwardToPstn,
    ForwardToSubscription,
    VoiceAction,
    VoiceNumberMasking,
)
from callplane_shared.wire import WireModel

VOICE = "VOICE"


class VoiceSetup(WireModel):
    """Request body of POST/PUT `…/voice`."""

    application_id: str | None = Field(default=None, max_length=255)
    entity_id: str | None = Field(default=None, max_length=255)
    action: VoiceAction
    fallback: Fallback | None = Field(
        default=None,
        description="Beyond Infobip: what to do when the action cannot complete.",
    )


class VoiceSetupResponse(VoiceSetup):
    version: int = Field(description="Bumped by every change; also sent as the ETag.")


class TargetKind(StrEnum):
    MASKING_CONFIG = "masking configuration"
    CALLS_CONFIGURATION = "calls configuration"
    ROUTE = "route"
    IVR_SCENARIO = "IVR scenario"


@dataclass(frozen=True, slots=True)
class TargetRef:
    """A target an action points to, and the request field that named it."""

    kind: TargetKind
    target_id: str
    field: str


def target_of(action: VoiceAction) -> TargetRef | None:
    if isinstance(action, VoiceNumberMasking):
        return TargetRef(
            TargetKind.MASKING_CONFIG,
            action.voice_number_masking_config_key,
            "action.voiceNumberMaskingConfigKey",
        )
    if isinstance(action, ForwardToSubscription):
        return TargetRef(
            TargetKind.CALLS_CONFIGURATION,
            action.calls_configuration_id,
            "action.callsConfigurationId",
        )
    if isinstance(action, ForwardToCallRouting) and action.route_id is not None:
        return TargetRef(TargetKind.ROUTE, action.route_id, "action.routeId")
    if isinstance(action, ForwardToIvr):
        return TargetRef(TargetKind.IVR_SCENARIO, action.scenario_key, "action.scenarioKey")
    return None


# Where each kind is stored on a number's setup, so "who uses this target" is one query.
TARGET_PATHS: dict[TargetKind, str] = {
    TargetKind.MASKING_CONFIG: "setup.action.voiceNumberMaskingConfigKey",
    TargetKind.CALLS_CONFIGURATION: "setup.action.callsConfigurationId",
    TargetKind.ROUTE: "setup.action.routeId",
    TargetKind.IVR_SCENARIO: "setup.action.scenarioKey",
}


def normalized(setup: VoiceSetup, own_number: str, capabilities: list[str]) -> VoiceSetup:
    """Check what needs no lookup and return the setup with numbers in E.164."""
    if VOICE not in capabilities:
        raise invalid(
            "numberKey",
            f"number {own_number} has no VOICE capability; lease a voice number for voice actions",
        )
    action = setup.action
    if isinstance(action, ForwardToPstn):
        number = forward_target(action.pstn_number, "action.pstnNumber", own_number)
        action = action.model_copy(update={"pstn_number": number})
    fallback = setup.fallback
    if isinstance(fallback, FallbackForward):
        number = forward_target(fallback.pstn_number, "fallback.pstnNumber", own_number)
        fallback = fallback.model_copy(update={"pstn_number": number})
    return setup.model_copy(update={"action": action, "fallback": fallback})


class Change(StrEnum):
    LEASED = "LEASED"
    SET = "SET"
    REPLACED = "REPLACED"
    REMOVED = "REMOVED"
    RELEASED = "RELEASED"


class ChangedBy(WireModel):
    account_id: str | None = None
    key_hash_prefix: str | None = Field(
        default=None, description="First characters of the API key's SHA-256; never the key."
    )
    system: str | None = Field(default=None, examples=["numbers.lifecycle"])


class HistoryEntry(WireModel):
    version: int
    change: Change
    setup: VoiceSetup | None = None
    changed_by: ChangedBy
    changed_at: datetime


class VoiceHistory(WireModel):
    number_key: str
    number: str
    versions: list[HistoryEntry] = Field(description="Newest first.")
    page: int = Field(description="Zero-based page of `versions`.")
    size: int
    total: int = Field(description="Changes made during your leases of the number (kept ones).")


def history_document(number_key: str, entry: HistoryEntry) -> dict[str, Any]:
    """A change as stored: one document per (number, version); `changedAt` stays a date so the
    retention index can expire it."""
    return {
        **dump(entry),
        "_id": f"{number_key}:{entry.version:012d}",
        "numberKey": number_key,
        "accountId": entry.changed_by.account_id,
        "changedAt": entry.changed_at,
    }


def parse_if_match(header: str | None) -> int | str | None:
    """`If-Match` as a version; `"*"` means any current setup. None when absent."""
    if header is None:
        return None
    text = header.strip()
    if text == "*":
        return "*"
    text = text.removeprefix("W/").strip('"')
    if not text.isdigit():
        raise invalid("If-Match", 'If-Match must be an ETag such as "3" (from GET …/voice)')
    return int(text)


def dump(model: WireModel) -> dict[str, Any]:
    return model.model_dump(by_alias=True, mode="json")
