"""Whether Conversations agents may present a number as caller ID on outbound calls.

A number is available while its voice action is VOICE_FORWARD_TO_CONVERSATIONS (learned from
`voice.actions`, like `voiceSetup`); everything else is refused with what to change. The queue
answered is the number's own, else the account's default, else the platform's.
"""

# No `from __future__ import annotations`: FastAPI resolves the closure-local `Account` alias.

from typing import Annotated

from fastapi import APIRouter, Depends, Path

from callplane_shared.events import AccountUpserted
from callplane_shared.http_errors import bad_request, not_found
from callplane_shared.openapi_docs import errors
from number_inventory.api_models import CallerIdResponse
from number_inventory.api_numbers import AccountDependency
from number_inventory.caller_ids import conversations_queue
from number_inventory.domain.pool import display_number
from number_inventory.leasing import Leasing, NumberNotFoundError
from number_inventory.voice_setups import VoiceSetups

NumberKey = Annotated[str, Path(max_length=64)]


def caller_id_router(
    leasing: Leasing, voice: VoiceSetups, current_account: AccountDependency, platform_queue: str
) -> APIRouter:
    router = APIRouter(prefix="/numbers/1/numbers", tags=["numbers"], responses=errors(400, 404))
    Account = Annotated[AccountUpserted, Depends(current_account)]  # noqa: N806

    @router.get("/{numberKey}/conversations-caller-id")
    async def check_conversations_caller_id(
        account: Account,
        numberKey: NumberKey,  # noqa: N803 - Infobip's path parameter name
    ) -> CallerIdResponse:
        """200 when Conversations agents may use the number as caller ID for outbound calls;
        400 naming what to change when not; 404 when it is not one of your numbers."""
        try:
            doc = await leasing.owned(account.account_id, numberKey)
        except NumberNotFoundError as exc:
            raise not_found(f"Number {numberKey} is not one of your numbers.") from exc
        setup = voice.for_number(doc["number"], doc["_id"], account.account_id)
        queue = conversations_queue(setup, account.conversations_queue_id, platform_queue)
        if queue is None:
            raise bad_request(
                f"Number {numberKey} is not available as caller ID for Conversations agents: "
                "set its voice action to VOICE_FORWARD_TO_CONVERSATIONS first "
                f"(PUT /numbers/2/numbers/{numberKey}/voice).",
                "numberKey",
            )
        return CallerIdResponse(
            number_key=numberKey, number=display_number(doc["number"]), queue_id=queue
        )

    return router
