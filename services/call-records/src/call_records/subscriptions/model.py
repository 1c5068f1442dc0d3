"""A subscription as the customer writes it (Infobip's `VoiceVideoSubscriptionRequest`), bounded,
and as we answer it: secrets are write-only, never returned."""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated, Literal

from pydantic import Field, StringConstraints, field_validator, model_validator

from callplane_shared.webhooks.urls import MAX_URL_LENGTH, check_notify_url
from callplane_shared.wire import WireModel

URL_SAFE_ID = r"^[A-Za-z0-9._~-]{1,255}$"
"""`subscriptionId`, `profileId`, `authId`: part of a URL path, so nothing that needs encoding."""
MAX_CRITERIA = 50
MAX_TEXT = 255


class CallEventType(StrEnum):
    """The VOICE_VIDEO events callplane emits for inbound calls (a subset of Infobip's list)."""

    CALL_RECEIVED = "CALL_RECEIVED"
    CALL_RINGING = "CALL_RINGING"
    CALL_PRE_ESTABLISHED = "CALL_PRE_ESTABLISHED"
    CALL_ESTABLISHED = "CALL_ESTABLISHED"
    CALL_FINISHED = "CALL_FINISHED"
    CALL_FAILED = "CALL_FAILED"


class SecurityType(StrEnum):
    HMAC = "HMAC"
    BASIC = "BASIC"


Text = Annotated[str, StringConstraints(min_length=1, max_length=MAX_TEXT)]


class Webhook(WireModel):
    notify_url: str = Field(
        max_length=MAX_URL_LENGTH, description="Where call events are POSTed (JSON)."
    )
    content_type: Literal["application/json"] = "application/json"

    _url = field_validator("notify_url")(check_notify_url)


class HmacCredentials(WireModel):
    secret_key: str = Field(
        min_length=16, max_length=MAX_TEXT, description="Shared secret; write-only."
    )
    algorithm: Literal["HMAC_SHA_256"] = Field(
        default="HMAC_SHA_256", description="The only algorithm both signature schemes use."
    )


class BasicCredentials(WireModel):
    username: Text
    password: str = Field(min_length=8, max_length=MAX_TEXT, description="Write-only.")


class Security(WireModel):
    """`authId` alone keeps the credentials stored under that id (on update); otherwise `type`
    and `credentials` define new ones."""

    auth_id: str = Field(pattern=URL_SAFE_ID)
    type: SecurityType | None = None
    credentials: HmacCredentials | BasicCredentials | None = None

    @model_validator(mode="after")
    def _matching_credentials(self) -> Security:
        expected = {SecurityType.HMAC: HmacCredentials, SecurityType.BASIC: BasicCredentials}
        if self.type is None and self.credentials is None:
            return self
        if self.type is None or not isinstance(self.credentials, expected[self.type]):
            raise ValueError(
                "type HMAC takes credentials {secretKey, algorithm}; BASIC takes "
                "{username, password}"
            )
        return self


class Profile(WireModel):
    profile_id: str | None = Field(default=None, pattern=URL_SAFE_ID)
    webhook: Webhook
    security: Security | None = None


class Criterion(WireModel):
    """A call matches when every field set here matches (an empty criterion matches nothing)."""

    application_id: str | None = Field(default=None, max_length=MAX_TEXT)
    entity_id: str | None = Field(default=None, max_length=MAX_TEXT)
    calls_configuration_id: str | None = Field(default=None, max_length=128)


class SubscriptionBody(WireModel):
    """PUT body (Infobip's `NoIdSubscriptionRequest`); POST adds `subscriptionId`."""

    name: Text | None = None
    events: list[CallEventType] = Field(min_length=1, max_length=len(CallEventType))
    criteria: list[Criterion] = Field(default_factory=list, max_length=MAX_CRITERIA)
    profile: Profile

    @field_validator("events")
    @classmethod
    def _unique(cls, value: list[CallEventType]) -> list[CallEventType]:
        return list(dict.fromkeys(value))


class NewSubscription(SubscriptionBody):
    subscription_id: str = Field(
        pattern=URL_SAFE_ID, description="Immutable; URL-safe characters only."
    )
