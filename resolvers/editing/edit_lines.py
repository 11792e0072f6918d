"""The line part of an edit: add, remove and change product lines, line and order discounts, and the stock it moves.

Line ids in the input are the public `OrderLine.id`s; a line given that the order does
not have is NOT_FOUND at its input path. A line discount is one DISCOUNT line under its
product line: setting a new one replaces the old, a zero one removes it. Edits and returns
agree (`lifecycle.line_change_refusal`): a line with returns cannot be removed, nor its
quantity taken below what its returns that are not rejected hold.
"""

from __future__ import annotations

import dataclasses
import datetime
from collections import defaultdict
from collections.abc import Mapping, Sequence
from decimal import Decimal

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from models import money
from models.catalog import Product
from models.enums import OrderLineType, ReturnStatus
from models.orders import Order, OrderLine
from models.returns import Return, ReturnLine
from resolvers.core import lifecycle, orders, validation
from resolvers.core.errors import DomainError, ErrorCode, invalid, not_found
from resolvers.setup import custom_fields
from resolvers.storefront import pricing

# Far beyond any real price, well inside the NUMERIC columns (validation.MAX_QUANTITY counts on it).
MAX_AMOUNT = Decimal(10) ** 12
AMOUNT_PLACES = Decimal("0.0001")


@dataclasses.dataclass(frozen=True, slots=True)
class LineChange:
    """One entry of `EditOrderInput.lines`: a new product line when `line_id` is None."""

    line_id: str | None = None
    product_id: str | None = None
    quantity: Decimal | None = None
    unit_price: Decimal | None = None
    remove: bool = False
    discount_amount: Decimal | None = None
    discount_percent: Decimal | None = None
    custom_fields: Sequence[custom_fields.FieldValue] | None = None


@dataclasses.dataclass(frozen=True, slots=True)
class OrderDiscount:
    name: str
    amount: Decimal | None = None
    percent: Decimal | None = None


async def load(session: AsyncSession, *, order: Order) -> list[OrderLine]:
    """The order's lines in line order (`orders.lines_of`, for callers that hold the order)."""
    return await orders.lines_of(session, order_id=order.id)


@dataclasses.dataclass(frozen=True, slots=True)
class Returned:
    """What the returns of one order line hold: the quantity of those not rejected, and whether it has any."""

    quantity: Decimal = Decimal(0)
    has_returns: bool = False


async def returned_by_line(session: AsyncSession, *, order_id: int) -> dict[int, Returned]:
    """Per order line of the order that has returns, what they hold (one statement)."""
    not_rejected = sa.case((Return.status != ReturnStatus.REJECTED, ReturnLine.quantity), else_=0)
    rows = await session.execute(
        sa.select(ReturnLine.order_line_id, sa.func.sum(not_rejected))
        .join(Return, Return.id == ReturnLine.return_id)
        .where(Return.order_id == order_id)
        .group_by(ReturnLine.order_line_id)
    )
    return {line_id: Returned(Decimal(quantity or 0), True) for line_id, quantity in rows.all()}


def product_quantities(lines: Sequence[OrderLine]) -> dict[int, Decimal]:
    """How much of each product the lines hold."""
    held: dict[int, Decimal] = defaultdict(Decimal)
    for line in lines:
        if line.type is OrderLineType.PRODUCT and line.product_id is not None:
            held[line.product_id] += line.quantity
    return dict(held)


async def follow_stock(
    session: AsyncSession, *, order: Order, before: Mapping[int, Decimal], after: Sequence[OrderLine]
) -> None:
    """Once an order has taken its stock, an edit takes or gives back the difference; OUT_OF_STOCK if short."""
    if not order.is_stock_taken:
        return
    held = product_quantities(after)
    for product_id in sorted(before.keys() | held.keys()):
        delta = held.get(product_id, Decimal(0)) - before.get(product_id, Decimal(0))
        if delta == 0:
            continue
        statement = sa.update(Product).where(Product.id == product_id).values(stock=Product.stock - delta)
        if delta > 0:
            statement = statement.where(Product.stock >= delta)
        result = await session.execute(statement.execution_options(synchronize_session=False))
        if result.rowcount == 0:  # type: ignore[attr-defined]
            raise DomainError(ErrorCode.OUT_OF_STOCK, f"Product {product_id} has less than {delta} in stock.")


