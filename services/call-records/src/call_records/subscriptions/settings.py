"""Settings of subscriptions and call-event delivery (mixed into call-records' Settings); every
field can be set by the environment variable of its name."""

from __future__ import annotations

from pydantic import BaseModel, Field

from callplane_shared.sealing import SealingKey, key_bytes
from callplane_shared.webhooks.queue import QueuePolicy


class SubscriptionSettings(BaseModel):
    subscriptions_credentials_key: SealingKey = Field(
        description="Base64 of 32 random bytes: the AES-256-GCM key subscription secrets are "
        "stored under. Required; rotate by re-entering the subscriptions' credentials.",
    )
    subscriptions_allowed_hosts: str = Field(
        default="",
        description="Comma-separated hostnames, IPs or CIDRs call events may reach even though "
        "they are loopback/private/link-local (e.g. `127.0.0.1` in development).",
    )
    subscriptions_per_account: int = Field(
        default=100, ge=1, le=10_000, description="Subscriptions an account may have."
    )
    call_events_connect_timeout_ms: int = Field(default=1000, ge=100, le=10_000)
    call_events_timeout_ms: int = Field(
        default=5000, ge=200, le=30_000, description="Budget of one delivery attempt."
    )
    call_events_max_attempts: int = Field(default=10, ge=1, le=100)
    call_events_backoff_seconds: float = Field(
        default=1.0, gt=0, description="First retry delay; doubles per attempt, at most 300 s."
    )
    call_events_poll_seconds: float = Field(default=0.5, gt=0)
    call_events_concurrency: int = Field(
        default=32, ge=1, description="Call events delivered at once by one instance."
    )
    call_events_per_account_concurrency: int = Field(
        default=4, ge=1, description="Call events in flight per account (isolation)."
    )

    @property
    def subscriptions_key_bytes(self) -> bytes:
        return key_bytes(self.subscriptions_credentials_key)

    def delivery_policy(self) -> QueuePolicy:
        return QueuePolicy(
            connect_timeout=self.call_events_connect_timeout_ms / 1000,
            budget=self.call_events_timeout_ms / 1000,
            max_attempts=self.call_events_max_attempts,
            first_backoff=self.call_events_backoff_seconds,
            poll_seconds=self.call_events_poll_seconds,
            concurrency=self.call_events_concurrency,
            per_account=self.call_events_per_account_concurrency,
        )
