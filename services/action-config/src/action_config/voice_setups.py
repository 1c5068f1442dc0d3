"""Set, read, replace and remove the one voice action of a number (the HTTP use cases)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from enum import Enum
from typing import Any

from faststream.kafka import KafkaBroker

from action_config.domain.refusals import Refusal, missing
from action_config.domain.voice_setup import (
    Change,
    ChangedBy,
    HistoryEntry,
    VoiceHistory,
    VoiceSetup,
    VoiceSetupResponse,
    dump,
    normalized,
    target_of,
)
from action_config.publishing import flush, stage_voice_action, voice_action_event
from action_config.store import Collections, now
from action_config.target_lookup import Targets
from callplane_shared import outbox

Document = dict[str, Any]
LeasesHandled = Callable[[str], Awaitable[bool]]
"""True once every lease event of this number key published so far has been handled."""


class Mode(Enum):
    CREATE = "create"
    REPLACE = "replace"


ONE_ACTION = "only one voice action per number: use PUT to replace it"


class VoiceSetups:
    def __init__(
        self,
        collections: Collections,
        targets: Targets,
        broker: KafkaBroker,
        leases_handled: LeasesHandled | None = None,
    ) -> None:
        self._numbers = collections.numbers
        self._targets = targets
        self._broker = broker
        self._leases_handled = leases_handled

    async def _owned(self, account_id: str, number_key: str) -> Document:
        query = {"_id": number_key, "accountId": account_id, "leased": True}
        doc = await self._numbers.find_one(query)
        # A lease acknowledged a moment ago may not be handled here yet: wait (bounded) until
        # numbers.lifecycle is, then look again.
        if doc is None and self._leases_handled and await self._leases_handled(number_key):
            doc = await self._numbers.find_one(query)
        if doc is None:
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
        _check_precondition(if_match, doc, current)
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
        _check_precondition(if_match, doc, current)
        await self._write(doc, None, Change.REMOVED, who, if_match)
        return int(doc["version"]) + 1

    async def history(self, account_id: str, number_key: str) -> VoiceHistory:
        doc = await self._owned(account_id, number_key)
        entries = [HistoryEntry.model_validate(h) for h in doc.get("history", [])]
        # Only what happened during this account's lease: earlier tenants stay private.
        entries = [e for e in entries if e.changed_by.account_id == account_id]
        entries.sort(key=lambda e: e.version, reverse=True)
        return VoiceHistory(number_key=number_key, number=doc["number"], versions=entries)

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
        result = await self._numbers.update_one(
            {"_id": doc["_id"], "version": doc["version"], "leased": True},
            {
                "$set": {"setup": None if setup is None else dump(setup), "version": version},
                "$push": {
                    "history": dump(entry),
                    **outbox.push(stage_voice_action(doc["number"], event)),
                },
            },
        )
        if result.modified_count != 1:
            status = 412 if if_match is not None else 409
            raise Refusal(
                status,
                "the voice action changed while you were updating it; "
                "GET it again and retry with its ETag in If-Match",
            )
        await flush(self._broker, self._numbers, doc["_id"])


def _check_precondition(if_match: int | str | None, doc: Document, current: object) -> None:
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
