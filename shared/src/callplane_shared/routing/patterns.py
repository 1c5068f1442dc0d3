"""Customer-supplied number patterns, matched in linear time (invariant 8).

A criterion's `to`/`from` is either a number (digits, optional '+') compared digit for digit, or a
regular expression that must match the whole subject. Python's `re` backtracks, so a customer
pattern such as `\\d{0,9}` repeated twenty times then `\\D` takes minutes on a phone number and
freezes the event loop of every tenant. Patterns therefore run on RE2 (google-re2), whose automata
match in time linear in the subject whatever the pattern: no pattern is "too clever" to run.

What RE2 cannot run (backreferences, lookarounds, atomic groups, possessive quantifiers) is refused
when the route is written, with a message naming the construct. Patterns are at most
`MAX_PATTERN_LENGTH` characters and subjects longer than `MAX_SUBJECT_LENGTH` never match, which
bounds the linear cost too. Compiled patterns are cached by their text.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

import re2

MAX_PATTERN_LENGTH = 256
MAX_SUBJECT_LENGTH = 128
# RE2 refuses a pattern whose compiled program would exceed this budget ("pattern too large")
# instead of allocating it: a bound on memory per pattern as well as on time.
MAX_PROGRAM_BYTES = 1 << 20

_NUMBER = re.compile(r"\+?[0-9]{1,32}")
_OPTIONS = re2.Options()
_OPTIONS.log_errors = False  # a refused customer pattern is a 400, not a line in our log
_OPTIONS.max_mem = MAX_PROGRAM_BYTES

# RE2's own messages, translated to what a customer should change. Order matters: first match wins.
_UNSUPPORTED = (
    (re.compile(r"invalid escape sequence: \\[1-9]"), "backreferences (\\1) are not supported"),
    (re.compile(r"invalid perl operator: \(\?P$"), "named backreferences are not supported"),
    (re.compile(r"invalid perl operator: \(\?<?[=!]"), "lookarounds ((?=, (?<=) are not supported"),
    (re.compile(r"invalid perl operator: \(\?>"), "atomic groups ((?>...)) are not supported"),
    (re.compile(r"bad repetition operator: .[+]"), "possessive quantifiers (a++) are unsupported"),
    (re.compile(r"invalid named capture group"), "invalid named group; write (?P<name>...)"),
    (re.compile(r"invalid repetition size"), "a repetition count is larger than 1000"),
    (re.compile(r"pattern too large"), "the pattern expands too much; use fewer repetitions"),
)  # fmt: skip


class UnsafePatternError(ValueError):
    """The pattern is not a number and not a regular expression RE2 runs; the text says why."""


def _explain(message: str) -> str:
    for shape, text in _UNSUPPORTED:
        if shape.search(message):
            return text
    return f"not a valid regular expression: {message}"


def is_number(pattern: str) -> bool:
    return _NUMBER.fullmatch(pattern) is not None


def _compile(pattern: str) -> re2._Regexp[str]:
    if len(pattern) > MAX_PATTERN_LENGTH:
        raise UnsafePatternError(f"pattern is longer than {MAX_PATTERN_LENGTH} characters")
    if not pattern:
        raise UnsafePatternError("pattern must not be empty")
    try:
        return re2.compile(pattern, _OPTIONS)
    except re2.error as exc:
        raw = exc.args[0] if exc.args else ""
        message = raw.decode(errors="replace") if isinstance(raw, bytes) else str(raw)
        raise UnsafePatternError(_explain(message)) from exc


def validate_pattern(pattern: str) -> None:
    """Raise `UnsafePatternError` unless `pattern` is a number or a regular expression RE2 runs."""
    if not is_number(pattern):
        _compile(pattern)


@dataclass(frozen=True, slots=True)
class Pattern:
    """A validated pattern, ready to test subjects."""

    text: str
    number: str | None
    regex: re2._Regexp[str] | None

    def matches(self, subject: str | None) -> bool:
        if subject is None or len(subject) > MAX_SUBJECT_LENGTH:
            return False
        if self.number is not None:
            return subject.lstrip("+") == self.number
        if self.regex is None:  # a pattern refused at write time (or stored before) matches nothing
            return False
        bare = subject.lstrip("+")
        return bool(self.regex.fullmatch(bare) or self.regex.fullmatch(subject))


@lru_cache(maxsize=8192)
def compile_pattern(text: str) -> Pattern:
    """The cached compiled form of `text`; never raises (refused patterns match nothing)."""
    if is_number(text):
        return Pattern(text, text.lstrip("+"), None)
    try:
        return Pattern(text, None, _compile(text))
    except UnsafePatternError:
        return Pattern(text, None, None)
