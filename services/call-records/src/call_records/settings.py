"""Settings of call-records; every field can be set by the environment variable of its name."""

from pathlib import Path

from pydantic import Field, SecretStr

from call_records.subscriptions.settings import SubscriptionSettings
from callplane_shared.settings import ServiceSettings

DEFAULT_PRICE_LIST = Path(__file__).with_name("default_prices.toml")


class Settings(ServiceSettings, SubscriptionSettings):
    http_port: int = Field(default=8105, ge=1, le=65535, description="Port of the HTTP API.")
    records_operator_token: SecretStr = Field(
        min_length=32,
        description="Bearer token of the operator endpoints under /records/1/ (support staff).",
    )
    price_list_path: Path = Field(
        default=DEFAULT_PRICE_LIST,
        description="TOML price list loaded and validated at start; a bad file stops the start.",
    )
    records_retention_days: int = Field(
        default=90,
        ge=1,
        le=3650,
        description="Call records expire this many days after the call (TTL index).",
    )
    view_catch_up_seconds: float = Field(
        default=30.0, gt=0, description="How long start-up waits for the accounts view."
    )
