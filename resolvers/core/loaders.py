"""Dataloaders, made per request: one query per relation per batch, results in key order, None for a missing key.

Named after what they load and by what (`OrderLinesByOrderIdLoader`). They share the
request's session, so a payload read inside a mutation sees that mutation's writes.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Awaitable, Callable, Iterable, Sequence
from typing import Any, Generic, TypeVar

import sqlalchemy as sa
from aiodataloader import DataLoader
from sqlalchemy.ext.asyncio import AsyncSession

from models.catalog import Currency, PaymentMethod, Product, ShippingMethod, Shop, TrackAndTrace
from models.custom_fields import CustomFieldDefinition, CustomFieldValue
from models.flows import Flow, State, StateRule
from models.orders import Order, OrderEvent, OrderLine, OrderNumber, OrderVersion
from models.payments import Transaction
from models.recurring import RecurringSchedule
from models.returns import Return, ReturnLine

Row = TypeVar("Row")
# A capability's batch function over orders (core imports no capability, so it is passed in): one result
# per order, in the orders' order.
OrdersBatch = Callable[[AsyncSession, Sequence[Order]], Awaitable[Sequence[Any]]]


class RowsByIdLoader(DataLoader[Any, Any], Generic[Row]):
    """One row per primary key."""

    def __init__(self, session: AsyncSession, model: type[Row]) -> None:
        super().__init__()
        self.session = session
        self.model = model

    async def batch_load_fn(self, keys: Sequence[Any]) -> list[Row | None]:
        primary_key = sa.inspect(self.model).primary_key[0]  # type: ignore[union-attr]
        rows = (await self.session.scalars(sa.select(self.model).where(primary_key.in_(keys)))).all()
        by_key = {getattr(row, primary_key.key): row for row in rows}
        return [by_key.get(key) for key in keys]


class RowListsByKeyLoader(DataLoader[Any, list[Any]], Generic[Row]):
    """All rows whose `column` equals the key, in `order_by` order; [] for a key with none."""

    def __init__(
        self,
        session: AsyncSession,
        model: type[Row],
        column: Any,
        order_by: Iterable[Any],
    ) -> None:
        super().__init__()
        self.session = session
        self.model = model
        self.column = column
        self.order_by = tuple(order_by)

    async def batch_load_fn(self, keys: Sequence[Any]) -> list[list[Row]]:
        statement = sa.select(*self.entities())
        for entity, onclause in self.joins():
            statement = statement.join(entity, onclause)
        statement = statement.where(self.column.in_(keys)).order_by(*self.order_by)
        grouped: dict[Any, list[Row]] = defaultdict(list)
        for row in (await self.session.execute(statement)).all():
            self.take(grouped, row)
        return [grouped.get(key, []) for key in keys]

    def entities(self) -> list[Any]:
        """What its statement selects: the model first, then what `joins` adds."""
        return [self.model]

    def joins(self) -> list[tuple[Any, Any]]:
        """Entities joined to the model's rows, each with its ON clause."""
        return []

    def take(self, grouped: dict[Any, list[Row]], row: Sequence[Any]) -> None:
        """Add a result row (the entities, in `entities` order) to its key's list."""
        grouped[getattr(row[0], self.column.key)].append(row[0])


class OrdersBatchLoader(DataLoader[Order, Any]):
    """Orders batched into one call of `function`, e.g. `Order.transitions` (`resolvers.fulfilment.transitions`).

    An order is cached by id and revision, so an order changed within the request (its revision bumped)
    is computed again, never served from before the change.
    """

    def __init__(self, session: AsyncSession, function: OrdersBatch) -> None:
        super().__init__(get_cache_key=lambda order: (order.id, order.revision, order.state_id))
        self.session = session
        self.function = function

    async def batch_load_fn(self, keys: Sequence[Order]) -> list[Any]:
        return list(await self.function(self.session, keys))


class Loaders:
    """Every loader of one request, created on first use."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session
        self._order_batches: dict[OrdersBatch, OrdersBatchLoader] = {}
        # Values the request's resolvers derive from loaded rows, computed once (e.g. an order's ledger).
        self.computed: dict[Any, Any] = {}
        self.shop_by_id = RowsByIdLoader(session, Shop)
        self.currency_by_code = RowsByIdLoader(session, Currency)
        self.product_by_id = RowsByIdLoader(session, Product)
        self.payment_method_by_id = RowsByIdLoader(session, PaymentMethod)
        self.shipping_method_by_id = RowsByIdLoader(session, ShippingMethod)
        self.track_and_trace_by_id = RowsByIdLoader(session, TrackAndTrace)
        self.flow_by_id = RowsByIdLoader(session, Flow)
        self.state_by_id = RowsByIdLoader(session, State)
        self.order_by_id = RowsByIdLoader(session, Order)
        self.schedule_by_id = RowsByIdLoader(session, RecurringSchedule)
        self.states_by_flow_id = RowListsByKeyLoader(session, State, State.flow_id, (State.sort_order, State.id))
        self.state_rules_by_from_state_id = RowListsByKeyLoader(
            session, StateRule, StateRule.from_state_id, (StateRule.id,)
        )
        self.order_lines_by_order_id = RowListsByKeyLoader(
            session, OrderLine, OrderLine.order_id, (OrderLine.sort_order, OrderLine.id)
        )
        self.transactions_by_order_id = RowListsByKeyLoader(
            session, Transaction, Transaction.order_id, (Transaction.created_at, Transaction.id)
        )
        self.events_by_order_id = RowListsByKeyLoader(
            session, OrderEvent, OrderEvent.order_id, (OrderEvent.at, OrderEvent.id)
        )
        self.versions_by_order_id = RowListsByKeyLoader(
            session, OrderVersion, OrderVersion.order_id, (OrderVersion.number,)
        )
        self.order_numbers_by_order_id = RowListsByKeyLoader(
            session, OrderNumber, OrderNumber.order_id, (OrderNumber.number,)
        )
        self.custom_field_values_by_order_id = CustomFieldValuesByOrderIdLoader(session, self)
        self.return_by_id = RowsByIdLoader(session, Return)
        self.returns_by_order_id = RowListsByKeyLoader(session, Return, Return.order_id, (Return.id,))
        self.return_lines_by_return_id = RowListsByKeyLoader(
            session, ReturnLine, ReturnLine.return_id, (ReturnLine.id,)
        )
        self.schedules_by_template_order_id = RowListsByKeyLoader(
            session, RecurringSchedule, RecurringSchedule.template_order_id, (RecurringSchedule.id,)
        )
        self.orders_by_schedule_id = RowListsByKeyLoader(
            session, Order, Order.generated_by_schedule_id, (Order.created_at, Order.id)
        )
        self.custom_field_definition_by_id = RowsByIdLoader(session, CustomFieldDefinition)

    def orders_batch(self, function: OrdersBatch) -> OrdersBatchLoader:
        """The request's loader of `function` over orders (one per function)."""
        if function not in self._order_batches:
            self._order_batches[function] = OrdersBatchLoader(self.session, function)
        return self._order_batches[function]


