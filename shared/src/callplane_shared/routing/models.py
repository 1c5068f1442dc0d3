"""Call-routing routes in Infobip's RouteRequest/RouteResponse shape.

Shared because action-config stores and validates routes, `voice.routes` carries them, and
call-dispatch matches inbound calls against them. Extras beyond Infobip (`accountId`, `version`,
`timeZone`) are added fields, never changed ones.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated, Literal

from pydantic import AliasChoices, Field, field_validator, model_validator

from callplane_shared.wire import WireModel

MAX_DESTINATIONS = 10


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
        validation_alias=AliasChoices("from", "phoneNumber", "from_"),
        serialization_alias="from",
        description="Caller as a number or a regex (full match), e.g. `4179(.+)`.",
    )


class SipCriteria(WireModel):
    type: Literal[CriteriaType.SIP] = CriteriaType.SIP
    username: str | None = Field(default=None, description="SIP user, number or regex.")
    host: str | None = Field(default=None, description="SIP host, exact match.")
    sip_trunk_id: str | None = None


class WebRtcCriteria(WireModel):
    type: Literal[CriteriaType.WEBRTC] = CriteriaType.WEBRTC
    identity: str | None = Field(default=None, description="WebRTC identity or regex.")


class ApplicationCriteria(WireModel):
    type: Literal[CriteriaType.APPLICATION] = CriteriaType.APPLICATION
    application_id: str | None = None


class WhatsAppCriteria(WireModel):
    type: Literal[CriteriaType.WHATSAPP] = CriteriaType.WHATSAPP
    from_: str | None = Field(
        default=None,
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
        default=None, description="Called number as a number or a regex (full match)."
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
    phone_number: str


class SipEndpoint(WireModel):
    type: Literal["SIP"] = "SIP"
    username: str | None = None
    host: str | None = None
    port: int | None = Field(default=None, ge=1, le=65535)
    sip_trunk_id: str | None = None


class WebRtcEndpoint(WireModel):
    type: Literal["WEBRTC"] = "WEBRTC"
    identity: str


class WhatsAppEndpoint(WireModel):
    type: Literal["WHATSAPP"] = "WHATSAPP"
    phone_number: str


Endpoint = Annotated[
    PhoneEndpoint | SipEndpoint | WebRtcEndpoint | WhatsAppEndpoint,
    Field(discriminator="type"),
]


class UrlValue(WireModel):
    url: str = Field(pattern=r"^https?://", max_length=2048)


class ApplicationValue(WireModel):
    application_id: str = Field(min_length=1)


class _DestinationBase(WireModel):
    priority: int | None = Field(default=None, ge=1, le=100, description="1 is tried first.")
    weight: int | None = Field(
        default=None, ge=1, le=10_000, description="Share within one priority."
    )
    allowed_time_windows: list[TimeWindow] | None = Field(
        default=None,
        max_length=50,
        description="When this destination may be used; none means always.",
    )
    connect_timeout: int | None = Field(default=None, ge=1, le=600, description="Seconds.")


class EndpointDestination(_DestinationBase):
    type: Literal[DestinationType.ENDPOINT] = DestinationType.ENDPOINT
    value: Endpoint


class UrlDestination(_DestinationBase):
    type: Literal[DestinationType.URL] = DestinationType.URL
    value: UrlValue


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
        max_length=1000,
        description=(
            "Any-match; an empty list matches every call. At most the account's "
            "criteriaPerRoute quota."
        ),
    )
    destinations: list[Destination] = Field(min_length=1, max_length=MAX_DESTINATIONS)
    transfer_only: bool = False
    time_zone: str = Field(
        default="UTC",
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
