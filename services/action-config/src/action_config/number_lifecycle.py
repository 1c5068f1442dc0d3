"""Leases and releases from `numbers.lifecycle`: the numbers action-config knows about.

A leased number starts with No Action, published so call-dispatch knows the number and whether it
can take calls. A released number loses its action (kept in history) and its `voice.actions`
record is tombstoned. Versions continue across leases, so a re-leased number never publishes a
version lower than one consumers already hold.
"""

from __future__ import annotations

import logging

from action_config.domain.voice_setup import VOICE, Change, ChangedBy, HistoryEntry
from action_config.domain.voice_setup import history_document as as_stored
from action_config.publishing import stage_voice_action, voice_action_event
from action_config.store import now
from action_config.voice_records import HistoryStore, NumberStore
from action_config.voice_setups import record_last_change
from callplane_shared.events import NumberLeased, NumberReleased

logger = logging.getLogger(__name__)
LIFECYCLE = "numbers.lifecycle"
_ATTEMPTS = 5


class NumberLifecycle:
    def __init__(self, numbers: NumberStore, history: HistoryStore) -> None:
        self._numbers = numbers
        self._history = history

    async def on_leased(self, event: NumberLeased) -> None:
        for _ in range(_ATTEMPTS):
            doc = await self._numbers.get(event.number_key)
            if doc and doc.get("leased") and doc.get("accountId") == event.account_id:
                # Redelivery of a lease we already applied: only make sure it went out.
                await self._numbers.publish(event.number_key)
                return
            previous = int(doc["version"]) if doc else None
            version = (previous or 0) + 1
            entry = HistoryEntry(
                version=version,
                change=Change.LEASED,
                changed_by=ChangedBy(account_id=event.account_id, system=LIFECYCLE),
                changed_at=now(),
            )
            last_change = as_stored(event.number_key, entry)
            state = {
                "number": event.number,
                "accountId": event.account_id,
                "capabilities": list(event.capabilities),
                "voiceCapable": VOICE in event.capabilities,
                "leased": True,
                "setup": None,
                "version": version,
                "leasedAt": now(),
                "lastChange": last_change,
            }
            staged = voice_action_event({"_id": event.number_key, **state}, None, version)
            if doc:
                await record_last_change(self._history, doc)
            if await self._numbers.compare_and_set(
                event.number_key, previous, state, [stage_voice_action(event.number, staged)]
            ):
                await self._history.record(last_change)
                await self._numbers.publish(event.number_key)
                return
        logger.warning("lease of %s kept racing; left for redelivery", event.number_key)
        raise RuntimeError(f"could not apply lease of {event.number_key}")

    async def on_released(self, event: NumberReleased) -> None:
        for _ in range(_ATTEMPTS):
            doc = await self._numbers.get(event.number_key)
            if not doc or not doc.get("leased") or doc.get("accountId") != event.account_id:
                return  # never leased here, or already released: nothing to undo
            version = int(doc["version"]) + 1
            entry = HistoryEntry(
                version=version,
                change=Change.RELEASED,
                setup=doc.get("setup"),
                changed_by=ChangedBy(account_id=event.account_id, system=LIFECYCLE),
                changed_at=now(),
            )
            stored = as_stored(event.number_key, entry)
            await record_last_change(self._history, doc)
            if await self._numbers.compare_and_set(
                event.number_key,
                int(doc["version"]),
                {"leased": False, "setup": None, "version": version, "lastChange": stored},
                [stage_voice_action(doc["number"], None)],
            ):
                await self._history.record(stored)
                await self._numbers.publish(event.number_key)
                return
        raise RuntimeError(f"could not apply release of {event.number_key}")
