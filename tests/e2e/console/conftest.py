from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest
from playwright.async_api import Browser, async_playwright

from tests.e2e.console.browser import chromium_path
from tests.e2e.journey import admin_client
from tests.endpoints import Endpoints


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


@pytest.fixture
async def admin(endpoints: Endpoints) -> AsyncIterator[httpx.AsyncClient]:
    async with admin_client(endpoints.base_url) as client:
        yield client
