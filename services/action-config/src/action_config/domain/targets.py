"""Calls configurations and IVR scenarios in Infobip's shapes."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, Field, field_serializer

from callplane_shared.bounded_json import MAX_DEPTH, check_bounded
from callplane_shared.wire import WireModel

CALLS_CONFIGURATION_ID = r"^[a-zA-Z0-9_-]{1,128}$"
NotifyContentType = Literal["application/json", "application/x-www-form-urlencoded"]


class PageInfo(WireModel):
    page: int = Field(ge=0)
    size: int = Field(ge=1)
    total_pages: int = Field(ge=0)
    total_results: int = Field(ge=0)


def page_info(page: int, size: int, total: int) -> PageInfo:
    return PageInfo(page=page, size=size, total_pages=-(-total // size), total_results=total)


class CallsConfigurationCreate(WireModel):
    id: str | None = Field(
        default=None,
        pattern=CALLS_CONFIGURATION_ID,
        description="Your id; generated when absent.",
    )
    name: str = Field(min_length=1, max_length=128)


class CallsConfigurationUpdate(WireModel):
    name: str = Field(min_length=1, max_length=128)


class CallsConfiguration(WireModel):
    id: str
    name: str


class CallsConfigurationPage(WireModel):
    results: list[CallsConfiguration]
    paging: PageInfo


class ScenarioRequest(WireModel):
    name: str = Field(min_length=1, max_length=255)
    description: str | None = Field(default=None, max_length=1000)
    script: Annotated[list[Any], AfterValidator(check_bounded)] = Field(
        max_length=200,
        description=(
            "IVR steps, checked against the step types; free-form options nest at most "
            f"{MAX_DEPTH} levels."
        ),
    )
    notify_url: str | None = Field(
        default=None,
        pattern=r"^https?://",
        max_length=2048,
        description="Where the IVR run's events (DTMF collected, recording, finished) are POSTed.",
    )
    notify_content_type: NotifyContentType | None = Field(
        default=None,
        description="How those events are encoded; JSON when absent.",
        examples=["application/json"],
    )
    record: bool | None = None


class Scenario(ScenarioRequest):
    id: str
    create_time: datetime
    update_time: datetime
    last_usage_date: datetime | None = Field(
        default=None,
        description=(
            "When a call was last decided to this scenario (kept from the decisions, accurate "
            "to a minute); absent until then."
        ),
    )
    version: int = Field(
        default=1, ge=1, description="Bumped by every change; IVR decisions carry it."
    )

    @field_serializer("create_time", "update_time", "last_usage_date", when_used="json")
    def _infobip_time(self, value: datetime | None) -> str | None:
        return None if value is None else infobip_timestamp(value)


class ScenarioCreated(Scenario):
    notify_secret: str = Field(
        description=(
            "The secret IVR notifications are signed with (X-Callplane-Signature, and "
            "Authorization with the scenario id as apiId). Shown only in this answer."
        )
    )


def infobip_timestamp(value: datetime) -> str:
    """Infobip's `yyyy-MM-dd'T'HH:mm:ss.SSS+0000` (UTC, offset without a colon)."""
    utc = value.astimezone(UTC) if value.tzinfo else value.replace(tzinfo=UTC)
    return utc.strftime("%Y-%m-%dT%H:%M:%S.") + f"{utc.microsecond // 1000:03d}+0000"
