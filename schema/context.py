"""The per-operation context: the caller, the store, one session and the dataloaders."""

from __future__ import annotations

import dataclasses
import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

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
    # Set by `schema.transactions.TransactionPerOperation` once the operation's type is known.
    is_write: bool = False
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
        """The operation's session: opened on first use, committed or rolled back when the operation ends."""
        if self._session is None:
            factory = self.db.write_sessions if self.is_write else self.db.read_sessions
            self._session = factory()
        return self._session

    @property
    def loaders(self) -> loaders.Loaders:
        if self._loaders is None:
            self._loaders = loaders.Loaders(self.session)
        return self._loaders

    async def default_shop_and_currency(self) -> tuple[Shop, Currency]:
        """The shop every catalogue price is quoted in, with its default currency."""
        shop = await catalog.default_shop(self.session)
        currency = await self.loaders.currency_by_code.load(shop.default_currency_code)
        return shop, currency

    def for_operation(self) -> Context:
        """A fresh copy for one operation of a batch: each gets its own session and loaders."""
        return dataclasses.replace(self, is_write=False, _session=None, _loaders=None)
