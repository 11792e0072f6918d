"""API tokens: who may call the API, and in which role (a CUSTOMER token for one customer).

Only a hash of the secret is stored, so reading the table gives no usable token.
"""

from __future__ import annotations

import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base, enum_column
from models.enums import Role


class ApiToken(Base):
    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str | None] = mapped_column(sa.String(255))
    role: Mapped[Role] = mapped_column(enum_column(Role))
    # A CUSTOMER token is bound to one customer.
    customer_id: Mapped[str | None] = mapped_column(sa.String(100))
    token_hash: Mapped[str] = mapped_column(sa.String(64), unique=True)
    created_at: Mapped[datetime.datetime]
    revoked_at: Mapped[datetime.datetime | None]
    # None: the token never expires.
    expires_at: Mapped[datetime.datetime | None]
    # Written at most once a minute per token (resolvers.core.access.LAST_USED_RESOLUTION).
    last_used_at: Mapped[datetime.datetime | None]
