"""Documents generated from the served schema (hypothesis-graphql), sent by each kind of caller.

Whatever a document asks, the service answers it without a 5xx, shows no internals (a traceback, SQL, a
module path), has no internal error
and logs each with the request id it answered in X-Request-ID. The documents are drawn derandomized, so
every run sends the same ones and CI is stable; a new root field or argument of the schema is fuzzed
without a change here.
"""

from __future__ import annotations

import datetime
import logging
import re
from collections.abc import AsyncIterator
from typing import Any

import graphql
import httpx
import hypothesis_graphql
import pytest
from graphql import IntValueNode, ListValueNode, NameNode, ObjectFieldNode, ObjectValueNode, StringValueNode
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from models import database
from models.enums import Role
from models.settings import Settings
from resolvers.setup import catalog
from schema import logs, root
from schema.app import create_app
from tests.conftest import GraphQLClient, Store, make_token

SDL = root.build(Settings()).as_str()
_SERVED = graphql.build_schema(SDL)
ROOT_FIELDS = {"query": list(_SERVED.query_type.fields), "mutation": list(_SERVED.mutation_type.fields)}
DOCUMENTS_PER_ROOT_FIELD = 4
# And documents of several root fields, drawn from the whole schema.
MIXED_DOCUMENTS = 10
CALLERS: dict[str, tuple[Role | None, str | None]] = {
    "anonymous": (None, None),
    "STOREFRONT": (Role.STOREFRONT, None),
    "CUSTOMER": (Role.CUSTOMER, "c-ann"),
    "ADMIN": (Role.ADMIN, None),
}
# Signs of internals in an answer; each counts only where the document did not send it itself.
INTERNALS = ("Traceback", "sqlalchemy", "asyncpg", "aiosqlite", ".py", "SELECT ", 'File "')
MASKED = "Internal server error"


def _string(value: str) -> StringValueNode:
    return StringValueNode(value=value)


# Real-looking values next to odd ones, so documents reach past the id parsing into the domain.
IDS = st.one_of(
    st.sampled_from(["1", "2", "3", "CART1", "CART2", "ORDER3", "QUOTE4", "ORDER999999", "0", "-1", "²", "ORDER²"]),
    st.text(max_size=12),
).map(_string)
DECIMALS = st.one_of(
    st.decimals(allow_nan=False, allow_infinity=False, places=2, min_value=-1000, max_value=1000).map(str),
    st.sampled_from(["1", "0.5", "-0", "1,5", "NaN", "1e400", "Infinity", "", "1000001", "0.000001"]),
).map(_string)
DATETIMES = st.one_of(
    st.datetimes(timezones=st.just(datetime.UTC)).map(lambda moment: moment.isoformat()),
    st.sampled_from(["2026-01-01T00:00:00", "2026-13-01T00:00:00Z", "yesterday"]),
).map(_string)
JSON_VALUES = st.one_of(
    st.text(max_size=12).map(_string),
    st.integers(min_value=-10, max_value=10).map(lambda number: IntValueNode(value=str(number))),
    st.lists(st.text(max_size=6).map(_string), max_size=3).map(lambda items: ListValueNode(values=tuple(items))),
    st.dictionaries(st.sampled_from(["Zip", "Service", "x"]), st.text(max_size=6), max_size=2).map(
        lambda values: ObjectValueNode(
            fields=tuple(ObjectFieldNode(name=NameNode(value=k), value=_string(v)) for k, v in values.items())
        )
    ),
)
SCALARS = {"ID": IDS, "Decimal": DECIMALS, "DateTime": DATETIMES, "JSON": JSON_VALUES}


def draw(strategy: st.SearchStrategy[str], count: int) -> list[str]:
    """`count` documents of the strategy, the same ones every run (derandomized, nothing stored)."""
    drawn: list[str] = []

    @settings(
        max_examples=count, derandomize=True, database=None, phases=[Phase.generate], deadline=None,
        suppress_health_check=list(HealthCheck),
    )  # fmt: skip
    @given(strategy)
    def collect(document: str) -> None:
        drawn.append(document)

    collect()
    return drawn