class CustomFieldValuesByOrderIdLoader(RowListsByKeyLoader[CustomFieldValue]):
    """Custom field values by order id; the same statement primes their definitions into the definition loader."""

    def __init__(self, session: AsyncSession, loaders: Loaders) -> None:
        super().__init__(session, CustomFieldValue, CustomFieldValue.order_id, (CustomFieldValue.id,))
        self.loaders = loaders

    def entities(self) -> list[Any]:
        return [CustomFieldValue, CustomFieldDefinition]

    def joins(self) -> list[tuple[Any, Any]]:
        return [(CustomFieldDefinition, CustomFieldDefinition.id == CustomFieldValue.definition_id)]

    def take(self, grouped: dict[Any, list[CustomFieldValue]], row: Sequence[Any]) -> None:
        value, definition = row
        grouped[value.order_id].append(value)
        self.loaders.custom_field_definition_by_id.prime(definition.id, definition)


async def prime_together(
    session: AsyncSession, loaders: Sequence[RowListsByKeyLoader[Any]], keys: Sequence[Any]
) -> None:
    """Prime each loader with its rows for `keys`, read for all of them in one statement (`Together`)."""
    if len(loaders) < 2:
        for loader in loaders:
            await loader.load_many(keys)
        return
    signature = tuple(
        (type(loader), loader.model, loader.column.key, *(attribute.key for attribute in loader.order_by))
        for loader in loaders
    )
    together = _TOGETHER.get(signature) or _TOGETHER.setdefault(signature, Together(loaders))
    grouped: list[dict[Any, list[Any]]] = [defaultdict(list) for _ in loaders]
    for row in (await session.execute(together.statement, {"keys": list(keys)})).all():
        part = row[0]
        start, width = together.positions[part]
        loaders[part].take(grouped[part], row[start : start + width])
    for loader, rows in zip(loaders, grouped, strict=True):
        for key in keys:
            loader.prime(key, rows.get(key, []))


class Together:
    """One statement for the batches of several loaders by the same keys (the bound parameter `keys`).

    The loaders' own statements are the branches of a UNION ALL: branch i selects loader i's entities into
    columns of their own and typed nulls into the others', so each result row holds one loader's row, which
    the ORM reads through aliases of the entities over the union. Built once per set of loaders: building
    it costs more than running it.
    """

    def __init__(self, loaders: Sequence[RowListsByKeyLoader[Any]]) -> None:
        keys: sa.BindParameter[list[Any]] = sa.bindparam("keys", expanding=True)
        columns = [column for loader in loaders for entity in loader.entities() for column in entity.__table__.columns]
        branches = []
        for index, loader in enumerate(loaders):
            own = {column for entity in loader.entities() for column in entity.__table__.columns}
            joined = loader.entities()[0]
            for entity, onclause in loader.joins():
                joined = sa.join(joined, entity, onclause)
            selected = [
                (column if column in own else sa.cast(sa.null(), column.type)).label(f"c{position}")
                for position, column in enumerate(columns)
            ]
            branches.append(
                sa.select(sa.literal_column(str(index)).label("part"), *selected)
                .select_from(joined)
                .where(loader.column.in_(keys))
            )
        union = sa.union_all(*branches).subquery("together")
        aliases = [[sa.orm.aliased(entity, union) for entity in loader.entities()] for loader in loaders]
        order_by = [union.c.part]
        for loader, (alias, *_) in zip(loaders, aliases, strict=True):
            order_by.extend(getattr(alias, attribute.key) for attribute in loader.order_by)
        self.statement = sa.select(union.c.part, *(alias for entities in aliases for alias in entities)).order_by(
            *order_by
        )
        # Where each loader's entities are in a result row: (first index, how many).
        self.positions = [
            (1 + sum(len(earlier) for earlier in aliases[:index]), len(aliases[index])) for index in range(len(loaders))
        ]


_TOGETHER: dict[tuple[Any, ...], Together] = {}
