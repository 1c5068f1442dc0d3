"""Whether a target an action names exists in the caller's account, and who uses a target."""

from __future__ import annotations

from action_config.domain.refusals import in_use, invalid
from action_config.domain.voice_setup import TARGET_PATHS, TargetKind, TargetRef
from action_config.store import Collections
from action_config.views import MaskingConfigs


def calls_configuration_id(account_id: str, config_id: str) -> str:
    # Ids are chosen by customers, so they are unique per account, not globally: account B may
    # use an id account A uses without learning that A has it.
    return f"{account_id}/{config_id}"


class Targets:
    def __init__(self, collections: Collections, masking: MaskingConfigs) -> None:
        self._c = collections
        self._masking = masking

    async def exists(self, account_id: str, ref: TargetRef) -> bool:
        if ref.kind is TargetKind.MASKING_CONFIG:
            return self._masking.owned_by(ref.target_id, account_id)
        if ref.kind is TargetKind.CALLS_CONFIGURATION:
            doc_id = calls_configuration_id(account_id, ref.target_id)
            found = await self._c.calls_configurations.find_one({"_id": doc_id}, {"_id": 1})
        elif ref.kind is TargetKind.ROUTE:
            found = await self._c.routes.find_one(
                {"_id": ref.target_id, "accountId": account_id, "deleted": {"$ne": True}},
                {"_id": 1},
            )
        else:
            found = await self._c.ivr_scenarios.find_one(
                {"_id": ref.target_id, "accountId": account_id, "deleted": {"$ne": True}},
                {"_id": 1},
            )
        return found is not None

    async def require(self, account_id: str, ref: TargetRef | None) -> None:
        if ref is not None and not await self.exists(account_id, ref):
            raise invalid(
                ref.field, f"{ref.kind.value} {ref.target_id!r} does not exist in your account"
            )

    async def refuse_if_used(self, account_id: str, kind: TargetKind, target_id: str) -> None:
        """Deleting a target an action points to would break calls: refuse, naming the numbers."""
        users = self._c.numbers.find(
            {"accountId": account_id, "leased": True, TARGET_PATHS[kind]: target_id},
            {"number": 1},
        )
        numbers = sorted([doc["number"] async for doc in users])
        if numbers:
            raise in_use(
                f"{kind.value} {target_id!r} is used by the voice action of "
                f"{', '.join(numbers)}; change or delete those actions first"
            )