def documents() -> list[str]:
    """A few documents for each root field, so that every field is fuzzed, a new one too, and some of several."""
    drawn: list[str] = []
    for operation, strategy in (("query", hypothesis_graphql.queries), ("mutation", hypothesis_graphql.mutations)):
        for field in ROOT_FIELDS[operation]:
            drawn += draw(strategy(SDL, fields=[field], custom_scalars=SCALARS), DOCUMENTS_PER_ROOT_FIELD)
        drawn += draw(strategy(SDL, custom_scalars=SCALARS), MIXED_DOCUMENTS)
    return list(dict.fromkeys(drawn))


@pytest.fixture(scope="module")
def fuzzed() -> list[str]:
    return documents()


@pytest.fixture
async def http(demo_store: Store) -> AsyncIterator[httpx.AsyncClient]:
    """The app over the demo store; an exception that escapes it is a 500, as a server would answer."""
    # SQLite waits a few seconds for a lock, as design.md has it, not the 30 s of the test stores.
    settings = Settings(database_url=demo_store.url, sqlite_busy_timeout_seconds=2)
    db = database.connect(settings)
    transport = httpx.ASGITransport(app=create_app(settings, db=db), raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://ordergraph.test") as client:
        yield client
    await db.dispose()


@pytest.mark.parametrize(
    ("sent", "kept"), [("trace-42", True), (None, False), ("two words", False), ("x" * 129, False)]
)
async def test_a_request_is_logged_and_answered_with_its_request_id(
    api: GraphQLClient,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
    sent: str | None,
    kept: bool,
) -> None:
    async def broken(*_: object, **__: object) -> None:
        raise RuntimeError("the catalogue is gone")

    monkeypatch.setattr(catalog, "products", broken)
    headers = {logs.REQUEST_ID_HEADER: sent} if sent is not None else {}

    with caplog.at_level(logging.ERROR, logger="ordergraph"):
        response = await api.http.post("/graphql", json={"query": "{ products { id } }"}, headers=headers)

    request_id = response.headers[logs.REQUEST_ID_HEADER]
    assert request_id == sent if kept else re.fullmatch("[0-9a-f]{32}", request_id)
    assert response.json()["errors"][0]["message"] == MASKED
    [fault] = [_event(record) for record in caplog.records if _event(record).get("event") == "unexpected fault"]
    assert fault["request_id"] == request_id


@pytest.mark.parametrize("store", ["sqlite"], indirect=True)  # a few hundred documents: SQLite is enough
@pytest.mark.parametrize("caller", CALLERS)
async def test_fuzzed_documents_are_answered_without_a_fault_or_internals(
    caller: str,
    fuzzed: list[str],
    http: httpx.AsyncClient,
    demo_store: Store,
    caplog: pytest.LogCaptureFixture,
) -> None:
    role, customer_id = CALLERS[caller]
    headers = {"authorization": f"Bearer {await make_token(demo_store, role, customer_id)}"} if role else {}
    problems = []
    with caplog.at_level(logging.ERROR, logger="ordergraph"):
        for document in fuzzed:
            response = await http.post("/graphql", json={"query": document}, headers=headers)
            problems += [f"{problem}\n{document}" for problem in _problems(response, document, caplog.records)]
    assert problems == [], f"{len(problems)} of {len(fuzzed)} documents answered wrongly:\n" + "\n\n".join(problems)


def _problems(response: httpx.Response, document: str, records: list[logging.LogRecord]) -> list[str]:
    found = []
    if response.status_code >= 500:
        found.append(f"HTTP {response.status_code}")
    leaked = [sign for sign in INTERNALS if sign in response.text and sign not in document]
    if leaked:
        found.append(f"internals {leaked} in {response.text[:300]}")
    request_id = response.headers.get(logs.REQUEST_ID_HEADER)
    if not request_id:
        found.append("no request id in the answer")
    elif _internal_errors(response):
        logged = [record for record in records if _event(record).get("request_id") == request_id]
        if not logged:
            found.append(f"an internal error not logged with its request id {request_id}")
        found += [f"an internal error: {_event(record).get('error')}" for record in logged]
    return found


def _internal_errors(response: httpx.Response) -> list[dict[str, Any]]:
    try:
        body = response.json()
    except ValueError:
        return []
    results = body if isinstance(body, list) else [body]
    return [
        error
        for result in results
        if isinstance(result, dict)
        for error in result.get("errors") or []
        if error.get("message") == MASKED or (error.get("extensions") or {}).get("code") == "INTERNAL_SERVER_ERROR"
    ]


def _event(record: logging.LogRecord) -> dict[str, Any]:
    return record.msg if isinstance(record.msg, dict) else {}
