"""Conversations caller ID onto numbers.lifecycle: one NumberCallerIdChanged per change of
availability or queue (the number's own, else the account's default, else the platform's),
nothing for a replayed state, nothing for numbers no longer leased."""

from __future__ import annotations

import pytest

from callplane_shared.auth import AccountDirectory
from callplane_shared.events import AccountUpserted, NumberCallerIdChanged, VoiceActionSet
from callplane_shared.mongo import Document
from callplane_shared.supervision import Supervisor
from callplane_shared.voice import ForwardToConversations, ForwardToPstn, VoiceAction
from number_inventory.caller_ids import MARK, CallerIds
from number_inventory.voice_setups import VoiceSetups

pytestmark = pytest.mark.unit

NUMBER = "+41793026731"
KEY = "A" * 32


class FakeNumbers:
    def __init__(self) -> None:
        self.docs: dict[str, Document] = {
            KEY: {
                "_id": KEY,
                "number": NUMBER,
                "accountId": "acc",
                "leaseState": "LEASED",
                "capabilities": ["VOICE"],
                "type": "VIRTUAL_LONG_NUMBER",
                "country": "CH",
            }
        }
        self.published: list[NumberCallerIdChanged] = []
        self.lose_next_race = False
        self.walk_queries = 0

    async def leased(self, number_key: str) -> Document | None:
        doc = self.docs.get(number_key)
        return dict(doc) if doc is not None and doc["leaseState"] == "LEASED" else None

    async def mark(self, doc: Document, queue: str | None, event: NumberCallerIdChanged) -> bool:
        if self.lose_next_race:  # another replica published the same change first
            self.lose_next_race = False
            self.docs[doc["_id"]][MARK] = queue
            return False
        self.docs[doc["_id"]][MARK] = queue
        self.published.append(event)
        return True

    async def marked(self) -> list[str]:
        return [k for k, d in self.docs.items() if isinstance(d.get(MARK), str)]

    async def marked_other_than(
        self, account_id: str, queue: str, after_key: str, limit: int
    ) -> list[tuple[str, str]]:
        self.walk_queries += 1
        found = sorted(
            (k, d["number"])
            for k, d in self.docs.items()
            if d["accountId"] == account_id
            and d["leaseState"] == "LEASED"
            and d.get(MARK) not in {None, queue}
            and k > after_key
        )
        return found[:limit]

    def add(self, number_key: str, number: str) -> None:
        self.docs[number_key] = {**self.docs[KEY], "_id": number_key, "number": number}
        self.docs[number_key].pop(MARK, None)


def _set(
    view: VoiceSetups,
    version: int,
    action: VoiceAction | None,
    account: str = "acc",
    *,
    number: str = NUMBER,
    key: str = KEY,
) -> None:
    event = VoiceActionSet(
        number=number,
        number_key=key,
        account_id=account,
        voice_capable=True,
        version=version,
        action=action,
    )
    view.apply(number.encode(), event.model_dump_json(by_alias=True).encode())


def _caller_ids(
    numbers: FakeNumbers, directory: AccountDirectory | None = None
) -> tuple[VoiceSetups, CallerIds]:
    view = VoiceSetups()
    directory = directory or AccountDirectory()
    caller_ids = CallerIds(numbers, view, directory, "agents", supervisor=Supervisor("test"))
    view.listeners.append(caller_ids.note)
    directory.listeners.append(caller_ids.note_account)
    return view, caller_ids


def _account(directory: AccountDirectory, version: int, queue: str | None) -> None:
    directory.upsert(
        AccountUpserted(
            account_id="acc",
            name="n",
            currency="EUR",
            version=version,
            conversations_queue_id=queue,
        )
    )


def _published(numbers: FakeNumbers) -> list[tuple[str, bool, str | None]]:
    return [(e.number_key, e.conversations_caller_id, e.queue_id) for e in numbers.published]


async def test_conversations_on_then_queue_change_then_off_each_published_once() -> None:
    numbers = FakeNumbers()
    view, caller_ids = _caller_ids(numbers)
    _set(view, 1, ForwardToConversations())
    await caller_ids.sync_pending()
    _set(view, 2, ForwardToConversations(queue_id="support"))
    await caller_ids.sync_pending()
    _set(view, 3, ForwardToPstn(pstn_number="+41791234567"))
    await caller_ids.sync_pending()
    await caller_ids.sync_pending()  # nothing left to say
    assert [(e.conversations_caller_id, e.queue_id) for e in numbers.published] == [
        (True, "agents"),  # no queue named: the configured default
        (True, "support"),
        (False, None),
    ]
    assert {(e.number_key, e.number, e.account_id) for e in numbers.published} == {
        (KEY, NUMBER, "acc")
    }


