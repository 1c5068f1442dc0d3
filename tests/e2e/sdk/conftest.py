"""A fresh account with an API key, and Infobip's official SDK pointed at callplane with it."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass

import pytest
from infobip_api_client.api_client import ApiClient
from infobip_api_client.configuration import Configuration

from tests.e2e.journey import admin_client, new_customer
from tests.endpoints import Endpoints


@dataclass(frozen=True)
class SdkAccount:
    account_id: str
    api_key: str
    client: ApiClient


def sdk_client(base_url: str, api_key: str) -> ApiClient:
    # Exactly what Infobip's README tells a user to write, with our base URL.
    configuration = Configuration(
        host=base_url,
        api_key={"APIKeyHeader": api_key},
        api_key_prefix={"APIKeyHeader": "App"},
    )
    return ApiClient(configuration)


async def _account(base_url: str) -> tuple[str, str]:
    async with admin_client(base_url) as admin:
        customer = await new_customer(base_url, admin)
        key = customer.api.headers["Authorization"].removeprefix("App ")
        await customer.api.aclose()
        return customer.account_id, key


@pytest.fixture(scope="module")
async def sdk(endpoints: Endpoints) -> AsyncIterator[SdkAccount]:
    # A module-scoped account keeps each API's tests apart; the SDK itself is synchronous.
    account_id, key = await _account(endpoints.base_url)
    with sdk_client(endpoints.base_url, key) as client:
        yield SdkAccount(account_id, key, client)


@pytest.fixture(scope="module")
def stranger(endpoints: Endpoints) -> Iterator[ApiClient]:
    """The SDK with a key no account has."""
    with sdk_client(endpoints.base_url, "not-a-key-of-anyone") as client:
        yield client
