"""GET /numbers/1/numbers/available: filters, paging and the import that feeds it."""

from __future__ import annotations

from typing import Any

import pytest

from tests.integration.number_inventory.inventory import CSV_HEADER, Inventory, service_exception

pytestmark = pytest.mark.integration


async def test_search_filters_by_capability_country_number_and_pages(
    inventory: Inventory,
) -> None:
    tenant = await inventory.tenant(balance=0)
    prefix, numbers = await inventory.fresh_numbers(["SMS|VOICE", "SMS|VOICE", "SMS", "VOICE"])

    async def search(**params: Any) -> dict[str, Any]:
        reply = await inventory.http.get(
            "/numbers/1/numbers/available",
            params={"number": prefix, **params},
            headers=tenant.headers,
        )
        assert reply.status_code == 200, reply.text
        body: dict[str, Any] = reply.json()
        return body

    everything = await search(limit=100)
    assert everything["numberCount"] == 4
    listed = everything["numbers"]
    assert [n["number"] for n in listed] == [n.digits for n in numbers]  # sorted, no '+'
    first = listed[0]
    assert first["numberKey"] == numbers[0].number_key
    assert first["country"] == "DE"
    assert first["countryName"] == "Germany"
    assert first["capabilities"] == ["SMS", "VOICE"]
    assert first["price"] == {
        "pricePerMonth": 2.0,
        "setupPrice": 1.0,
        "initialMonthPrice": 2.0,
        "currency": "EUR",
    }
    assert first["voiceSetup"] is None

    assert (await search(capabilities="VOICE"))["numberCount"] == 3
    assert (await search(capabilities=["VOICE", "SMS"]))["numberCount"] == 2
    assert (await search(capabilities="SMS", country="de"))["numberCount"] == 3
    assert (await search(country="FR"))["numberCount"] == 0
    one = await search(number=f"+{numbers[2].digits}")
    assert one["numberCount"] == 1

    page = await search(limit=3, page=1)
    assert page["numberCount"] == 4
    assert [n["numberKey"] for n in page["numbers"]] == [numbers[3].number_key]

    default = await search()
    assert len(default["numbers"]) == 4


async def test_bad_search_input_names_the_field(inventory: Inventory) -> None:
    tenant = await inventory.tenant(balance=0)
    cases: list[tuple[dict[str, str | int], str]] = [
        ({"capabilities": "FAX"}, "capabilities"),
        ({"limit": 0}, "limit"),
        ({"limit": 1001}, "limit"),
        ({"page": -1}, "page"),
        ({"number": "49.*"}, "number"),
        ({"country": "Germany"}, "country"),
    ]
    for params, field in cases:
        reply = await inventory.http.get(
            "/numbers/1/numbers/available", params=params, headers=tenant.headers
        )
        assert reply.status_code == 400, (params, reply.text)
        error = service_exception(reply)
        assert error["messageId"] == "BAD_REQUEST"
        assert field in str(error["validationErrors"]), (field, error)


async def test_import_is_idempotent_by_number_and_reports_bad_rows(inventory: Inventory) -> None:
    _, numbers = await inventory.fresh_numbers(["VOICE"])
    again = await inventory.import_csv(
        CSV_HEADER
        + f"{numbers[0].digits},DE,VIRTUAL_LONG_NUMBER,VOICE,9,9,9,EUR\n"
        + "4930,DE,VIRTUAL_LONG_NUMBER,VOICE,1,1,1,EUR\n"
    )
    assert again["imported"] == []
    assert again["existing"] == [numbers[0].e164]
    assert len(again["errors"]) == 1
    assert again["errors"][0].startswith("line 3")
