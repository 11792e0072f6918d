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
from resolvers.core.errors import DomainError, ErrorCode, invalid

__all__ = ["DomainError", "Viewer", "authenticate", "create_token"]

TOKEN_PREFIX = "og_"
DEFAULT_SECRET_READ_WINDOW = datetime.timedelta(days=30)


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
    session: AsyncSession, *, role: Role, customer_id: str | None, name: str | None, now: datetime.datetime
) -> tuple[ApiToken, str]:
    """Store a new token's hash and return the row with the token itself (shown once)."""
    if role is Role.CUSTOMER and not customer_id:
        raise invalid("A CUSTOMER token needs a customer id.", ["customer"])
    if role is not Role.CUSTOMER and customer_id:
        raise invalid("Only a CUSTOMER token is bound to a customer.", ["customer"])
    token = TOKEN_PREFIX + new_secret()
    row = ApiToken(role=role, customer_id=customer_id, name=name, token_hash=hash_secret(token), created_at=now)
    session.add(row)
    await session.flush()
    return row, token


async def authenticate(session: AsyncSession, *, token: str) -> Viewer:
    """The viewer a bearer token stands for; FORBIDDEN for an unknown or revoked token."""
    # The lookup is by hash, so the comparison never touches the token itself.
    row = await session.scalar(
        sa.select(ApiToken).where(ApiToken.token_hash == hash_secret(token), ApiToken.revoked_at.is_(None))
    )
    if row is None:
        raise DomainError(ErrorCode.FORBIDDEN, "The token is not valid.")
    return Viewer(role=row.role, customer_id=row.customer_id, name=row.name)
