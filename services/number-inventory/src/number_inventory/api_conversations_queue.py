"""The account's default Conversations queue: where calls to its Conversations numbers that name
no queue of their own go (`PUT|GET|DELETE /account/1/conversations-queue`).

Stored on the account and published with it (`AccountUpserted.conversationsQueueId`), so
call-dispatch decides from its view and the caller-ID events follow, without asking anyone.
"""

# No `from __future__ import annotations` here: FastAPI resolves the closure-local `Account`
# alias only when annotations are evaluated at definition time.

from typing import Annotated

from fastapi import APIRouter, Depends, Response, status
from pydantic import Field

from callplane_shared.events import AccountUpserted
from callplane_shared.http_errors import not_found
from callplane_shared.openapi_docs import errors
from callplane_shared.voice import CONVERSATIONS_QUEUE_ID
from callplane_shared.wire import WireModel
from number_inventory.accounts import CONVERSATIONS_QUEUE, Accounts
from number_inventory.api_numbers import AccountDependency

PATH = "/conversations-queue"


class ConversationsQueueRequest(WireModel):
    queue_id: str = Field(
        pattern=CONVERSATIONS_QUEUE_ID,
        description="A queue (entry point) of your Conversations: letters, digits, `_.-`, 1-128.",
        examples=["support"],
    )


class ConversationsQueue(WireModel):
    queue_id: str | None = Field(
        description="Your account's default queue; null when you set none.", examples=["support"]
    )
    effective_queue_id: str = Field(
        description=(
            "Where calls to your Conversations numbers without a queue of their own go: "
            "`queueId`, else the platform's default."
        ),
        examples=["support", "default"],
    )


def conversations_queue_router(
    accounts: Accounts, current_account: AccountDependency, platform_queue: str
) -> APIRouter:
    router = APIRouter(prefix="/account/1", tags=["account"])
    Account = Annotated[AccountUpserted, Depends(current_account)]  # noqa: N806

    def shown(queue_id: str | None) -> ConversationsQueue:
        return ConversationsQueue(queue_id=queue_id, effective_queue_id=queue_id or platform_queue)

    @router.put(PATH)
    async def put_conversations_queue(
        body: ConversationsQueueRequest, account: Account
    ) -> ConversationsQueue:
        """Set the default queue of your Conversations numbers that name none; new calls and
        the numbers' caller-ID events follow within seconds."""
        await accounts.set_conversations_queue(account.account_id, body.queue_id)
        return shown(body.queue_id)

    @router.get(PATH)
    async def get_conversations_queue(account: Account) -> ConversationsQueue:
        # Read from the database, not the directory: a replica's view may not have the PUT yet.
        doc = await accounts.get(account.account_id)
        return shown(doc.get(CONVERSATIONS_QUEUE))

    @router.delete(PATH, status_code=status.HTTP_204_NO_CONTENT, responses=errors(404))
    async def delete_conversations_queue(account: Account) -> Response:
        """Back to the platform's default queue."""
        doc = await accounts.get(account.account_id)
        if doc.get(CONVERSATIONS_QUEUE) is None:
            raise not_found("No default Conversations queue is set.")
        await accounts.set_conversations_queue(account.account_id, None)
        return Response(status_code=status.HTTP_204_NO_CONTENT)

    return router
