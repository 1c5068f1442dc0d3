"""Setting a number's voice action through the public API and waiting until call-dispatch
decides with it (it learns actions from `voice.actions`, a moment after the API answered)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from callplane_client.publisher import CallPublisher
from callplane_shared.events import InboundCall
from tests.e2e.journey import Customer
from tests.support import eventually, unique


async def set_action(  # a fresh number: POST creates its one action
    customer: Customer, number_key: str, action: dict[str, Any]
) -> None:
    async def accepted() -> bool:
        reply = await customer.api.post(
            f"/numbers/2/numbers/{number_key}/voice", json={"action": action}
        )
        return reply.status_code in {200, 201}

    # action-config learns the number (and targets) from events; it may take a moment.
    await eventually(accepted, timeout=20, what=f"{action['type']} accepted")


async def until_decided_as(kafka: str, number: str, kind: str) -> None:
    """Probe with synthetic calls until call-dispatch's view has the new action."""
    async with CallPublisher(kafka) as edge:

        async def decided() -> bool:
            call = InboundCall(
                call_id=unique("sip-probe"),
                from_="+41791234567",
                to=number,
                received_at=datetime.now(UTC),
            )
            decision = await edge.decide(call, timeout=10)
            return decision.instruction.kind == kind

        await eventually(decided, timeout=30, interval=0.3, what=f"{number} decided as {kind}")


async def create(customer: Customer, path: str, body: dict[str, Any], key: str) -> str:
    async def created() -> str | None:
        reply = await customer.api.post(path, json=body)
        return str(reply.json()[key]) if reply.status_code in {200, 201} else None

    return await eventually(created, timeout=20, what=f"POST {path}")
