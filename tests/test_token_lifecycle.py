"""API tokens over their life: created with an expiry, listed without their secret, revoked, last used.

The command line is run as an operator runs it, against the test's store; the refusals go through HTTP.
"""

from __future__ import annotations

import datetime
import os
import re
import subprocess
import sys
from collections.abc import AsyncIterator

import httpx
import pytest
import sqlalchemy as sa

from models.access import ApiToken
from models.enums import Role
from models.orders import Order
from models.settings import Settings
from resolvers.core import access
from schema import token_listing
from schema.app import create_app
from tests.conftest import GraphQLClient, StatementCounter, Store

ORDERGRAPH = [sys.executable, "-m", "ordergraph"]
CREATE_CART = "mutation { createCart { cart { id } userErrors { code } } }"
LINE = re.compile(
    r"id=(?P<id>\d+) role=(?P<role>\w+) customer=(?P<customer>\S+) name=(?P<name>'[^']*'|\S+) "
    r"created=(?P<created>\S+Z) expires=(?P<expires>\S+) last_used=(?P<last_used>\S+)( revoked=(?P<revoked>\S+Z))?"
)


def _cli(*args: str, database_url: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "DATABASE_URL": database_url}
    return subprocess.run([*ORDERGRAPH, *args], capture_output=True, text=True, env=env, timeout=120, check=False)


@pytest.fixture
async def client(demo_store: Store) -> AsyncIterator[GraphQLClient]:
    app = create_app(Settings(database_url=demo_store.url), db=demo_store.db)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://ordergraph.test") as http:
        yield GraphQLClient(http)


async def _token(store: Store, *, expires_at: datetime.datetime | None = None) -> tuple[int, str]:
    async with store.db.write_sessions() as session, session.begin():
        row, token = await access.create_token(
            session, role=Role.ADMIN, customer_id=None, name="ops", now=_now(), expires_at=expires_at
        )
    return row.id, token


async def _row(store: Store, token_id: int) -> ApiToken:
    async with store.db.read_sessions() as session:
        row = await session.get(ApiToken, token_id)
    assert row is not None
    return row


async def _set(store: Store, token_id: int, **values: object) -> None:
    async with store.db.write_sessions() as session, session.begin():
        await session.execute(sa.update(ApiToken).where(ApiToken.id == token_id).values(**values))


async def _orders(store: Store) -> int:
    async with store.db.read_sessions() as session:
        return int(await session.scalar(sa.select(sa.func.count()).select_from(Order)) or 0)


def _token_writes(counter: StatementCounter) -> int:
    return sum(statement.lstrip().upper().startswith("UPDATE API_TOKENS") for statement in counter.statements)


def _now() -> datetime.datetime:
    return datetime.datetime.now(datetime.UTC)


async def _refused(client: GraphQLClient, token: str) -> tuple[int, list[dict[str, object]]]:
    response = await client.post(CREATE_CART, token=token)
    return response.status_code, response.json()["errors"]


async def test_the_command_line_lists_revokes_and_expires_tokens(client: GraphQLClient, store: Store) -> None:
    created = _cli(
        "token", "create", "--role", "ADMIN", "--name", "ops laptop", "--expires-in", "12h", database_url=store.url
    )
    customer = _cli("token", "create", "--role", "CUSTOMER", "--customer", "C7", database_url=store.url)
    admin_token, customer_token = created.stdout.splitlines()[-1], customer.stdout.splitlines()[-1]
    assert (await client.post(CREATE_CART, token=customer_token)).status_code == 200

    listed = _cli("token", "list", database_url=store.url)

    assert (created.returncode, customer.returncode, listed.returncode) == (0, 0, 0), created.stderr
    assert "expires " in created.stdout.splitlines()[0]
    lines = [LINE.fullmatch(line) for line in listed.stdout.splitlines()]
    assert all(lines), listed.stdout
    first, second = (match.groupdict() for match in lines if match)
    assert (first["role"], first["customer"], first["name"], first["last_used"]) == (
        "ADMIN",
        "-",
        "'ops laptop'",
        "never",
    )
    expires = datetime.datetime.fromisoformat(first["expires"])
    created_at = datetime.datetime.fromisoformat(first["created"])
    assert expires - created_at == datetime.timedelta(hours=12)
    assert (second["role"], second["customer"], second["name"], second["expires"]) == ("CUSTOMER", "C7", "-", "never")
    assert second["last_used"] != "never"
    for token in (admin_token, customer_token):
        assert token not in listed.stdout
        assert access.hash_secret(token) not in listed.stdout

    revoked = _cli("token", "revoke", second["id"], database_url=store.url)
    again = _cli("token", "revoke", second["id"], database_url=store.url)
    unknown = _cli("token", "revoke", "999999", database_url=store.url)
    orders_before = await _orders(store)

    assert (revoked.returncode, revoked.stdout.strip()) == (0, f"revoked token {second['id']}")
    assert (again.returncode, again.stderr.strip()) == (2, f"Token {second['id']} was revoked already.")
    assert (unknown.returncode, unknown.stderr.strip()) == (2, "Token 999999 was not found.")
    status, errors = await _refused(client, customer_token)
    assert (status, [error["extensions"] for error in errors]) == (401, [{"code": "UNAUTHENTICATED"}])
    assert await _orders(store) == orders_before
    assert (await client.post(CREATE_CART, token=admin_token)).status_code == 200
    after = _cli("token", "list", database_url=store.url).stdout.splitlines()
    assert [bool((match := LINE.fullmatch(line)) and match["revoked"]) for line in after] == [False, True]


