"""Importing pool numbers; idempotent by number (the unique index decides)."""

from __future__ import annotations

from dataclasses import dataclass, field

from pymongo.errors import DuplicateKeyError

from number_inventory.domain.pool import new_number_key, parse_csv
from number_inventory.store import Collections, number_document


@dataclass
class ImportReport:
    imported: list[dict[str, str]] = field(default_factory=list)
    existing: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)


async def import_csv(collections: Collections, text: str) -> ImportReport:
    parsed = parse_csv(text)
    report = ImportReport(errors=list(parsed.errors))
    for number in parsed.numbers:
        key = new_number_key()
        try:
            await collections.numbers.insert_one(number_document(key, number))
        except DuplicateKeyError:
            report.existing.append(number.number)
            continue
        report.imported.append({"numberKey": key, "number": number.number})
    return report
