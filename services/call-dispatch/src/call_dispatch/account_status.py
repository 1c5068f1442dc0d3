"""Which accounts are BLOCKED (balance exhausted), from the `accounts` compacted topic.

Only the blocked ones are held: a set of ids, so the hot path's check is one set lookup and a
million active accounts cost nothing. The topic is keyed by accountId, so one account's records
arrive in order and the last one read is its status.
"""

from __future__ import annotations

import sys

from call_dispatch import SERVICE_NAME
from callplane_shared.events import AccountStatus, AccountUpserted
from callplane_shared.metrics import BLOCKED_ACCOUNTS


class AccountStatuses:
    def __init__(self) -> None:
        self._blocked: set[str] = set()

    def apply(self, key: bytes, value: bytes | None) -> None:
        account_id = sys.intern(key.decode())
        if value is not None and (
            AccountUpserted.model_validate_json(value).status is AccountStatus.BLOCKED
        ):
            self._blocked.add(account_id)
        else:
            self._blocked.discard(account_id)
        BLOCKED_ACCOUNTS.labels(SERVICE_NAME).set(len(self._blocked))

    def blocked(self, account_id: str | None) -> bool:
        return account_id in self._blocked
