"""`callplane routes`, `callplane calls-config`, `callplane ivr`: what voice actions point to."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

from callplane_client.cli.errors import CliError
from callplane_client.cli.output import JsonFlag, QuietFlag, emit
from callplane_client.cli.resources import add_read_commands, read_json
from callplane_client.cli.runtime import api

routes = typer.Typer(help="Call-routing routes: list, create, show, delete.")
calls_config = typer.Typer(help="Calls API configurations: list, create, show, delete.")
ivr = typer.Typer(help="IVR scenarios: list, create, update, show, delete.")

ROUTES, CONFIGS, SCENARIOS = (
    "/callrouting/1/routes",
    "/calls/1/configurations",
    "/voice/ivr/1/scenarios",
)
NotifyUrl = Annotated[
    str | None,
    typer.Option(help="Where the IVR run's events are POSTed, signed (DTMF, recording, end)."),
]
FileOption = Annotated[
    Path | None,
    typer.Option("--file", help="The whole request body as a JSON file.", dir_okay=False),
]

add_read_commands(
    routes,
    command="routes",
    path=ROUTES,
    noun="route",
    columns=("id", "name", "status", "order", "criteria", "destinations"),
)
add_read_commands(
    calls_config,
    command="calls-config",
    path=CONFIGS,
    noun="calls configuration",
    columns=("id", "name"),
)
add_read_commands(
    ivr,
    command="ivr",
    path=SCENARIOS,
    noun="IVR scenario",
    columns=("id", "name", "version", "lastUsageDate", "updateTime"),
    params=lambda page, size: {"page": page, "pageSize": size},
)


def route_body(
    name: str | None,
    to: list[str],
    callers: list[str],
    phones: list[str],
    urls: list[str],
    time_zone: str | None,
) -> dict[str, Any]:
    if not name:
        raise CliError("a route needs --name (or --file)")
    destinations: list[dict[str, Any]] = [
        {"type": "ENDPOINT", "priority": i, "value": {"type": "PHONE", "phoneNumber": phone}}
        for i, phone in enumerate(phones, start=1)
    ]
    destinations += [
        {"type": "URL", "priority": len(phones) + i, "value": {"url": url}}
        for i, url in enumerate(urls, start=1)
    ]
    if not destinations:
        raise CliError("a route needs at least one --phone or --url destination")
    criteria: list[dict[str, Any]] = [{"to": pattern} for pattern in to]
    criteria += [{"value": {"type": "PHONE", "from": pattern}} for pattern in callers]
    body: dict[str, Any] = {"name": name, "criteria": criteria, "destinations": destinations}
    if time_zone:
        body["timeZone"] = time_zone
    return body


@routes.command("create")
def create_route(
    ctx: typer.Context,
    name: Annotated[str | None, typer.Option(help="Route name.")] = None,
    to: Annotated[
        list[str] | None, typer.Option(help="Called-number pattern (repeatable).")
    ] = None,
    caller: Annotated[
        list[str] | None, typer.Option("--from", help="Caller pattern (repeatable).")
    ] = None,
    phone: Annotated[
        list[str] | None, typer.Option(help="Destination phone, tried in the order given.")
    ] = None,
    url: Annotated[
        list[str] | None, typer.Option(help="Destination URL, after the phones.")
    ] = None,
    time_zone: Annotated[str | None, typer.Option(help="IANA zone of time windows.")] = None,
    file: FileOption = None,
    as_json: JsonFlag = False,
    quiet: QuietFlag = False,
) -> None:
    """Create a route; no --to/--from matches every call.

    Example: callplane routes create --name office --to '4930(.*)' --phone 41793026727
    """
    body = (
        read_json(file)
        if file
        else route_body(name, to or [], caller or [], phone or [], url or [], time_zone)
    )
    route = api(ctx).post(ROUTES, json=body)
    emit(
        route,
        as_json=as_json,
        quiet=quiet,
        key="id",
        columns=("id", "name", "status", "order", "criteria", "destinations"),
    )


@calls_config.command("create")
def create_calls_config(
    ctx: typer.Context,
    name: Annotated[str, typer.Option(help="Name.")],
    config_id: Annotated[
        str | None, typer.Option("--id", help="Id ([a-zA-Z0-9_-], generated if absent).")
    ] = None,
    as_json: JsonFlag = False,
    quiet: QuietFlag = False,
) -> None:
    """Create a calls configuration.  Example: callplane calls-config create --name support"""
    body = {"name": name, **({"id": config_id} if config_id else {})}
    emit(api(ctx).post(CONFIGS, json=body), as_json=as_json, quiet=quiet, key="id")


@ivr.command("create")
def create_scenario(
    ctx: typer.Context,
    name: Annotated[str | None, typer.Option(help="Scenario name.")] = None,
    say: Annotated[str | None, typer.Option(help="Quick script: say this first...")] = None,
    dial: Annotated[str | None, typer.Option(help="...then dial this number.")] = None,
    notify_url: NotifyUrl = None,
    file: FileOption = None,
    as_json: JsonFlag = False,
    quiet: QuietFlag = False,
) -> None:
    """Create an IVR scenario from --file, or a say-then-dial script from --say/--dial. The
    answer's notifySecret (shown once) verifies the signed notifications to --notify-url.

    Example: callplane ivr create --name welcome --say 'Hello' --dial 41793026727
    """
    body = scenario_body(name, say, dial, notify_url, file)
    scenario = api(ctx).post(SCENARIOS, json=body)
    emit(
        scenario,
        as_json=as_json,
        quiet=quiet,
        key="id",
        columns=("id", "name", "version", "script", "notifySecret", "createTime"),
    )


@ivr.command("update")
def update_scenario(
    ctx: typer.Context,
    scenario_id: Annotated[str, typer.Argument(help="Scenario id.")],
    name: Annotated[str | None, typer.Option(help="Scenario name.")] = None,
    say: Annotated[str | None, typer.Option(help="Quick script: say this first...")] = None,
    dial: Annotated[str | None, typer.Option(help="...then dial this number.")] = None,
    notify_url: NotifyUrl = None,
    file: FileOption = None,
    as_json: JsonFlag = False,
) -> None:
    """Replace a scenario (a new version: new calls get it within seconds).

    Example: callplane ivr update <id> --name welcome --say 'Hello again' --dial 41793026727
    """
    body = scenario_body(name, say, dial, notify_url, file)
    scenario = api(ctx).put(f"{SCENARIOS}/{scenario_id}", json=body)
    emit(scenario, as_json=as_json, columns=("id", "name", "version", "script", "updateTime"))


def scenario_body(
    name: str | None, say: str | None, dial: str | None, notify_url: str | None, file: Path | None
) -> dict[str, Any]:
    if file:
        body: dict[str, Any] = read_json(file)
        return body
    script: list[dict[str, Any]] = []
    if say:
        script.append({"say": say})
    if dial:
        script.append({"dial": dial})
    if not (name and script):
        raise CliError("an IVR scenario needs --name and --say and/or --dial (or --file)")
    return {"name": name, "script": script, **({"notifyUrl": notify_url} if notify_url else {})}
