"""API-key authentication shared by every public API.

number-inventory issues keys and stores only their SHA-256; it publishes each account with its
key hashes on `accounts`. Every service keeps an `AccountDirectory` from that topic, so a request
is authenticated from memory: `Authorization: App <key>` → hash → account.
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Awaitable, Callable

from fastapi import Request

from callplane_shared.events import AccountStatus, AccountUpserted
from callplane_shared.http_errors import ApiError, unauthorized
from callplane_shared.ratelimit import RateLimiter

API_KEY_BYTES = 32


def generate_api_key() -> str:
    return secrets.token_urlsafe(API_KEY_BYTES)


def hash_api_key(key: str) -> str:
    # Keys are 256 random bits, so a fast unsalted hash is enough: there is nothing to brute-force.
    return hashlib.sha256(key.encode()).hexdigest()


class AccountDirectory:
    """Accounts by id and by API-key hash, fed from the `accounts` compacted topic.

    An older `version` of an account never replaces a newer one (the relay may re-publish an
    old state after a new one): otherwise a revoked key could become valid again.
    """

    def __init__(self, limiter: RateLimiter | None = None) -> None:
        self._accounts: dict[str, AccountUpserted] = {}
        self._by_hash: dict[str, str] = {}
        self.limiter = limiter or RateLimiter()
        # Told (before, after) of every state taken; must not block (it runs on the view's
        # consumer, or in the request that changed the account).
        self.listeners: list[Callable[[AccountUpserted | None, AccountUpserted], None]] = []

    def apply(self, key: bytes, value: bytes | None) -> None:
        account_id = key.decode()
        if value is None:
            self._forget(account_id)
            return
        account = AccountUpserted.model_validate_json(value)
        self.upsert(account)

    def upsert(self, account: AccountUpserted) -> None:
        current = self._accounts.get(account.account_id)
        if current is not None and account.version < current.version:
            return
        self._forget(account.account_id)
        self._accounts[account.account_id] = account
        for digest in account.api_key_hashes:
            self._by_hash[digest] = account.account_id
        for listener in self.listeners:
            listener(current, account)

    def _forget(self, account_id: str) -> None:
        old = self._accounts.pop(account_id, None)
        if old is not None:
            for digest in old.api_key_hashes:
                self._by_hash.pop(digest, None)

    def get(self, account_id: str) -> AccountUpserted | None:
        return self._accounts.get(account_id)

    def by_api_key(self, key: str) -> AccountUpserted | None:
        account_id = self._by_hash.get(hash_api_key(key))
        return self._accounts.get(account_id) if account_id else None

    def __len__(self) -> int:
        return len(self._accounts)


def api_key_from(request: Request) -> str | None:
    header = request.headers.get("authorization", "")
    scheme, _, credential = header.partition(" ")
    if scheme.lower() != "app" or not credential.strip():
        return None
    return credential.strip()


def require_account(directory: AccountDirectory) -> Callable[[Request], Awaitable[AccountUpserted]]:
    """A FastAPI dependency: the caller's account, or 401/403 in Infobip's envelope."""

    async def dependency(request: Request) -> AccountUpserted:
        key = api_key_from(request)
        if key is None:
            raise unauthorized()
        account = directory.by_api_key(key)
        if account is None:
            raise unauthorized()
        # A BLOCKED account (no funds) keeps its API access: it has to be able to top up.
        if account.status is AccountStatus.SUSPENDED:
            raise ApiError(403, f"Account {account.account_id} is {account.status.value}.")
        directory.limiter.check(hash_api_key(key), account.limits)
        return account

    return dependency
