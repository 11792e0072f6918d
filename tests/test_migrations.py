"""The models and the migrations never drift."""

from __future__ import annotations

from models import migration
from tests.conftest import Store


async def test_a_migrated_store_matches_the_models(store: Store) -> None:
    assert await migration.differences(store.url) == []