class LineEditor:
    """Applies line changes to an order's lines, keeping a summary phrase per change."""

    def __init__(
        self,
        session: AsyncSession,
        *,
        order: Order,
        lines: Sequence[OrderLine],
        returned: Mapping[int, Returned],
        now: datetime.datetime,
    ) -> None:
        self.session = session
        self.order = order
        self.returned = returned
        self.now = now
        self.by_id = {line.id: line for line in lines}
        self.next_sort_order = max((line.sort_order for line in lines), default=0) + 1
        self.summary: list[str] = []

    async def change(self, change: LineChange, *, field: list[str]) -> None:
        if change.line_id is None:
            await self._add(change, field=field)
            return
        line = self._line(change.line_id, field=[*field, "lineId"])
        if change.product_id is not None:
            message = "A product is given only to add a line; remove this line and add another."
            raise invalid(message, [*field, "productId"])
        if change.remove:
            self._refuse_against_returns(line, quantity_after=None, field=[*field, "remove"])
            await self._remove(line)
            return
        if line.type is not OrderLineType.PRODUCT:
            raise invalid(f"Line {line.id} is a discount: it can only be removed.", [*field, "lineId"])
        if (
            change.quantity is None
            and change.unit_price is None
            and not _has_discount(change)
            and not change.custom_fields
        ):
            raise invalid(f"The change of line {line.id} changes nothing.", field)
        self._set_quantity_and_price(line, change, field=field)
        await self._set_line_discount(line, change, field=field)
        await self._write_custom_fields(line, change, field=field)
        line.modified_at = self.now

    async def remove_discount(self, line_id: str, *, field: list[str]) -> None:
        line = self._line(line_id, field=field)
        if line.type is not OrderLineType.DISCOUNT:
            raise invalid(f"Line {line.id} is not a discount line.", field)
        await self._remove(line)

    async def add_order_discount(self, discount: OrderDiscount, *, field: list[str]) -> None:
        name = validation.text_fits(OrderLine.product_name, discount.name, field=[*field, "name"])
        if name is None:
            raise invalid("An order discount needs a name.", [*field, "name"])
        amount, percent = _discount(discount.amount, discount.percent, field=field, amount_name="amount")
        if amount is None and percent is None:
            raise invalid("Give the discount's amount or its percent.", field)
        if (amount if amount is not None else percent) == 0:
            given = "amount" if amount is not None else "percent"
            raise invalid("An order discount takes more than 0 off.", [*field, given])
        self.session.add(self._discount_line(name=name, parent=None, amount=amount, percent=percent))
        self.summary.append(f"order discount {name} {_described(amount, percent)}")

    async def _add(self, change: LineChange, *, field: list[str]) -> None:
        if change.product_id is None:
            raise invalid("Give the product of the new line.", [*field, "productId"])
        if change.remove:
            raise invalid("A new line cannot be removed.", [*field, "remove"])
        key = validation.integer_id(change.product_id)
        product = await self.session.get(Product, key) if key is not None else None
        if product is None:
            raise not_found("Product", change.product_id, [*field, "productId"])
        line = OrderLine(
            order_id=self.order.id,
            sort_order=self._take_sort_order(),
            quantity=Decimal(1),
            created_at=self.now,
            modified_at=self.now,
        )
        pricing.copy_product(
            line, product=product, currency_rate=self.order.currency_rate, minor_unit=self.order.currency_minor_unit
        )
        self.session.add(line)
        self._set_quantity_and_price(line, change, field=field, is_new=True)
        await self.session.flush()  # a line discount points at the line by id
        self.by_id[line.id] = line
        self.summary.append(f"added {money.plain_quantity(line.quantity)} x {line.product_name} (line {line.id})")
        await self._set_line_discount(line, change, field=field)
        await self._write_custom_fields(line, change, field=field)

    async def _write_custom_fields(self, line: OrderLine, change: LineChange, *, field: list[str]) -> None:
        if not change.custom_fields:
            return
        await custom_fields.write_values(
            self.session, order_id=self.order.id, line_id=line.id, values=change.custom_fields,
            field=[*field, "customFields"],
        )  # fmt: skip
        self.summary.append(f"line {line.id} custom fields ({', '.join(v.system_name for v in change.custom_fields)})")

    def _set_quantity_and_price(
        self, line: OrderLine, change: LineChange, *, field: list[str], is_new: bool = False
    ) -> None:
        if change.quantity is not None:
            quantity = validation.positive_quantity(change.quantity, field=[*field, "quantity"])
            if not is_new:
                self._refuse_against_returns(line, quantity_after=quantity, field=[*field, "quantity"])
            line.quantity = quantity
            if not is_new:
                self.summary.append(f"line {line.id} quantity {money.plain_quantity(line.quantity)}")
        if change.unit_price is not None:
            line.unit_amount = _amount(change.unit_price, field=[*field, "unitPrice"])
            line.is_unit_price_overridden = True
            self.summary.append(f"line {line.id if not is_new else 'new'} unit price {line.unit_amount} without VAT")

    async def _set_line_discount(self, line: OrderLine, change: LineChange, *, field: list[str]) -> None:
        if not _has_discount(change):
            return
        amount, percent = _discount(change.discount_amount, change.discount_percent, field=field)
        for old in [d for d in self.by_id.values() if d.parent_line_id == line.id]:
            await self._remove(old, quietly=True)
        if (amount if amount is not None else percent) == 0:
            self.summary.append(f"line {line.id} discount removed")
            return
        name = f"Discount on {line.product_name}"[:255]
        self.session.add(self._discount_line(name=name, parent=line, amount=amount, percent=percent))
        self.summary.append(f"line {line.id} discount {_described(amount, percent)}")

    def _discount_line(
        self, *, name: str, parent: OrderLine | None, amount: Decimal | None, percent: Decimal | None
    ) -> OrderLine:
        return OrderLine(
            order_id=self.order.id,
            parent_line_id=parent.id if parent is not None else None,
            type=OrderLineType.DISCOUNT,
            sort_order=parent.sort_order if parent is not None else self._take_sort_order(),
            product_name=name,
            quantity=Decimal(1),
            discount_amount=amount,
            discount_percent=percent,
            created_at=self.now,
            modified_at=self.now,
        )

    async def _remove(self, line: OrderLine, *, quietly: bool = False) -> None:
        children = [d for d in self.by_id.values() if d.parent_line_id == line.id]
        for child in children:
            await self._remove(child, quietly=True)
        if children:
            # Children first: the store's ON DELETE CASCADE would otherwise remove them under the ORM's feet.
            await self.session.flush()
        del self.by_id[line.id]
        await self.session.delete(line)
        if not quietly:
            what = "discount line" if line.type is OrderLineType.DISCOUNT else "line"
            self.summary.append(f"removed {what} {line.id} ({line.product_name})")

    def _refuse_against_returns(self, line: OrderLine, *, quantity_after: Decimal | None, field: list[str]) -> None:
        returned = self.returned.get(line.id, Returned())
        refusal = lifecycle.line_change_refusal(
            line_id=line.id, line_name=line.product_number or line.product_name, quantity_after=quantity_after,
            returned=returned.quantity, has_returns=returned.has_returns, field=field,
        )  # fmt: skip
        if refusal is not None:
            raise refusal

    def _line(self, line_id: str, *, field: list[str]) -> OrderLine:
        key = validation.integer_id(line_id)
        line = self.by_id.get(key) if key is not None else None
        if line is None:
            raise not_found("Line", line_id, field)
        return line

    def _take_sort_order(self) -> int:
        self.next_sort_order += 1
        return self.next_sort_order - 1


