# Not `from __future__ import annotations`: FastAPI resolves the local `CallerDep` alias at
# definition time.
"""`/numbers/2/numbers/{numberKey}/voice`: the one voice action of a number, with versions."""

from collections.abc import Awaitable, Callable
from typing import Annotated

from fastapi import APIRouter, Depends, Header, Path, Query, Request, Response

from action_config.api_auth import Caller
from action_config.domain.voice_setup import (
    VoiceHistory,
    VoiceSetup,
    VoiceSetupResponse,
    parse_if_match,
)
from action_config.voice_setups import Mode, VoiceSetups
from callplane_shared.paging import PageNumber

PATH = "/numbers/2/numbers/{numberKey}/voice"
NumberKey = Annotated[str, Path(max_length=64)]
IfMatch = Annotated[
    str | None,
    Header(
        alias="If-Match",
        max_length=32,
        description='Make the change conditional on this ETag ("3").',
    ),
]


def etag(version: int) -> str:
    return f'"{version}"'


def voice_router(setups: VoiceSetups, caller: Callable[[Request], Awaitable[Caller]]) -> APIRouter:
    router = APIRouter(tags=["voice setup"])
    CallerDep = Annotated[Caller, Depends(caller)]  # noqa: N806 - a type alias, read as one

    @router.get(PATH)
    async def get_voice_setup(
        numberKey: NumberKey,  # noqa: N803 - Infobip's path parameter name
        who: CallerDep,
        response: Response,
    ) -> VoiceSetupResponse:
        setup = await setups.get(who.account_id, numberKey)
        response.headers["ETag"] = etag(setup.version)
        return setup

    async def write(
        number_key: str, body: VoiceSetup, who: Caller, mode: Mode, if_match: str | None
    ) -> VoiceSetupResponse:
        return await setups.set(
            who.account_id,
            who.changed_by,
            number_key,
            requested=body,
            mode=mode,
            if_match=parse_if_match(if_match),
        )

    @router.post(PATH)
    async def create_voice_setup(
        numberKey: NumberKey,  # noqa: N803
        body: VoiceSetup,
        who: CallerDep,
        response: Response,
    ) -> VoiceSetupResponse:
        setup = await write(numberKey, body, who, Mode.CREATE, None)
        response.headers["ETag"] = etag(setup.version)
        return setup

    @router.put(PATH)
    async def replace_voice_setup(
        numberKey: NumberKey,  # noqa: N803
        body: VoiceSetup,
        who: CallerDep,
        response: Response,
        if_match: IfMatch = None,
    ) -> VoiceSetupResponse:
        setup = await write(numberKey, body, who, Mode.REPLACE, if_match)
        response.headers["ETag"] = etag(setup.version)
        return setup

    @router.delete(PATH, status_code=204, response_class=Response)
    async def delete_voice_setup(
        numberKey: NumberKey,  # noqa: N803
        who: CallerDep,
        if_match: IfMatch = None,
    ) -> Response:
        version = await setups.remove(
            who.account_id, who.changed_by, numberKey, parse_if_match(if_match)
        )
        return Response(status_code=204, headers={"ETag": etag(version)})

    @router.get(f"{PATH}/history")
    async def voice_setup_history(
        numberKey: NumberKey,  # noqa: N803
        who: CallerDep,
        page: PageNumber = 0,
        size: Annotated[int, Query(ge=1, le=100)] = 20,
    ) -> VoiceHistory:
        """Changes made while you held the number, newest first, kept for the retention period
        (VOICE_HISTORY_RETENTION_DAYS)."""
        return await setups.history(who.account_id, numberKey, page, size)

    return router
