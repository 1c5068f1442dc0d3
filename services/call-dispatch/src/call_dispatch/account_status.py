"""What decisions need of each account, from the `accounts` compacted topic: which accounts are
BLOCKED (balance exhausted) and each account's default Conversations queue.

Only what differs from the default is held: a set of blocked ids and a map of the accounts that
set a default queue (queue names interned, so a thousand accounts on "support" share one
string). The hot path's checks are one lookup each and a million plain accounts cost nothing.
The topic is keyed by accountId, so one account's records arrive in order and the last one read
is its state.
"""

from __future__ import annotations

import sys

from call_dispatch import SERVICE_NAME
from callplane_shared.events import AccountStatus, AccountUpserted
from callplane_shared.metrics import BLOCKED_ACCOUNTS


class AccountStatuses:
    def __init__(self) -> None:
        self._blocked: set[str] = set()
        self._queues: dict[str, str] = {}

    def apply(self, key: bytes, value: bytes | None) -> None:
        account_id = sys.intern(key.decode())
        account = None if value is None else AccountUpserted.model_validate_json(value)
        if account is not None and account.status is AccountStatus.BLOCKED:
            self._blocked.add(account_id)
        else:
            self._blocked.discard(account_id)
        if account is not None and account.conversations_queue_id is not None:
            self._queues[account_id] = sys.intern(account.conversations_queue_id)
        else:
            self._queues.pop(account_id, None)
        BLOCKED_ACCOUNTS.labels(SERVICE_NAME).set(len(self._blocked))

    def blocked(self, account_id: str | None) -> bool:
        return account_id in self._blocked

    def conversations_queue(self, account_id: str | None) -> str | None:
        """The account's default Conversations queue; None: it set none."""
        return None if account_id is None else self._queues.get(account_id)
