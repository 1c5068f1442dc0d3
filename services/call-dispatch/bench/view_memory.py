# ruff: noqa: INP001, T201 - a script that prints its figures
"""RSS and build time of call-dispatch's view holding N numbers, measured in a fresh process.

Feeds synthetic `voice.actions` records (the JSON the topic carries, all six action types and
No Action, a third with a fallback) through `DispatchView.apply_action`, exactly what the view
does on replay minus the Kafka fetch. Prints one JSON line.

    python view_memory.py 1000000
"""

from __future__ import annotations

import gc
import json
import sys
import time
from pathlib import Path

from call_dispatch.view import DispatchView

_ACTIONS = (
    '{"type":"FORWARD_TO_PSTN","pstnNumber":"+4144%07d"}',
    '{"type":"VOICE_NUMBER_MASKING","voiceNumberMaskingConfigKey":"mk-%d"}',
    '{"type":"VOICE_FORWARD_TO_CONVERSATIONS"}',
    '{"type":"FORWARD_TO_SUBSCRIPTION","callsConfigurationId":"cfg-%d"}',
    '{"type":"FORWARD_TO_CALL_ROUTING"}',
    '{"type":"FORWARD_TO_IVR","scenarioKey":"scn-%d"}',
    "null",
)
ACTION_KINDS = len(_ACTIONS)
"""Record i has action i % ACTION_KINDS: 0 is FORWARD_TO_PSTN."""


def rss_mib() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def record(i: int, number: str | None = None) -> tuple[bytes, bytes]:
    """The i-th synthetic record (of `number`, by default +4179 and i in 7 digits)."""
    number = number or f"+4179{i:07d}"
    template = _ACTIONS[i % len(_ACTIONS)]
    action = template % (i % 500) if "%d" in template else template
    fallback = ',"fallback":{"type":"FORWARD_TO_PSTN","pstnNumber":"+41445550000"}' if i % 3 else ""
    value = (
        f'{{"eventId":"{i:032x}","occurredAt":"2026-11-23T10:00:00Z","schemaVersion":1,'
        f'"number":"{number}","numberKey":"{i:032X}","accountId":"acc-{i % 20000}",'
        f'"voiceCapable":true,"version":{1 + i % 7},"action":{action}{fallback}}}'
    )
    return number.encode(), value.encode()


def main(count: int) -> None:
    gc.collect()
    before = rss_mib()
    view = DispatchView()
    began = time.perf_counter()
    for i in range(count):
        key, value = record(i)
        view.apply_action(key, value)
    seconds = time.perf_counter() - began
    gc.collect()
    after = rss_mib()
    print(
        json.dumps(
            {
                "numbers": view.numbers_held,
                "rss_mib": round(after, 1),
                "rss_before_mib": round(before, 1),
                "view_mib": round(after - before, 1),
                "apply_seconds": round(seconds, 2),
            }
        )
    )


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 1_000_000)
