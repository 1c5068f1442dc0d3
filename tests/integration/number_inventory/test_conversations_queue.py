"""The account's default Conversations queue over HTTP: set, shown (also in the operator's
account), refused in Infobip's envelope naming the field, and one account's setting is never
another's (invariants 5 and 6)."""

from __future__ import annotations

import pytest

from tests.integration.number_inventory.inventory import Inventory, service_exception
from tests.support import unique

pytestmark = pytest.mark.integration

PATH = "/account/1/conversations-queue"


async def test_the_default_queue_is_set_shown_and_removed(inventory: Inventory) -> None:
    tenant = await inventory.tenant(balance=5)
    other = await inventory.tenant(balance=5)
    unset = {"queueId": None, "effectiveQueueId": "default"}
    assert (await inventory.http.get(PATH, headers=tenant.headers)).json() == unset
    queue = unique("queue")
    put = await inventory.http.put(PATH, json={"queueId": queue}, headers=tenant.headers)
    assert put.status_code == 200, put.text
    shown = await inventory.http.get(PATH, headers=tenant.headers)
    assert shown.json() == {"queueId": queue, "effectiveQueueId": queue}
    operator = await inventory.http.get(
        f"/admin/1/accounts/{tenant.account_id}", headers=inventory.admin
    )
    assert operator.json()["conversationsQueueId"] == queue
    assert (await inventory.http.get(PATH, headers=other.headers)).json() == unset

    removed = await inventory.http.delete(PATH, headers=tenant.headers)
    assert removed.status_code == 204, removed.text
    assert (await inventory.http.get(PATH, headers=tenant.headers)).json() == unset
    again = await inventory.http.delete(PATH, headers=tenant.headers)
    assert again.status_code == 404
    assert "No default Conversations queue" in service_exception(again)["text"]


async def test_a_bad_queue_is_400_naming_the_field(inventory: Inventory) -> None:
    tenant = await inventory.tenant(balance=5)
    bad: list[object] = [{}, {"queueId": ""}, {"queueId": "no spaces/allowed"}]
    for body in [*bad, {"queueId": "q" * 129}, {"queueId": 7}, {"queueId": None}]:
        refused = await inventory.http.put(PATH, json=body, headers=tenant.headers)
        assert refused.status_code == 400, (body, refused.text)
        exception = service_exception(refused)
        assert exception["messageId"] == "BAD_REQUEST"
        assert "queueId" in exception["validationErrors"], (body, exception)
    shown = await inventory.http.get(PATH, headers=tenant.headers)
    assert shown.json()["queueId"] is None, "a refused request changes nothing"


async def test_without_a_key_it_is_401(inventory: Inventory) -> None:
    refused = await inventory.http.put(PATH, json={"queueId": "support"})
    assert refused.status_code == 401
    assert service_exception(refused)["messageId"] == "UNAUTHORIZED"
