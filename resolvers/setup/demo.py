"""The demo data of the design card: one shop, currencies, products, methods, track and trace, flows.

`ordergraph seed --demo`, the tests and the benchmarks start from it. Safe to run again: each record
is looked up by a natural key first and only added when missing. `seed` adds the parts in a fixed
order (their ids follow it), one function per part. The demo's customers and orders are
`resolvers.demo`'s: they go through checkout, payments and the rest, which this package cannot import.
"""

from __future__ import annotations

import datetime
from decimal import Decimal
from typing import Any, TypeVar

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from models.catalog import Currency, PaymentMethod, Product, ShippingFeeRule, ShippingMethod, Shop, TrackAndTrace
from models.enums import FlowKind
from models.flows import Flow, State, StateRule

Row = TypeVar("Row")

# (code, name, rate, minor unit)
CURRENCIES = (("EUR", "Euro", "1", 2), ("DKK", "Danish krone", "7.4600", 2), ("USD", "US dollar", "1.0850", 2))

# (number, name, price, VAT percent, stock, weight)
PRODUCTS = (
    ("TSHIRT-BLK-M", "T-shirt, black, M", "19.95", "25", "120", "0.2"),
    ("TSHIRT-WHT-M", "T-shirt, white, M", "19.95", "25", "80", "0.2"),
    ("HOODIE-GRY-L", "Hoodie, grey, L", "49.00", "25", "40", "0.6"),
    ("JEANS-32-32", "Jeans 32/32", "79.50", "25", "35", "0.8"),
    ("SNEAKER-42", "Sneakers, size 42", "89.99", "25", "25", "1.1"),
    ("SOCKS-3PK", "Socks, 3 pack", "9.99", "25", "300", "0.15"),
    ("CAP-NAVY", "Cap, navy", "14.50", "25", "60", "0.1"),
    ("BELT-LTHR", "Leather belt", "34.00", "25", "45", "0.3"),
    ("SCARF-WOOL", "Wool scarf", "29.95", "25", "50", "0.25"),
    ("GLOVES-M", "Gloves, M", "24.00", "25", "70", "0.15"),
    ("BAG-TOTE", "Tote bag", "12.00", "25", "150", "0.2"),
    ("BACKPACK-20L", "Backpack 20 l", "64.95", "25", "30", "0.9"),
    ("BOTTLE-750", "Water bottle 750 ml", "17.50", "25", "90", "0.35"),
    ("MUG-CER", "Ceramic mug", "8.95", "25", "200", "0.4"),
    ("BOOK-COOK", "Cookbook", "29.00", "0", "40", "0.9"),
    ("BOOK-NOVEL", "Novel, paperback", "12.99", "0", "75", "0.3"),
    ("UMBRELLA", "Umbrella", "22.00", "25", "55", "0.5"),
    ("WATCH-STEEL", "Steel watch", "199.00", "25", "10", "0.2"),
    ("SUNGLASSES", "Sunglasses", "59.00", "25", "3", "0.05"),
    ("GIFTCARD-50", "Gift card 50", "50.00", "0", "1000", "0"),
    ("RAINCOAT-M", "Raincoat, M", "119.00", "25", "15", "0.7"),
    ("WALLET", "Wallet", "39.95", "25", "0", "0.1"),
)

# (name, code, provider, fee)
PAYMENT_METHODS = (("Invoice", "INV", "manual", "2.50"), ("Card", "CARD", "test", "0"))


# A fee rule or state row: its name, then its other columns by name (one left out keeps the model's default).
Columns = dict[str, Any]

# (name, code, description, fee, fee rules)
SHIPPING_METHODS = (
    ("Flat rate", "FLAT", "Delivered in 2 to 4 days.", "4.95", ()),
    (
        "Parcel",
        "PARCEL",
        "Free over 100 EUR in Denmark; by weight elsewhere.",
        "9.95",
        (
            (
                "Free in Denmark over 100",
                {"sort_order": 10, "country_code": "DK", "min_total": Decimal(100), "fee": Decimal(0)},
            ),
            ("Denmark", {"sort_order": 20, "country_code": "DK", "fee": Decimal("4.95")}),
            ("Heavy parcel", {"sort_order": 30, "min_weight": Decimal(5), "fee": Decimal("19.95")}),
        ),
    ),
)

TRACK_AND_TRACE = (("PostNord", "https://tracking.postnord.example/?id={TrackingNumber}&zip={Zip}"),)


# The rest of a state's mail settings, for the states that name a template.
STATE_MAIL = {
    "mail_subject": "Your order {{ order.id }} is on its way",
    "mail_sender_email": "shop@example.com",
    "mail_sender_name": "Demo shop",
}

