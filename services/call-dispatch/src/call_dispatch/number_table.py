"""The numbers of the dispatch view, packed: one int key and one int value per number.

A million numbers as a dict of strings to tuples took about 200 MiB (a 64-byte key string, a
96-byte tuple, an own string per forward target). Here a number is its E.164 digits as an int
(32 bytes), and everything the view holds of it is one int. Accounts and profiles (voice capable,
action type, the action's argument, fallback, application id) repeat across numbers: each is
kept once, shared by index, counted by use and dropped at the last one, so updates and releases
leave nothing behind. Forward targets are usually one per number, so their digits stay in the
number's own int. The value's bits, lowest first:

    narrow (32 bytes: no PSTN digits, profile < 2**20, account < 2**22, version < 2**16)
        live · 0 · profile (20) · account (22) · version
    wide (48 bytes)
        live · 1 · PSTN digits held · written with '+' · profile (32) · account (32) ·
        PSTN digits (60) · version

`live` 0 is a removal marker: only the version is kept. The version is the top field of both, so
any version fits (a larger one only makes the int longer). A number or target that is not plain
digits (never the case for what action-config writes) is kept as it came: the number as a string
key, the target in its profile. Nothing is lost either way; only the size changes.
"""

from __future__ import annotations

from array import array
from collections.abc import Hashable
from typing import Generic, NamedTuple, TypeVar

from callplane_shared.voice import ActionType, Fallback, FallbackForward

MAX_DIGITS = 18
"""Digits a number or target may have to be packed: 10**18 < 2**60, a two-digit Python int."""

_LIVE, _WIDE, _PSTN_DIGITS, _PSTN_PLUS = 1, 2, 4, 8
# narrow
_N_PROFILE_MASK, _N_ACCOUNT_MASK = (1 << 20) - 1, (1 << 22) - 1
_N_PROFILE_SHIFT = 2
_N_ACCOUNT_SHIFT = _N_PROFILE_SHIFT + 20
_N_VERSION_SHIFT = _N_ACCOUNT_SHIFT + 22
# wide: an index in use is held by at least one number, so 2**32 of them cannot fit in memory
_W_INDEX_MASK = (1 << 32) - 1
_W_PROFILE_SHIFT = 4
_W_ACCOUNT_SHIFT = _W_PROFILE_SHIFT + 32
_W_PSTN_SHIFT = _W_ACCOUNT_SHIFT + 32
_W_PSTN_MASK = (1 << 60) - 1
_W_VERSION_SHIFT = _W_PSTN_SHIFT + 60

T = TypeVar("T")


class NumberEntry(NamedTuple):
    """One number's voice setup, as the decider reads it."""

    version: int
    account_id: str | None
    voice_capable: bool
    action_type: ActionType | None
    action_arg: str | None
    """The action's one parameter: PSTN number, masking config key, calls configuration id,
    route id (None: match routes by criteria), IVR scenario key or Conversations queue id."""
    fallback: Fallback | None
    application_id: str | None


Profile = tuple[bool, ActionType | None, str | None, Fallback | None, str | None]
"""(voice capable, action type, argument unless PSTN digits, fallback, application id)"""

_new_entry = tuple.__new__  # NumberEntry's own __new__ is a Python frame: a third of a lookup


def e164(number: str) -> str:
    """The view's key: E.164 with '+' (the edge may send the number without it)."""
    number = number.strip()
    return number if number.startswith("+") else f"+{number}"


def _digits(value: str) -> int | None:
    """`value`'s digits as an int when that is lossless (ASCII digits, no leading zero)."""
    if (
        0 < len(value) <= MAX_DIGITS
        and value.isascii()
        and value.isdigit()
        and value[0] != "0"  # "+041" and "+41" must not be one number
    ):
        return int(value)
    return None


def number_key(number: str) -> int | str:
    """A number's key in the table: its digits, or the E.164 string when they do not pack.
    (`e164` and `_digits` inlined: this runs for every call.)"""
    number = number.strip()
    digits = number.removeprefix("+")
    if 0 < len(digits) <= MAX_DIGITS and digits.isascii() and digits.isdigit() and digits[0] != "0":
        return int(digits)
    return "+" + digits


class Shared(Generic[T]):
    """Values shared by many numbers, by a small index; each counted by use, freed at zero."""

    def __init__(self) -> None:
        self.values: list[T | None] = []
        """Read directly by the hot path; an index is only read while a number uses it."""
        self._keys: list[Hashable] = []
        self._index: dict[Hashable, int] = {}
        self._uses = array("Q")
        self._free: list[int] = []

    def acquire(self, key: Hashable, value: T) -> int:
        """The index of `key`'s value (stored now if new), with one more use."""
        index = self._index.get(key)
        if index is None:
            if self._free:
                index = self._free.pop()
                self.values[index], self._keys[index] = value, key
            else:
                index = len(self.values)
                self.values.append(value)
                self._keys.append(key)
                self._uses.append(0)
            self._index[key] = index
        self._uses[index] += 1
        return index

    def release(self, index: int) -> None:
        uses = self._uses[index] - 1
        self._uses[index] = uses
        if uses == 0:
            del self._index[self._keys[index]]
            self.values[index] = self._keys[index] = None
            self._free.append(index)

    def __len__(self) -> int:
        return len(self._index)


