"""The console's browser tests' tools: Debian's Chromium driven by Playwright, axe-core injected
into each page (no serious or critical violation), a screenshot of each page under .cache/."""

from __future__ import annotations

import re
import shutil
from typing import Any

from playwright.async_api import Page

from tests.support import REPO_ROOT

AXE = REPO_ROOT / "tests/e2e/console/node_modules/axe-core/axe.min.js"
SCREENSHOTS = REPO_ROOT / ".cache/console-screenshots"
BLOCKING = ("serious", "critical")


def chromium_path() -> str:
    found = shutil.which("chromium") or shutil.which("chromium-browser")
    if found is None:
        raise AssertionError("chromium is not installed: run `make bootstrap` (apt-get chromium)")
    return found


def axe_source() -> str:
    if not AXE.exists():
        raise AssertionError(f"{AXE} is missing: run `make bootstrap` (npm ci installs axe-core)")
    return AXE.read_text()


async def audit(page: Page, name: str) -> None:
    """axe-core on the page as it is now, and its screenshot as .cache/console-screenshots/NAME.png.

    `evaluate` runs through the DevTools protocol, so the console's CSP (no inline script)
    stays on for the page while axe is injected."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    await page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)
    if not await page.evaluate("() => typeof window.axe !== 'undefined'"):
        await page.evaluate(axe_source())
    violations: list[dict[str, Any]] = await page.evaluate(
        """async () => (await axe.run(document)).violations.map(v => ({
            id: v.id, impact: v.impact, help: v.help,
            targets: v.nodes.slice(0, 3).map(n => n.target.join(' '))}))"""
    )
    blocking = [v for v in violations if v.get("impact") in BLOCKING]
    assert not blocking, f"axe on {name}: {blocking}"


def key_pattern(key: str) -> re.Pattern[str]:
    return re.compile(re.escape(key))
