"""Settings of action-config; every field can be set by the environment variable of its name."""

from pydantic import Field

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
    lease_catch_up_seconds: float = Field(
        default=2.0,
        ge=0,
        le=30,
        description="How long a voice request for an unknown number waits for numbers.lifecycle "
        "to be handled up to its end before answering 404 (read-your-writes after a lease).",
    )
