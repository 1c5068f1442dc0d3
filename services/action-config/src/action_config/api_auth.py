"""Who is calling: the account (from `Authorization: App <key>`) and an audit-safe key trace."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

from fastapi import Request

from action_config.domain.voice_setup import ChangedBy
from callplane_shared.auth import AccountDirectory, api_key_from, hash_api_key, require_account
from callplane_shared.events import AccountLimits

KEY_HASH_PREFIX = 12


@dataclass(frozen=True, slots=True)
class Caller:
    account_id: str
    key_hash_prefix: str
    limits: AccountLimits = field(default_factory=AccountLimits)

    @property
    def changed_by(self) -> ChangedBy:
        return ChangedBy(account_id=self.account_id, key_hash_prefix=self.key_hash_prefix)


def caller_dependency(directory: AccountDirectory) -> Callable[[Request], Awaitable[Caller]]:
    account_of = require_account(directory)

    async def caller(request: Request) -> Caller:
        account = await account_of(request)
        key = api_key_from(request) or ""
        return Caller(account.account_id, hash_api_key(key)[:KEY_HASH_PREFIX], account.limits)

    return caller