async def test_numbers_never_on_conversations_cost_nothing() -> None:
    numbers = FakeNumbers()
    view, caller_ids = _caller_ids(numbers)
    _set(view, 1, ForwardToPstn(pstn_number="+41791234567"))
    _set(view, 2, None)
    assert await caller_ids.sync_pending() == 0
    assert numbers.published == []


async def test_a_replayed_view_publishes_nothing_already_published() -> None:
    numbers = FakeNumbers()
    view, caller_ids = _caller_ids(numbers)
    _set(view, 1, ForwardToConversations(queue_id="support"))
    await caller_ids.sync_pending()
    restarted_view, restarted = _caller_ids(numbers)  # a restart replays voice.actions
    _set(restarted_view, 1, ForwardToConversations(queue_id="support"))
    await restarted.sync_pending()
    assert len(numbers.published) == 1


async def test_a_mark_whose_record_was_compacted_away_is_withdrawn_at_start() -> None:
    numbers = FakeNumbers()
    numbers.docs[KEY][MARK] = "support"  # published before a crash; the view no longer has it
    _, caller_ids = _caller_ids(numbers)
    numbers_to_check = await numbers.marked()
    assert numbers_to_check == [KEY]
    for key in numbers_to_check:
        await caller_ids.sync(key)
    assert [(e.conversations_caller_id, e.queue_id) for e in numbers.published] == [(False, None)]


async def test_a_released_number_and_another_owners_record_publish_nothing() -> None:
    numbers = FakeNumbers()
    view, caller_ids = _caller_ids(numbers)
    _set(view, 1, ForwardToConversations(), account="previous-owner")
    await caller_ids.sync_pending()
    numbers.docs[KEY]["leaseState"] = None
    _set(view, 2, ForwardToConversations())
    await caller_ids.sync_pending()
    assert numbers.published == []


async def test_a_lost_race_is_read_again_and_not_published_twice() -> None:
    numbers = FakeNumbers()
    numbers.lose_next_race = True
    view, caller_ids = _caller_ids(numbers)
    _set(view, 1, ForwardToConversations())
    assert await caller_ids.sync_pending() == 0  # lost: kept for the next pass
    assert await caller_ids.sync_pending() == 1  # read again: already marked, nothing to say
    assert numbers.published == []


async def test_the_accounts_default_comes_between_the_numbers_own_and_the_platforms() -> None:
    numbers = FakeNumbers()
    directory = AccountDirectory()
    _account(directory, 1, "sales")
    view, caller_ids = _caller_ids(numbers, directory)
    _set(view, 1, ForwardToConversations())
    await caller_ids.sync_pending()
    _set(view, 2, ForwardToConversations(queue_id="support"))
    await caller_ids.sync_pending()
    assert _published(numbers) == [(KEY, True, "sales"), (KEY, True, "support")]


async def test_a_changed_account_default_republishes_only_the_numbers_that_follow_it() -> None:
    numbers = FakeNumbers()
    own_key, own_number = "B" * 32, "+41793026732"
    numbers.add(own_key, own_number)
    directory = AccountDirectory()
    _account(directory, 1, None)
    view, caller_ids = _caller_ids(numbers, directory)
    _set(view, 1, ForwardToConversations())
    _set(view, 1, ForwardToConversations(queue_id="own"), number=own_number, key=own_key)
    await caller_ids.sync_pending()
    numbers.published.clear()

    _account(directory, 2, "sales")
    await caller_ids.sync_pending()
    _account(directory, 3, "sales")  # another change of the account (a key, limits): nothing
    await caller_ids.sync_pending()
    _account(directory, 4, None)  # back to the platform's default
    await caller_ids.sync_pending()
    assert _published(numbers) == [(KEY, True, "sales"), (KEY, True, "agents")]


async def test_an_accounts_numbers_are_walked_a_page_per_pass(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr("number_inventory.caller_ids.ACCOUNT_PAGE", 2)
    numbers = FakeNumbers()
    directory = AccountDirectory()
    _account(directory, 1, None)
    view, caller_ids = _caller_ids(numbers, directory)
    keys = [f"{i:032d}" for i in range(5)]
    for i, key in enumerate(keys):
        numbers.add(key, f"+4179302670{i}")
        _set(view, 1, ForwardToConversations(), number=f"+4179302670{i}", key=key)
    await caller_ids.sync_pending()
    numbers.published.clear()
    numbers.walk_queries = 0

    _account(directory, 2, "sales")
    for _ in range(4):
        await caller_ids.sync_pending()
    assert sorted(_published(numbers)) == [(key, True, "sales") for key in keys]
    assert numbers.walk_queries == 3  # pages of 2, 2 and 1, then the walk is over


async def test_a_replayed_account_notes_no_walk() -> None:
    numbers = FakeNumbers()
    directory = AccountDirectory()
    _, caller_ids = _caller_ids(numbers, directory)
    _account(directory, 5, "sales")  # first sight: `start` checks every marked number instead
    await caller_ids.sync_pending()
    assert numbers.walk_queries == 0
