"""IVR script validation never fails with anything but a refusal (a 400 in Infobip's envelope),
whatever JSON a customer sends (invariant 6), and what it accepts can be stored and carried in a
decision. Found by this property in issue 14: nested nulls in `dialToConversations.options.tags`
(a nested array: FerretDB refused the write, 500) and an empty capture key phrase."""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from action_config.domain.ivr_options import check_storable
from action_config.domain.ivr_script import STEP_TYPES, check_script
from action_config.domain.refusals import Refusal
from callplane_shared.events import IVR_SCRIPT_MAX_BYTES

pytestmark = pytest.mark.unit

SCALARS = st.none() | st.booleans() | st.integers(-(2**31), 2**31) | st.text(max_size=20)
KEYS = st.text(max_size=8) | st.sampled_from(["tags", "keyPhrases", "options", "$x", "a.b", ""])
JSON = st.recursive(
    SCALARS,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(KEYS, inner, max_size=4),
    max_leaves=20,
)


def steps() -> st.SearchStrategy[dict[str, Any]]:
    """Steps that start with a known marker, so the property reaches the deeper checks."""
    marker = st.sampled_from(sorted(STEP_TYPES))
    return st.builds(
        lambda m, v, extra: {m: v, **extra},
        marker,
        JSON,
        st.dictionaries(
            st.sampled_from(["options", "timeout", "speechOptions", "actionId", "do", "then"]),
            JSON,
            max_size=3,
        ),
    )


def _nested_list_or_bad_key(value: Any, *, in_list: bool = False) -> bool:
    if isinstance(value, list):
        return in_list or any(_nested_list_or_bad_key(v, in_list=True) for v in value)
    if isinstance(value, dict):
        return any(
            k.startswith("$") or "." in k or _nested_list_or_bad_key(v) for k, v in value.items()
        )
    return False


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(steps() | JSON, min_size=0, max_size=4))
def test_any_script_is_accepted_or_refused_never_crashes(script: list[Any]) -> None:
    refusal: Refusal | None = None
    try:
        check_script(script)
    except Refusal as refused:
        refusal = refused
    if refusal is not None:
        assert (refusal.status, bool(refusal.field)) == (400, True)
        return
    assert not _nested_list_or_bad_key(script), "accepted but a document store refuses it"
    assert len(json.dumps(script, separators=(",", ":"))) <= IVR_SCRIPT_MAX_BYTES


@pytest.mark.parametrize(
    ("script", "field"),
    [
        (
            [{"dialToConversations": {"options": {"tags": [[None]]}}}],
            "script[0].dialToConversations.options.tags[0]",
        ),
        (
            [{"dialToConversations": {"options": {"tags": [None]}}}],
            "script[0].dialToConversations.options.tags[0]",
        ),
        (
            [{"capture": "x", "timeout": 5, "speechOptions": {"keyPhrases": [""]}}],
            "script[0].speechOptions.keyPhrases[0]",
        ),
        (
            [{"capture": "x", "timeout": 5, "speechOptions": {"keyPhrases": ["a b c d e f"]}}],
            "script[0].speechOptions.keyPhrases[0]",
        ),
        ([{"capture": "", "timeout": 5, "speechOptions": {}}], "script[0].capture"),
        ([{"capture": "x", "timeout": 0, "speechOptions": {}}], "script[0].timeout"),
        ([{"say": "hi", "options": {"x": [[1]]}}], "script[0].options.x[0]"),
        ([{"say": "hi", "options": {"$where": 1}}], "script[0].options.$where"),
        ([{"say": "x" * IVR_SCRIPT_MAX_BYTES}], "script"),
    ],
)
def test_the_issue_14_crashes_are_refusals_naming_the_field(script: list[Any], field: str) -> None:
    with pytest.raises(Refusal) as refused:
        check_script(script)
    assert (refused.value.status, refused.value.field) == (400, field)


def test_infobip_shapes_pass() -> None:
    check_script(
        [
            {"capture": "answer", "timeout": 5, "speechOptions": {"keyPhrases": ["yes", "no"]}},
            {"dialToConversations": {"options": {"tags": ["vip"], "tagIdentifierType": "NAME"}}},
        ]
    )
    check_script([{"dialToConversations": {"options": {"tags": None}}}])
    check_script([{"dialToConversations": {"options": {"tags": []}}}])


def test_storable_walks_deep_values_without_recursion() -> None:
    deep: Any = "leaf"
    for _ in range(5000):
        deep = {"k": deep}
    check_storable(deep, "x")
