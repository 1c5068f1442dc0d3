"""IVR scripts for the media server, by scenario id and version.

An IVR decision carries the whole validated script (up to 32 KiB): too large for a SIP header on
UDP. The INVITE to the media server names the script instead (scenario id, version, SHA-256 of
its compact JSON and, when `SIP_IVR_SCRIPT_BASE_URL` is set, a URL on this adapter), and the media
server fetches it here: no customer credentials, no call to callplane. A version's script never
changes, so scripts are kept once per (scenario, version), the least recently used dropped
beyond `SIP_MAX_IVR_SCRIPTS` (at most that many times 32 KiB in memory).
"""

from __future__ import annotations

import hashlib
import json
from collections import OrderedDict
from typing import Annotated, Any

from fastapi import APIRouter, Path, Response

from callplane_shared.events import IvrInstruction
from callplane_shared.http_errors import not_found

SCRIPT_PATH = "/sip-edge/1/ivr-scripts/{scenario_id}/{version}"


def script_json(script: list[Any]) -> bytes:
    """The script as the media server receives it; its SHA-256 is the INVITE's digest."""
    return json.dumps(script, separators=(",", ":"), ensure_ascii=False).encode()


def script_digest(script: list[Any]) -> str:
    return hashlib.sha256(script_json(script)).hexdigest()


def script_url(base_url: str, scenario_id: str, version: int) -> str:
    path = SCRIPT_PATH.format(scenario_id=scenario_id, version=version)
    return base_url.rstrip("/") + path


class IvrScripts:
    def __init__(self, max_scripts: int) -> None:
        self._scripts: OrderedDict[tuple[str, int], bytes] = OrderedDict()
        self._max = max_scripts

    def __len__(self) -> int:
        return len(self._scripts)

    def remember(self, instruction: object) -> None:
        """Keep the script of an IVR decision; anything else is ignored."""
        if not isinstance(instruction, IvrInstruction) or instruction.script is None:
            return
        if instruction.scenario_version is None:
            return
        key = (instruction.scenario_id or instruction.scenario_key, instruction.scenario_version)
        if key not in self._scripts:
            self._scripts[key] = script_json(instruction.script)
        self._scripts.move_to_end(key)
        while len(self._scripts) > self._max:
            self._scripts.popitem(last=False)

    def get(self, scenario_id: str, version: int) -> bytes | None:
        return self._scripts.get((scenario_id, version))


def scripts_router(scripts: IvrScripts) -> APIRouter:
    router = APIRouter(tags=["media server"])

    @router.get(SCRIPT_PATH)
    async def ivr_script(
        scenario_id: Annotated[str, Path(max_length=64)],
        version: Annotated[int, Path(ge=1)],
    ) -> Response:
        """The script of one scenario version a recent decision carried (JSON array)."""
        body = scripts.get(scenario_id, version)
        if body is None:
            raise not_found(
                f"No script of scenario {scenario_id} version {version}: no recent call carried it."
            )
        return Response(body, media_type="application/json")

    return router
