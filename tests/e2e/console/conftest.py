from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from playwright.async_api import Browser, async_playwright

from tests.e2e.console.browser import chromium_path


@pytest.fixture(scope="session")
async def browser() -> AsyncIterator[Browser]:
    async with async_playwright() as playwright:
        # Playwright's own browser download is not used: Debian's chromium (make bootstrap).
        # --no-sandbox: the tests run as root in CI, where Chromium's sandbox refuses to start.
        launched = await playwright.chromium.launch(
            executable_path=chromium_path(), headless=True, args=["--no-sandbox"]
        )
        try:
            yield launched
        finally:
            await launched.close()
