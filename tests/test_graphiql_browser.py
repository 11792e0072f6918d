"""GraphiQL in a real browser against a real `ordergraph serve`, with every request to another host refused.

Debian's Chromium driven by Playwright (never a downloaded browser). The test skips without Chromium unless
ORDERGRAPH_REQUIRE_BROWSER=1, where it fails instead.
"""

from __future__ import annotations

import dataclasses
import json
import os
import pathlib
import urllib.parse
from collections.abc import AsyncIterator
from typing import Any

import pytest

from models.enums import Role
from schema import graphiql
from tests.conftest import Store, make_token
from tests.test_payments_crash import Server

CHROMIUM = pathlib.Path("/usr/bin/chromium")
# CodeMirror 5 editors of GraphiQL 3: the query, the variables and headers tools (in that order), the result.
EDITOR_TEXT = "(selector) => Array.from(document.querySelectorAll(selector)).map((e) => e.CodeMirror.getValue())"
SET_HEADERS = "(text) => document.querySelectorAll('.graphiql-editor-tool .CodeMirror')[1].CodeMirror.setValue(text)"


@dataclasses.dataclass
class Tab:
    """A Chromium page on the server; `outside` lists what it tried to fetch from any other host (refused)."""

    page: Any
    base_url: str
    outside: list[str] = dataclasses.field(default_factory=list)
    errors: list[str] = dataclasses.field(default_factory=list)

    def on_console(self, message: Any) -> None:
        if message.type == "error":
            self.errors.append(message.text)


def require_chromium() -> None:
    if not CHROMIUM.exists():
        if os.environ.get("ORDERGRAPH_REQUIRE_BROWSER") == "1":
            pytest.fail(f"{CHROMIUM} is missing: apt-get install -y chromium")
        pytest.skip(f"{CHROMIUM} is missing")


@pytest.fixture
async def tab(demo_store: Store) -> AsyncIterator[Tab]:
    """A fresh Chromium page (no stored GraphiQL tabs) and a real server over the demo store."""
    if not demo_store.is_sqlite:
        pytest.skip("the page is the same over every store")
    require_chromium()
    from playwright.async_api import Route, async_playwright

    server = Server(demo_store.url, crash_after=None)
    try:
        await server.ready()
        async with async_playwright() as playwright:
            browser = await playwright.chromium.launch(
                executable_path=str(CHROMIUM), args=["--headless", "--no-sandbox", "--disable-gpu"]
            )
            context = await browser.new_context()
            opened = Tab(await context.new_page(), server.base_url)

            async def only_the_server(route: Route) -> None:
                if route.request.url.startswith(server.base_url):
                    await route.continue_()
                else:
                    opened.outside.append(route.request.url)
                    await route.abort()

            await context.route("**/*", only_the_server)
            opened.page.on("console", opened.on_console)
            opened.page.on("pageerror", lambda error: opened.errors.append(str(error)))
            yield opened
            await browser.close()
    finally:
        server.stop()


async def run_and_read(page: Any) -> dict[str, Any]:
    """Press the run button and answer the response GraphiQL shows."""
    async with page.expect_response(lambda response: response.request.method == "POST"):
        await page.click(".graphiql-execute-button")
    await page.wait_for_function("document.querySelector('.result-window .CodeMirror').CodeMirror.getValue() !== ''")
    shown: list[str] = await page.evaluate(EDITOR_TEXT, ".result-window .CodeMirror")
    return json.loads(shown[0])  # type: ignore[no-any-return]


async def test_graphiql_works_offline_with_its_example_a_token_and_shared_links(tab: Tab, demo_store: Store) -> None:
    token = await make_token(demo_store, Role.ADMIN)
    page = tab.page
    await page.goto(f"{tab.base_url}/graphql")
    await page.wait_for_selector(".graphiql-query-editor .CodeMirror")

    query = await page.evaluate(EDITOR_TEXT, ".graphiql-query-editor .CodeMirror")
    tools = await page.evaluate(EDITOR_TEXT, ".graphiql-editor-tool .CodeMirror")
    anonymous = await run_and_read(page)
    await page.evaluate(SET_HEADERS, json.dumps({"Authorization": f"Bearer {token}"}))
    admin = await run_and_read(page)

    assert query == [graphiql.EXAMPLE_QUERY]
    assert tools[1] == graphiql.DEFAULT_HEADERS
    # The placeholder is left out: an anonymous caller, refused the order list, not a 401 for a bad token.
    assert [error["extensions"]["code"] for error in anonymous["errors"]] == ["FORBIDDEN"]
    assert "errors" not in admin
    assert set(admin["data"]["orders"]) == {"totalCount", "pageInfo", "edges"}
    assert tab.outside == []
    assert tab.errors == []

    # A shared link (?query=…&variables=…) opens in the editor, beside the example's tab.
    shared = {"query": "query Few($first: Int) { products(first: $first) { id name } }", "variables": '{"first": 2}'}
    await page.goto(f"{tab.base_url}/graphql?{urllib.parse.urlencode(shared)}")
    await page.wait_for_selector(".graphiql-query-editor .CodeMirror")

    shared_query = await page.evaluate(EDITOR_TEXT, ".graphiql-query-editor .CodeMirror")
    shared_tools = await page.evaluate(EDITOR_TEXT, ".graphiql-editor-tool .CodeMirror")
    answer = await run_and_read(page)

    assert shared_query == [shared["query"]]
    assert shared_tools[0] == shared["variables"]
    assert len(answer["data"]["products"]) == 2
    assert tab.outside == []
    assert tab.errors == []
