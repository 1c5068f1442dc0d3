"""Conversations caller ID on `numbers.lifecycle`: NumberCallerIdChanged when it changes.

A leased number is available as caller ID for Conversations agents' outbound calls while its
voice action is VOICE_FORWARD_TO_CONVERSATIONS. number-inventory learns the action from the
`voice.actions` view (in memory); this module turns each change of that availability (or of its
queue) into one event on `numbers.lifecycle`, through the numbers' outbox (invariant 4).

The queue is the number's own, else its account's default (from the `accounts` view), else the
platform's (`conversations_target`). When an account's default changes, its marked numbers
that may follow it are walked a page per pass, so a large account costs bounded work per pass
and only the numbers whose queue really changes publish.

The last published state is kept on the number's document (`conversationsQueue`: the queue while
available, null otherwise), so replaying `voice.actions` on start publishes nothing already said,
and of replicas racing for the same change only the one whose conditional update matched
publishes. The view's callback only notes the number: the database work runs off the consumer in
a supervised pass, retried until it lands.
"""

from __future__ import annotations

import logging
from typing import Protocol

from faststream.kafka import KafkaBroker
from pymongo import ASCENDING
from pymongo.asynchronous.collection import AsyncCollection

from callplane_shared import outbox
from callplane_shared.auth import AccountDirectory
from callplane_shared.events import AccountUpserted, NumberCallerIdChanged, VoiceActionSet
from callplane_shared.mongo import Document
from callplane_shared.supervision import Supervisor
from callplane_shared.topics import NUMBERS_LIFECYCLE
from callplane_shared.voice import ForwardToConversations, conversations_target
from number_inventory.voice_setups import VoiceSetups

logger = logging.getLogger(__name__)

LEASED = "LEASED"
MARK = "conversationsQueue"
TASK = "caller-id-sync"
ACCOUNT_PAGE = 500
"""Numbers of one account whose default queue changed, looked at per pass."""


class CallerIdNumbers(Protocol):
    async def leased(self, number_key: str) -> Document | None:
        """The number's document while it is leased, else None."""
        ...

    async def mark(self, doc: Document, queue: str | None, event: NumberCallerIdChanged) -> bool:
        """Store `queue` as the published state and stage `event`, only if the document still
        holds the state (and lease) it was read with; False when another writer got there."""
        ...

    async def marked(self) -> list[str]:
        """Keys of the numbers currently marked available (checked again at start)."""
        ...

    async def marked_other_than(
        self, account_id: str, queue: str, after_key: str, limit: int
    ) -> list[tuple[str, str]]:
        """(numberKey, number) of the account's leased numbers marked with a queue other than
        `queue`, keys above `after_key`, ascending, at most `limit`."""
        ...


class MongoCallerIdNumbers:
    def __init__(self, numbers: AsyncCollection[Document], broker: KafkaBroker) -> None:
        self._numbers = numbers
        self._broker = broker

    async def leased(self, number_key: str) -> Document | None:
        return await self._numbers.find_one(
            {"_id": number_key, "leaseState": LEASED}, {outbox.OUTBOX_FIELD: 0}
        )

    async def mark(self, doc: Document, queue: str | None, event: NumberCallerIdChanged) -> bool:
        result = await self._numbers.update_one(
            {
                "_id": doc["_id"],
                "accountId": doc["accountId"],
                "leaseState": LEASED,
                # null also matches a number never marked
                MARK: doc.get(MARK),
            },
            {
                "$set": {MARK: queue},
                "$push": outbox.push(
                    outbox.outbox_entry(NUMBERS_LIFECYCLE.name, doc["_id"], event)
                ),
            },
        )
        if result.modified_count != 1:
            return False
        await outbox.flush_after_commit(self._broker, self._numbers, {"_id": doc["_id"]})
        return True

    async def marked(self) -> list[str]:
        cursor = self._numbers.find({MARK: {"$ne": None}}, {"_id": 1})
        return [doc["_id"] async for doc in cursor]

    async def marked_other_than(
        self, account_id: str, queue: str, after_key: str, limit: int
    ) -> list[tuple[str, str]]:
        query = {
            "accountId": account_id,
            "leaseState": LEASED,
            MARK: {"$nin": [None, queue]},
            "_id": {"$gt": after_key},
        }
        cursor = self._numbers.find(query, {"_id": 1, "number": 1})
        return [(d["_id"], d["number"]) async for d in cursor.sort("_id", ASCENDING).limit(limit)]


def available(setup: VoiceActionSet | None) -> bool:
    """Whether agents may present the number as caller ID: its action is Conversations."""
    return setup is not None and isinstance(setup.action, ForwardToConversations)


