"""The one inbound voice action of a number, in Infobip's shape (`action.type` discriminates).

Shared because action-config validates and stores it, `voice.actions` carries it, and
call-dispatch decides from it.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated, Literal

from pydantic import Field

from callplane_shared.wire import WireModel


class ActionType(StrEnum):
    FORWARD_TO_PSTN = "FORWARD_TO_PSTN"
    VOICE_NUMBER_MASKING = "VOICE_NUMBER_MASKING"
    VOICE_FORWARD_TO_CONVERSATIONS = "VOICE_FORWARD_TO_CONVERSATIONS"
    FORWARD_TO_SUBSCRIPTION = "FORWARD_TO_SUBSCRIPTION"
    FORWARD_TO_CALL_ROUTING = "FORWARD_TO_CALL_ROUTING"
    FORWARD_TO_IVR = "FORWARD_TO_IVR"


class _Action(WireModel):
    description: str | None = Field(default=None, max_length=500)


class ForwardToPstn(_Action):
    type: Literal[ActionType.FORWARD_TO_PSTN] = ActionType.FORWARD_TO_PSTN
    pstn_number: str = Field(description="Destination in E.164 (with or without '+').")


class VoiceNumberMasking(_Action):
    type: Literal[ActionType.VOICE_NUMBER_MASKING] = ActionType.VOICE_NUMBER_MASKING
    voice_number_masking_config_key: str


CONVERSATIONS_QUEUE_ID = r"^[A-Za-z0-9_.-]{1,128}$"
DEFAULT_CONVERSATIONS_QUEUE = "default"
"""The queue every account has: calls to a number that names none are offered there."""


def conversations_target(number_queue: str | None, account_queue: str | None, platform: str) -> str:
    """The queue a Conversations number hands calls to, in the one order every service applies:
    the number's own, else its account's default, else the platform's (a setting)."""
    return number_queue or account_queue or platform


class ForwardToConversations(_Action):
    type: Literal[ActionType.VOICE_FORWARD_TO_CONVERSATIONS] = (
        ActionType.VOICE_FORWARD_TO_CONVERSATIONS
    )
    queue_id: str | None = Field(
        default=None,
        pattern=CONVERSATIONS_QUEUE_ID,
        description=(
            "The account's Conversations queue (entry point) that takes this number's calls; "
            "absent means the account's default queue (`PUT /account/1/conversations-queue`), "
            f"else the platform's (`{DEFAULT_CONVERSATIONS_QUEUE}` unless configured). The number "
            "also becomes available as caller ID for agents' outbound calls."
        ),
        examples=["support"],
    )


class ForwardToSubscription(_Action):
    type: Literal[ActionType.FORWARD_TO_SUBSCRIPTION] = ActionType.FORWARD_TO_SUBSCRIPTION
    calls_configuration_id: str


class ForwardToCallRouting(_Action):
    type: Literal[ActionType.FORWARD_TO_CALL_ROUTING] = ActionType.FORWARD_TO_CALL_ROUTING
    route_id: str | None = Field(
        default=None, description="A fixed route; none means the first enabled matching route."
    )


class ForwardToIvr(_Action):
    type: Literal[ActionType.FORWARD_TO_IVR] = ActionType.FORWARD_TO_IVR
    scenario_key: str


VoiceAction = Annotated[
    ForwardToPstn
    | VoiceNumberMasking
    | ForwardToConversations
    | ForwardToSubscription
    | ForwardToCallRouting
    | ForwardToIvr,
    Field(discriminator="type"),
]


class RejectReason(StrEnum):
    NO_ACTION = "NO_ACTION"
    NUMBER_NOT_IN_SERVICE = "NUMBER_NOT_IN_SERVICE"
    NO_VOICE_CAPABILITY = "NO_VOICE_CAPABILITY"
    NO_ROUTE = "NO_ROUTE"
    TARGET_NOT_FOUND = "TARGET_NOT_FOUND"
    MASKING_UNAVAILABLE = "MASKING_UNAVAILABLE"
    INVALID_INPUT = "INVALID_INPUT"
    REJECTED_BY_CUSTOMER = "REJECTED_BY_CUSTOMER"
    INSUFFICIENT_FUNDS = "INSUFFICIENT_FUNDS"


class FallbackForward(WireModel):
    type: Literal["FORWARD_TO_PSTN"] = "FORWARD_TO_PSTN"
    pstn_number: str


class FallbackReject(WireModel):
    type: Literal["REJECT"] = "REJECT"
    reason: RejectReason = RejectReason.REJECTED_BY_CUSTOMER


Fallback = Annotated[FallbackForward | FallbackReject, Field(discriminator="type")]
"""What dispatch and masking do when the primary action cannot complete (beyond Infobip)."""
