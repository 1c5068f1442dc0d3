"""`callplane voice`: the one inbound action of a number (set, show, history, remove)."""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated, Any

import typer

from callplane_client.cli.errors import CliError
from callplane_client.cli.output import JsonFlag, emit, note
from callplane_client.cli.runtime import api

app = typer.Typer(help="The inbound voice action of a number: set, show, history, remove.")


class Kind(StrEnum):
    pstn = "pstn"
    masking = "masking"
    conversations = "conversations"
    subscription = "subscription"
    routing = "routing"
    ivr = "ivr"


# kind -> (API type, option that carries its field, API field, whether it is required)
_ACTIONS: dict[Kind, tuple[str, str | None, str | None, bool]] = {
    Kind.pstn: ("FORWARD_TO_PSTN", "pstn_number", "pstnNumber", True),
    Kind.masking: ("VOICE_NUMBER_MASKING", "masking_config", "voiceNumberMaskingConfigKey", True),
    Kind.conversations: ("VOICE_FORWARD_TO_CONVERSATIONS", "queue", "queueId", False),
    Kind.subscription: (
        "FORWARD_TO_SUBSCRIPTION",
        "calls_configuration",
        "callsConfigurationId",
        True,
    ),
    Kind.routing: ("FORWARD_TO_CALL_ROUTING", "route_id", "routeId", False),
    Kind.ivr: ("FORWARD_TO_IVR", "scenario", "scenarioKey", True),
}


def _path(number_key: str) -> str:
    return f"/numbers/2/numbers/{number_key}/voice"


def build_setup(
    kind: Kind,
    fields: dict[str, str | None],
    fallback_pstn: str | None,
    fallback_reject: str | None,
    description: str | None,
) -> dict[str, Any]:
    """The request body for `kind`; refuses a missing field or a field of another kind."""
    api_type, option, api_field, required = _ACTIONS[kind]
    stray = [name for name, value in fields.items() if value is not None and name != option]
    if stray:
        flags = ", ".join("--" + name.replace("_", "-") for name in stray)
        raise CliError(f"{flags} does not apply to --type {kind.value}")
    action: dict[str, Any] = {"type": api_type}
    if option and api_field:
        value = fields.get(option)
        if value is None and required:
            raise CliError(f"--type {kind.value} needs --{option.replace('_', '-')}")
        if value is not None:
            action[api_field] = value
    if description:
        action["description"] = description
    setup: dict[str, Any] = {"action": action}
    if fallback_pstn and fallback_reject:
        raise CliError("give one fallback: --fallback-pstn or --fallback-reject")
    if fallback_pstn:
        setup["fallback"] = {"type": "FORWARD_TO_PSTN", "pstnNumber": fallback_pstn}
    elif fallback_reject:
        setup["fallback"] = {"type": "REJECT", "reason": fallback_reject}
    return setup


def _summary(setup: dict[str, Any]) -> dict[str, Any]:
    action = setup.get("action") or {}
    details = {k: v for k, v in action.items() if k != "type" and v is not None}
    return {
        "version": setup.get("version"),
        "action": action.get("type"),
        "details": details or None,
        "fallback": setup.get("fallback"),
    }


@app.command("set")
def set_(
    ctx: typer.Context,
    number_key: Annotated[str, typer.Argument(help="numberKey of a number you lease.")],
    kind: Annotated[Kind, typer.Option("--type", help="Which action.")],
    pstn_number: Annotated[str | None, typer.Option(help="pstn: forward to this number.")] = None,
    masking_config: Annotated[str | None, typer.Option(help="masking: config key.")] = None,
    calls_configuration: Annotated[
        str | None, typer.Option(help="subscription: calls configuration id.")
    ] = None,
    route_id: Annotated[
        str | None, typer.Option(help="routing: a fixed route (none: first matching route).")
    ] = None,
    scenario: Annotated[str | None, typer.Option(help="ivr: IVR scenario id.")] = None,
    queue: Annotated[
        str | None, typer.Option(help="conversations: queue id (none: the account's default).")
    ] = None,
    fallback_pstn: Annotated[
        str | None, typer.Option(help="When the action cannot complete, forward here.")
    ] = None,
    fallback_reject: Annotated[
        str | None, typer.Option(help="...or reject with this reason, e.g. REJECTED_BY_CUSTOMER.")
    ] = None,
    description: Annotated[str | None, typer.Option(help="Free text.")] = None,
    if_version: Annotated[
        int | None, typer.Option(help="Replace only if the current version is this (412 if not).")
    ] = None,
    as_json: JsonFlag = False,
) -> None:
    """Set (create or replace) the number's action.

    Example: callplane voice set <numberKey> --type pstn --pstn-number 41793026727
    --fallback-pstn 41793026728
    """
    fields = {
        "pstn_number": pstn_number,
        "masking_config": masking_config,
        "calls_configuration": calls_configuration,
        "route_id": route_id,
        "scenario": scenario,
        "queue": queue,
    }
    body = build_setup(kind, fields, fallback_pstn, fallback_reject, description)
    headers = {"If-Match": f'"{if_version}"'} if if_version is not None else None
    setup = api(ctx).put(_path(number_key), json=body, headers=headers)
    emit(setup, as_json=as_json, view=_summary)


@app.command()
def show(
    ctx: typer.Context,
    number_key: Annotated[str, typer.Argument(help="numberKey.")],
    as_json: JsonFlag = False,
) -> None:
    """The number's current action and version.  Example: callplane voice show <numberKey>"""
    setup = api(ctx).get(_path(number_key))
    emit(setup, as_json=as_json, view=_summary)


@app.command()
def history(
    ctx: typer.Context,
    number_key: Annotated[str, typer.Argument(help="numberKey.")],
    as_json: JsonFlag = False,
) -> None:
    """Every version of the number's action.  Example: callplane voice history <numberKey>"""
    reply = api(ctx).get(f"{_path(number_key)}/history")
    emit(reply, as_json=as_json, view=_history_rows, title="history")


def _history_rows(reply: dict[str, Any]) -> list[dict[str, Any]]:
    return [
        {
            "version": v.get("version"),
            "change": v.get("change"),
            "changedAt": v.get("changedAt"),
            "changedBy": (v.get("changedBy") or {}).get("accountId")
            or (v.get("changedBy") or {}).get("system"),
            "action": ((v.get("setup") or {}).get("action") or {}).get("type"),
        }
        for v in reply.get("versions", [])
    ]


@app.command()
def remove(
    ctx: typer.Context,
    number_key: Annotated[str, typer.Argument(help="numberKey.")],
) -> None:
    """Back to No Action.  Example: callplane voice remove <numberKey>"""
    api(ctx).delete(_path(number_key))
    note(f"{number_key}: no action")
