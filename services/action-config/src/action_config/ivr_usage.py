"""`lastUsageDate` of IVR scenarios, kept from `calls.decisions` off the hot path.

call-dispatch decides from memory and writes nothing; action-config reads the decisions in its
own consumer group and moves a scenario's `lastUsageDate` forward. Writes are throttled: within
`throttle_seconds` of the last write for a scenario, this replica skips it (a date accurate to
the throttle is what the field promises), so thousands of calls a second to one scenario cost a
write a minute. Records that are not IVR decisions are dropped before they are parsed.
"""

from __future__ import annotations

import time
from collections import OrderedDict

from pymongo.asynchronous.collection import AsyncCollection

from callplane_shared.events import CallDecision, IvrInstruction
from callplane_shared.mongo import Document

_IVR_MARKER = b'"ivr"'
THROTTLE_MEMORY = 100_000  # scenarios remembered; beyond it the oldest may be written again


def decode_ivr_decision(raw: bytes) -> CallDecision | None:
    """The decision when it sends a call to an IVR scenario, None for every other decision."""
    if _IVR_MARKER not in raw:
        return None
    decision = CallDecision.model_validate_json(raw)
    return decision if isinstance(decision.instruction, IvrInstruction) else None


class IvrUsage:
    def __init__(self, scenarios: AsyncCollection[Document], throttle_seconds: float) -> None:
        self._scenarios = scenarios
        self._throttle = throttle_seconds
        self._written: OrderedDict[str, float] = OrderedDict()

    async def on_decision(self, decision: CallDecision | None) -> None:
        if decision is None or not isinstance(decision.instruction, IvrInstruction):
            return
        scenario_id = decision.instruction.scenario_id or decision.instruction.scenario_key
        at = time.monotonic()
        last = self._written.get(scenario_id)
        if last is not None and at - last < self._throttle:
            return
        used = decision.decided_at
        # Only forward, and only the account the decision names (a decision for another
        # account's scenario id changes nothing).
        await self._scenarios.update_one(
            {
                "_id": scenario_id,
                "accountId": decision.account_id,
                "$or": [{"lastUsageDate": None}, {"lastUsageDate": {"$lt": used}}],
            },
            {"$set": {"lastUsageDate": used}},
        )
        self._written[scenario_id] = at
        self._written.move_to_end(scenario_id)
        if len(self._written) > THROTTLE_MEMORY:
            self._written.popitem(last=False)
