"""Checks below a step's top level, where a script that passes the step check could still crash
the store or could never run: the options whose shape Infobip publishes for Capture and
DialToConversations, and what a document store cannot hold anywhere in a script.

FerretDB (and MongoDB for `$` keys) refuses nested arrays and keys that start with `$` or hold a
`.`; without these checks such a script reached the write and answered 500.
"""

from __future__ import annotations

from typing import Any

from action_config.domain.refusals import invalid

MAX_KEY_PHRASE_WORDS = 5  # Infobip: "every keyphrase can contain up to 5 words"
MAX_TAGS = 100
MAX_CAPTURE_SECONDS = 30
MAX_TAG_LENGTH = 255


def _strings(value: Any, where: str, what: str, *, max_items: int, max_length: int) -> None:
    if value is None:
        return
    if not isinstance(value, list) or len(value) > max_items:
        raise invalid(where, f"must be null or a list of at most {max_items} {what}")
    for i, item in enumerate(value):
        if not isinstance(item, str) or not item.strip() or len(item) > max_length:
            raise invalid(
                f"{where}[{i}]",
                f"each of the {what} must be a non-empty string of at most {max_length} characters",
            )


def _capture(step: dict[str, Any], where: str) -> None:
    variable = step.get("capture")
    if not isinstance(variable, str) or not variable.strip():
        raise invalid(f"{where}.capture", "must name the variable the speech is captured into")
    timeout = step.get("timeout")
    if (
        isinstance(timeout, bool)
        or not isinstance(timeout, int)
        or not 1 <= timeout <= MAX_CAPTURE_SECONDS
    ):
        raise invalid(
            f"{where}.timeout", f"must be a whole number of seconds from 1 to {MAX_CAPTURE_SECONDS}"
        )
    speech = step.get("speechOptions")
    if not isinstance(speech, dict):
        raise invalid(f"{where}.speechOptions", 'must be an object such as {"language": "en-US"}')
    phrases = speech.get("keyPhrases")
    _strings(
        phrases, f"{where}.speechOptions.keyPhrases", "key phrases", max_items=1000, max_length=255
    )
    for i, phrase in enumerate(phrases or []):
        if len(phrase.split()) > MAX_KEY_PHRASE_WORDS:
            raise invalid(
                f"{where}.speechOptions.keyPhrases[{i}]",
                f"a key phrase has at most {MAX_KEY_PHRASE_WORDS} words",
            )


def _dial_to_conversations(step: dict[str, Any], where: str) -> None:
    data = step.get("dialToConversations")
    options = data.get("options") if isinstance(data, dict) else None
    if not isinstance(options, dict):
        raise invalid(
            f"{where}.dialToConversations",
            'must be {"options": {"tags": [...]}} (tags may be an empty list or null)',
        )
    _strings(
        options.get("tags"),
        f"{where}.dialToConversations.options.tags",
        "tags",
        max_items=MAX_TAGS,
        max_length=MAX_TAG_LENGTH,
    )


_BY_STEP = {"Capture": _capture, "DialToConversations": _dial_to_conversations}


def check_step_options(step_name: str, step: dict[str, Any], where: str) -> None:
    check = _BY_STEP.get(step_name)
    if check is not None:
        check(step, where)


def check_storable(value: Any, where: str) -> None:
    """Refuse what a document store cannot hold: a list directly inside a list, a key starting
    with `$` or holding a `.`. Iterative, so depth costs no stack (the depth is bounded before)."""
    stack: list[tuple[Any, str, bool]] = [(value, where, False)]
    while stack:
        item, path, in_list = stack.pop()
        if isinstance(item, list):
            if in_list:
                raise invalid(
                    path,
                    "lists inside lists cannot be stored; wrap the inner list "
                    'in an object, e.g. [{"items": [...]}]',
                )
            stack.extend((v, f"{path}[{i}]", True) for i, v in enumerate(item))
        elif isinstance(item, dict):
            for key, v in item.items():
                if key.startswith("$") or "." in key:
                    raise invalid(f"{path}.{key}", "keys cannot start with '$' or contain '.'")
                stack.append((v, f"{path}.{key}", False))