def _has_discount(change: LineChange) -> bool:
    return change.discount_amount is not None or change.discount_percent is not None


def _discount(
    amount: Decimal | None, percent: Decimal | None, *, field: list[str], amount_name: str = "discountAmount"
) -> tuple[Decimal | None, Decimal | None]:
    """Check a discount given as an amount or a percent (not both)."""
    percent_name = "percent" if amount_name == "amount" else "discountPercent"
    if amount is not None and percent is not None:
        raise invalid("Give a discount as an amount or a percent, not both.", [*field, percent_name])
    if percent is not None:
        checked = _amount(percent, field=[*field, percent_name])
        if checked > 100:
            raise invalid("A discount percent is 0 to 100.", [*field, percent_name])
        return None, checked
    return (_amount(amount, field=[*field, amount_name]) if amount is not None else None), None


def _amount(value: Decimal, *, field: list[str]) -> Decimal:
    if not value.is_finite() or value < 0 or value >= MAX_AMOUNT:
        raise invalid(f"Give a number from 0 up to {MAX_AMOUNT:,}.", field)
    if value != value.quantize(AMOUNT_PLACES):
        raise invalid("At most 4 decimal places.", field)
    return value + 0  # "-0" becomes 0: a signed zero is no amount to store or show


def _described(amount: Decimal | None, percent: Decimal | None) -> str:
    return f"{money.plain_quantity(percent)}%" if percent is not None else f"{amount}"
