"""README's "The first hour" runs as written: its ```bash blocks, taken from README.md (never
copied here), run one after the other in one bash against the running system."""

from __future__ import annotations

import os
import re
import subprocess

import pytest

from tests.endpoints import Endpoints
from tests.support import REPO_ROOT

pytestmark = pytest.mark.e2e

SECTION = "## The first hour"
TRACE_LINK = re.compile(r"http://127\.0\.0\.1:16686/api/traces/[0-9a-f]{32}")
# What a block containing the command must print (a plain substring, or a pattern).
EXPECTED: dict[str, list[str | re.Pattern[str]]] = {
    "callplane --help": ["numbers", "calls"],
    "admin create-account": ["balance", "50"],
    "curl -s --fail-with-body": ['"accountId"', '"balance"'],
    "numbers lease": ["numberKey", "VOICE"],
    "admin settle-payment": ["PENDING", "SETTLED", "70"],
    "voice history": ["FORWARD_TO_CALL_ROUTING", "VOICE_NUMBER_MASKING", "FORWARD_TO_IVR"],
    '--call-id "$CALL_ID"': ["call_routing", re.compile(r"path\s+direct"), TRACE_LINK],
    "--type masking --masking-config": [
        "VOICE_NUMBER_MASKING",
        re.compile(r"path\s+fallback"),
        "destination=+41793026728",
        TRACE_LINK,
    ],
    "calls trace": ["decided", "call-dispatch", TRACE_LINK],
    "numbers release": ["released"],
}


def walkthrough_blocks(readme: str) -> list[str]:
    start = readme.index(SECTION) + len(SECTION)
    following = readme.find("\n## ", start)
    section = readme[start : following if following != -1 else None]
    return re.findall(r"^```bash\n(.*?)^```", section, flags=re.MULTILINE | re.DOTALL)


def script(blocks: list[str]) -> str:
    parts = ["set -euo pipefail"]
    for i, block in enumerate(blocks):
        parts += [f"echo '@@start {i}@@'", block, f"echo '@@done {i}@@'"]
    return "\n".join(parts) + "\n"


def outputs(stdout: str) -> dict[int, str]:
    found = re.findall(r"@@start (\d+)@@\n(.*?)(?=@@start |\Z)", stdout, flags=re.DOTALL)
    return {int(i): text for i, text in found}


@pytest.mark.timeout(900)  # above the subprocess bound below
def test_the_first_hour_runs_as_written(endpoints: Endpoints) -> None:
    readme = (REPO_ROOT / "README.md").read_text(encoding="utf-8")
    blocks = walkthrough_blocks(readme)
    assert len(blocks) >= 8, "the walkthrough lost its bash blocks"
    if f"export CALLPLANE_URL={endpoints.base_url}\n" not in blocks[0]:
        pytest.skip(f"the walkthrough targets the local stack, not {endpoints.base_url}")
    env = {k: v for k, v in os.environ.items() if not k.startswith("CALLPLANE_")}
    # What a person sees in a terminal, without their own config file.
    env |= {"CALLPLANE_OUTPUT": "table", "CALLPLANE_CONFIG": str(REPO_ROOT / ".no-config.toml")}
    run = subprocess.run(
        ["bash", "-c", script(blocks)],
        cwd=REPO_ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,  # each block's remarks stay between its markers
        text=True,
        timeout=600,  # a loaded 2-core machine runs each CLI start in seconds
        check=False,
    )
    printed = outputs(run.stdout)
    failed = max(printed, default=0)
    assert run.returncode == 0, (
        f"block {failed} failed (exit {run.returncode}):\n{blocks[failed]}\n"
        f"--- output\n{printed.get(failed, '')[-3000:]}"
    )
    assert all(f"@@done {i}@@" in run.stdout for i in range(len(blocks)))
    for command, expected in EXPECTED.items():
        matching = [i for i, block in enumerate(blocks) if command in block]
        assert matching, f"no walkthrough block runs `{command}` any more"
        text = "".join(printed[i] for i in matching)
        for want in expected:
            found = want.search(text) if isinstance(want, re.Pattern) else want in text
            assert found, f"`{command}` did not print {want!r}:\n{text[-3000:]}"
