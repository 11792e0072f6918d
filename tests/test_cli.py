"""The `ordergraph` command line, run as a user runs it."""

from __future__ import annotations

import os
import pathlib
import socket
import subprocess
import sys

import pytest
from graphql import build_schema

from models import migration
from schema import command_errors

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


def test_a_bad_database_url_is_one_actionable_line() -> None:
    result = _run("migrate", database_url="postgresql+asyncpg://shop:s3cret@127.0.0.1:1/shop")

    assert result.returncode == 2
    assert result.stderr.strip().splitlines() == [
        "ordergraph: DATABASE_URL=postgresql+asyncpg://shop:***@127.0.0.1:1/shop: the store does not answer "
        "(Connect call failed ('127.0.0.1', 1)): is the server running there?"
    ]


@pytest.mark.parametrize(
    ("url", "says"),
    [
        ("postgresql+psycopg://shop@127.0.0.1/shop", "its driver needs the module `psycopg`, which is not installed"),
        ("postgresql+nodriver://shop@127.0.0.1/shop", "names no store ordergraph can use (Can't load plugin"),
        ("not a url", "names no store ordergraph can use (Could not parse"),
        ("sqlite:///shop.db", "names a driver that is not asynchronous"),
        ("postgresql+asyncpg://shop:s3cret@127.0.0.1:1/shop", "the store does not answer"),
    ],
)
async def test_each_kind_of_bad_database_url_reads_as_what_to_do(url: str, says: str) -> None:
    with pytest.raises(Exception) as raised:  # noqa: PT011 — each URL fails in its own way
        await migration.upgrade(url)

    line = command_errors.explain(raised.value, database_url=url)

    assert line is not None
    assert line.startswith(f"DATABASE_URL={url.replace('s3cret', '***')}")
    assert says in line
    assert "postgresql+asyncpg://" in line or "server running" in line


def test_a_bug_is_not_explained_away() -> None:
    assert command_errors.explain(KeyError("order"), database_url="sqlite+aiosqlite:///x.db") is None


def test_a_sqlite_file_in_a_missing_folder_is_one_line(tmp_path: pathlib.Path) -> None:
    result = _run("migrate", database_url=f"sqlite+aiosqlite:///{tmp_path / 'missing' / 'shop.db'}")

    assert result.returncode == 2
    [line] = result.stderr.strip().splitlines()
    assert line.endswith(f"SQLite cannot open the file: its folder {tmp_path / 'missing'} does not exist")
    assert not (tmp_path / "missing").exists()


def test_serve_refuses_an_unmigrated_store_and_a_port_in_use(database_url: str) -> None:
    unmigrated = _run("serve", "--port", "1", database_url=database_url)
    _run("migrate", database_url=database_url)
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        in_use = _run("serve", "--port", str(port), database_url=database_url)

    assert unmigrated.returncode == 2
    assert unmigrated.stderr.strip().splitlines() == [
        "ordergraph: not serving: the store is not migrated: run `ordergraph migrate`"
    ]
    assert in_use.returncode == 2
    assert in_use.stderr.strip().splitlines()[-1] == (
        f"ordergraph: 127.0.0.1:{port} is already in use: stop what listens there or pick another --port"
    )
    assert "Traceback" not in in_use.stderr
