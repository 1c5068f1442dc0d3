"""Customer route patterns that hurt a backtracking engine, shared by the unit tests of the
matcher and the integration tests through action-config's API (issue 12, invariant 8)."""

from __future__ import annotations

# Each refused with a message that names what to change.
REFUSED = {
    "(\\d)\\1": "backreferences",
    "(?P<n>4)(?P=n)": "named backreferences",
    "(?=4)\\d+": "lookarounds",
    "(?<!4)9": "lookarounds",
    "(?>49)1": "atomic groups",
    "4++": "possessive quantifiers",
    "\\d{1001}": "larger than 1000",
    ".{1000}" * 8: "expands too much",
    "[": "not a valid regular expression",
    "": "must not be empty",
}

# Shapes that backtrack catastrophically in `re` (the first is issue 12's: 2.1 s at 22 repeats,
# minutes at the length limit). On RE2 they are ordinary patterns: accepted, matched in linear time.
PATHOLOGICAL = [
    "\\d{0,9}" * 28 + "\\D",
    "(\\d+)+\\D$",
    "(\\d+)+x",
    "(\\d|\\d\\d)+x",
    "(\\d*)*x",
    "(\\d?){40}\\d{40}x",
    "(.*){12}x",
    "(\\d+\\d+)+x",
    "(4|44|444)*x",
    "((\\d+)+)+x",
    "(\\d{1,9}){1,9}x",
    "\\+?(\\d+)*(\\d+)*(\\d+)*(\\d+)*x",
    "(.*1.*){10}x",
]
