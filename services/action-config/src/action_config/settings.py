"""Settings of action-config; every field can be set by the environment variable of its name."""

from pydantic import Field

from callplane_shared.sealing import SealingKey, key_bytes
from callplane_shared.settings import ServiceSettings


class Settings(ServiceSettings):
    http_port: int = Field(default=8102, ge=1, le=65535, description="Port of the HTTP API.")
    voice_history_retention_days: int = Field(
        default=365,
        ge=1,
        le=3650,
        description="How long each voice-action change stays in the history (pruned hourly).",
    )
    max_routes_per_account: int = Field(
        default=500, ge=0, le=100_000, description="Default `routes` quota."
    )
    max_criteria_per_route: int = Field(
        default=50, ge=1, le=1000, description="Default `criteriaPerRoute` quota."
    )
    max_scenarios_per_account: int = Field(
        default=200, ge=0, le=100_000, description="Default `scenarios` quota."
    )
    max_configs_per_account: int = Field(
        default=200, ge=0, le=100_000, description="Default `configs` quota (calls configurations)."
    )
    ivr_usage_throttle_seconds: float = Field(
        default=60.0,
        ge=0,
        le=3600,
        description="A scenario's lastUsageDate is written at most this often per replica.",
    )
    ivr_notify_allowed_hosts: str = Field(
        default="",
        description="Comma-separated hostnames, IPs or CIDRs that IVR notifications may reach "
        "even though they are loopback/private (e.g. `127.0.0.1` in development).",
    )
    ivr_notify_timeout_seconds: float = Field(
        default=5.0, gt=0, le=30, description="Budget of one IVR notification attempt."
    )
    ivr_notify_max_attempts: int = Field(
        default=8, ge=1, le=30, description="Attempts (backoff up to 10 min) before giving up."
    )
    ivr_notify_per_account_concurrency: int = Field(
        default=16, ge=1, le=1000, description="IVR notifications in flight per account."
    )
    lease_catch_up_seconds: float = Field(
        default=2.0,
        ge=0,
        le=30,
        description="How long a voice request for an unknown number waits for numbers.lifecycle "
        "to be handled up to its end before answering 404 (read-your-writes after a lease).",
    )
    ivr_credentials_key: SealingKey = Field(
        description="Base64 of 32 random bytes: the AES-256-GCM key IVR scenarios' "
        "`notifySecret` is stored under. Required.",
    )

    @property
    def ivr_key_bytes(self) -> bytes:
        return key_bytes(self.ivr_credentials_key)
