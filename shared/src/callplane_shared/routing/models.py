"""Call-routing routes in Infobip's RouteRequest/RouteResponse shape.

Shared because action-config stores and validates routes, `voice.routes` carries them, and
call-dispatch matches inbound calls against them. Extras beyond Infobip (`accountId`, `version`,
`timeZone`) are added fields, never changed ones.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated, Any, Literal

from pydantic import AliasChoices, Field, field_validator, model_validator

from callplane_shared.routing.extras import (
    CustomDataEntry,
    Recording,
    RingbackGeneration,
    SipHeader,
)
from callplane_shared.wire import WireModel

MAX_DESTINATIONS = 10
MAX_CRITERIA = 100
MAX_ENTRIES = 20
MAX_TEXT = 255


class RouteStatus(StrEnum):
    ENABLED = "ENABLED"
    DISABLED = "DISABLED"


class CriteriaType(StrEnum):
    PHONE = "PHONE"
    SIP = "SIP"
    WEBRTC = "WEBRTC"
    APPLICATION = "APPLICATION"
    WHATSAPP = "WHATSAPP"


# --- criteria: a route matches when ANY of its criteria matches ----------------------------------


class PhoneCriteria(WireModel):
    type: Literal[CriteriaType.PHONE] = CriteriaType.PHONE
    from_: str | None = Field(
        default=None,
        max_length=MAX_TEXT,
        validation_alias=AliasChoices("from", "phoneNumber", "from_"),
        serialization_alias="from",
        description="Caller as a number or a regex (full match), e.g. `4179(.+)`.",
    )


class SipCriteria(WireModel):
    type: Literal[CriteriaType.SIP] = CriteriaType.SIP
    username: str | None = Field(
        default=None, max_length=MAX_TEXT, description="SIP user, number or regex."
    )
    host: str | None = Field(
        default=None, max_length=MAX_TEXT, description="SIP host, exact match (beyond Infobip)."
    )
    sip_trunk_id: str | None = Field(default=None, max_length=MAX_TEXT)
    headers: list[SipHeader] | None = Field(
        default=None,
        max_length=MAX_ENTRIES,
        description="Every header must be present with a value matching (name case-insensitive).",
    )


class WebRtcCriteria(WireModel):
    type: Literal[CriteriaType.WEBRTC] = CriteriaType.WEBRTC
    identity: str | None = Field(
        default=None, max_length=MAX_TEXT, description="WebRTC identity or regex."
    )
    custom_data: list[CustomDataEntry] | None = Field(
        default=None, max_length=MAX_ENTRIES, description="Every pair must match."
    )


class ApplicationCriteria(WireModel):
    type: Literal[CriteriaType.APPLICATION] = CriteriaType.APPLICATION
    calls_configuration_id: str | None = Field(
        default=None,
        max_length=128,
        # Routes stored before the rename carry `applicationId`.
        validation_alias=AliasChoices("callsConfigurationId", "applicationId"),
        serialization_alias="callsConfigurationId",
    )


class WhatsAppCriteria(WireModel):
    type: Literal[CriteriaType.WHATSAPP] = CriteriaType.WHATSAPP
    from_: str | None = Field(
        default=None,
        max_length=MAX_TEXT,
        validation_alias=AliasChoices("from", "phoneNumber", "from_"),
        serialization_alias="from",
    )


Criteria = Annotated[
    PhoneCriteria | SipCriteria | WebRtcCriteria | ApplicationCriteria | WhatsAppCriteria,
    Field(discriminator="type"),
]


class SearchCriteria(WireModel):
    """One criterion: the called number (`to`) and/or the calling endpoint (`value`)."""

    to: str | None = Field(
        default=None,
        max_length=MAX_TEXT,
        description="Called number as a number or a regex (full match).",
    )
    value: Criteria | None = None


# --- destinations, tried in failover order --------------------------------------------------------


class Weekday(StrEnum):
    MONDAY = "MONDAY"
    TUESDAY = "TUESDAY"
    WEDNESDAY = "WEDNESDAY"
    THURSDAY = "THURSDAY"
    FRIDAY = "FRIDAY"
    SATURDAY = "SATURDAY"
    SUNDAY = "SUNDAY"


WEEKDAYS: tuple[Weekday, ...] = tuple(Weekday)


class TimeOfDay(WireModel):
    hour: int = Field(ge=0, le=23)
    minute: int = Field(default=0, ge=0, le=59)

    @property
    def minutes(self) -> int:
        return self.hour * 60 + self.minute


class TimeWindow(WireModel):
    """`days` are the days the window STARTS on; a window whose `to` is not after `from` runs
    across midnight into the next day."""

    days: list[Weekday] = Field(min_length=1, max_length=7)
    from_: TimeOfDay = Field(
        validation_alias=AliasChoices("from", "from_"), serialization_alias="from"
    )
    to: TimeOfDay


class DestinationType(StrEnum):
    ENDPOINT = "ENDPOINT"
    URL = "URL"
    APPLICATION = "APPLICATION"


class PhoneEndpoint(WireModel):
    type: Literal["PHONE"] = "PHONE"
    phone_number: str = Field(min_length=1, max_length=32)
    from_: str | None = Field(
        default=None,
        max_length=32,
        validation_alias=AliasChoices("from", "from_"),
        serialization_alias="from",
        description="Caller id shown to the destination.",
    )
    ringback_generation: RingbackGeneration | None = None


class SipEndpoint(WireModel):
    type: Literal["SIP"] = "SIP"
    username: str | None = Field(default=None, max_length=MAX_TEXT)
    host: str | None = Field(default=None, max_length=MAX_TEXT, description="Beyond Infobip.")
    port: int | None = Field(default=None, ge=1, le=65535, description="Beyond Infobip.")
    sip_trunk_id: str | None = Field(default=None, max_length=MAX_TEXT)
    from_: str | None = Field(
        default=None,
        max_length=MAX_TEXT,
        validation_alias=AliasChoices("from", "from_"),
        serialization_alias="from",
    )
    custom_headers: dict[str, str] | None = Field(
        default=None, max_length=MAX_ENTRIES, description="Headers added to the SIP INVITE."
    )


class WebRtcEndpoint(WireModel):
    type: Literal["WEBRTC"] = "WEBRTC"
    identity: str = Field(min_length=1, max_length=MAX_TEXT)


class WhatsAppEndpoint(WireModel):
    type: Literal["WHATSAPP"] = "WHATSAPP"
    phone_number: str = Field(min_length=1, max_length=32)


Endpoint = Annotated[
    PhoneEndpoint | SipEndpoint | WebRtcEndpoint | WhatsAppEndpoint,
    Field(discriminator="type"),
]


URL_PATTERN = r"^https?://"


class UrlValue(WireModel):
    url: str = Field(pattern=URL_PATTERN, max_length=2048)


class ApplicationValue(WireModel):
    type: Literal["CALLS_APPLICATION", "INFOBIP_APPLICATION"] = "CALLS_APPLICATION"
    application_id: str = Field(min_length=1, max_length=MAX_TEXT)
    custom_data: dict[str, str] | None = Field(default=None, max_length=MAX_ENTRIES)
    timeout: int | None = Field(default=None, ge=1, le=600, description="Seconds.")


class _DestinationBase(WireModel):
    priority: int | None = Field(default=None, ge=1, le=100, description="1 is tried first.")
    weight: int | None = Field(default=None, ge=1, le=100, description="Share within one priority.")
    allowed_time_windows: list[TimeWindow] | None = Field(
        default=None,
        max_length=MAX_ENTRIES,
        description="When this destination may be used; none means always.",
    )
    connect_timeout: int | None = Field(default=None, ge=1, le=600, description="Seconds.")


class EndpointDestination(_DestinationBase):
    type: Literal[DestinationType.ENDPOINT] = DestinationType.ENDPOINT
    value: Endpoint
    recording: Recording | None = None


class UrlDestination(_DestinationBase):
    """Infobip's shape: `url` beside `type`. The edge still reads `value.url` in a decision."""

    type: Literal[DestinationType.URL] = DestinationType.URL
    url: str = Field(pattern=URL_PATTERN, max_length=2048)
    security_config: dict[str, Any] | None = Field(
        default=None,
        description="Not supported: a route carrying one is refused (callplane does not hold "
        "secrets for the edge's URL requests).",
    )

    @field_validator("security_config")
    @classmethod
    def _no_secrets(cls, value: dict[str, Any] | None) -> dict[str, Any] | None:
        if value is not None:
            raise ValueError("securityConfig is not supported; leave it out")
        return value

    @model_validator(mode="before")
    @classmethod
    def _lift_value(cls, data: Any) -> Any:
        # Routes stored before the SDK's shape was adopted carry `value.url`.
        if isinstance(data, dict) and "url" not in data and isinstance(data.get("value"), dict):
            return {**data, "url": data["value"].get("url")}
        return data

    @property
    def value(self) -> UrlValue:
        return UrlValue(url=self.url)


