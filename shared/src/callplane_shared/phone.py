"""The one E.164 normaliser of callplane: every service parses and validates numbers here, with
`phonenumbers`, never by hand. Numbers come with or without '+' (Infobip writes `41793026731`);
they leave as E.164 with '+'."""

from __future__ import annotations

import phonenumbers


class InvalidPhoneNumberError(ValueError):
    pass


def to_e164(raw: str | int, country: str | None = None) -> str:
    """`raw` in international form as E.164; with `country` (ISO 3166 alpha-2) the number must
    also belong to it. InvalidPhoneNumberError says why not."""
    text = str(raw).strip()
    if not text:
        raise InvalidPhoneNumberError("number is empty")
    try:
        parsed = phonenumbers.parse(text if text.startswith("+") else f"+{text}", None)
    except phonenumbers.NumberParseException as exc:
        raise InvalidPhoneNumberError(f"{raw!r} is not a phone number: {exc}") from exc
    if not phonenumbers.is_valid_number(parsed):
        raise InvalidPhoneNumberError(f"{raw!r} is not a valid number")
    region = phonenumbers.region_code_for_number(parsed)
    if country is not None and region != country.upper():
        raise InvalidPhoneNumberError(f"{raw!r} belongs to {region}, not {country.upper()}")
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)
