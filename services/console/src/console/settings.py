"""Settings of the console; every field can be set by the environment variable of its name."""

from pydantic import Field, SecretStr

from callplane_shared.sealing import SealingKey
from callplane_shared.settings import ServiceSettings


class Settings(ServiceSettings):
    http_port: int = Field(default=8106, ge=1, le=65535, description="Port of the HTTP server.")
    console_api_base_url: str = Field(
        default="http://127.0.0.1:8080",
        description="The public base URL (nginx / Ingress) the console calls with the user's key.",
    )
    console_api_host: str | None = Field(
        default=None,
        max_length=255,
        description=(
            "Host header of the calls to the public API, when the base URL is the Ingress "
            "controller's in-cluster Service rather than the public host name."
        ),
    )
    console_operator_api_base_url: str | None = Field(
        default=None,
        max_length=2048,
        description=(
            "Where the operators' calls (/admin/, /records/) go when they are not on the public "
            "base URL: the chart's internal Ingress controller. Default: the public base URL."
        ),
    )
    console_operator_api_host: str | None = Field(
        default=None,
        max_length=255,
        description="Host header of the operators' calls (the internal Ingress's host).",
    )
    console_jaeger_query_url: str = Field(
        default="http://127.0.0.1:16686",
        description="Jaeger's query API, for the operators' trace waterfall (/api/traces/{id}).",
    )
    console_session_idle_minutes: float = Field(
        default=30, gt=0, le=24 * 60, description="A session unused this long is signed out."
    )
    console_session_key: SealingKey = Field(
        description="Base64 of 32 random bytes: the AES-256-GCM key sessions are sealed into "
        "their cookie with. Required; the same on every replica; changing it signs everyone out.",
    )
    console_max_signed_out: int = Field(
        default=100_000,
        ge=1,
        le=1_000_000,
        description="Signed-out sessions this replica refuses until they would have expired.",
    )
    console_cookie_secure: bool = Field(
        default=True,
        description="Send the session cookie only over HTTPS (false only for local plain http).",
    )
    console_api_timeout_seconds: float = Field(
        default=10, gt=0, le=60, description="Bound on each call to the public API or to Jaeger."
    )
    low_balance_threshold: float = Field(
        default=5, ge=0, description="Below this balance the overview shows the low-balance state."
    )
    records_operator_token: SecretStr | None = Field(
        default=None,
        min_length=32,
        description=(
            "call-records' operator token: the console looks a call up under /records/1/ for a "
            "signed-in operator. Without it the operators' call page says it is not configured."
        ),
    )
