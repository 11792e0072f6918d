"""The demo data of the design card: one shop, currencies, products, methods, track and trace, flows.

Safe to run again: each record is looked up by a natural key first and only added when missing.
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

CURRENCIES = (("EUR", "Euro", "1", 2), ("DKK", "Danish krone", "7.4600", 2), ("USD", "US dollar", "1.0850", 2))

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

# (name, sort, default, allow_edit, allow_order, exclude_from_statistics, mail_template)
FLOWS: dict[FlowKind, tuple[str, list[tuple[str, int, bool, bool, bool, bool, str | None]], list[tuple[str, str]]]] = {
    FlowKind.CART: ("Carts", [("New", 10, True, True, False, True, None)], []),
    FlowKind.ORDER: (
        "Orders",
        [
            ("Received", 10, True, True, False, False, None),
            ("Picked", 20, False, False, False, False, None),
            ("Shipped", 30, False, False, False, False, "order-shipped.html"),
            ("Completed", 40, False, False, False, False, None),
        ],
        [("Received", "Picked"), ("Picked", "Shipped"), ("Shipped", "Completed")],
    ),
    FlowKind.QUOTE: (
        "Quotes",
        [
            ("Requested", 10, True, True, False, True, None),
            ("Offered", 20, False, True, True, True, None),
            ("Closed", 30, False, False, False, True, None),
        ],
        [("Requested", "Offered"), ("Offered", "Requested"), ("Offered", "Closed"), ("Requested", "Closed")],
    ),
    FlowKind.RETURN: (
        "Returns",
        [
            ("Requested", 10, True, False, False, True, None),
            ("Received", 20, False, False, False, True, None),
            ("Closed", 30, False, False, False, True, None),
        ],
        [("Requested", "Received"), ("Received", "Closed"), ("Requested", "Closed")],
    ),
}


async def seed(session: AsyncSession, *, now: datetime.datetime) -> dict[str, int]:
    """Add whatever part of the demo data is missing; returns how many rows of each kind were added."""
    added: dict[str, int] = {}
    for code, name, rate, minor_unit in CURRENCIES:
        await _ensure(session, added, Currency, {"code": code}, name=name, rate=Decimal(rate), minor_unit=minor_unit)
    await _ensure(
        session,
        added,
        Shop,
        {"name": "Demo shop"},
        default_currency_code="EUR",
        prices_include_vat=True,
        default_vat_percent=Decimal(25),
        is_default=True,
    )
    for number, name, price, vat, stock, weight in PRODUCTS:
        await _ensure(
            session,
            added,
            Product,
            {"number": number},
            name=name,
            price=Decimal(price),
            vat_percent=Decimal(vat),
            stock=Decimal(stock),
            weight=Decimal(weight),
        )
    await _ensure(
        session,
        added,
        PaymentMethod,
        {"name": "Invoice"},
        code="INV",
        provider="manual",
        fee=Decimal("2.50"),
        fee_vat_percent=Decimal(25),
    )
    await _ensure(
        session,
        added,
        PaymentMethod,
        {"name": "Card"},
        code="CARD",
        provider="test",
        fee=Decimal(0),
        fee_vat_percent=Decimal(25),
    )
    await _ensure(
        session,
        added,
        ShippingMethod,
        {"name": "Flat rate"},
        code="FLAT",
        description="Delivered in 2 to 4 days.",
        fee=Decimal("4.95"),
        fee_vat_percent=Decimal(25),
    )
    by_rules = await _ensure(
        session,
        added,
        ShippingMethod,
        {"name": "Parcel"},
        code="PARCEL",
        description="Free over 100 EUR in Denmark; by weight elsewhere.",
        fee=Decimal("9.95"),
        fee_vat_percent=Decimal(25),
    )
    rules = (
        ("Free in Denmark over 100", 10, "DK", Decimal(100), None, None, None, Decimal(0)),
        ("Denmark", 20, "DK", None, None, None, None, Decimal("4.95")),
        ("Heavy parcel", 30, None, None, None, Decimal(5), None, Decimal("19.95")),
    )
    for name, sort, country, min_total, max_total, min_weight, max_weight, fee in rules:
        await _ensure(
            session,
            added,
            ShippingFeeRule,
            {"shipping_method_id": by_rules.id, "name": name},
            sort_order=sort,
            country_code=country,
            min_total=min_total,
            max_total=max_total,
            min_weight=min_weight,
            max_weight=max_weight,
            fee=fee,
        )
    await _ensure(
        session,
        added,
        TrackAndTrace,
        {"name": "PostNord"},
        url_template="https://tracking.postnord.example/?id={TrackingNumber}&zip={Zip}",
    )
    for kind, (flow_name, states, rules_between) in FLOWS.items():
        await _ensure_flow(session, added, kind, flow_name, states, rules_between)
    return added


async def _ensure_flow(
    session: AsyncSession,
    added: dict[str, int],
    kind: FlowKind,
    flow_name: str,
    states: list[tuple[str, int, bool, bool, bool, bool, str | None]],
    rules_between: list[tuple[str, str]],
) -> None:
    flow = await _ensure(session, added, Flow, {"name": flow_name, "kind": kind}, is_default=True)
    by_name: dict[str, State] = {}
    for name, sort, is_default, allow_edit, allow_order, excluded, template in states:
        mail: dict[str, Any] = {}
        if template:
            mail = {
                "mail_template": template,
                "mail_subject": "Your order {{ order.id }} is on its way",
                "mail_sender_email": "shop@example.com",
                "mail_sender_name": "Demo shop",
            }
        by_name[name] = await _ensure(
            session,
            added,
            State,
            {"flow_id": flow.id, "name": name},
            sort_order=sort,
            is_default=is_default,
            allow_edit=allow_edit,
            allow_order=allow_order,
            exclude_from_statistics=excluded,
            **mail,
        )
    for source, target in rules_between:
        await _ensure(
            session, added, StateRule, {"from_state_id": by_name[source].id, "to_state_id": by_name[target].id}
        )


async def _ensure(
    session: AsyncSession, added: dict[str, int], model: type[Row], key: dict[str, Any], **values: Any
) -> Row:
    row = await session.scalar(sa.select(model).filter_by(**key))
    if row is None:
        row = model(**key, **values)
        session.add(row)
        await session.flush()
        added[model.__tablename__] = added.get(model.__tablename__, 0) + 1  # type: ignore[attr-defined]
    return row
