"""Calls configurations (`/calls/1/configurations`), scoped to the account."""

from __future__ import annotations

import uuid

from pymongo.errors import DuplicateKeyError

from action_config.domain.refusals import Refusal, missing
from action_config.domain.targets import (
    CallsConfiguration,
    CallsConfigurationCreate,
    CallsConfigurationPage,
    page_info,
)
from action_config.domain.voice_setup import TargetKind
from action_config.store import Collections
from action_config.target_lookup import Targets, calls_configuration_id


class CallsConfigurations:
    def __init__(self, collections: Collections, targets: Targets) -> None:
        self._col = collections.calls_configurations
        self._targets = targets

    async def create(
        self, account_id: str, request: CallsConfigurationCreate
    ) -> CallsConfiguration:
        config = CallsConfiguration(id=request.id or uuid.uuid4().hex, name=request.name)
        try:
            await self._col.insert_one(
                {
                    "_id": calls_configuration_id(account_id, config.id),
                    "accountId": account_id,
                    "id": config.id,
                    "name": config.name,
                }
            )
        except DuplicateKeyError as exc:
            raise Refusal(409, f"calls configuration {config.id!r} already exists", "id") from exc
        return config

    async def get(self, account_id: str, config_id: str) -> CallsConfiguration:
        doc = await self._col.find_one({"_id": calls_configuration_id(account_id, config_id)})
        if doc is None:
            raise missing(f"calls configuration {config_id} does not exist in your account")
        return CallsConfiguration(id=doc["id"], name=doc["name"])

    async def page(self, account_id: str, page: int, size: int) -> CallsConfigurationPage:
        total = await self._col.count_documents({"accountId": account_id})
        cursor = self._col.find({"accountId": account_id}).sort("id", 1).skip(page * size)
        docs = await cursor.limit(size).to_list()
        return CallsConfigurationPage(
            results=[CallsConfiguration(id=d["id"], name=d["name"]) for d in docs],
            paging=page_info(page, size, total),
        )

    async def rename(self, account_id: str, config_id: str, name: str) -> CallsConfiguration:
        result = await self._col.update_one(
            {"_id": calls_configuration_id(account_id, config_id)}, {"$set": {"name": name}}
        )
        if result.matched_count == 0:
            raise missing(f"calls configuration {config_id} does not exist in your account")
        return CallsConfiguration(id=config_id, name=name)

    async def delete(self, account_id: str, config_id: str) -> CallsConfiguration:
        config = await self.get(account_id, config_id)
        await self._targets.refuse_if_used(account_id, TargetKind.CALLS_CONFIGURATION, config_id)
        await self._col.delete_one({"_id": calls_configuration_id(account_id, config_id)})
        return config
