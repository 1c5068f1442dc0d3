from __future__ import annotations

from typing import Any

import pytest
import yaml

from callplane_shared.asyncapi import CHANNELS, app
from callplane_shared.topics import PRIMARY_TOPICS
from tests.support import REPO_ROOT

pytestmark = pytest.mark.unit

COMMITTED = REPO_ROOT / "shared/asyncapi.yaml"


def generated() -> dict[str, Any]:
    document: dict[str, Any] = yaml.safe_load(app.schema.to_specification().to_yaml())
    return document


def test_committed_asyncapi_matches_the_contract() -> None:
    # Compared as data: FastStream does not keep channel order stable between runs.
    assert yaml.safe_load(COMMITTED.read_text()) == generated(), (
        "shared/asyncapi.yaml drifted: run `make asyncapi`"
    )


def test_every_topic_is_documented_with_its_events() -> None:
    addresses = {channel["address"] for channel in generated()["channels"].values()}
    assert addresses == {t.name for t in PRIMARY_TOPICS}
    assert {c.topic.name for c in CHANNELS} == addresses


def test_messages_describe_the_wire_fields() -> None:
    schemas = generated()["components"]["schemas"]
    inbound = schemas["InboundCall"]["properties"]
    assert {"callId", "from", "to", "receivedAt", "eventId"} <= inbound.keys()