def test_a_bad_duration_is_one_line_and_exit_code_2() -> None:
    result = _cli("token", "create", "--role", "ADMIN", "--expires-in", "7x", database_url="sqlite+aiosqlite://")

    assert result.returncode == 2
    assert result.stderr.strip().splitlines() == ["--expires-in '7x' is not a duration such as 45s, 30m, 12h or 7d."]
    assert result.stdout == ""


def test_durations_read_as_their_units_and_nothing_else() -> None:
    parsed = [token_listing.parse_duration(text) for text in ("45s", "30m", "12h", "7d", " 90m ")]
    refused = []
    for text in ("0d", "-3h", "12", "1.5h", "h", "3 d", "7D", "1w", "", "9999999999d"):
        with pytest.raises(ValueError, match="is not a duration") as error:
            token_listing.parse_duration(text)
        refused.append(error.value)

    assert parsed == [
        datetime.timedelta(seconds=45),
        datetime.timedelta(minutes=30),
        datetime.timedelta(hours=12),
        datetime.timedelta(days=7),
        datetime.timedelta(minutes=90),
    ]
    assert len(refused) == 10


async def test_an_expired_token_is_refused_from_the_next_request(client: GraphQLClient, store: Store) -> None:
    token_id, token = await _token(store, expires_at=_now() + datetime.timedelta(hours=1))
    assert (await client.post(CREATE_CART, token=token)).status_code == 200
    orders_before = await _orders(store)

    await _set(store, token_id, expires_at=_now() - datetime.timedelta(seconds=1))  # the hour has passed
    status, errors = await _refused(client, token)

    assert (status, errors) == (401, [{"message": "The token has expired.", "extensions": {"code": "UNAUTHENTICATED"}}])
    assert await _orders(store) == orders_before


async def test_a_token_is_created_only_with_an_expiry_in_the_future(store: Store) -> None:
    with pytest.raises(access.DomainError) as refused:
        await _token(store, expires_at=_now() - datetime.timedelta(seconds=1))

    assert (refused.value.code, refused.value.field) == ("INVALID", ["expiresIn"])
    async with store.db.read_sessions() as session:
        assert await session.scalar(sa.select(sa.func.count()).select_from(ApiToken)) == 0


async def test_a_revoked_token_is_refused_from_the_next_request(client: GraphQLClient, store: Store) -> None:
    token_id, token = await _token(store)
    assert (await client.post(CREATE_CART, token=token)).status_code == 200
    orders_before = await _orders(store)

    async with store.db.write_sessions() as session, session.begin():
        await access.revoke_token(session, token_id=token_id, now=_now())
    status, errors = await _refused(client, token)

    assert (status, errors) == (
        401,
        [{"message": "The token is not valid.", "extensions": {"code": "UNAUTHENTICATED"}}],
    )
    assert await _orders(store) == orders_before


async def test_last_used_is_written_at_most_once_a_minute(
    client: GraphQLClient, store: Store, count_statements: StatementCounter
) -> None:
    token_id, token = await _token(store)
    writes: list[int] = []

    for _ in range(3):
        count_statements.statements.clear()
        await client.execute("{ paymentMethods { id } }", token=token)
        writes.append(_token_writes(count_statements))
    first_use = (await _row(store, token_id)).last_used_at
    a_minute_ago = _now() - access.LAST_USED_RESOLUTION
    await _set(store, token_id, last_used_at=a_minute_ago)  # a minute has passed
    count_statements.statements.clear()
    await client.execute("{ paymentMethods { id } }", token=token)
    writes.append(_token_writes(count_statements))

    assert writes == [1, 0, 0, 1]
    assert first_use is not None
    later_use = (await _row(store, token_id)).last_used_at
    assert later_use is not None
    assert later_use > a_minute_ago
