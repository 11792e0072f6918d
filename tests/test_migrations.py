"""The migrations bring an empty store to head, and the models never drift from them."""

from __future__ import annotations

import sqlalchemy as sa

from models import migration
from tests.conftest import Store


async def test_models_and_migrations_never_drift(store: Store) -> None:
    assert await migration.differences(store.url) == []


async def test_migrating_again_is_a_no_op(store: Store) -> None:
    await migration.upgrade(store.url)

    async with store.db.read_sessions() as session:
        version = await session.scalar(sa.text("SELECT version_num FROM alembic_version"))
    assert version == migration.head_revision()
