"""Settings of number-inventory; every field can be set by the environment variable of its name."""

from pydantic import Field

from callplane_shared.settings import ServiceSettings


class Settings(ServiceSettings):
    http_port: int = Field(default=8101, ge=1, le=65535, description="Port of the HTTP API.")
