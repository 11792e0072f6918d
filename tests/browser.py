"""The admin console in a real browser: Debian's Chromium driven by Playwright, against a real `ordergraph serve`.

Browser tests skip when /usr/bin/chromium is missing, unless CI is set or ORDERGRAPH_REQUIRE_BROWSER=1: then they
fail, as the PostgreSQL suite does in CI. Playwright never downloads a browser here; it launches the system one
with a fresh profile. Every console error and uncaught page error is collected, for the tests to assert on.
"""

from __future__ import annotations

import dataclasses
import os
import pathlib
from collections.abc import AsyncIterator

import pytest
from playwright.async_api import BrowserContext, ConsoleMessage, Error, Page, async_playwright, expect

CHROMIUM = pathlib.Path("/usr/bin/chromium")
ARTIFACTS = pathlib.Path(__file__).parent / "artifacts"
# Generous: the tests share two cores with the rest of the suite; a wait ends as soon as its condition holds.
TIMEOUT_MS = 20_000
expect.set_options(timeout=TIMEOUT_MS)
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def browser_required() -> bool:
    return bool(os.environ.get("CI")) or os.environ.get("ORDERGRAPH_REQUIRE_BROWSER") == "1"


@dataclasses.dataclass
class Browser:
    page: Page
    context: BrowserContext
    console_errors: list[str]

    async def session_token(self) -> str | None:
        token: str | None = await self.page.evaluate("sessionStorage.getItem('ordergraph.adminToken')")
        return token


def require_chromium() -> None:
    """Skip the test without Chromium, or fail it where the browser tests are required."""
    if CHROMIUM.exists():
        return
    message = f"{CHROMIUM} is missing: apt-get install -y chromium"
    if browser_required():
        pytest.fail(f"{message} (CI or ORDERGRAPH_REQUIRE_BROWSER=1 requires the browser tests)")
    pytest.skip(message)


@pytest.fixture
async def browser(tmp_path: pathlib.Path) -> AsyncIterator[Browser]:
    """A fresh headless Chromium page (en-US, UTC, a laptop's 1440 x 900 screen)."""
    require_chromium()
    async with async_playwright() as playwright:
        context = await playwright.chromium.launch_persistent_context(
            tmp_path / "chromium-profile",
            executable_path=str(CHROMIUM),
            args=CHROMIUM_ARGS,
            headless=True,
            locale="en-US",
            timezone_id="UTC",
            viewport={"width": 1440, "height": 900},
        )
        context.set_default_timeout(TIMEOUT_MS)
        page = context.pages[0] if context.pages else await context.new_page()
        errors: list[str] = []

        def on_console(message: ConsoleMessage) -> None:
            if message.type == "error":
                errors.append(message.text)

        def on_page_error(error: Error) -> None:
            errors.append(f"uncaught: {error}")

        page.on("console", on_console)
        page.on("pageerror", on_page_error)
        try:
            yield Browser(page, context, errors)
        finally:
            await context.close()


async def screenshot(page: Page, name: str) -> pathlib.Path:
    """Write a full-page screenshot under tests/artifacts/ (ignored by git)."""
    path = ARTIFACTS / f"{name}.png"
    await page.screenshot(path=str(path), full_page=True)  # Playwright makes the folder
    return path
