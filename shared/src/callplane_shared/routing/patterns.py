"""Customer-supplied number patterns that cannot hang the matcher.

A criterion's `to`/`from` is either a number (digits, optional '+') compared digit for digit, or a
regular expression that must match the whole subject. Python's `re` backtracks, so a pattern like
`(\\d+)+$` can take exponential time. Instead of a timeout (which `re` cannot honour) or a
different engine, every pattern is checked once, when it is written, against rules that rule out
catastrophic backtracking:

- at most `MAX_PATTERN_LENGTH` characters;
- no quantified sub-pattern that itself contains a quantifier or an alternation (`(a+)+`,
  `(a|aa)*`): the classic exponential shapes;
- no backreferences or lookarounds (not needed to describe numbers, and not linear);
- at most `MAX_UNBOUNDED_REPEATS` unbounded quantifiers in the whole pattern, and subjects longer
  than `MAX_SUBJECT_LENGTH` never match, so the remaining polynomial worst case stays tiny.

Compiled patterns are cached by their text, so each route version compiles each pattern once.
"""

from __future__ import annotations

import importlib
import re
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

MAX_PATTERN_LENGTH = 256
MAX_UNBOUNDED_REPEATS = 3
MAX_SUBJECT_LENGTH = 128

_NUMBER = re.compile(r"\+?[0-9]{1,32}")
# The stdlib parser (`re._parser`, `sre_parse` before 3.11) gives us the pattern's tree; there is
# no public API for it. Loaded dynamically because its typing stubs live under the old name.
_parser: Any = importlib.import_module("re._parser")
_consts: Any = importlib.import_module("re._constants")

_REPEATS = {"MAX_REPEAT", "MIN_REPEAT", "POSSESSIVE_REPEAT"}
_FORBIDDEN = {
    "GROUPREF": "backreferences are not allowed",
    "GROUPREF_EXISTS": "conditional groups are not allowed",
    "ASSERT": "lookarounds are not allowed",
    "ASSERT_NOT": "lookarounds are not allowed",
}


class UnsafePatternError(ValueError):
    """The pattern is not a number and not an acceptable regular expression; the text says why."""


def _children(op: str, av: Any) -> list[Any]:
    """The sub-patterns of one parsed node."""
    if op in _REPEATS:
        return [av[2]]
    if op == "SUBPATTERN":
        return [av[3]]
    if op == "BRANCH":
        return list(av[1])
    if op == "ATOMIC_GROUP":
        return [av]
    return []


def _walk(items: Any, inside_repeat: bool, counter: list[int]) -> None:
    for raw_op, av in items:
        op = str(raw_op)
        if op in _FORBIDDEN:
            raise UnsafePatternError(_FORBIDDEN[op])
        if op == "BRANCH" and inside_repeat:
            raise UnsafePatternError(
                "an alternation inside a repeated group can backtrack exponentially; "
                "list the alternatives as separate criteria instead"
            )
        repeats_many = op in _REPEATS and av[1] > 1
        if repeats_many:
            if inside_repeat:
                raise UnsafePatternError(
                    "nested quantifiers (like `(\\d+)+`) can backtrack exponentially"
                )
            if av[1] == _consts.MAXREPEAT:
                counter[0] += 1
        for child in _children(op, av):
            _walk(child, inside_repeat or repeats_many, counter)


def is_number(pattern: str) -> bool:
    return _NUMBER.fullmatch(pattern) is not None


def validate_pattern(pattern: str) -> None:
    """Raise `UnsafePatternError` unless `pattern` is a number or a safe regular expression."""
    if len(pattern) > MAX_PATTERN_LENGTH:
        raise UnsafePatternError(f"pattern is longer than {MAX_PATTERN_LENGTH} characters")
    if not pattern:
        raise UnsafePatternError("pattern must not be empty")
    if is_number(pattern):
        return
    try:
        tree = _parser.parse(pattern)
    except re.error as exc:
        raise UnsafePatternError(f"not a valid regular expression: {exc}") from exc
    counter = [0]
    _walk(tree.data, inside_repeat=False, counter=counter)
    if counter[0] > MAX_UNBOUNDED_REPEATS:
        raise UnsafePatternError(
            f"at most {MAX_UNBOUNDED_REPEATS} unbounded quantifiers (*, +, {{n,}}) are allowed"
        )


@dataclass(frozen=True, slots=True)
class Pattern:
    """A validated pattern, ready to test subjects."""

    text: str
    number: str | None
    regex: re.Pattern[str] | None

    def matches(self, subject: str | None) -> bool:
        if subject is None or len(subject) > MAX_SUBJECT_LENGTH:
            return False
        if self.number is not None:
            return subject.lstrip("+") == self.number
        if self.regex is None:  # an unsafe pattern that slipped past validation matches nothing
            return False
        bare = subject.lstrip("+")
        return bool(self.regex.fullmatch(bare) or self.regex.fullmatch(subject))


@lru_cache(maxsize=8192)
def compile_pattern(text: str) -> Pattern:
    """The cached compiled form of `text`; never raises (unsafe patterns match nothing)."""
    if is_number(text):
        return Pattern(text, text.lstrip("+"), None)
    try:
        validate_pattern(text)
    except UnsafePatternError:
        return Pattern(text, None, None)
    return Pattern(text, None, re.compile(text))
