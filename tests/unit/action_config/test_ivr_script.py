"""IVR scripts are checked against the reference step types, nested steps included."""

from __future__ import annotations

from typing import Any

import pytest

from action_config.domain.ivr_script import MAX_DEPTH, check_script
from action_config.domain.refusals import Refusal

pytestmark = pytest.mark.unit


def test_a_realistic_script_passes() -> None:
    check_script(
        [
            {"say": "Welcome", "options": {"language": "en"}},
            {"capture": "choice", "timeout": 5, "speechOptions": {"language": "en-US"}},
            {
                "switch": "${choice}",
                "case": {"1": [{"dial": "41793026727"}], "__default": [{"hangup": ""}]},
            },
            {"for-each": "n", "in": "1,2", "do": [{"pause": 1}]},
            {"repeat": [{"playFromUrl": "https://example.com/a.wav"}], "while": "${x} < 3"},
            {"setVariable": "x", "value": "1"},
            {"request": "https://example.com", "options": {"method": "GET"}},
        ]
    )


@pytest.mark.parametrize(
    ("script", "field", "words"),
    [
        ([{"nope": 1}], "script[0]", "unknown step"),
        (["say hi"], "script[0]", "JSON object"),
        ([{"capture": "x", "timeout": 3}], "script[0]", "speechOptions"),
        ([{"say": "x", "extra": 1}], "script[0]", "does not take extra"),
        ([{"while": "1"}], "script[0]", "needs do"),
        ([{"if": "1", "then": [{"say": "a"}, {"bogus": 1}]}], "script[0].then[1]", "unknown"),
        ([{"switch": "x", "case": {"1": [{"x": 1}]}}], "script[0].case.1[0]", "unknown"),
        ([], "script", "at least one"),
    ],
)
def test_broken_scripts_name_the_step(script: list[Any], field: str, words: str) -> None:
    with pytest.raises(Refusal) as refused:
        check_script(script)
    assert refused.value.field == field
    assert words in refused.value.text


def test_nesting_is_bounded() -> None:
    script: list[Any] = [{"hangup": ""}]
    for _ in range(MAX_DEPTH + 2):
        script = [{"while": "1", "do": script}]
    with pytest.raises(Refusal, match="nested deeper"):
        check_script(script)
