"""Settings of the sip-edge adapter; every field can be set by the environment variable of its
name (`SIP_GATEWAYS='{"+41": "sip:carrier.example.net:5060"}'`)."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, model_validator

from callplane_shared.settings import ServiceSettings
from callplane_shared.topics import CALLS_DECISIONS, CALLS_INBOUND, CALLS_STATUS


class Settings(ServiceSettings):
    http_port: int = Field(default=8110, ge=1, le=65535, description="Health and metrics.")
    sip_evapi_address: str = Field(
        default="127.0.0.1:5070",
        pattern=r"^[^:\s]+:\d{1,5}$",
        description="host:port of Kamailio's evapi listener (modparam evapi bind_addr).",
    )
    sip_gateways: dict[str, str] = Field(
        default_factory=dict,
        max_length=10_000,
        description="E.164 prefix → SIP URI of the carrier that reaches it; longest prefix wins, "
        '"" is the default gateway. The called number becomes the URI\'s user part.',
        examples=[{"+41": "sip:ch.carrier.example:5060", "": "sip:world.carrier.example"}],
    )
    sip_media_server_uri: str = Field(
        default="sip:media@127.0.0.1:5090",
        pattern=r"^sips?:",
        description="Where IVR, conversations and subscription calls are handed over.",
    )
    sip_ivr_script_base_url: str | None = Field(
        default=None,
        pattern=r"^https?://[^\s]+$",
        description=(
            "This adapter's base URL as the media server reaches it: IVR INVITEs then carry "
            "X-Callplane-Script-Url, where the media server fetches the decided script."
        ),
        examples=["http://sip-edge.sip.svc:8110"],
    )
    sip_max_ivr_scripts: int = Field(
        default=1000,
        ge=1,
        le=100_000,
        description="Scenario versions whose scripts are kept for the media server (LRU).",
    )
    sip_decision_timeout_seconds: float = Field(
        default=2.0,
        gt=0,
        le=30,
        description="How long an INVITE waits for callplane's decision before the default applies.",
    )
    sip_timeout_action: Literal["reject", "route"] = Field(
        default="reject",
        description="No decision in time: `reject` answers 503, `route` relays to the static URI.",
    )
    sip_timeout_route_uri: str | None = Field(
        default=None,
        pattern=r"^sips?:",
        description="The static destination when `sip_timeout_action` is `route`.",
    )
    sip_ring_timeout_ms: int = Field(
        default=30_000,
        ge=1000,
        description="How long one destination may ring before the next one is tried.",
    )
    sip_reply_timeout_ms: int = Field(
        default=4000,
        ge=100,
        description="How long one destination may stay silent (no provisional reply).",
    )
    sip_max_calls: int = Field(
        default=100_000,
        ge=1,
        description="Calls whose state is kept for CallStatus; the oldest are forgotten beyond.",
    )
    sip_max_pending_decisions: int = Field(
        default=5000,
        ge=1,
        description="INVITEs waiting for callplane at once; beyond this they get 503 at once.",
    )
    calls_inbound_topic: str = CALLS_INBOUND.name
    calls_decisions_topic: str = CALLS_DECISIONS.name
    calls_status_topic: str = CALLS_STATUS.name

    @model_validator(mode="after")
    def _static_route_needs_a_uri(self) -> Settings:
        if self.sip_timeout_action == "route" and not self.sip_timeout_route_uri:
            raise ValueError("SIP_TIMEOUT_ROUTE_URI is required when SIP_TIMEOUT_ACTION=route")
        return self
