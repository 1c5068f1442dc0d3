from typing import Annotated

import pytest
from fastapi import Depends, FastAPI
from fastapi.testclient import TestClient

from callplane_shared.auth import AccountDirectory, generate_api_key, hash_api_key, require_account
from callplane_shared.events import AccountStatus, AccountUpserted
from callplane_shared.http_errors import install_error_handlers

pytestmark = pytest.mark.unit


def account(account_id: str, *keys: str, status: AccountStatus = AccountStatus.ACTIVE) -> bytes:
    event = AccountUpserted(
        account_id=account_id,
        name=account_id,
        currency="EUR",
        status=status,
        api_key_hashes=[hash_api_key(k) for k in keys],
    )
    return event.model_dump_json(by_alias=True).encode()


def test_keys_are_random_and_only_hashes_are_kept() -> None:
    key = generate_api_key()
    assert key != generate_api_key()
    assert len(key) >= 40
    assert hash_api_key(key) != key
    assert len(hash_api_key(key)) == 64


def test_directory_follows_rotation_and_tombstones() -> None:
    directory = AccountDirectory()
    directory.apply(b"acc-1", account("acc-1", "old-key"))
    assert directory.by_api_key("old-key") is not None

    directory.apply(b"acc-1", account("acc-1", "new-key"))
    assert directory.by_api_key("old-key") is None
    found = directory.by_api_key("new-key")
    assert found is not None
    assert found.account_id == "acc-1"

    directory.apply(b"acc-1", None)
    assert directory.by_api_key("new-key") is None
    assert len(directory) == 0


def make_client(directory: AccountDirectory) -> TestClient:
    # No postponed annotations in this module: FastAPI must see the dependency built here.
    app = FastAPI()
    install_error_handlers(app)

    @app.get("/me")
    async def me(caller: Annotated[AccountUpserted, Depends(require_account(directory))]) -> str:
        return caller.account_id

    return TestClient(app)


@pytest.mark.parametrize(
    ("header", "status"),
    [(None, 401), ("App wrong-key", 401), ("Bearer good-key", 401), ("App good-key", 200)],
)
def test_require_account(header: str | None, status: int) -> None:
    directory = AccountDirectory()
    directory.apply(b"acc-2", account("acc-2", "good-key"))
    headers = {"Authorization": header} if header else {}
    response = make_client(directory).get("/me", headers=headers)
    assert response.status_code == status
    if status == 401:
        assert response.json()["requestError"]["serviceException"]["messageId"] == "UNAUTHORIZED"
    else:
        assert response.json() == "acc-2"


def test_suspended_account_is_forbidden() -> None:
    directory = AccountDirectory()
    directory.apply(b"acc-3", account("acc-3", "k", status=AccountStatus.SUSPENDED))
    response = make_client(directory).get("/me", headers={"Authorization": "App k"})
    assert response.status_code == 403
