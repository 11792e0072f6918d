"""The sales rollup: completed orders counted and summed per UTC day, state and currency rate.

Triggers on `orders` (migration 0009) keep it in the same transaction as every change of an order
that the sales summary counts, whatever statement made it. SQLite (one writer at a time) adds to
`sales_rollup` directly. PostgreSQL writes the changes of a statement to `sales_rollup_changes`
(appends only, so concurrent checkouts never wait for each other there) and the session folds the
transaction's own changes into `sales_rollup` just before it commits, in key order, so two
transactions never lock rollup rows in opposite orders. Readers add both tables: exact at any time.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.orm import Mapped, ORMExecuteState, Session, SessionTransaction, mapped_column

from models import money, orders
from models.base import Base

# The state of an order without one: rollup keys are NOT NULL, so an upsert finds the row again.
NO_STATE = 0
# PostgreSQL folds a transaction into one of this many rows per key (by transaction id), so concurrent
# checkouts of the same day, state and rate wait for each other's COMMIT only one time in SHARDS.
SHARDS = 8


class SalesRollup(Base):
    __tablename__ = "sales_rollup"

    day: Mapped[str] = mapped_column(sa.String(10), primary_key=True)
    state_key: Mapped[int] = mapped_column(primary_key=True)
    currency_rate: Mapped[Decimal] = mapped_column(money.ExactDecimal(money.RATE_SCALE), primary_key=True)
    shard: Mapped[int] = mapped_column(primary_key=True)
    orders: Mapped[int]
    total_with_vat: Mapped[Decimal]
    total_without_vat: Mapped[Decimal]


class SalesRollupChange(Base):
    """A change to the rollup not folded into it yet (PostgreSQL): one row per key a statement changed."""

    __tablename__ = "sales_rollup_changes"

    id: Mapped[int] = mapped_column(primary_key=True)
    transaction_id: Mapped[int] = mapped_column(sa.BigInteger(), index=True)
    day: Mapped[str] = mapped_column(sa.String(10))
    state_key: Mapped[int]
    currency_rate: Mapped[Decimal] = mapped_column(money.ExactDecimal(money.RATE_SCALE))
    orders: Mapped[int]
    total_with_vat: Mapped[Decimal]
    total_without_vat: Mapped[Decimal]


_SUMS = ("orders", "total_with_vat", "total_without_vat")
_KEY = "day, state_key, currency_rate"
_FOLD = sa.text(
    "WITH moved AS (DELETE FROM sales_rollup_changes WHERE transaction_id = txid_current()"
    f" RETURNING {_KEY}, {', '.join(_SUMS)})"
    f" INSERT INTO sales_rollup ({_KEY}, shard, {', '.join(_SUMS)})"
    f" SELECT {_KEY}, txid_current() % {SHARDS}, {', '.join(f'sum({name})' for name in _SUMS)} FROM moved"
    f" GROUP BY {_KEY} ORDER BY {_KEY}"
    f" ON CONFLICT ({_KEY}, shard) DO UPDATE SET "
    + ", ".join(f"{name} = sales_rollup.{name} + excluded.{name}" for name in _SUMS)
)
_CHANGED = "sales_rollup_changed"


class RollupSession(Session):
    """The sync session behind every request session: folds the rollup changes of its transaction on commit."""


@event.listens_for(RollupSession, "before_flush")
def _note_counted_orders(session: Session, _context: Any, _instances: Any) -> None:
    # Only a complete order (before or after the change) can move the rollup: carts and checkouts never fold.
    for instance in (*session.new, *session.dirty, *session.deleted):
        if isinstance(instance, orders.Order) and any(sa.inspect(instance).attrs.is_complete.history.sum()):
            session.info[_CHANGED] = True
            return


@event.listens_for(RollupSession, "do_orm_execute")
def _note_order_statements(state: ORMExecuteState) -> None:
    table = getattr(state.statement, "table", None)
    if (state.is_update or state.is_delete or state.is_insert) and getattr(table, "name", None) == "orders":
        state.session.info[_CHANGED] = True


@event.listens_for(RollupSession, "before_commit")
def _fold_rollup_changes(session: Session) -> None:
    if session.in_nested_transaction() or session.bind is None or session.bind.dialect.name != "postgresql":
        return
    session.flush()
    if session.info.pop(_CHANGED, False):
        session.execute(_FOLD)


@event.listens_for(RollupSession, "after_transaction_end")
def _forget_changes(session: Session, transaction: SessionTransaction) -> None:
    if transaction.parent is None:
        session.info.pop(_CHANGED, None)
