"""Decisions as callplane publishes them, for the adapter's unit tests."""

from __future__ import annotations

from datetime import UTC, datetime

from callplane_shared.events import CallDecision, Instruction
from callplane_sip_edge.gateways import GatewayTable
from callplane_sip_edge.plan import EdgeRoutes

MEDIA = "sip:media@127.0.0.1:5090"
ROUTES = EdgeRoutes(
    GatewayTable({"+4179": "sip:ch.carrier.test:5070", "": "sip:world.carrier.test"}), MEDIA
)


def decision(instruction: Instruction, call_id: str = "sip-1") -> CallDecision:
    now = datetime.now(UTC)
    return CallDecision(
        call_id=call_id,
        number="+4930123463",
        account_id="acc-1",
        instruction=instruction,
        received_at=now,
        decided_at=now,
        decided_by="call-dispatch",
    )
