"""The stores a benchmark run uses, filled with `benchmarks.data`, and what every workload is handed (`Bench`).

SQLite is a file in a temporary folder. PostgreSQL is the database in ORDERGRAPH_BENCH_POSTGRES_URL,
which a run empties first: give it a database of its own.
"""

from __future__ import annotations

import contextlib
import dataclasses
import datetime
import pathlib
import tempfile
import time
from collections.abc import AsyncIterator
from typing import Any

import httpx
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import create_async_engine

from benchmarks import data, load
from models import database, migration
from models.enums import Role
from models.settings import Settings
from resolvers.core import access
from schema import garbage
from schema.app import create_app


@dataclasses.dataclass
class Bench:
    """One store, filled, with an in-process app over it, an admin token and the load client."""

    store: str  # "sqlite" or "postgresql", the `store=` of a line
    url: str
    db: database.Database
    ids: data.Generated
    token: str
    http: httpx.AsyncClient  # the app in-process (httpx's ASGI transport)
    load: load.Client

    @property
    def admin_headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}

    async def graphql(self, query: str, variables: dict[str, Any] | None = None) -> dict[str, Any]:
        """The data of an in-process admin request that must succeed."""
        response = await self.http.post(
            "/graphql", json={"query": query, "variables": variables or {}}, headers=self.admin_headers
        )
        body = response.json()
        assert "errors" not in body, body["errors"]
        return body["data"]  # type: ignore[no-any-return]

    async def statements(self, query: str, variables: dict[str, Any] | None = None) -> int:
        """How many SQL statements the request runs (transaction control left out)."""
        counter = _Counter()
        engines = {id(engine): engine for engine in (self.db.read_engine, self.db.write_engine)}
        for engine in engines.values():
            sa.event.listen(engine.sync_engine, "before_cursor_execute", counter)
        try:
            await self.graphql(query, variables)
        finally:
            for engine in engines.values():
                sa.event.remove(engine.sync_engine, "before_cursor_execute", counter)
        return counter.count


@contextlib.asynccontextmanager
async def filled(store: str, postgres_url: str | None, client: load.Client) -> AsyncIterator[Bench]:
    """A store of `store`'s kind with the benchmark data, and the in-process app over it."""
    async with _empty_store(store, postgres_url) as url:
        await migration.upgrade(url)
        started = time.perf_counter()
        ids = await data.generate(url)
        print(f"# {store}: generated {ids.total} orders in {time.perf_counter() - started:.1f} s", flush=True)
        db = database.connect(Settings(pool_size=5), url=url)
        try:
            token = await _admin_token(db)
            app = create_app(Settings(database_url=url), db=db)
            garbage.tune()  # as a served process does once started (the ASGI transport runs no lifespan)
            transport = httpx.ASGITransport(app=app)
            async with httpx.AsyncClient(transport=transport, base_url="http://bench") as http:
                yield Bench(store, url, db, ids, token, http, client)
        finally:
            await db.dispose()


@contextlib.asynccontextmanager
async def _empty_store(store: str, postgres_url: str | None) -> AsyncIterator[str]:
    if store == "sqlite":
        with tempfile.TemporaryDirectory() as folder:
            yield f"sqlite+aiosqlite:///{pathlib.Path(folder) / 'bench.db'}"
        return
    assert postgres_url, "PostgreSQL needs ORDERGRAPH_BENCH_POSTGRES_URL"
    engine = create_async_engine(postgres_url)
    async with engine.begin() as connection:
        await connection.execute(sa.text("DROP SCHEMA public CASCADE"))
        await connection.execute(sa.text("CREATE SCHEMA public"))
    await engine.dispose()
    yield postgres_url


async def _admin_token(db: database.Database) -> str:
    async with db.write_sessions() as session, session.begin():
        _, token = await access.create_token(
            session, role=Role.ADMIN, customer_id=None, name="bench", now=datetime.datetime.now(datetime.UTC)
        )
    return token


class _Counter:
    def __init__(self) -> None:
        self.count = 0

    def __call__(self, _conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        if not statement.lstrip().upper().startswith(("BEGIN", "SAVEPOINT", "RELEASE", "ROLLBACK", "COMMIT", "PRAGMA")):
            self.count += 1
