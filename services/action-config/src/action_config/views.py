"""In-memory views of other services' compacted topics: accounts (auth) and masking configs."""

from __future__ import annotations

from callplane_shared.events import MaskingConfigUpserted


class MaskingConfigs:
    """Masking config key → owning account, fed from `masking.configs`."""

    def __init__(self) -> None:
        self._owners: dict[str, str] = {}

    def apply(self, key: bytes, value: bytes | None) -> None:
        if value is None:
            self._owners.pop(key.decode(), None)
            return
        config = MaskingConfigUpserted.model_validate_json(value)
        self._owners[config.key] = config.account_id

    def owned_by(self, key: str, account_id: str) -> bool:
        return self._owners.get(key) == account_id