class NumberTable:
    """key (`number_key`) → version and live entry, or a removal marker. Says nothing about which
    record wins: the view decides that and stores the result here."""

    def __init__(self) -> None:
        self._packed: dict[int | str, int] = {}
        self.profiles: Shared[Profile] = Shared()
        self.accounts: Shared[str] = Shared()
        # The same lists, one attribute lookup closer for `get`.
        self._profile_values = self.profiles.values
        self._account_values = self.accounts.values

    def __len__(self) -> int:
        """Numbers held, live or removed."""
        return len(self._packed)

    def held(self, key: int | str) -> tuple[int, bool] | None:
        """(version, live) of what is held under `key`, or None when nothing is."""
        packed = self._packed.get(key)
        if packed is None:
            return None
        shift = _W_VERSION_SHIFT if packed & _WIDE else _N_VERSION_SHIFT
        return packed >> shift, bool(packed & _LIVE)

    def get(self, key: int | str) -> NumberEntry | None:
        """The live entry under `key`, or None when it is unknown or removed."""
        packed = self._packed.get(key)
        if packed is None or not packed & _LIVE:
            return None
        if packed & _WIDE:
            return self._wide(packed)
        capable, action_type, arg, fallback, application_id = self._profile_values[  # type: ignore[misc]
            packed >> _N_PROFILE_SHIFT & _N_PROFILE_MASK
        ]
        entry = (
            packed >> _N_VERSION_SHIFT,
            self._account_values[packed >> _N_ACCOUNT_SHIFT & _N_ACCOUNT_MASK],
            capable,
            action_type,
            arg,
            fallback,
            application_id,
        )
        return _new_entry(NumberEntry, entry)

    def _wide(self, packed: int) -> NumberEntry:
        capable, action_type, arg, fallback, application_id = self._profile_values[  # type: ignore[misc]
            packed >> _W_PROFILE_SHIFT & _W_INDEX_MASK
        ]
        if packed & _PSTN_DIGITS:
            digits = packed >> _W_PSTN_SHIFT & _W_PSTN_MASK
            arg = f"+{digits}" if packed & _PSTN_PLUS else str(digits)
        entry = (
            packed >> _W_VERSION_SHIFT,
            self._account_values[packed >> _W_ACCOUNT_SHIFT & _W_INDEX_MASK],
            capable,
            action_type,
            arg,
            fallback,
            application_id,
        )
        return _new_entry(NumberEntry, entry)

    def put(self, key: int | str, version: int, account_id: str, profile: Profile) -> None:
        """Hold `key` live at `version`. A PSTN target that packs goes into the number's own int;
        the rest of `profile` is shared with every number that has the same."""
        if version < 0:
            raise ValueError("a version is never negative")
        capable, action_type, arg, fallback, application_id = profile
        flags, pstn = _LIVE, 0
        if action_type is ActionType.FORWARD_TO_PSTN and arg is not None:
            plus = arg.startswith("+")
            digits = _digits(arg[1:] if plus else arg)
            if digits is not None:
                flags |= _WIDE | _PSTN_DIGITS | (_PSTN_PLUS if plus else 0)
                pstn, arg = digits, None
        shared: Profile = (capable, action_type, arg, fallback, application_id)
        shared_fallback = None if fallback is None else fallback_key(fallback)
        profile_key = (capable, action_type, arg, shared_fallback, application_id)
        profile_index = self.profiles.acquire(profile_key, shared)
        account_index = self.accounts.acquire(account_id, account_id)
        if flags & _WIDE or profile_index > _N_PROFILE_MASK or account_index > _N_ACCOUNT_MASK:
            packed = (
                version << _W_VERSION_SHIFT
                | pstn << _W_PSTN_SHIFT
                | account_index << _W_ACCOUNT_SHIFT
                | profile_index << _W_PROFILE_SHIFT
                | flags
                | _WIDE
            )
        else:
            packed = (
                version << _N_VERSION_SHIFT
                | account_index << _N_ACCOUNT_SHIFT
                | profile_index << _N_PROFILE_SHIFT
                | flags
            )
        self._store(key, packed)

    def remove(self, key: int | str, version: int) -> None:
        """Keep only a marker: the number was removed at `version`."""
        if version < 0:
            raise ValueError("a version is never negative")
        self._store(key, version << _N_VERSION_SHIFT)

    def _store(self, key: int | str, packed: int) -> None:
        previous = self._packed.get(key)
        self._packed[key] = packed
        if previous is not None and previous & _LIVE:
            # Released after the new value took its uses: a number stored again with the same
            # account or profile never frees it in between.
            if previous & _WIDE:
                profile = previous >> _W_PROFILE_SHIFT & _W_INDEX_MASK
                account = previous >> _W_ACCOUNT_SHIFT & _W_INDEX_MASK
            else:
                profile = previous >> _N_PROFILE_SHIFT & _N_PROFILE_MASK
                account = previous >> _N_ACCOUNT_SHIFT & _N_ACCOUNT_MASK
            self.profiles.release(profile)
            self.accounts.release(account)

    def count_live(self) -> int:
        return sum(packed & _LIVE for packed in self._packed.values())


def fallback_key(fallback: Fallback) -> tuple[str, str]:
    """What makes two fallbacks the same (the models themselves are not hashable)."""
    detail = fallback.pstn_number if isinstance(fallback, FallbackForward) else fallback.reason
    return fallback.type, detail
