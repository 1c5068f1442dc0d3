"""Leases and releases from `numbers.lifecycle`: the numbers action-config knows about.

A leased number starts with No Action, published so call-dispatch knows the number and whether it
can take calls. A released number loses its action (kept in history) and its `voice.actions`
record is tombstoned. Versions continue across leases, so a re-leased number never publishes a
version lower than one consumers already hold.
"""

from __future__ import annotations

import logging

from faststream.kafka import KafkaBroker

from action_config.domain.voice_setup import VOICE, Change, ChangedBy, HistoryEntry, dump
from action_config.publishing import flush, stage_voice_action, voice_action_event
from action_config.store import Collections, now
from callplane_shared import outbox
from callplane_shared.events import NumberLeased, NumberReleased, VoiceActionSet

logger = logging.getLogger(__name__)
LIFECYCLE = "numbers.lifecycle"
_ATTEMPTS = 5


class NumberLifecycle:
    def __init__(self, collections: Collections, broker: KafkaBroker) -> None:
        self._numbers = collections.numbers
        self._broker = broker

    async def on_leased(self, event: NumberLeased) -> None:
        for _ in range(_ATTEMPTS):
            doc = await self._numbers.find_one({"_id": event.number_key})
            if doc and doc.get("leased") and doc.get("accountId") == event.account_id:
                # Redelivery of a lease we already applied: only make sure it went out.
                await flush(self._broker, self._numbers, event.number_key)
                return
            previous = int(doc["version"]) if doc else 0
            version = previous + 1
            state = {
                "number": event.number,
                "accountId": event.account_id,
                "capabilities": list(event.capabilities),
                "voiceCapable": VOICE in event.capabilities,
                "leased": True,
                "setup": None,
                "version": version,
                "leasedAt": now(),
            }
            staged = {"_id": event.number_key, **state}
            entry = HistoryEntry(
                version=version,
                change=Change.LEASED,
                changed_by=ChangedBy(account_id=event.account_id, system=LIFECYCLE),
                changed_at=now(),
            )
            update = {
                "$set": state,
                "$push": {
                    "history": dump(entry),
                    **_outbox_push(event.number, voice_action_event(staged, None, version)),
                },
            }
            doc_filter = {"_id": event.number_key, "version": previous} if doc else None
            if doc_filter is None:
                result = await self._numbers.update_one(
                    {"_id": event.number_key}, update, upsert=True
                )
                done = result.upserted_id is not None or result.modified_count == 1
            else:
                done = (await self._numbers.update_one(doc_filter, update)).modified_count == 1
            if done:
                await flush(self._broker, self._numbers, event.number_key)
                return
        logger.warning("lease of %s kept racing; left for redelivery", event.number_key)
        raise RuntimeError(f"could not apply lease of {event.number_key}")

    async def on_released(self, event: NumberReleased) -> None:
        for _ in range(_ATTEMPTS):
            doc = await self._numbers.find_one({"_id": event.number_key})
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
            result = await self._numbers.update_one(
                {"_id": event.number_key, "version": doc["version"]},
                {
                    "$set": {"leased": False, "setup": None, "version": version},
                    "$push": {
                        "history": dump(entry),
                        **_outbox_push(doc["number"], None),
                    },
                },
            )
            if result.modified_count == 1:
                await flush(self._broker, self._numbers, event.number_key)
                return
        raise RuntimeError(f"could not apply release of {event.number_key}")


def _outbox_push(number: str, event: VoiceActionSet | None) -> dict[str, object]:
    return outbox.push(stage_voice_action(number, event))