# kind: (flow name, states, rules between states by name)
FLOWS: dict[FlowKind, tuple[str, tuple[tuple[str, Columns], ...], tuple[tuple[str, str], ...]]] = {
    FlowKind.CART: (
        "Carts",
        (("New", {"sort_order": 10, "is_default": True, "allow_edit": True, "exclude_from_statistics": True}),),
        (),
    ),
    FlowKind.ORDER: (
        "Orders",
        (
            ("Received", {"sort_order": 10, "is_default": True, "allow_edit": True}),
            ("Picked", {"sort_order": 20}),
            ("Shipped", {"sort_order": 30, "mail_template": "order-shipped.html"}),
            ("Completed", {"sort_order": 40}),
        ),
        (("Received", "Picked"), ("Picked", "Shipped"), ("Shipped", "Completed")),
    ),
    FlowKind.QUOTE: (
        "Quotes",
        (
            ("Requested", {"sort_order": 10, "is_default": True, "allow_edit": True, "exclude_from_statistics": True}),
            ("Offered", {"sort_order": 20, "allow_edit": True, "allow_order": True, "exclude_from_statistics": True}),
            ("Closed", {"sort_order": 30, "exclude_from_statistics": True}),
        ),
        (("Requested", "Offered"), ("Offered", "Requested"), ("Offered", "Closed"), ("Requested", "Closed")),
    ),
    FlowKind.RETURN: (
        "Returns",
        (
            ("Requested", {"sort_order": 10, "is_default": True, "exclude_from_statistics": True}),
            ("Received", {"sort_order": 20, "exclude_from_statistics": True}),
            ("Closed", {"sort_order": 30, "exclude_from_statistics": True}),
        ),
        (("Requested", "Received"), ("Received", "Closed"), ("Requested", "Closed")),
    ),
}


async def seed(session: AsyncSession, *, now: datetime.datetime) -> dict[str, int]:
    """Add whatever part of the demo data is missing; returns how many rows of each kind were added."""
    rows = _Rows(session)
    await _seed_shop_and_currencies(rows)
    await _seed_products(rows)
    await _seed_payment_methods(rows)
    await _seed_shipping_methods(rows)
    await _seed_track_and_trace(rows)
    await _seed_flows(rows)
    return rows.added


async def _seed_shop_and_currencies(rows: _Rows) -> None:
    for code, name, rate, minor_unit in CURRENCIES:
        await rows.ensure(Currency, {"code": code}, name=name, rate=Decimal(rate), minor_unit=minor_unit)
    await rows.ensure(
        Shop,
        {"name": "Demo shop"},
        default_currency_code="EUR",
        prices_include_vat=True,
        default_vat_percent=Decimal(25),
        is_default=True,
    )


async def _seed_products(rows: _Rows) -> None:
    for number, name, price, vat_percent, stock, weight in PRODUCTS:
        await rows.ensure(
            Product,
            {"number": number},
            name=name,
            price=Decimal(price),
            vat_percent=Decimal(vat_percent),
            stock=Decimal(stock),
            weight=Decimal(weight),
        )


async def _seed_payment_methods(rows: _Rows) -> None:
    for name, code, provider, fee in PAYMENT_METHODS:
        await rows.ensure(
            PaymentMethod, {"name": name}, code=code, provider=provider, fee=Decimal(fee), fee_vat_percent=Decimal(25)
        )


async def _seed_shipping_methods(rows: _Rows) -> None:
    for name, code, description, fee, fee_rules in SHIPPING_METHODS:
        method = await rows.ensure(
            ShippingMethod,
            {"name": name},
            code=code,
            description=description,
            fee=Decimal(fee),
            fee_vat_percent=Decimal(25),
        )
        for rule_name, columns in fee_rules:
            await rows.ensure(ShippingFeeRule, {"shipping_method_id": method.id, "name": rule_name}, **columns)


async def _seed_track_and_trace(rows: _Rows) -> None:
    for name, url_template in TRACK_AND_TRACE:
        await rows.ensure(TrackAndTrace, {"name": name}, url_template=url_template)


async def _seed_flows(rows: _Rows) -> None:
    for kind, (flow_name, states, rules_between) in FLOWS.items():
        flow = await rows.ensure(Flow, {"name": flow_name, "kind": kind}, is_default=True)
        by_name: dict[str, State] = {}
        for state_name, columns in states:
            mail = STATE_MAIL if columns.get("mail_template") else {}
            by_name[state_name] = await rows.ensure(State, {"flow_id": flow.id, "name": state_name}, **columns, **mail)
        for source, target in rules_between:
            await rows.ensure(StateRule, {"from_state_id": by_name[source].id, "to_state_id": by_name[target].id})


class _Rows:
    """Adds each demo row unless one with its natural key exists, and counts what it added per table."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session
        self.added: dict[str, int] = {}

    async def ensure(self, model: type[Row], key: dict[str, Any], **values: Any) -> Row:
        row = await self.session.scalar(sa.select(model).filter_by(**key))
        if row is None:
            row = model(**key, **values)
            self.session.add(row)
            await self.session.flush()
            table = model.__tablename__  # type: ignore[attr-defined]
            self.added[table] = self.added.get(table, 0) + 1
        return row
