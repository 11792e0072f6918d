"""Order snapshots (versions) and the field-by-field, line-by-line comparison of two of them."""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from models import money
from models.custom_fields import CustomFieldDefinition, CustomFieldValue
from models.orders import ADDRESS_FIELDS, Order, OrderLine, OrderVersion
from resolvers.core import orders, validation
from resolvers.core.errors import not_found

ORDER_FIELDS = ("kind", "display_name", "customer_id", "comment", "customer_comment", "voucher_code", "currency_code")
PRICE_FIELDS = ("payment_fee", "shipping_fee", "subtotal", "discount_total", "price_before_fees", "total")
LINE_FIELDS = (
    "type",
    "parent_line_id",
    "product_id",
    "product_number",
    "product_name",
    "variant_id",
    "variant_text",
    "unit_id",
    "quantity",
    "vat_percent",
    "is_unit_price_overridden",
    "discount_amount",
    "discount_percent",
)
LINE_PRICE_FIELDS = ("unit_price", "price", "discount_total")
# Money keeps at least the cents; quantities and percents show what they hold (3, 1.5, 25).
MONEY_PLACES = 2


@dataclasses.dataclass(frozen=True, slots=True)
class Change:
    path: str
    change: str  # ADDED, REMOVED or CHANGED
    before: Any
    after: Any


def snapshot(
    order: Order,
    lines: Sequence[OrderLine],
    custom_fields: dict[str, Any],
    line_custom_fields: dict[int, dict[str, Any]],
) -> dict[str, Any]:
    """The order as plain JSON with the API's field names: ids as strings, money as exact strings.

    Decimals are written in one canonical form, so a snapshot of rows just read from the store
    equals one of rows just priced in memory.
    """
    return {
        "id": order.public_id,
        "revision": order.revision,
        **{validation.camel(field): _plain(getattr(order, field)) for field in ORDER_FIELDS},
        "customer": {validation.camel(field): getattr(order, f"customer_{field}") for field in ADDRESS_FIELDS},
        "delivery": {validation.camel(field): getattr(order, f"delivery_{field}") for field in ADDRESS_FIELDS},
        **{validation.camel(field): _price(getattr(order, field)) for field in PRICE_FIELDS},
        "weight": _plain(order.weight),
        "customFields": custom_fields,
        "lines": {
            str(line.id): {
                **{validation.camel(field): _plain(getattr(line, field)) for field in LINE_FIELDS},
                **{validation.camel(field): _price(getattr(line, field)) for field in LINE_PRICE_FIELDS},
                "customFields": line_custom_fields.get(line.id, {}),
            }
            for line in lines
        },
    }


async def current_snapshot(session: AsyncSession, *, order: Order) -> dict[str, Any]:
    lines = await orders.lines_of(session, order_id=order.id)
    rows = (
        await session.execute(
            sa.select(CustomFieldValue.order_line_id, CustomFieldDefinition.system_name, CustomFieldValue.value)
            .join(CustomFieldDefinition, CustomFieldDefinition.id == CustomFieldValue.definition_id)
            .where(CustomFieldValue.order_id == order.id)
        )
    ).all()
    order_fields = {name: value for line_id, name, value in rows if line_id is None}
    line_fields: dict[int, dict[str, Any]] = {}
    for line_id, name, value in rows:
        if line_id is not None:
            line_fields.setdefault(line_id, {})[name] = value
    return snapshot(order, lines, order_fields, line_fields)


def diff(before: dict[str, Any], after: dict[str, Any], prefix: str = "") -> list[Change]:
    """Changes from `before` to `after` with dotted paths; a line or key that appears or goes is one change."""
    changes: list[Change] = []
    for key in [*before.keys(), *(key for key in after if key not in before)]:
        path = f"{prefix}{key}"
        if key in ("revision", "id") and not prefix:
            continue
        if key not in after:
            changes.append(Change(path, "REMOVED", before[key], None))
        elif key not in before:
            changes.append(Change(path, "ADDED", None, after[key]))
        elif isinstance(before[key], dict) and isinstance(after[key], dict):
            changes.extend(diff(before[key], after[key], f"{path}."))
        elif before[key] != after[key]:
            changes.append(Change(path, "CHANGED", before[key], after[key]))
    return changes


async def compare(session: AsyncSession, *, order: Order, from_number: int, to_number: int | None) -> list[Change]:
    """Differences between version `from_number` and version `to_number`, or the order as it is now."""
    before = await _version(session, order=order, number=from_number, field="from")
    after = (
        (await _version(session, order=order, number=to_number, field="to")).snapshot
        if to_number is not None
        else await current_snapshot(session, order=order)
    )
    return diff(before.snapshot, after)


async def _version(session: AsyncSession, *, order: Order, number: int, field: str) -> OrderVersion:
    version = await session.scalar(
        sa.select(OrderVersion).where(OrderVersion.order_id == order.id, OrderVersion.number == number)
    )
    if version is None:
        raise not_found("Version", number, [field])
    return version


def _price(price: money.Price) -> dict[str, str]:
    return {
        "withVat": _decimal(price.with_vat, MONEY_PLACES),
        "withoutVat": _decimal(price.without_vat, MONEY_PLACES),
        "vat": _decimal(price.vat, MONEY_PLACES),
        "vatPercent": _decimal(price.vat_percent, 0),
    }


def _plain(value: Any) -> Any:
    if isinstance(value, Decimal):
        return _decimal(value, 0)
    if hasattr(value, "value"):
        return value.value
    return value


def _decimal(value: Decimal, places: int) -> str:
    """Trailing zeros dropped down to `places` decimals: 19.9500 and 19.95 are both "19.95", 25.0000 is "25"."""
    exponent = value.normalize().as_tuple().exponent
    kept = max(places, -exponent if isinstance(exponent, int) else 0)
    return format(value.quantize(Decimal(1).scaleb(-kept)), "f")
