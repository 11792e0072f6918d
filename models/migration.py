"""Apply the Alembic migrations and compare the models with a migrated store."""

from __future__ import annotations

import functools
import pathlib
from typing import Any

import sqlalchemy as sa
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.config import Config
from alembic.migration import MigrationContext
from sqlalchemy.ext.asyncio import AsyncConnection, create_async_engine

import migrations
from models import database
from models.base import Base

MIGRATIONS_FOLDER = pathlib.Path(migrations.__file__).resolve().parent


def alembic_config(url: str) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_FOLDER))
    config.set_main_option("sqlalchemy.url", url)
    return config


async def upgrade(url: str, revision: str = "head") -> None:
    """Bring the store at `url` to `revision`."""
    database.require_sqlite_folder(url)
    engine = create_async_engine(url)
    try:
        async with engine.begin() as connection:
            await connection.run_sync(_upgrade_sync, url, revision)
    finally:
        await engine.dispose()


def _upgrade_sync(connection: sa.Connection, url: str, revision: str) -> None:
    config = alembic_config(url)
    config.attributes["connection"] = connection
    command.upgrade(config, revision)


async def differences(url: str) -> list[Any]:
    """What autogenerate finds between the models and the store at `url`: empty when they never drifted."""
    engine = create_async_engine(url)
    try:
        async with engine.connect() as connection:
            return await connection.run_sync(_differences_sync)
    finally:
        await engine.dispose()


def _differences_sync(connection: sa.Connection) -> list[Any]:
    context = MigrationContext.configure(
        connection,
        opts={"compare_type": True, "compare_server_default": True, "target_metadata": Base.metadata},
    )
    return list(compare_metadata(context, Base.metadata))


async def pending(connection: AsyncConnection) -> str | None:
    """Why the store on `connection` is not at the head revision (one short sentence), or None when it is."""
    current = await connection.run_sync(lambda sync: MigrationContext.configure(sync).get_current_heads())
    if not current:
        return "the store is not migrated: run `ordergraph migrate`"
    head = head_revision()
    if tuple(current) != (head,):
        return f"the store is at revision {', '.join(current)}, not {head}: run `ordergraph migrate`"
    return None


@functools.cache
def head_revision() -> str:
    """The newest revision of the migration scripts (read once per process)."""
    from alembic.script import ScriptDirectory

    head = ScriptDirectory.from_config(alembic_config("sqlite://")).get_current_head()
    assert head is not None
    return head
