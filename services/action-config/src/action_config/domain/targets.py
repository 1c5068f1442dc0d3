"""Calls configurations and IVR scenarios in Infobip's shapes."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from pydantic import AfterValidator, Field

from callplane_shared.bounded_json import MAX_DEPTH, check_bounded
from callplane_shared.wire import WireModel

CALLS_CONFIGURATION_ID = r"^[a-zA-Z0-9_-]{1,128}$"


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
    notify_url: str | None = Field(default=None, pattern=r"^https?://", max_length=2048)
    notify_content_type: str | None = Field(default=None, examples=["application/json"])
    record: bool | None = None


class Scenario(ScenarioRequest):
    id: str
    create_time: datetime
    update_time: datetime
    last_usage_date: str | None = None
