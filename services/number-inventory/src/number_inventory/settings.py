"""Settings of number-inventory; every field can be set by the environment variable of its name."""

from decimal import Decimal

from pydantic import Field, SecretStr

from callplane_shared.sealing import SealingKey, key_bytes
from callplane_shared.settings import ConversationsQueueSetting, ServiceSettings


class Settings(ServiceSettings, ConversationsQueueSetting):
    http_port: int = Field(default=8101, ge=1, le=65535, description="Port of the HTTP API.")
    admin_token: SecretStr = Field(
        description=(
            "Token operators send as `Authorization: Admin <token>` to the /admin/1/ endpoints. "
            "Required: the service refuses to start without it."
        ),
        min_length=32,
    )
    low_balance_threshold: Decimal = Field(
        default=Decimal(5),
        ge=0,
        decimal_places=2,
        description=(
            "A debit that takes a balance below this amount (currency units) publishes "
            "BalanceLow on accounts.balance, once per crossing."
        ),
    )
    max_numbers_per_account: int = Field(
        default=1000,
        ge=0,
        le=1_000_000,
        description=(
            "Default `numbers` quota: leased numbers per account (an account's own limit, set "
            "with PUT /admin/1/accounts/{accountId}/limits, overrides it)."
        ),
    )
    view_catch_up_seconds: float = Field(
        default=30.0,
        gt=0,
        description="How long start-up waits for the accounts and voice.actions views.",
    )
    rental_grace_seconds: float = Field(
        default=7 * 86_400,
        ge=0,
        le=366 * 86_400,
        description=(
            "How long a number whose monthly rental could not be paid stays OVERDUE (and keeps "
            "working) before it is released, counted from the unpaid period's start."
        ),
    )
    rental_period_seconds: float | None = Field(
        default=None,
        gt=0,
        description=(
            "Length of a rental period; unset (the default) means calendar months anchored at "
            "the lease date. A few seconds lets tests and demos watch rentals happen."
        ),
    )
    rental_interval_seconds: float = Field(
        default=60.0,
        gt=0,
        le=86_400,
        description="How often the rental pass looks for numbers whose period has started.",
    )
    notifications_credentials_key: SealingKey = Field(
        description="Base64 of 32 random bytes: the AES-256-GCM key accounts' notification "
        "signing secrets are stored under. Required.",
    )
    notifications_allowed_hosts: str = Field(
        default="",
        description="Comma-separated hostnames, IPs or CIDRs balance notifications may reach "
        "even though they are loopback/private (e.g. `127.0.0.1` in development).",
    )

    @property
    def notifications_key_bytes(self) -> bytes:
        return key_bytes(self.notifications_credentials_key)
