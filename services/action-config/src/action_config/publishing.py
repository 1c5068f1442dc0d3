"""How a number's state becomes a `voice.actions` record, staged in the same write (outbox)."""

from __future__ import annotations

from action_config.domain.voice_setup import VoiceSetup
from callplane_shared import outbox
from callplane_shared.events import VoiceActionSet
from callplane_shared.mongo import Document
from callplane_shared.topics import VOICE_ACTIONS


def voice_action_event(doc: Document, setup: VoiceSetup | None, version: int) -> VoiceActionSet:
    """The full current voice state of a number; `setup` None is No Action."""
    return VoiceActionSet(
        number=doc["number"],
        number_key=doc["_id"],
        account_id=doc["accountId"],
        voice_capable=bool(doc.get("voiceCapable")),
        version=version,
        action=None if setup is None else setup.action,
        fallback=None if setup is None else setup.fallback,
        application_id=None if setup is None else setup.application_id,
        entity_id=None if setup is None else setup.entity_id,
    )


def stage_voice_action(number: str, event: VoiceActionSet | None) -> Document:
    """The `_outbox` entry publishing `event` (None: tombstone) under the number's key."""
    return outbox.outbox_entry(VOICE_ACTIONS.name, number, event)
