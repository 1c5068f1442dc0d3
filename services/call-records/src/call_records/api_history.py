"""The customer's call history in Infobip's Calls API shape, scoped to the caller's account.

Another account's callId answers 404, exactly like one that does not exist (invariant 5).
"""

# No `from __future__ import annotations`: FastAPI resolves the closure-local `Account` alias
# only when annotations are evaluated at definition time.

from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Path, Query, Request

from call_records.domain.call_log import call_log
from call_records.records import HistoryFilter, RecordStore
from callplane_shared.events import AccountUpserted, CallState, EndpointType
from callplane_shared.http_errors import not_found
from callplane_shared.openapi_docs import errors

MAX_PAGE = 10_000
MAX_SIZE = 100


def history_router(
    store: RecordStore,
    current_account: Callable[[Request], Awaitable[AccountUpserted]],
    event_deliveries: Callable[[str, str], Awaitable[list[dict[str, Any]]]] | None = None,
) -> APIRouter:
    router = APIRouter(prefix="/calls/1/calls", tags=["call history"], responses=errors(404))
    Account = Annotated[AccountUpserted, Depends(current_account)]  # noqa: N806

    @router.get("/history")
    async def get_calls_history(  # noqa: PLR0917 - Infobip's filters are the interface
        account: Account,
        type_: Annotated[EndpointType | None, Query(alias="type")] = None,
        calls_configuration_id: Annotated[
            str | None, Query(alias="callsConfigurationId", max_length=128)
        ] = None,
        from_: Annotated[str | None, Query(alias="from", max_length=64)] = None,
        to: Annotated[str | None, Query(max_length=64)] = None,
        direction: Annotated[Literal["INBOUND", "OUTBOUND"] | None, Query()] = None,
        status: Annotated[CallState | None, Query()] = None,
        start_time_after: Annotated[datetime | None, Query(alias="startTimeAfter")] = None,
        start_time_before: Annotated[datetime | None, Query(alias="startTimeBefore")] = None,
        page: Annotated[int, Query(ge=0, le=MAX_PAGE)] = 0,
        size: Annotated[int, Query(ge=1, le=MAX_SIZE)] = 20,
    ) -> dict[str, Any]:
        """The account's calls, newest first, with Infobip's filters and paging."""
        where = HistoryFilter(
            type=None if type_ is None else str(type_),
            calls_configuration_id=calls_configuration_id,
            from_=from_,
            to=to,
            direction=direction,
            status=None if status is None else str(status),
            start_time_after=start_time_after,
            start_time_before=start_time_before,
        )
        docs, total = await store.history(account.account_id, where, page, size)
        return {
            "results": [call_log(d) for d in docs],
            "paging": {
                "page": page,
                "size": size,
                "totalPages": (total + size - 1) // size,
                "totalResults": total,
            },
        }

    @router.get("/{callId}/history")
    async def get_call_history(
        account: Account, call_id: Annotated[str, Path(alias="callId", max_length=128)]
    ) -> dict[str, Any]:
        """One call's CallLog."""
        doc = await store.get_for_account(account.account_id, call_id)
        if doc is None:
            raise not_found(f"No call {call_id} in this account's history.")
        log = call_log(doc)
        if event_deliveries is not None:  # call events sent to the account's subscriptions
            log["eventDeliveries"] = await event_deliveries(account.account_id, call_id)
        return log

    return router
