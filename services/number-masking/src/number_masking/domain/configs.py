"""A masking configuration as the customer writes it, and the rules it must follow."""

from __future__ import annotations

from datetime import datetime

from pydantic import Field, field_validator, model_validator

from callplane_shared.webhooks.urls import check_notify_url
from callplane_shared.wire import WireModel

MIN_TIMEOUT_MS = 200
MAX_TIMEOUT_MS = 10_000
MAX_URL_LENGTH = 2048


def check_url(value: str) -> str:
    """Infobip's longer bound for masking URLs, then the one shared webhook URL check."""
    if len(value) > MAX_URL_LENGTH:
        raise ValueError(f"must be at most {MAX_URL_LENGTH} characters")
    return check_notify_url(value)


class ConfigBody(WireModel):
    """POST/PUT body of `/voice/masking/2/config` (Infobip's fields plus optional timeouts)."""

    name: str = Field(
        min_length=1,
        max_length=100,
        pattern=r"^[a-zA-Z0-9 ]+$",
        description="Unique per account; letters, digits and spaces.",
    )
    callback_url: str = Field(description="Asked on every call where to send it.")
    status_url: str | None = Field(default=None, description="Receives the call report.")
    backup_callback_url: str | None = Field(
        default=None, description="Asked when callbackUrl fails or is too slow."
    )
    backup_status_url: str | None = Field(default=None, description="Used when statusUrl fails.")
    description: str | None = Field(default=None, max_length=500)
    connect_timeout_ms: int | None = Field(
        default=None,
        ge=MIN_TIMEOUT_MS,
        le=MAX_TIMEOUT_MS,
        description="Connect timeout of one callback attempt (default 1000).",
    )
    total_timeout_ms: int | None = Field(
        default=None,
        ge=MIN_TIMEOUT_MS,
        le=MAX_TIMEOUT_MS,
        description="Budget for the whole decision, primary and backup together (default 3000).",
    )

    @field_validator("callback_url", "status_url", "backup_callback_url", "backup_status_url")
    @classmethod
    def _http_url(cls, value: str | None) -> str | None:
        return None if value is None else check_url(value)

    @model_validator(mode="after")
    def _connect_within_total(self) -> ConfigBody:
        if (
            self.connect_timeout_ms is not None
            and self.total_timeout_ms is not None
            and self.connect_timeout_ms > self.total_timeout_ms
        ):
            raise ValueError("connectTimeoutMs must not exceed totalTimeoutMs")
        return self


class MaskingConfig(ConfigBody):
    """A stored configuration, as GET returns it."""

    key: str
    insert_date_time: datetime
    update_date_time: datetime


class CredentialsBody(WireModel):
    api_id: str = Field(min_length=1, max_length=100, pattern=r"^[a-zA-Z0-9-]+$")
    key: str = Field(min_length=8, max_length=256, pattern=r"^[a-zA-Z0-9-]+$")


class CredentialsView(WireModel):
    """What the API shows of credentials: never the key."""

    api_id: str
