"""GraphiQL offline (design.md, Operating it): served from installed files, an example, the two switches."""

from __future__ import annotations

import html.parser
import json
import pathlib
from collections.abc import AsyncIterator
from typing import Any

import graphql
import httpx
import pytest

from models.enums import Role
from models.settings import Settings
from schema import graphiql, root
from schema.app import create_app
from tests.conftest import Store, make_token

BROWSER = {"accept": "text/html,application/xhtml+xml,*/*;q=0.8"}
CONTENT_TYPES = {".js": "text/javascript; charset=utf-8", ".css": "text/css; charset=utf-8"}
INSTALL_HINT = "GraphiQL's files are missing: run make install (npm ci --omit=dev --prefix graphiql)"


class PageParts(html.parser.HTMLParser):
    """The URLs a page loads (script src, link href) and the JSON of its settings element."""

    def __init__(self) -> None:
        super().__init__()
        self.loaded: list[str] = []
        self.settings_text = ""
        self._in_settings = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = dict(attrs)
        if tag == "script" and attributes.get("src"):
            self.loaded.append(attributes["src"] or "")
        if tag == "link" and attributes.get("href"):
            self.loaded.append(attributes["href"] or "")
        self._in_settings = attributes.get("id") == "ordergraph-graphiql-settings"

    def handle_data(self, data: str) -> None:
        if self._in_settings:
            self.settings_text += data

    def handle_endtag(self, tag: str) -> None:
        self._in_settings = False


def parts_of(page: str) -> PageParts:
    parsed = PageParts()
    parsed.feed(page)
    return parsed


async def client_of(tmp_path: pathlib.Path, **settings: Any) -> httpx.AsyncClient:
    """A client of an app whose store is never touched (the page and its files need none)."""
    app = create_app(Settings(database_url=f"sqlite+aiosqlite:///{tmp_path / 'unused.db'}", **settings))
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://ordergraph.test")


@pytest.fixture
async def browser(tmp_path: pathlib.Path) -> AsyncIterator[httpx.AsyncClient]:
    async with await client_of(tmp_path) as client:
        yield client


async def test_the_page_loads_only_files_the_app_serves(browser: httpx.AsyncClient) -> None:
    page = await browser.get("/graphql", headers=BROWSER)
    loaded = parts_of(page.text).loaded

    assert page.status_code == 200, INSTALL_HINT
    assert sorted(loaded) == sorted(f"/graphiql/{name}" for name in graphiql.ASSETS)
    assert "://" not in page.text  # no other host, no CDN
    for url in loaded:
        asset = await browser.get(url)
        assert asset.status_code == 200, url
        assert asset.headers["content-type"] == CONTENT_TYPES[pathlib.Path(url).suffix], url
        assert len(asset.content) > 1000, url


async def test_only_the_listed_files_are_served(browser: httpx.AsyncClient) -> None:
    for name in ["package.json", "..%2F..%2Fpackage.json", "graphiql.js", "react.development.js"]:
        refused = await browser.get(f"/graphiql/{name}")
        assert refused.status_code == 404, name


async def test_the_page_opens_with_an_example_and_a_token_placeholder(browser: httpx.AsyncClient) -> None:
    page = await browser.get("/graphql", headers=BROWSER)
    settings = json.loads(parts_of(page.text).settings_text)
    example = graphql.parse(settings["exampleQuery"])

    assert graphql.validate(root.build(Settings())._schema, example) == []
    assert "Authorization" in settings["exampleQuery"]
    assert "Bearer <token>" in settings["exampleQuery"]
    assert json.loads(settings["defaultHeaders"]) == {"Authorization": "Bearer <token>"}
    assert settings["placeholderAuthorization"] == "Bearer <token>"


async def test_the_example_answers_an_admin(demo_store: Store) -> None:
    token = await make_token(demo_store, Role.ADMIN)
    app = create_app(Settings(database_url=demo_store.url), db=demo_store.db)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://ordergraph.test") as http:
        answer = await http.post(
            "/graphql", json={"query": graphiql.EXAMPLE_QUERY}, headers={"authorization": f"Bearer {token}"}
        )

    body = answer.json()
    assert answer.status_code == 200
    assert "errors" not in body, body
    assert set(body["data"]["orders"]) == {"totalCount", "pageInfo", "edges"}


async def test_a_shared_link_opens_the_page(browser: httpx.AsyncClient) -> None:
    shared = await browser.get(
        "/graphql",
        params={"query": "query Mine { products { id } }", "variables": '{"first": 2}', "operationName": "Mine"},
        headers=BROWSER,
    )
    program = [asset for asset in parts_of(shared.text).loaded if asset.endswith("graphiql.min.js")]

    assert shared.status_code == 200
    assert program == ["/graphiql/graphiql.min.js"]
    for parameter in ("query", "variables", "operationName"):
        assert f'shared.get("{parameter}")' in shared.text


async def test_a_query_over_get_is_still_refused(browser: httpx.AsyncClient) -> None:
    refused = await browser.get(
        "/graphql", params={"query": "{ products { id } }"}, headers={"accept": "application/json"}
    )

    assert refused.status_code == 400
    assert refused.json()["errors"][0]["extensions"]["code"] == "BAD_REQUEST"


async def test_missing_files_are_explained_not_left_loading(tmp_path: pathlib.Path) -> None:
    async with await client_of(tmp_path, graphiql_assets=str(tmp_path / "empty")) as client:
        page = await client.get("/graphql", headers=BROWSER)
        asset = await client.get("/graphiql/graphiql.min.js")

    assert page.status_code == 503
    assert "make install" in page.text
    assert "graphiql/graphiql.min.js" in page.text
    assert parts_of(page.text).loaded == []
    assert asset.status_code == 404


async def test_graphiql_turned_off(tmp_path: pathlib.Path) -> None:
    async with await client_of(tmp_path, graphiql=False) as client:
        page = await client.get("/graphql", headers=BROWSER)
        asset = await client.get("/graphiql/graphiql.min.js")
        query = await client.post("/graphql", json={"query": "{ __typename }"})

    assert page.status_code == 400
    assert page.json()["errors"][0]["extensions"]["code"] == "BAD_REQUEST"
    assert "ORDERGRAPH_GRAPHIQL" in page.json()["errors"][0]["message"]
    assert asset.status_code == 404
    assert query.json() == {"data": {"__typename": "Query"}}


INTROSPECTION = "{ __schema { queryType { name } } }"


async def test_introspection_turned_off(tmp_path: pathlib.Path) -> None:
    async with await client_of(tmp_path, introspection=False) as client:
        schema = await client.post("/graphql", json={"query": INTROSPECTION})
        one_type = await client.post("/graphql", json={"query": '{ __type(name: "Order") { name } }'})
        typename = await client.post("/graphql", json={"query": "{ __typename }"})

    for refused in (schema.json(), one_type.json()):
        assert refused["data"] is None
        assert {error["extensions"]["code"] for error in refused["errors"]} == {"GRAPHQL_VALIDATION_FAILED"}
        assert "introspection has been disabled" in refused["errors"][0]["message"]
    assert typename.json() == {"data": {"__typename": "Query"}}


async def test_introspection_answers_by_default(browser: httpx.AsyncClient) -> None:
    answer = await browser.post("/graphql", json={"query": INTROSPECTION})

    assert answer.json() == {"data": {"__schema": {"queryType": {"name": "Query"}}}}
