"""What a money movement is for, beyond the ledger row it moves, and where settling finds it.

Payments knows its own purposes (`settlement`: a capture, a refund, a cancel, an incremental
authorization and a release bump the order with an event; a cancel also cancels it; the last two
tag their rows, so reconciliation tells them apart). A capability that moves money for its own ends
defines a `Purpose` and registers it when its module is imported, so payments never imports it:

    storefront.checkout        AUTHORIZE   completes the checkout, or gives its stock back
    returns.return_refunds     REFUND      concludes the return the refund was reserved for
    channels.recurring         AUTHORIZE   a generated order's charge: its events (a decline keeps it unpaid)

A movement passes its purpose to the engine, which applies it when it settles the row at once.
Reconciliation has only the PENDING row: `settlement.settle` asks each registered purpose of the
row's kind whether the row is its own (`owns`) and falls back to payments' own purpose for the
kind, so a row settled late has exactly the effects it would have had at once. A process that
reconciles must have imported the capabilities whose rows it settles (`schema.worker` does).
"""

from __future__ import annotations

import dataclasses
import datetime
from typing import Protocol, TypeVar

from sqlalchemy.ext.asyncio import AsyncSession

from models.enums import TransactionKind
from models.orders import Order
from models.payments import Transaction


@dataclasses.dataclass(frozen=True, slots=True)
class Settlement:
    """A movement's row at the moment its effects apply, with its order (locked) and who and when."""

    order: Order
    # None when nothing moved (a cancel with nothing authorized): the success applies at once.
    transaction: Transaction | None
    actor: str | None
    now: datetime.datetime
    # The caller's words for the order's event, such as a refund's reason.
    note: str | None = None
    # Settled by reconciliation, after the request that reserved it: a purpose may say so in its events.
    by_reconciliation: bool = False


class Purpose(Protocol):
    """What a movement is for: the kind of row it reserves, and what settling that row changes."""

    @property
    def kind(self) -> TransactionKind:
        """The kind of ledger row the movement reserves."""

    async def owns(self, session: AsyncSession, settled: Settlement) -> bool:
        """Whether a row of `kind` is this purpose's: how reconciliation, which has only the row, finds it."""

    async def succeeded(self, session: AsyncSession, settled: Settlement) -> None:
        """Apply what the movement's success means (the order row is locked; flush, never commit)."""

    async def failed(self, session: AsyncSession, settled: Settlement) -> None:
        """Undo what reserving the movement did beyond the ledger (a decline, or a call that never arrived)."""


_registered: list[Purpose] = []
Registered = TypeVar("Registered", bound=Purpose)


def register(purpose: Registered) -> Registered:
    """Make `purpose` known to settling by reconciliation; returns it, so a module keeps it under a name."""
    if purpose not in _registered:
        _registered.append(purpose)
    return purpose


def registered() -> tuple[Purpose, ...]:
    """The purposes capabilities registered, in the order they registered."""
    return tuple(_registered)
