from __future__ import annotations

import pytest

from callplane_shared.topics import ALL_TOPICS, PRIMARY_TOPICS

pytestmark = pytest.mark.unit

STATE_TOPICS = {"accounts", "voice.actions", "voice.routes", "ivr.scenarios", "masking.configs"}


def test_topic_names_are_unique() -> None:
    names = [t.name for t in ALL_TOPICS]
    assert len(names) == len(set(names))


def test_every_topic_has_a_dead_letter_topic() -> None:
    names = {t.name for t in ALL_TOPICS}
    assert all(f"{t.name}.dlq" in names for t in PRIMARY_TOPICS)


def test_state_topics_are_compacted_and_streams_are_not() -> None:
    compacted = {t.name for t in ALL_TOPICS if t.cleanup_policy == "compact"}
    assert compacted == STATE_TOPICS


def test_call_topics_have_room_to_scale_out() -> None:
    call_topics = [t for t in PRIMARY_TOPICS if t.name.startswith(("calls.", "masking.requests"))]
    assert call_topics
    assert all(t.partitions == 6 for t in call_topics)
