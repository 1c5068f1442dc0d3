"""The typed settings every service extends.

Values come from the environment (or a `.env` file); anything required and missing stops the
service at start-up with pydantic's message naming the variable. Telemetry is configured by the
standard `OTEL_*` variables, read by the OpenTelemetry SDK itself (see `telemetry`).
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

from callplane_shared.voice import CONVERSATIONS_QUEUE_ID, DEFAULT_CONVERSATIONS_QUEUE


class ServiceSettings(BaseSettings):
    """Infrastructure endpoints and the HTTP listener shared by all services."""

    model_config = SettingsConfigDict(env_file=".env", extra="ignore", frozen=True)

    kafka_bootstrap_servers: str = Field(
        default="127.0.0.1:9092",
        description="Comma-separated Kafka bootstrap servers.",
    )
    kafka_security_protocol: Literal["PLAINTEXT", "SSL", "SASL_PLAINTEXT", "SASL_SSL"] = Field(
        default="PLAINTEXT", description="How clients talk to the brokers."
    )
    kafka_sasl_mechanism: Literal["PLAIN", "SCRAM-SHA-256", "SCRAM-SHA-512"] | None = Field(
        default=None, description="SASL mechanism when the protocol is SASL_*."
    )
    kafka_sasl_username: str | None = Field(default=None, description="SASL user.")
    kafka_sasl_password: SecretStr | None = Field(default=None, description="SASL password.")
    kafka_ssl_ca_file: str | None = Field(
        default=None, description="PEM file of the CA that signed the brokers' certificates."
    )
    mongodb_uri: str = Field(
        default="mongodb://127.0.0.1:27017/",
        description="MongoDB connection string (FerretDB locally, MongoDB in production).",
    )
    mongodb_database: str = Field(
        default="callplane",
        description="Database holding this service's collections.",
    )
    http_host: str = Field(default="127.0.0.1", description="Interface the HTTP API binds to.")
    http_port: int = Field(default=8000, ge=1, le=65535, description="Port of the HTTP API.")
    shutdown_grace_seconds: float = Field(
        default=15.0,
        gt=0,
        description="How long SIGTERM waits for in-flight messages before the process exits.",
    )
    log_level: str = Field(
        default="INFO",
        pattern="^(DEBUG|INFO|WARNING|ERROR)$",
        description="Level of the JSON log lines written to stdout.",
    )
    consumer_group: str | None = Field(
        default=None,
        min_length=1,
        description=(
            "Consumer group of this service's own Kafka consumers (default: the service's name). "
            "An independent second copy (a test, a benchmark) sets its own, so it never takes "
            "partitions from the copy that serves calls."
        ),
    )
    supervision_fault_injection: bool = Field(
        default=False,
        description=(
            "Test-only: adds POST /_supervision/tasks/{name}/kill, which crashes a supervised "
            "task so a test can see /livez fail. Never set outside a test's own instance."
        ),
    )
    mongodb_timeout_seconds: float = Field(
        default=3.0,
        gt=0,
        le=60,
        description=(
            "Bound on finding a MongoDB server and on each operation; past it a request answers "
            "503 with Retry-After instead of hanging."
        ),
    )
    max_body_bytes: int = Field(
        default=64 * 1024,
        ge=1024,
        le=64 * 1024 * 1024,
        description=(
            "Largest request body the API reads (413 above it); routes with a larger limit "
            "declare it themselves, matching deploy/routes.yaml."
        ),
    )
    rate_limit_per_second: float = Field(
        default=50.0,
        gt=0,
        le=100_000,
        description="Requests per second per API key and replica (token-bucket refill).",
    )
    rate_limit_burst: int = Field(
        default=100, ge=1, le=100_000, description="Token-bucket size per API key and replica."
    )
    readiness_timeout_seconds: float = Field(
        default=2.0,
        gt=0,
        description="Per-dependency deadline of a /readyz check.",
    )

    def group(self, service: str) -> str:
        """The consumer group of `service`'s own consumers."""
        return self.consumer_group or service


class ConversationsQueueSetting(BaseSettings):
    """Mixed into the settings of every service that names a number's Conversations target
    (call-dispatch in decisions, number-inventory in caller-ID answers and events), so one
    environment variable sets it for all of them."""

    model_config = SettingsConfigDict(env_file=".env", extra="ignore", frozen=True)

    conversations_default_queue: str = Field(
        default=DEFAULT_CONVERSATIONS_QUEUE,
        pattern=CONVERSATIONS_QUEUE_ID,
        description=(
            "The Conversations queue (entry point) of a number whose "
            "VOICE_FORWARD_TO_CONVERSATIONS action names none: the account's default queue in "
            "the deployment's Conversations."
        ),
    )
