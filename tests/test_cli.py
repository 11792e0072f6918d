"""The `ordergraph` command line, run as a user runs it."""

from __future__ import annotations

import os
import pathlib
import subprocess
import sys

import pytest
from graphql import build_schema

ORDERGRAPH = [sys.executable, "-m", "ordergraph"]


def _run(*args: str, database_url: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "DATABASE_URL": database_url}
    return subprocess.run([*ORDERGRAPH, *args], capture_output=True, text=True, env=env, timeout=120, check=False)


@pytest.fixture
def database_url(tmp_path: pathlib.Path) -> str:
    return f"sqlite+aiosqlite:///{tmp_path / 'cli.db'}"


def test_migrate_seed_twice_and_create_a_token(database_url: str) -> None:
    migrated = _run("migrate", database_url=database_url)
    first = _run("seed", "--demo", database_url=database_url)
    second = _run("seed", "--demo", database_url=database_url)
    token = _run(
        "token", "create", "--role", "CUSTOMER", "--customer", "C7", "--name", "shop", database_url=database_url
    )

    assert migrated.returncode == 0, migrated.stderr
    assert "products 22" in first.stdout
    first_orders = first.stdout.strip().splitlines()[-1]
    assert first_orders.startswith("demo orders: added 180 of 180 planned and ")
    same_records = first_orders.split("; ", 1)[1]
    assert second.stdout.strip().splitlines() == [
        "added: nothing",
        f"demo orders: all 180 there already, nothing added; {same_records}",
    ]
    assert token.returncode == 0, token.stderr
    assert token.stdout.strip().splitlines()[-1].startswith("og_")


def test_a_customer_token_needs_a_customer(database_url: str) -> None:
    _run("migrate", database_url=database_url)

    result = _run("token", "create", "--role", "CUSTOMER", database_url=database_url)

    assert result.returncode == 2
    assert "needs a customer" in result.stderr


def test_schema_prints_a_buildable_sdl(database_url: str) -> None:
    result = _run("schema", database_url=database_url)

    assert result.returncode == 0, result.stderr
    schema = build_schema(result.stdout)
    assert {"products", "order", "flows"} <= set(schema.query_type.fields)  # type: ignore[union-attr]
