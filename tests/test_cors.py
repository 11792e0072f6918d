"""Browsers: ORDERGRAPH_CORS_ORIGINS lets the listed origins call /graphql with a bearer token; none by default."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable

import httpx
import pytest

from models.settings import Settings
from schema.app import create_app
from tests.conftest import Store

SHOP = "https://shop.example.com"
ADMIN_SPA = "http://localhost:5173"
ELSEWHERE = "https://evil.example.net"
PREFLIGHT = {"access-control-request-method": "POST", "access-control-request-headers": "authorization, content-type"}


@pytest.fixture
async def serve(store: Store) -> AsyncIterator[Callable[..., httpx.AsyncClient]]:
    clients: list[httpx.AsyncClient] = []

    def client(**settings: str) -> httpx.AsyncClient:
        app = create_app(Settings(database_url=store.url, **settings), db=store.db)  # type: ignore[arg-type]
        clients.append(httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://ordergraph.test"))
        return clients[-1]

    yield client
    for http in clients:
        await http.aclose()


async def test_a_listed_origin_is_allowed_to_preflight_and_call(serve: Callable[..., httpx.AsyncClient]) -> None:
    http = serve(cors_origins=f" {SHOP}, {ADMIN_SPA} ")

    preflights = [
        await http.options("/graphql", headers={"origin": origin, **PREFLIGHT}) for origin in (SHOP, ADMIN_SPA)
    ]
    call = await http.post("/graphql", json={"query": "{ __typename }"}, headers={"origin": SHOP})
    refused_token = await http.post(
        "/graphql", json={"query": "{ __typename }"}, headers={"origin": SHOP, "authorization": "Bearer og_nothing"}
    )

    for preflight, origin in zip(preflights, (SHOP, ADMIN_SPA), strict=True):
        assert preflight.status_code == 200
        assert preflight.headers["access-control-allow-origin"] == origin
        assert preflight.headers["access-control-allow-credentials"] == "true"
        allowed_headers = {
            name.strip().lower() for name in preflight.headers["access-control-allow-headers"].split(",")
        }
        assert {"authorization", "content-type"} <= allowed_headers
        assert "POST" in preflight.headers["access-control-allow-methods"]
    assert (call.status_code, call.json()) == (200, {"data": {"__typename": "Query"}})
    assert call.headers["access-control-allow-origin"] == SHOP
    assert call.headers["access-control-expose-headers"] == "X-Request-ID"
    # A refusal is readable by the storefront too.
    assert (refused_token.status_code, refused_token.headers["access-control-allow-origin"]) == (401, SHOP)


async def test_an_origin_not_listed_is_refused(serve: Callable[..., httpx.AsyncClient]) -> None:
    http = serve(cors_origins=SHOP)

    preflight = await http.options("/graphql", headers={"origin": ELSEWHERE, **PREFLIGHT})
    call = await http.post("/graphql", json={"query": "{ __typename }"}, headers={"origin": ELSEWHERE})

    assert preflight.status_code == 400
    assert "access-control-allow-origin" not in preflight.headers
    assert "access-control-allow-origin" not in call.headers


async def test_by_default_no_origin_is_allowed(serve: Callable[..., httpx.AsyncClient]) -> None:
    http = serve()

    preflights = [
        await http.options("/graphql", headers={"origin": origin, **PREFLIGHT}) for origin in (SHOP, ADMIN_SPA)
    ]
    call = await http.post("/graphql", json={"query": "{ __typename }"}, headers={"origin": SHOP})

    assert [preflight.status_code for preflight in preflights] == [400, 400]
    assert not any("access-control-allow-origin" in preflight.headers for preflight in preflights)
    assert call.status_code == 200
    assert "access-control-allow-origin" not in call.headers
