"""NumberResponse.voiceSetup follows what action-config publishes on voice.actions."""

from __future__ import annotations

from typing import Any

import pytest

from tests.integration.number_inventory.inventory import Inventory
from tests.support import eventually

pytestmark = pytest.mark.integration


async def test_voice_setup_appears_changes_and_goes_with_the_lease(inventory: Inventory) -> None:
    tenant = await inventory.tenant(balance=20)
    _, (number,) = await inventory.fresh_numbers(["SMS|VOICE"])
    assert (await inventory.lease(tenant, number.number_key)).status_code == 200
    path = f"/numbers/1/numbers/{number.number_key}"
    voice_path = f"/numbers/2/numbers/{number.number_key}/voice"

    async def setup_is(expected: Any) -> bool:
        reply = await inventory.http.get(path, headers=tenant.headers)
        return reply.status_code == 200 and reply.json()["voiceSetup"] == expected

    # action-config learns of the lease from numbers.lifecycle; retry until it knows.
    async def created() -> bool:
        reply = await inventory.http.post(
            voice_path,
            json={
                "applicationId": "app-voice",
                "action": {"type": "FORWARD_TO_PSTN", "pstnNumber": "41793026731"},
            },
            headers=tenant.headers,
        )
        return reply.status_code in {200, 201}

    await eventually(created, timeout=20, what="action-config accepts the voice setup")
    forward = {
        "applicationId": "app-voice",
        "entityId": None,
        "action": {"type": "FORWARD_TO_PSTN", "pstnNumber": "+41793026731", "description": None},
    }
    await eventually(lambda: setup_is(forward), timeout=20, what="voiceSetup shows the forward")

    replaced = await inventory.http.put(
        voice_path,
        json={"action": {"type": "VOICE_FORWARD_TO_CONVERSATIONS"}},
        headers=tenant.headers,
    )
    assert replaced.status_code == 200, replaced.text
    conversations = {
        "applicationId": None,
        "entityId": None,
        # No queue named: the account's default Conversations queue.
        "action": {"type": "VOICE_FORWARD_TO_CONVERSATIONS", "description": None, "queueId": None},
    }
    await eventually(lambda: setup_is(conversations), timeout=20, what="voiceSetup changes")

    assert (await inventory.http.delete(path, headers=tenant.headers)).status_code == 204
    assert (await inventory.lease(tenant, number.number_key)).status_code == 200
    await eventually(lambda: setup_is(None), timeout=20, what="a new lease starts with No Action")