class ApplicationDestination(_DestinationBase):
    type: Literal[DestinationType.APPLICATION] = DestinationType.APPLICATION
    value: ApplicationValue


Destination = Annotated[
    EndpointDestination | UrlDestination | ApplicationDestination,
    Field(discriminator="type"),
]


# --- the route ------------------------------------------------------------------------------------


class RouteRequest(WireModel):
    """What a customer sends to create or replace a route (Infobip's RouteRequest + timeZone)."""

    name: str = Field(min_length=1, max_length=255)
    criteria: list[SearchCriteria] = Field(
        default_factory=list,
        max_length=MAX_CRITERIA,
        description=(
            "Any-match; an empty list matches every call. At most the account's "
            "criteriaPerRoute quota."
        ),
    )
    destinations: list[Destination] = Field(min_length=1, max_length=MAX_DESTINATIONS)
    transfer_only: bool = False
    time_zone: str = Field(
        default="UTC",
        max_length=64,
        description="IANA zone in which `allowedTimeWindows` are read (beyond Infobip).",
        examples=["Europe/Zurich"],
    )

    @field_validator("time_zone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError(f"unknown time zone {value!r}: use an IANA name") from exc
        return value


class Route(RouteRequest):
    """A stored route: Infobip's RouteResponse plus the owning account and a version."""

    id: str
    status: RouteStatus = RouteStatus.ENABLED
    order: int = Field(ge=1, description="Lower is tried first.")
    account_id: str
    version: int = Field(ge=1, description="Bumped by every change.")

    @model_validator(mode="after")
    def _named(self) -> Route:
        if not self.id:
            raise ValueError("route id must not be empty")
        return self
