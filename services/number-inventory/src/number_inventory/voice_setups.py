"""The current voice setup of every leased number, from action-config's `voice.actions`.

Kept in memory: `NumberResponse.voiceSetup` is read from here, never from action-config's
collections. Out-of-order records cannot move a number back to an older version.
"""

from __future__ import annotations

from collections.abc import Callable

from callplane_shared.events import VoiceActionSet

Listener = Callable[[VoiceActionSet | None, VoiceActionSet | None], None]


class VoiceSetups:
    def __init__(self) -> None:
        self._by_number: dict[str, VoiceActionSet] = {}
        # Told (before, after) of every change; must not block (it runs on the view's consumer).
        self.listeners: list[Listener] = []

    def apply(self, key: bytes, value: bytes | None) -> None:
        number = key.decode()
        current = self._by_number.get(number)
        if value is None:
            self._by_number.pop(number, None)
            self._changed(current, None)
            return
        incoming = VoiceActionSet.model_validate_json(value)
        if current is None or incoming.version >= current.version:
            self._by_number[number] = incoming
            self._changed(current, incoming)

    def _changed(self, before: VoiceActionSet | None, after: VoiceActionSet | None) -> None:
        for listener in self.listeners:
            listener(before, after)

    def for_number(self, number: str, number_key: str, account_id: str) -> VoiceActionSet | None:
        """Only the setup the current owner made for this lease: a stale record of an earlier
        owner (before its tombstone arrives) must not show up on a new lease."""
        current = self._by_number.get(number)
        if current is None or current.action is None:
            return None
        if current.number_key != number_key or current.account_id != account_id:
            return None
        return current

    def __len__(self) -> int:
        return len(self._by_number)
