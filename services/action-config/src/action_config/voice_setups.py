"""Set, read, replace and remove the one voice action of a number (the HTTP use cases).

Storage is behind `NumberStore` / `HistoryStore` (voice_records.py), so these rules are
unit-tested against in-memory fakes.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from enum import Enum
from typing import Protocol

from action_config.domain.refusals import Refusal, missing
from action_config.domain.voice_setup import (
    Change,
    ChangedBy,
    HistoryEntry,
    TargetRef,
    VoiceHistory,
    VoiceSetup,
    VoiceSetupResponse,
    dump,
    history_document,
    normalized,
    target_of,
)
from action_config.publishing import stage_voice_action, voice_action_event
from action_config.store import now
from action_config.voice_records import HistoryStore, NumberStore
from callplane_shared.mongo import Document


class TargetCheck(Protocol):
    async def require(self, account_id: str, ref: TargetRef | None) -> None: ...


LeasesHandled = Callable[[str], Awaitable[bool]]
"""True once every lease event of this number key published so far has been handled."""


class Mode(Enum):
    CREATE = "create"
    REPLACE = "replace"


ONE_ACTION = "only one voice action per number: use PUT to replace it"


class VoiceSetups:
    def __init__(
        self,
        numbers: NumberStore,
        history: HistoryStore,
        targets: TargetCheck,
        leases_handled: LeasesHandled | None = None,
    ) -> None:
        self._numbers = numbers
        self._history = history
        self._targets = targets
        self._leases_handled = leases_handled

    async def _owned(self, account_id: str, number_key: str) -> Document:
        doc = await self._numbers.get(number_key)
        # A lease acknowledged a moment ago may not be handled here yet: wait (bounded) until
        # numbers.lifecycle is, then look again.
        waits = self._leases_handled
        if not _owned_by(doc, account_id) and waits is not None and await waits(number_key):
            doc = await self._numbers.get(number_key)
        if doc is None or not _owned_by(doc, account_id):
            # Same answer for "not yours" and "does not exist": tenants learn nothing of others.
            raise missing(f"number {number_key} is not one of your leased numbers")
        return doc

    async def get(self, account_id: str, number_key: str) -> VoiceSetupResponse:
        doc = await self._owned(account_id, number_key)
        if doc.get("setup") is None:
            raise missing(f"number {number_key} has no voice action (No Action); POST one")
        return VoiceSetupResponse.model_validate({**doc["setup"], "version": doc["version"]})

    async def set(
        self,
        account_id: str,
        who: ChangedBy,
        number_key: str,
        *,
        requested: VoiceSetup,
        mode: Mode,
        if_match: int | str | None,
    ) -> VoiceSetupResponse:
        doc = await self._owned(account_id, number_key)
        setup = normalized(requested, doc["number"], list(doc.get("capabilities", [])))
        current = doc.get("setup")
        if mode is Mode.CREATE and current is not None:
            raise Refusal(409, ONE_ACTION)
        check_precondition(if_match, doc, current)
        await self._targets.require(account_id, target_of(setup.action))
        change = Change.SET if current is None else Change.REPLACED
        await self._write(doc, setup, change, who, if_match)
        return VoiceSetupResponse.model_validate({**dump(setup), "version": doc["version"] + 1})

    async def remove(
        self, account_id: str, who: ChangedBy, number_key: str, if_match: int | str | None
    ) -> int:
        doc = await self._owned(account_id, number_key)
        current = doc.get("setup")
        if current is None:
            raise missing(f"number {number_key} has no voice action to delete (No Action)")
        check_precondition(if_match, doc, current)
        await self._write(doc, None, Change.REMOVED, who, if_match)
        return int(doc["version"]) + 1

    async def history(self, account_id: str, number_key: str, page: int, size: int) -> VoiceHistory:
        doc = await self._owned(account_id, number_key)
        await record_last_change(self._history, doc)
        # Only what happened during this account's leases: earlier tenants stay private.
        found, total = await self._history.page(number_key, account_id, page * size, size)
        return VoiceHistory(
            number_key=number_key,
            number=doc["number"],
            versions=[HistoryEntry.model_validate(d) for d in found],
            page=page,
            size=size,
            total=total,
        )

    async def _write(
        self,
        doc: Document,
        setup: VoiceSetup | None,
        change: Change,
        who: ChangedBy,
        if_match: int | str | None,
    ) -> None:
        version = int(doc["version"]) + 1
        entry = HistoryEntry(
            version=version, change=change, setup=setup, changed_by=who, changed_at=now()
        )
        event = voice_action_event(doc, setup, version)
        await record_last_change(self._history, doc)
        changed = await self._numbers.compare_and_set(
            doc["_id"],
            int(doc["version"]),
            {
                "setup": None if setup is None else dump(setup),
                "version": version,
                "lastChange": history_document(doc["_id"], entry),
            },
            [stage_voice_action(doc["number"], event)],
        )
        # Version alone decides: a release or re-lease bumps it too, so a match means the number
        # is still this account's lease.
        if not changed:
            status = 412 if if_match is not None else 409
            raise Refusal(
                status,
                "the voice action changed while you were updating it; "
                "GET it again and retry with its ETag in If-Match",
            )
        await self._history.record(history_document(doc["_id"], entry))
        await self._numbers.publish(doc["_id"])


async def record_last_change(history: HistoryStore, doc: Document) -> None:
    """Make sure the number's last change is in the history (it may not be after a crash)."""
    if doc.get("lastChange"):
        await history.record(doc["lastChange"])


def check_precondition(if_match: int | str | None, doc: Document, current: object) -> None:
    if if_match is None:
        return
    if if_match == "*":
        if current is None:
            raise Refusal(412, "If-Match: * needs an existing voice action; there is none")
        return
    if if_match != doc["version"]:
        raise Refusal(
            412,
            f'version is "{doc["version"]}", not "{if_match}": GET the voice action again '
            "and retry with its current ETag",
        )


def _owned_by(doc: Document | None, account_id: str) -> bool:
    return doc is not None and doc.get("accountId") == account_id and bool(doc.get("leased"))
