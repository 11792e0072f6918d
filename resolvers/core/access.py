"""Who is calling: API tokens (created by the command line, stored hashed) and the viewer they make.

What each caller reaches (design.md, Access):

    ADMIN        everything, staff data included (flows and states, an order's events, versions, comment, ip)
    STOREFRONT   a server-side storefront: the catalogue and fees, and carts, checkouts and quotes by their
                 secret, exactly as an anonymous shopper; no admin operation, no record without its secret
    CUSTOMER     their own carts, quotes and orders without a secret; anything else by its secret
    anonymous    the catalogue and fees, and a cart, checkout or quote by its secret

A secret opens its record until the record is a completed order; from then on it only reads it (the
order confirmation page), for `secret_read_window` after completion; after that only the customer
and admins reach it. No one but an admin sees staff data, not even on their own record.
"""

from __future__ import annotations

import dataclasses
import datetime
import hashlib
import hmac
import secrets

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from models.access import ApiToken
from models.enums import Role
from resolvers.core.errors import DomainError, ErrorCode, invalid, not_found

__all__ = ["DomainError", "UnauthenticatedToken", "Viewer", "authenticate", "create_token", "revoke_token"]

TOKEN_PREFIX = "og_"
DEFAULT_SECRET_READ_WINDOW = datetime.timedelta(days=30)
# A token's `last_used_at` is exact to this: a request writes it only when it is older, so the
# hot path of a busy token reads the row and writes nothing.
LAST_USED_RESOLUTION = datetime.timedelta(minutes=1)


class UnauthenticatedToken(Exception):
    """A bearer token that is not valid (unknown, revoked, expired, badly signed): nothing runs."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


@dataclasses.dataclass(frozen=True, slots=True)
class Viewer:
    """The caller of a request; `role` None is an anonymous shopper."""

    role: Role | None = None
    customer_id: str | None = None
    name: str | None = None
    # How long a completed order's secret still reads it (the shop's setting, ORDERGRAPH_SECRET_READ_DAYS).
    secret_read_window: datetime.timedelta = DEFAULT_SECRET_READ_WINDOW

    @property
    def is_admin(self) -> bool:
        return self.role is Role.ADMIN

    def is_customer(self, customer_id: str | None) -> bool:
        """Whether the caller is this customer (a CUSTOMER token bound to it)."""
        return self.role is Role.CUSTOMER and customer_id is not None and customer_id == self.customer_id

    @property
    def actor(self) -> str:
        """How events and versions name the caller."""
        if self.role is None:
            return "anonymous"
        if self.role is Role.CUSTOMER:
            return f"customer:{self.customer_id}"
        return f"{self.role.value.lower()}:{self.name or 'token'}"


ANONYMOUS = Viewer()


def hash_secret(secret: str) -> str:
    """SHA-256 hex of a token or cart secret: both are random, so a plain hash is enough."""
    return hashlib.sha256(secret.encode()).hexdigest()


def secrets_match(secret: str | None, stored_hash: str | None) -> bool:
    """Compare a presented secret with a stored hash in constant time."""
    if not secret or not stored_hash:
        return False
    return hmac.compare_digest(hash_secret(secret), stored_hash)


def new_secret() -> str:
    return secrets.token_urlsafe(32)


async def create_token(
    session: AsyncSession,
    *,
    role: Role,
    customer_id: str | None,
    name: str | None,
    now: datetime.datetime,
    expires_at: datetime.datetime | None = None,
) -> tuple[ApiToken, str]:
    """Store a new token's hash and return the row with the token itself (shown once)."""
    if role is Role.CUSTOMER and not customer_id:
        raise invalid("A CUSTOMER token needs a customer id.", ["customer"])
    if role is not Role.CUSTOMER and customer_id:
        raise invalid("Only a CUSTOMER token is bound to a customer.", ["customer"])
    if expires_at is not None and expires_at <= now:
        raise invalid("A token must expire in the future.", ["expiresIn"])
    token = TOKEN_PREFIX + new_secret()
    row = ApiToken(
        role=role, customer_id=customer_id, name=name, token_hash=hash_secret(token), created_at=now,
        expires_at=expires_at,
    )  # fmt: skip
    session.add(row)
    await session.flush()
    return row, token


async def authenticate(session: AsyncSession, *, token: str, now: datetime.datetime) -> Viewer:
    """The viewer a bearer token stands for; UnauthenticatedToken for an unknown, revoked or expired one."""
    return viewer_of(await valid_token(session, token=token, now=now))


async def valid_token(session: AsyncSession, *, token: str, now: datetime.datetime) -> ApiToken:
    """The stored token a bearer token is; UnauthenticatedToken when unknown, revoked or expired at `now`."""
    # The lookup is by hash, so the comparison never touches the token itself.
    row = await session.scalar(sa.select(ApiToken).where(ApiToken.token_hash == hash_secret(token)))
    if row is None or row.revoked_at is not None:
        raise UnauthenticatedToken("The token is not valid.")
    if row.expires_at is not None and row.expires_at <= now:
        raise UnauthenticatedToken("The token has expired.")
    return row


def viewer_of(row: ApiToken) -> Viewer:
    return Viewer(role=row.role, customer_id=row.customer_id, name=row.name)


def is_use_due(row: ApiToken, *, now: datetime.datetime) -> bool:
    """Whether `last_used_at` is older than LAST_USED_RESOLUTION, so this use should be recorded."""
    return row.last_used_at is None or now - row.last_used_at >= LAST_USED_RESOLUTION


async def record_use(session: AsyncSession, *, token_id: int, now: datetime.datetime) -> None:
    """Set `last_used_at`, unless a concurrent request recorded a use within LAST_USED_RESOLUTION."""
    await session.execute(
        sa.update(ApiToken)
        .where(
            ApiToken.id == token_id,
            sa.or_(ApiToken.last_used_at.is_(None), ApiToken.last_used_at <= now - LAST_USED_RESOLUTION),
        )
        .values(last_used_at=now)
    )


async def list_tokens(session: AsyncSession) -> list[ApiToken]:
    """Every token, revoked and expired ones included, oldest first."""
    return list((await session.scalars(sa.select(ApiToken).order_by(ApiToken.id))).all())


async def revoke_token(session: AsyncSession, *, token_id: int, now: datetime.datetime) -> ApiToken:
    """Revoke a token from its next request on.

    Raises NOT_FOUND for an unknown id, ALREADY_DONE for a token revoked before.
    """
    row = await session.get(ApiToken, token_id, with_for_update=True)
    if row is None:
        raise not_found("Token", token_id, ["id"])
    if row.revoked_at is not None:
        raise DomainError(ErrorCode.ALREADY_DONE, f"Token {token_id} was revoked already.", ["id"])
    row.revoked_at = now
    await session.flush()
    return row
