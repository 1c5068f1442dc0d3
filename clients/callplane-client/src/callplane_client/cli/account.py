"""`callplane account`: settings of the customer's own account."""

from __future__ import annotations

from typing import Annotated

import typer

from callplane_client.cli.output import JsonFlag, emit, note
from callplane_client.cli.runtime import api

app = typer.Typer(help="Your account's settings.")
queue = typer.Typer(
    help="The default Conversations queue of numbers that name none: set, show, delete."
)
app.add_typer(queue, name="conversations-queue")

QUEUE = "/account/1/conversations-queue"
COLUMNS = ("queueId", "effectiveQueueId")


@queue.command("set")
def set_queue(
    ctx: typer.Context,
    queue_id: Annotated[str, typer.Argument(help="Letters, digits, `_.-`, 1-128.")],
    as_json: JsonFlag = False,
) -> None:
    """Calls to your Conversations numbers without their own queue go there.

    Example: callplane account conversations-queue set support
    """
    emit(api(ctx).put(QUEUE, json={"queueId": queue_id}), as_json=as_json, columns=COLUMNS)


@queue.command("show")
def show_queue(ctx: typer.Context, as_json: JsonFlag = False) -> None:
    """Your default queue and the one that applies.

    Example: callplane account conversations-queue show
    """
    emit(api(ctx).get(QUEUE), as_json=as_json, columns=COLUMNS)


@queue.command("delete")
def delete_queue(ctx: typer.Context) -> None:
    """Back to the platform's default queue.

    Example: callplane account conversations-queue delete
    """
    api(ctx).delete(QUEUE)
    note("default Conversations queue deleted: the platform's default applies")
