"""The HTTP surface: health, GraphiQL, tokens, request limits, masking of unexpected faults."""

from __future__ import annotations

import datetime
import logging
from collections.abc import Awaitable, Callable

import httpx
import pytest
import sqlalchemy as sa

from models import database
from models.access import ApiToken
from models.enums import Role
from models.settings import Settings
from resolvers.core import access
from resolvers.setup import catalog
from schema import logs
from schema.app import create_app
from tests.conftest import GraphQLClient, Store, make_token


async def test_healthz_answers_when_the_store_answers(api: GraphQLClient) -> None:
    response = await api.http.get("/healthz")

    assert (response.status_code, response.json()) == (200, {"status": "ok"})


async def test_a_store_that_is_down_fails_health_and_requests_masked(tmp_path: object) -> None:
    settings = Settings()
    down = database.connect(settings, url="postgresql+asyncpg://nobody@127.0.0.1:1/none")
    app = create_app(settings, db=down)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://test") as http:
        health = await http.get("/healthz")
        query = await http.post("/graphql", json={"query": "{ products { id } }"})
    await down.dispose()

    assert health.status_code == 503
    body = query.json()
    assert body["data"] is None
    assert [error["message"] for error in body["errors"]] == ["Internal server error"]
    assert "127.0.0.1" not in query.text
    assert "Traceback" not in query.text


async def test_graphiql_is_served_to_browsers(api: GraphQLClient) -> None:
    response = await api.http.get("/graphql", headers={"accept": "text/html"})

    assert response.status_code == 200
    assert "graphiql" in response.text.lower()


async def test_tokens_are_stored_hashed_and_resolve_to_their_role(demo_store: Store) -> None:
    token = await make_token(demo_store, Role.CUSTOMER, customer_id="C42")

    async with demo_store.db.read_sessions() as session:
        stored = (await session.scalars(sa.select(ApiToken.token_hash))).all()
        viewer = await access.authenticate(session, token=token, now=datetime.datetime.now(datetime.UTC))

    assert token not in stored
    assert access.hash_secret(token) in stored
    assert (viewer.role, viewer.customer_id) == (Role.CUSTOMER, "C42")


@pytest.mark.parametrize("header", ["Bearer og_not-a-real-token", "Basic dXNlcjpwYXNz", "Bearer "])
async def test_a_bad_token_is_refused_before_anything_runs(api: GraphQLClient, header: str) -> None:
    response = await api.http.post("/graphql", json={"query": "{ products { id } }"}, headers={"authorization": header})

    assert response.status_code == 401
    assert response.headers["www-authenticate"] == "Bearer"
    [error] = response.json()["errors"]
    assert "data" not in response.json()
    assert error["extensions"] == {"code": "UNAUTHENTICATED"}


async def test_query_depth_is_bounded(admin: GraphQLClient) -> None:
    deep = "{ flows { " + "states { flow { " * 8 + "id" + " } }" * 8 + " } }"

    body = (await admin.post(deep)).json()

    assert body["data"] is None
    assert "exceeds maximum operation depth" in body["errors"][0]["message"]
    assert {error["extensions"]["code"] for error in body["errors"]} == {"LIMIT_EXCEEDED"}


async def test_aliases_are_bounded(api: GraphQLClient) -> None:
    query = "{ " + " ".join(f"a{i}: paymentMethods {{ id }}" for i in range(31)) + " }"

    body = (await api.post(query)).json()

    assert body["data"] is None
    assert "aliases" in body["errors"][0]["message"]
    assert body["errors"][0]["extensions"] == {"code": "LIMIT_EXCEEDED"}


async def test_page_size_is_bounded_literal_and_variable(api: GraphQLClient) -> None:
    literal = (await api.post("{ products(first: 251) { id } }")).json()
    variable = (await api.post("query($n: Int) { products(first: $n) { id } }", {"n": 1000})).json()
    allowed = await api.execute("{ products(first: 250) { id } }")

    refusal = {"message": "`first` may be at most 250.", "extensions": {"code": "LIMIT_EXCEEDED"}}
    assert literal == {"data": None, "errors": [refusal]}
    assert variable == {"data": None, "errors": [refusal]}
    assert len(allowed["products"]) == 22


async def test_batches_are_bounded(api: GraphQLClient) -> None:
    one = {"query": "{ paymentMethods { id } }"}

    allowed = await api.http.post("/graphql", json=[one, one])
    refused = await api.http.post("/graphql", json=[one] * 21)

    assert allowed.status_code == 200
    assert [len(result["data"]["paymentMethods"]) for result in allowed.json()] == [2, 2]
    assert refused.status_code == 400
    assert refused.json() == {
        "errors": [{"message": "A batch holds at most 20 operations.", "extensions": {"code": "LIMIT_EXCEEDED"}}]
    }


async def test_unexpected_faults_are_masked_for_clients_and_logged_in_full(
    api: GraphQLClient, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setattr(catalog, "products", _raising("SELECT secret_column FROM hidden_table"))

    with caplog.at_level(logging.ERROR):
        body = (await api.post("{ products { id } }")).json()

    assert body["errors"][0]["message"] == "Internal server error"
    assert body["errors"][0]["extensions"] == {"code": "INTERNAL_SERVER_ERROR"}
    assert "hidden_table" not in str(body)
    [record] = [record for record in caplog.records if record.name == "ordergraph.errors"]
    rendered = logs.formatter(json=True).format(record)
    assert "hidden_table" in rendered
    assert "Traceback" in rendered


async def test_tokens_of_a_document_are_bounded(api: GraphQLClient) -> None:
    query = "{ " + " ".join("paymentMethods { id name code provider }" for _ in range(800)) + " }"

    body = (await api.post(query)).json()

    assert body["data"] is None
    assert "token" in body["errors"][0]["message"].lower()
    assert body["errors"][0]["extensions"] == {"code": "LIMIT_EXCEEDED"}


async def test_a_fault_while_reading_the_token_is_masked_coded_and_logged(
    api: GraphQLClient, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setattr(access, "valid_token", _raising("SELECT token_hash FROM api_tokens"))

    with caplog.at_level(logging.ERROR):
        response = await api.post("{ products { id } }", token="og_some-token")

    assert response.status_code == 500
    assert response.json() == {
        "errors": [{"message": "Internal server error", "extensions": {"code": "INTERNAL_SERVER_ERROR"}}]
    }
    [record] = [record for record in caplog.records if record.name == "ordergraph.http"]
    assert "api_tokens" in logs.formatter(json=True).format(record)


def _raising(message: str) -> Callable[..., Awaitable[None]]:
    """A stand-in for an operation that fails unexpectedly, with internals in its message."""

    async def broken(*_: object, **__: object) -> None:
        raise RuntimeError(message)

    return broken
