"""Settings of number-masking; every field can be set by the environment variable of its name."""

from __future__ import annotations

from pydantic import Field, model_validator

from callplane_shared.sealing import SealingKey, key_bytes
from callplane_shared.settings import ServiceSettings

# Bounds a configuration may choose within; the defaults below are what a config gets otherwise.
MIN_TIMEOUT_MS = 200
MAX_TIMEOUT_MS = 10_000


class Settings(ServiceSettings):
    http_port: int = Field(default=8104, ge=1, le=65535, description="Port of the HTTP API.")
    masking_credentials_key: SealingKey = Field(
        description="Base64 of 32 random bytes: the AES-256-GCM key masking credentials are "
        "stored under. Required; rotate by re-entering credentials.",
    )
    masking_allowed_hosts: str = Field(
        default="",
        description="Comma-separated hostnames, IPs or CIDRs that callbacks may reach even though "
        "they are loopback/private/link-local (e.g. `127.0.0.1` in development).",
    )
    masking_connect_timeout_ms: int = Field(
        default=1000, ge=MIN_TIMEOUT_MS, le=MAX_TIMEOUT_MS, description="Default connect timeout."
    )
    masking_total_timeout_ms: int = Field(
        default=3000,
        ge=MIN_TIMEOUT_MS,
        le=MAX_TIMEOUT_MS,
        description="Default budget for a whole decision: primary plus backup callback.",
    )
    masking_max_response_bytes: int = Field(default=64 * 1024, ge=1024)
    masking_per_host_concurrency: int = Field(
        default=32,
        ge=1,
        description="In-flight callbacks per resolved IP address of customers' servers (every "
        "hostname on it together); the next callback takes the backup path at once.",
    )
    masking_per_account_concurrency: int = Field(
        default=16,
        ge=1,
        description="In-flight masked calls per account, from the first store read to the "
        "published decision (callbacks included): the share one customer's hanging server can "
        "hold. Its next calls are decided by the fallback at once, without the store.",
    )
    masking_store_timeout_ms: int = Field(
        default=3000,
        ge=50,
        le=MAX_TIMEOUT_MS,
        description="Bound of each MongoDB read or write a masked call waits for; past it the "
        "call is decided by the number's fallback without the store.",
    )
    masking_lookup_cache_seconds: float = Field(
        default=2.0,
        ge=0,
        le=60,
        description="How long one instance reuses a masking config and an account's signing "
        "credentials it read for a call (0: read them for every call). A change made through "
        "this instance applies at once; through another replica, within this time.",
    )
    masking_max_in_flight: int = Field(
        default=256, ge=1, description="Masking requests decided concurrently by one instance."
    )
    masking_stale_after_seconds: float = Field(
        default=120,
        gt=0,
        description="A masking request older than this (after an outage) is decided without "
        "asking the customer: the caller is gone.",
    )
    masking_status_max_attempts: int = Field(default=8, ge=1)
    masking_status_backoff_seconds: float = Field(
        default=1.0, gt=0, description="First retry delay of a status report; doubles, max 60 s."
    )
    masking_status_poll_seconds: float = Field(default=0.5, gt=0)
    masking_status_charge_wait_seconds: float = Field(
        default=5.0,
        ge=0,
        le=300,
        description=(
            "How long an answered call's status report waits for its charge from call-records "
            "(pricePerSecond, currency, calculatedDuration) before it is sent without them."
        ),
    )
    masking_status_concurrency: int = Field(
        default=32, ge=1, description="Status reports delivered at once by one instance."
    )
    masking_status_per_account_concurrency: int = Field(
        default=4,
        ge=1,
        description="Status reports in flight per account: a slow statusUrl holds only these.",
    )

    @model_validator(mode="after")
    def _connect_within_total(self) -> Settings:
        if self.masking_connect_timeout_ms > self.masking_total_timeout_ms:
            raise ValueError("masking_connect_timeout_ms must not exceed masking_total_timeout_ms")
        return self

    @property
    def credentials_key_bytes(self) -> bytes:
        return key_bytes(self.masking_credentials_key)
