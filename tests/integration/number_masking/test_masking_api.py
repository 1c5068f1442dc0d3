"""Configuration and credentials API through nginx, against the running service."""

from __future__ import annotations

import json

import pytest

from callplane_shared.events import MaskingConfigUpserted
from tests.integration.number_masking.conftest import API, MakeTenant, TopicTail
from tests.support import unique

pytestmark = pytest.mark.integration


def _config(name: str, **extra: object) -> dict[str, object]:
    return {"name": name, "callbackUrl": "https://example.com/cb", **extra}


async def test_config_lifecycle_publishes_events_without_urls(
    make_tenant: MakeTenant, config_events: TopicTail
) -> None:
    tenant = await make_tenant()
    name = unique("cfg").replace("-", " ")
    created = await tenant.client.post(
        f"{API}/config",
        json=_config(name, statusUrl="https://example.com/st", totalTimeoutMs=2000),
    )
    assert created.status_code == 200, created.text
    body = created.json()
    key = body["key"]
    assert body["name"] == name
    assert body["statusUrl"] == "https://example.com/st"
    assert body["totalTimeoutMs"] == 2000
    assert body["insertDateTime"]
    assert body["updateDateTime"]

    [raw] = await config_events.wait(key)
    assert raw is not None
    event = MaskingConfigUpserted.model_validate_json(raw)
    assert (event.account_id, event.name) == (tenant.account_id, name)
    assert "example.com" not in raw.decode()

    updated = await tenant.client.put(
        f"{API}/config/{key}", json=_config(name, description="second")
    )
    assert updated.status_code == 200, updated.text
    assert updated.json()["description"] == "second"
    assert updated.json()["insertDateTime"] == body["insertDateTime"]

    listed = await tenant.client.get(f"{API}/config")
    assert [c["key"] for c in listed.json()] == [key]

    deleted = await tenant.client.delete(f"{API}/config/{key}")
    assert deleted.status_code == 200
    values = await config_events.wait(key, count=3)
    assert values[-1] is None  # tombstone for action-config's view
    assert (await tenant.client.get(f"{API}/config/{key}")).status_code == 404


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"name": "bad-name!", "callbackUrl": "https://example.com"}, "name"),
        ({"name": "ok"}, "callbackUrl"),
        ({"name": "ok", "callbackUrl": "ftp://example.com/x"}, "callbackUrl"),
        (
            {"name": "ok", "callbackUrl": "https://e.com", "statusUrl": "file:///etc/passwd"},
            "statusUrl",
        ),
        ({"name": "ok", "callbackUrl": "https://e.com", "totalTimeoutMs": 60000}, "totalTimeoutMs"),
        (
            {"name": "ok", "callbackUrl": "https://e.com", "connectTimeoutMs": 50},
            "connectTimeoutMs",
        ),
    ],
)
async def test_invalid_config_is_a_400_naming_the_field(
    make_tenant: MakeTenant, body: dict[str, object], field: str
) -> None:
    tenant = await make_tenant()
    response = await tenant.client.post(f"{API}/config", json=body)
    assert response.status_code == 400
    errors = response.json()["requestError"]["serviceException"]["validationErrors"]
    assert field in errors


async def test_config_name_is_unique_per_account_only(make_tenant: MakeTenant) -> None:
    first, second = await make_tenant(), await make_tenant()
    name = unique("dup").replace("-", " ")
    assert (await first.client.post(f"{API}/config", json=_config(name))).status_code == 200
    again = await first.client.post(f"{API}/config", json=_config(name))
    assert again.status_code == 409
    assert (await second.client.post(f"{API}/config", json=_config(name))).status_code == 200


async def test_configs_are_invisible_to_other_accounts(make_tenant: MakeTenant) -> None:
    owner, stranger = await make_tenant(), await make_tenant()
    key = (await owner.client.post(f"{API}/config", json=_config("mine"))).json()["key"]
    assert (await stranger.client.get(f"{API}/config/{key}")).status_code == 404
    assert (await stranger.client.put(f"{API}/config/{key}", json=_config("x"))).status_code == 404
    assert (await stranger.client.delete(f"{API}/config/{key}")).status_code == 404
    assert (await stranger.client.get(f"{API}/config")).json() == []
    assert (await owner.client.get(f"{API}/config/{key}")).status_code == 200


async def test_credentials_are_write_only_and_per_account(make_tenant: MakeTenant) -> None:
    owner, stranger = await make_tenant(), await make_tenant()
    secret = "s3cret-" + unique("k")
    created = await owner.client.post(f"{API}/credentials", json={"apiId": "app-1", "key": secret})
    assert created.status_code == 200, created.text
    assert created.json() == {"apiId": "app-1"}
    again = await owner.client.post(f"{API}/credentials", json={"apiId": "x", "key": secret})
    assert again.status_code == 409
    shown = await owner.client.get(f"{API}/credentials")
    assert shown.json() == {"apiId": "app-1"}
    assert secret not in shown.text
    assert (await stranger.client.get(f"{API}/credentials")).status_code == 404

    replaced = await owner.client.put(f"{API}/credentials", json={"apiId": "app-2", "key": secret})
    assert replaced.json() == {"apiId": "app-2"}
    assert (await owner.client.delete(f"{API}/credentials")).status_code == 204
    assert (await owner.client.get(f"{API}/credentials")).status_code == 404
    assert (await owner.client.delete(f"{API}/credentials")).status_code == 404


async def test_requests_without_a_known_key_are_401(make_tenant: MakeTenant) -> None:
    tenant = await make_tenant()
    response = await tenant.client.get(f"{API}/config", headers={"Authorization": "App nope"})
    assert response.status_code == 401
    assert json.loads(response.text)["requestError"]["serviceException"]["messageId"] == (
        "UNAUTHORIZED"
    )
