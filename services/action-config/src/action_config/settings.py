"""Settings of action-config; every field can be set by the environment variable of its name."""

from pydantic import Field

from callplane_shared.settings import ServiceSettings


class Settings(ServiceSettings):
    http_port: int = Field(default=8102, ge=1, le=65535, description="Port of the HTTP API.")
    lease_catch_up_seconds: float = Field(
        default=2.0,
        ge=0,
        le=30,
        description="How long a voice request for an unknown number waits for numbers.lifecycle "
        "to be handled up to its end before answering 404 (read-your-writes after a lease).",
    )
