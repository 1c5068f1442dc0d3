"""The Kafka ACL table covers every topic, names only known principals, and the chart's README
shows exactly what it renders."""

from __future__ import annotations

import re

import pytest

from callplane_shared import acls
from callplane_shared.topics import ALL_TOPICS
from tests.support import REPO_ROOT

pytestmark = pytest.mark.unit

CHART_README = REPO_ROOT / "deploy/helm/callplane/README.md"
PRINCIPALS = {*acls.SERVICES, acls.EDGE, acls.PAYMENT_SYSTEM}


def test_every_topic_has_exactly_one_row() -> None:
    names = [access.topic.name for access in acls.table()]
    assert sorted(names) == sorted(t.name for t in ALL_TOPICS)


def test_only_known_principals_and_accounts_written_by_number_inventory_alone() -> None:
    for access in acls.table():
        assert set(access.writers) | set(access.readers) <= PRINCIPALS, access.topic.name
    (accounts,) = (a for a in acls.table() if a.topic.name == "accounts")
    assert accounts.writers == (acls.INVENTORY,)


def test_the_chart_readme_shows_the_generated_table() -> None:
    text = CHART_README.read_text()
    found = re.search(r"<!-- acls:begin[^>]*-->\n(.*?)<!-- acls:end -->", text, re.DOTALL)
    assert found is not None, "the chart README lost its ACL section"
    assert found.group(1) == acls.markdown(), "regenerate: uv run python -m callplane_shared.acls"


def test_commands_grant_each_writer_write() -> None:
    commands = acls.commands()
    assert (
        "--allow-principal User:number-inventory --operation Write --topic accounts\n" in commands
    )
    assert "User:payment-system --operation Write --topic payments\n" in commands
