"""The public HTTP API: masking configurations and credentials, scoped to the caller's account."""

import logging
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Response, status

from callplane_shared.auth import AccountDirectory, require_account
from callplane_shared.events import AccountUpserted
from callplane_shared.http_errors import ApiError, conflict, not_found
from callplane_shared.openapi_docs import errors
from number_masking.domain.configs import (
    ConfigBody,
    CredentialsBody,
    CredentialsView,
    MaskingConfig,
)
from number_masking.store import Store

logger = logging.getLogger(__name__)
PREFIX = "/voice/masking/2"
ConfigKey = Annotated[str, Path(max_length=64)]


def _missing(key: str) -> ApiError:
    # Same answer for "never existed" and "belongs to another account": no key probing.
    return not_found(f"Masking configuration {key} not found.")


def _name_taken(name: str) -> ApiError:
    return ApiError(
        409,
        f"A masking configuration named {name!r} already exists; choose another name.",
        validation_errors={"name": ["must be unique within the account"]},
    )


def build_router(store: Store, directory: AccountDirectory) -> APIRouter:
    router = APIRouter(prefix=PREFIX, tags=["number masking"], responses=errors(404, 409))
    account = Annotated[AccountUpserted, Depends(require_account(directory))]
    _config_routes(router, store, account)
    _credentials_routes(router, store, account)
    return router


def _config_routes(router: APIRouter, store: Store, Account: Any) -> None:  # noqa: N803, C901

    @router.get("/config", response_model_by_alias=True, response_model_exclude_none=True)
    async def list_configs(account: Account) -> list[MaskingConfig]:
        return await store.list_configs(account.account_id)

    @router.post("/config", response_model_by_alias=True, response_model_exclude_none=True)
    async def create_config(body: ConfigBody, account: Account) -> MaskingConfig:
        if await store.name_taken(account.account_id, body.name, None):
            raise _name_taken(body.name)
        config = await store.insert_config(account.account_id, body)
        logger.info("account %s created masking config %s", account.account_id, config.key)
        return config

    @router.get("/config/{key}", response_model_by_alias=True, response_model_exclude_none=True)
    async def get_config(key: ConfigKey, account: Account) -> MaskingConfig:
        config = await store.get_config(account.account_id, key)
        if config is None:
            raise _missing(key)
        return config

    @router.put("/config/{key}", response_model_by_alias=True, response_model_exclude_none=True)
    async def replace_config(key: ConfigKey, body: ConfigBody, account: Account) -> MaskingConfig:
        if await store.name_taken(account.account_id, body.name, key):
            raise _name_taken(body.name)
        config = await store.replace_config(account.account_id, key, body)
        if config is None:
            raise _missing(key)
        return config

    @router.delete("/config/{key}", response_model_by_alias=True, response_model_exclude_none=True)
    async def delete_config(key: ConfigKey, account: Account) -> MaskingConfig:
        config = await store.delete_config(account.account_id, key)
        if config is None:
            raise _missing(key)
        return config


def _credentials_routes(router: APIRouter, store: Store, Account: Any) -> None:  # noqa: N803
    @router.post("/credentials", response_model_by_alias=True, response_model_exclude_none=True)
    async def create_credentials(body: CredentialsBody, account: Account) -> CredentialsView:
        if not await store.insert_credentials(account.account_id, body.api_id, body.key):
            raise conflict("Masking credentials already exist for this account; use PUT.")
        return CredentialsView(api_id=body.api_id)

    @router.get("/credentials", response_model_by_alias=True, response_model_exclude_none=True)
    async def get_credentials(account: Account) -> CredentialsView:
        api_id = await store.credentials_api_id(account.account_id)
        if api_id is None:
            raise not_found("No masking credentials set for this account.")
        return CredentialsView(api_id=api_id)

    @router.put("/credentials", response_model_by_alias=True, response_model_exclude_none=True)
    async def replace_credentials(body: CredentialsBody, account: Account) -> CredentialsView:
        await store.put_credentials(account.account_id, body.api_id, body.key)
        return CredentialsView(api_id=body.api_id)

    @router.delete("/credentials", status_code=status.HTTP_204_NO_CONTENT)
    async def delete_credentials(account: Account) -> Response:
        if not await store.delete_credentials(account.account_id):
            raise not_found("No masking credentials set for this account.")
        return Response(status_code=status.HTTP_204_NO_CONTENT)
