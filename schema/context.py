"""The per-operation context: the caller, the store, the session of the moment and its dataloaders.

Sessions follow the transactions of `schema.transactions`: a root mutation field's resolver gets a
write session of its own, committed as it returns; its payload then reads in a new transaction on
the read engine (on SQLite a plain BEGIN, which takes no lock), and the session is closed before
the next root field starts and when the operation ends. A query reads through a read session.
"""

from __future__ import annotations

import dataclasses
import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from models.catalog import Currency, Shop
from models.database import Database
from models.settings import Settings
from resolvers.core import access, loaders
from resolvers.payments import payment_providers
from resolvers.setup import catalog


@dataclasses.dataclass
class Context:
    db: Database
    settings: Settings
    viewer: access.Viewer
    providers: payment_providers.Providers | None = None
    request: Any = None
    ip: str | None = None
    # True while a root mutation field's resolver runs: `session` is then a write session.
    _writes: bool = False
    # True once the running field handed the write sessions to a money movement (`movement_sessions`).
    _moves_money: bool = False
    _session: AsyncSession | None = None
    _loaders: loaders.Loaders | None = None

    def __post_init__(self) -> None:
        # The shop's settings decide how long a completed order's secret still reads it.
        window = datetime.timedelta(days=self.settings.secret_read_days)
        if self.viewer.secret_read_window != window:
            self.viewer = dataclasses.replace(self.viewer, secret_read_window=window)

    @property
    def now(self) -> datetime.datetime:
        """The clock, read at the call site and passed into the domain."""
        return datetime.datetime.now(datetime.UTC)

    @property
    def session(self) -> AsyncSession:
        """The session of the moment: opened on first use, ended by `schema.transactions`."""
        if self._session is None:
            factory = self.db.write_sessions if self._writes else self.db.read_sessions
            self._session = factory()
        return self._session

    @property
    def loaders(self) -> loaders.Loaders:
        if self._loaders is None:
            self._loaders = loaders.Loaders(self.session)
        return self._loaders

    @property
    def moves_money(self) -> bool:
        """Whether the running field handed its writes to a money movement, which committed steps of its own."""
        return self._moves_money

    def movement_sessions(self) -> async_sessionmaker[AsyncSession]:
        """The write sessions, for a money movement that commits its own short transactions.

        The field's own session reads from here on: a write session of the request would hold a lock
        (SQLite's write lock, an order's row lock) that the movement's transactions then wait for.
        """
        assert self._session is None or not self._writes, "a money movement runs before its field writes anything"
        self._writes, self._moves_money = False, True
        return self.db.write_sessions

    async def default_shop_and_currency(self) -> tuple[Shop, Currency]:
        """The shop every catalogue price is quoted in, with its default currency."""
        shop = await catalog.default_shop(self.session)
        currency = await self.loaders.currency_by_code.load(shop.default_currency_code)
        return shop, currency

    def for_operation(self) -> Context:
        """A fresh copy for one operation of a batch: each gets its own session and loaders."""
        return dataclasses.replace(self, _writes=False, _moves_money=False, _session=None, _loaders=None)

    async def begin_field(self) -> None:
        """Start a root mutation field: what the field before it read is closed, and its resolver writes."""
        await self.end_session()
        self._writes, self._moves_money = True, False

    async def commit_field(self) -> None:
        """Commit what the field's resolver wrote; its payload goes on reading, through a read connection."""
        self._writes = False
        if self._session is not None:
            await self._session.commit()
            # The same session and loaders, so the payload sees the rows the resolver handed it (a dry run's
            # too); its next transaction begins on the read engine (on SQLite a plain BEGIN: no write lock).
            self._session.sync_session.bind = self.db.read_engine.sync_engine

    async def end_session(self) -> None:
        """Close the session of the moment, rolling back what it did not commit; the loaders go with it."""
        session, self._session, self._loaders, self._writes = self._session, None, None, False
        if session is not None:
            await session.close()