def conversations_queue(
    setup: VoiceActionSet | None, account_queue: str | None, platform_queue: str
) -> str | None:
    """The queue a number hands calls to when its action is Conversations, else None."""
    if not available(setup):
        return None
    return conversations_target(own_queue(setup), account_queue, platform_queue)


def own_queue(setup: VoiceActionSet | None) -> str | None:
    """The queue the number's Conversations action names itself, if any."""
    if setup is None or not isinstance(setup.action, ForwardToConversations):
        return None
    return setup.action.queue_id


class CallerIds:
    """Notes numbers whose Conversations action (or account default queue) may have changed;
    publishes what did."""

    def __init__(
        self,
        numbers: CallerIdNumbers,
        voice: VoiceSetups,
        accounts: AccountDirectory,
        platform_queue: str,
        *,
        supervisor: Supervisor,
        interval_seconds: float = 0.5,
    ) -> None:
        self._numbers = numbers
        self._voice = voice
        self._accounts = accounts
        self._platform_queue = platform_queue
        self._supervisor = supervisor
        self._interval = interval_seconds
        self._pending: set[str] = set()
        # Accounts whose default queue changed -> the last numberKey walked ("" from the start).
        self._walks: dict[str, str] = {}

    def account_queue(self, account_id: str) -> str | None:
        account = self._accounts.get(account_id)
        return None if account is None else account.conversations_queue_id

    def note(self, before: VoiceActionSet | None, after: VoiceActionSet | None) -> None:
        """The view's change callback: only numbers that are or were Conversations matter."""
        for setup in (before, after):
            if setup is not None and available(setup):
                self._pending.add(setup.number_key)

    def note_account(self, before: AccountUpserted | None, after: AccountUpserted) -> None:
        """The account directory's change callback. A first sight (no `before`) is the replay
        at start, which `start` covers by checking every marked number."""
        if before is not None and before.conversations_queue_id != after.conversations_queue_id:
            self._walks[after.account_id] = ""  # from the first number again

    async def sync(self, number_key: str) -> bool:
        """Publish the number's availability if it differs from what was last published;
        True when there was nothing to do or it was staged."""
        doc = await self._numbers.leased(number_key)
        if doc is None:
            return True  # NumberReleased already withdrew it; a new lease starts unmarked
        setup = self._voice.for_number(doc["number"], number_key, doc["accountId"])
        queue = conversations_queue(
            setup, self.account_queue(doc["accountId"]), self._platform_queue
        )
        if doc.get(MARK) == queue:
            return True
        event = NumberCallerIdChanged(
            number_key=number_key,
            number=doc["number"],
            account_id=doc["accountId"],
            capabilities=list(doc["capabilities"]),
            type=doc["type"],
            country=doc["country"],
            conversations_caller_id=queue is not None,
            queue_id=queue,
        )
        return await self._numbers.mark(doc, queue, event)

    async def walk_accounts(self) -> None:
        """Note the next page of each changed account's numbers that may follow its default:
        marked with another queue and naming none of their own (those keep theirs)."""
        for account_id, after_key in list(self._walks.items()):
            default = self.account_queue(account_id) or self._platform_queue
            try:
                found = await self._numbers.marked_other_than(
                    account_id, default, after_key, ACCOUNT_PAGE
                )
            except Exception:
                logger.exception("numbers of account %s not walked yet; retrying", account_id)
                continue
            for number_key, number in found:
                if own_queue(self._voice.for_number(number, number_key, account_id)) is None:
                    self._pending.add(number_key)
            if self._walks.get(account_id) != after_key:
                continue  # the default changed again meanwhile: that walk starts over
            if len(found) < ACCOUNT_PAGE:
                del self._walks[account_id]
            else:
                self._walks[account_id] = found[-1][0]

    async def sync_pending(self) -> int:
        """One pass over the noted numbers; those that failed or lost a race stay noted."""
        await self.walk_accounts()
        batch, self._pending = self._pending, set()
        done = 0
        for number_key in batch:
            try:
                settled = await self.sync(number_key)
            except Exception:
                logger.exception("caller ID of %s not published yet; retrying", number_key)
                settled = False
            if settled:
                done += 1
            else:
                self._pending.add(number_key)  # read again next pass: state moved under us
        return done

    async def start(self) -> None:
        # A crash between noting and publishing, or a compacted-away Conversations record,
        # leaves a mark the replayed view no longer notes: check every marked number once.
        self._pending.update(await self._numbers.marked())
        self._supervisor.every(TASK, self._interval, self.sync_pending)

    async def stop(self) -> None:
        await self._supervisor.stop(TASK)
