"""Fixtures: a migrated store per test (SQLite always, PostgreSQL when ORDERGRAPH_TEST_POSTGRES_URL is set),
the app over httpx's ASGI transport, tokens, and the demo data.

Each store is migrated once per session into a template; every test gets a fresh copy
(a file copy on SQLite, `CREATE DATABASE … TEMPLATE` on PostgreSQL), so tests that go
through the whole HTTP stack, commits included, never see each other's rows.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import dataclasses
import datetime
import os
import pathlib
import shutil
import uuid
from collections.abc import AsyncIterator, Coroutine, Iterator
from typing import Any

import httpx
import pytest
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession, create_async_engine

from models import database, migration
from models.enums import Role
from models.settings import Settings
from resolvers.core import access
from resolvers.setup import demo
from schema.app import create_app

POSTGRES_URL = os.environ.get("ORDERGRAPH_TEST_POSTGRES_URL")
STORES = ["sqlite", "postgres"]


def pytest_configure(config: pytest.Config) -> None:
    if os.environ.get("CI") and not POSTGRES_URL:
        raise pytest.UsageError(
            "CI is set but ORDERGRAPH_TEST_POSTGRES_URL is not: the PostgreSQL suite must run in CI."
        )


@dataclasses.dataclass
class Store:
    name: str
    url: str
    db: database.Database

    @property
    def is_sqlite(self) -> bool:
        return self.name == "sqlite"


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> pathlib.Path:
    path = tmp_path_factory.mktemp("template") / "template.db"
    _run_in_thread(migration.upgrade(f"sqlite+aiosqlite:///{path}"))
    return path


@pytest.fixture(scope="session")
def postgres_template() -> str:
    if not POSTGRES_URL:
        pytest.skip("ORDERGRAPH_TEST_POSTGRES_URL is not set")
    name = f"og_template_{uuid.uuid4().hex[:8]}"
    _run_in_thread(_admin_sql(POSTGRES_URL, f'CREATE DATABASE "{name}"'))
    _run_in_thread(migration.upgrade(_with_database(POSTGRES_URL, name)))
    return name


@pytest.fixture(params=STORES)
async def store(request: pytest.FixtureRequest, tmp_path: pathlib.Path) -> AsyncIterator[Store]:
    settings = Settings(pool_size=5)
    if request.param == "sqlite":
        path = tmp_path / "store.db"
        shutil.copyfile(request.getfixturevalue("sqlite_template"), path)
        url = f"sqlite+aiosqlite:///{path}"
        db = database.connect(settings, url=url)
        yield Store("sqlite", url, db)
        await db.dispose()
        return
    template = request.getfixturevalue("postgres_template")
    assert POSTGRES_URL is not None
    name = f"og_test_{uuid.uuid4().hex[:10]}"
    await _admin_sql(POSTGRES_URL, f'CREATE DATABASE "{name}" TEMPLATE "{template}"')
    url = _with_database(POSTGRES_URL, name)
    db = database.connect(settings, url=url)
    yield Store("postgres", url, db)
    await db.dispose()
    await _admin_sql(POSTGRES_URL, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture
async def session(store: Store) -> AsyncIterator[AsyncSession]:
    """A write session for domain tests; rolled back at the end."""
    async with store.db.write_sessions() as session:
        yield session
        await session.rollback()


@pytest.fixture
def now() -> datetime.datetime:
    return datetime.datetime(2026, 11, 25, 12, 0, tzinfo=datetime.UTC)


@pytest.fixture
async def seeded(session: AsyncSession, now: datetime.datetime) -> AsyncSession:
    """The write session with the demo data added (not committed)."""
    await demo.seed(session, now=now)
    return session


@pytest.fixture
async def demo_store(store: Store) -> Store:
    """The store with the demo data committed."""
    async with store.db.write_sessions() as session, session.begin():
        await demo.seed(session, now=datetime.datetime.now(datetime.UTC))
    return store


@dataclasses.dataclass
class GraphQLClient:
    http: httpx.AsyncClient
    token: str | None = None

    async def post(
        self, query: str, variables: dict[str, Any] | None = None, token: str | None = None
    ) -> httpx.Response:
        headers = {}
        bearer = token if token is not None else self.token
        if bearer:
            headers["Authorization"] = f"Bearer {bearer}"
        return await self.http.post("/graphql", json={"query": query, "variables": variables or {}}, headers=headers)

    async def execute(
        self, query: str, variables: dict[str, Any] | None = None, token: str | None = None
    ) -> dict[str, Any]:
        """Run a document and return `data`, failing the test on any top-level error."""
        response = await self.post(query, variables, token)
        body = response.json()
        assert response.status_code == 200, body
        assert "errors" not in body or not body["errors"], body["errors"]
        return body["data"]

    def as_role(self, token: str | None) -> GraphQLClient:
        return GraphQLClient(self.http, token)


@pytest.fixture
async def api(demo_store: Store) -> AsyncIterator[GraphQLClient]:
    """An anonymous client of the app over the demo store."""
    app = create_app(Settings(database_url=demo_store.url), db=demo_store.db)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://ordergraph.test") as http:
        yield GraphQLClient(http)


async def make_token(store: Store, role: Role, customer_id: str | None = None) -> str:
    async with store.db.write_sessions() as session, session.begin():
        _, token = await access.create_token(
            session,
            role=role,
            customer_id=customer_id,
            name=f"test-{role.value.lower()}",
            now=datetime.datetime.now(datetime.UTC),
        )
    return token


@pytest.fixture
async def admin(api: GraphQLClient, demo_store: Store) -> GraphQLClient:
    return api.as_role(await make_token(demo_store, Role.ADMIN))


@pytest.fixture
async def storefront(api: GraphQLClient, demo_store: Store) -> GraphQLClient:
    return api.as_role(await make_token(demo_store, Role.STOREFRONT))


class StatementCounter:
    """Counts SQL statements sent to the store (BEGIN, SAVEPOINT and the like left out)."""

    def __init__(self) -> None:
        self.statements: list[str] = []

    def __call__(self, _conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        if not statement.lstrip().upper().startswith(("BEGIN", "SAVEPOINT", "RELEASE", "ROLLBACK", "COMMIT", "PRAGMA")):
            self.statements.append(statement)

    @property
    def count(self) -> int:
        return len(self.statements)


@pytest.fixture
def count_statements(store: Store) -> Iterator[StatementCounter]:
    counter = StatementCounter()
    engines = {store.db.write_engine.sync_engine, store.db.read_engine.sync_engine}
    for engine in engines:
        sa.event.listen(engine, "before_cursor_execute", counter)
    yield counter
    for engine in engines:
        sa.event.remove(engine, "before_cursor_execute", counter)


def _run_in_thread(coroutine: Coroutine[Any, Any, Any]) -> Any:
    """Run a coroutine to the end from a sync fixture that may be set up inside a running event loop."""
    with concurrent.futures.ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(asyncio.run, coroutine).result()


def _with_database(url: str, name: str) -> str:
    return sa.make_url(url).set(database=name).render_as_string(hide_password=False)


async def _admin_sql(url: str, statement: str) -> None:
    engine = create_async_engine(_with_database(url, "postgres"), isolation_level="AUTOCOMMIT")
    try:
        async with engine.connect() as connection:
            await connection.execute(sa.text(statement))
    finally:
        await engine.dispose()
