"""Editing orders and quotes in the domain: every edit kind with exact totals, versions, refusals."""

from __future__ import annotations

import datetime
from decimal import Decimal
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from models import money
from models.catalog import Product
from models.enums import CustomFieldTarget, CustomFieldType, OrderKind, OrderLineType, QuoteStatus
from models.orders import Order, OrderEvent, OrderLine, OrderVersion
from resolvers.core.errors import DomainError, ErrorCode
from resolvers.editing import edit_lines, editing, versions
from resolvers.setup import custom_fields
from tests import factories

D = Decimal
ACTOR = "admin:test"


@pytest.fixture
async def order(seeded: AsyncSession, now: datetime.datetime) -> Order:
    """A completed order in Received, delivered to Aarhus: two T-shirts and a cookbook, 68.90."""
    return await factories.create_order(seeded, now=now, lines=factories.SHIRTS_AND_BOOK)


def price(with_vat: str, without_vat: str, vat: str, percent: str) -> money.Price:
    return money.Price(D(with_vat), D(without_vat), D(vat), D(percent))


async def run(
    session: AsyncSession, order: Order, now: datetime.datetime, expected_revision: int | None = None, **changes: Any
) -> editing.Edited:
    return await editing.edit(
        session,
        order_id=order.public_id,
        expected_revision=expected_revision,
        changes=editing.Changes(**changes),
        now=now,
        actor=ACTOR,
    )


async def refused(session: AsyncSession, order: Order, now: datetime.datetime, **changes: Any) -> DomainError:
    with pytest.raises(DomainError) as raised:
        await run(session, order, now, **changes)
    return raised.value


def lines_of(edited: editing.Edited, kind: OrderLineType = OrderLineType.PRODUCT) -> list[OrderLine]:
    return [line for line in edited.lines if line.type is kind]


async def test_the_factory_order_is_priced_as_at_checkout(
    seeded: AsyncSession, now: datetime.datetime, order: Order
) -> None:

    # 2 x 19.95 at 25 % and 1 x 29.00 at 0 %.
    assert order.subtotal == price("68.90", "60.92", "7.98", "13.10")
    assert order.total == order.subtotal


async def test_a_quantity_change_reprices_the_line_and_the_totals(
    seeded: AsyncSession, now: datetime.datetime, order: Order
) -> None:
    shirt, _ = lines_of(editing.Edited(order, await edit_lines.load(seeded, order=order), [], 1, now))

    edited = await run(seeded, order, now, lines=[edit_lines.LineChange(line_id=str(shirt.id), quantity=D(3))])

    assert shirt.price == price("59.85", "47.88", "11.97", "25")
    assert edited.order.total == price("88.85", "76.88", "11.97", "15.57")
    assert edited.order.revision == 2
    assert edited.order.price_calculated_at == now


async def test_a_unit_price_override_is_without_vat(seeded: AsyncSession, now: datetime.datetime, order: Order) -> None:
    shirt = (await edit_lines.load(seeded, order=order))[0]

    edited = await run(seeded, order, now, lines=[edit_lines.LineChange(line_id=str(shirt.id), unit_price=D("10.00"))])

    assert shirt.is_unit_price_overridden is True
    assert shirt.unit_price == price("12.50", "10.00", "2.50", "25")
    assert shirt.price == price("25.00", "20.00", "5.00", "25")
    assert edited.order.total.with_vat == D("54.00")


async def test_adding_a_product_copies_it_and_removing_a_line_drops_it(
    seeded: AsyncSession, now: datetime.datetime, order: Order
) -> None:
    book = (await edit_lines.load(seeded, order=order))[1]
    hoodie = await factories.product_numbered(seeded, "HOODIE-GRY-L")

    hoodies_for_the_book = [
        edit_lines.LineChange(product_id=str(hoodie.id), quantity=D(2)),
        edit_lines.LineChange(line_id=str(book.id), remove=True),
    ]

    edited = await run(seeded, order, now, lines=hoodies_for_the_book)

    assert [(line.product_number, line.quantity, line.price.with_vat) for line in edited.lines] == [
        ("TSHIRT-BLK-M", D(2), D("39.90")),
        ("HOODIE-GRY-L", D(2), D("98.00")),
    ]
    assert edited.order.total == price("137.90", "110.32", "27.58", "25")
    assert edited.order.weight == D("1.6000")


async def test_a_line_discount_is_a_discount_line_under_its_line_and_a_new_one_replaces_it(
    seeded: AsyncSession, now: datetime.datetime, order: Order
) -> None:
    shirt = (await edit_lines.load(seeded, order=order))[0]

    first = await run(seeded, order, now, lines=[edit_lines.LineChange(line_id=str(shirt.id), discount_percent=D(10))])
    [discount] = lines_of(first, OrderLineType.DISCOUNT)
    assert discount.parent_line_id == shirt.id
    assert discount.price == price("-3.99", "-3.19", "-0.80", "25")
    assert first.order.subtotal.with_vat == D("64.91")

    second = await run(
        seeded, order, now, lines=[edit_lines.LineChange(line_id=str(shirt.id), discount_amount=D("5.00"))]
    )
    [replacement] = lines_of(second, OrderLineType.DISCOUNT)
    assert replacement.discount_amount == D("5.00")
    assert replacement.price == price("-5.00", "-4.00", "-1.00", "25")
    assert second.order.subtotal.with_vat == D("63.90")
    assert second.order.discount_total == price("-5.00", "-4.00", "-1.00", "25")

    third = await run(seeded, order, now, lines=[edit_lines.LineChange(line_id=str(shirt.id), discount_amount=D(0))])
    assert lines_of(third, OrderLineType.DISCOUNT) == []
    assert third.order.total.with_vat == D("68.90")


async def test_an_order_discount_splits_its_vat_and_can_be_removed(
    seeded: AsyncSession, now: datetime.datetime, order: Order
) -> None:

    added = await run(seeded, order, now, add_order_discounts=[edit_lines.OrderDiscount(name="Loyalty", amount=D(10))])
    [discount] = lines_of(added, OrderLineType.DISCOUNT)

    # 10.00 over 39.90 at 25 % and 29.00 at 0 %: 5.79 and 4.21 (largest remainder).
    assert discount.parent_line_id is None
    assert discount.product_name == "Loyalty"
    assert discount.price == price("-10.00", "-8.84", "-1.16", "13.12")
    assert added.order.total == price("58.90", "52.08", "6.82", "13.10")

    removed = await run(seeded, order, now, remove_discount_line_ids=[str(discount.id)])
    assert lines_of(removed, OrderLineType.DISCOUNT) == []
    assert removed.order.total.with_vat == D("68.90")


async def test_details_and_comment_are_patched_and_fees_are_kept(seeded: AsyncSession, now: datetime.datetime) -> None:
    fee = money.price_of(D("4.95"), vat_percent=D(25), includes_vat=True, minor_unit=2)
    order = await factories.create_order(seeded, now=now, lines=factories.SHIRTS_AND_BOOK, shipping_fee=fee)
    shirt = (await edit_lines.load(seeded, order=order))[0]

    edited = await run(
        seeded,
        order,
        now,
        customer={"email": "ada@lovelace.example", "company": ""},
        delivery={"city": "Odense", "zip": "5000"},
        comment="Ring twice",
        lines=[edit_lines.LineChange(line_id=str(shirt.id), quantity=D(1))],
    )

    assert (order.customer_email, order.customer_name, order.customer_company) == (
        "ada@lovelace.example",
        "Ada Lovelace",
        None,
    )
    assert (order.delivery_city, order.delivery_zip, order.comment) == ("Odense", "5000", "Ring twice")
    assert edited.order.shipping_fee == fee
    assert edited.order.total.with_vat == D("53.90")


async def test_an_edit_keeps_the_order_as_it_was_in_a_version_and_logs_an_event(
    seeded: AsyncSession, now: datetime.datetime, order: Order
) -> None:
    shirt = (await edit_lines.load(seeded, order=order))[0]
    before_first = await versions.current_snapshot(seeded, order=order)

    await run(seeded, order, now, expected_revision=1, delivery={"city": "Odense"})
    before_second = await versions.current_snapshot(seeded, order=order)
    await run(
        seeded, order, now, expected_revision=2, lines=[edit_lines.LineChange(line_id=str(shirt.id), quantity=D(5))]
    )

    kept = (await seeded.scalars(sa.select(OrderVersion).where(OrderVersion.order_id == order.id))).all()
    assert [(v.number, v.actor, v.summary) for v in kept] == [
        (1, ACTOR, "delivery details (city)"),
        (2, ACTOR, f"line {shirt.id} quantity 5"),
    ]
    assert kept[0].snapshot == before_first
    assert kept[1].snapshot == before_second
    assert before_first["delivery"]["city"] == "Aarhus"
    assert before_second["delivery"]["city"] == "Odense"
    assert before_second["lines"][str(shirt.id)]["quantity"] == "2"
    assert order.revision == 3
    messages = (await seeded.scalars(sa.select(OrderEvent.message).where(OrderEvent.order_id == order.id))).all()
    assert messages == ["Edited: delivery details (city).", f"Edited: line {shirt.id} quantity 5."]


async def test_compare_lists_field_and_line_changes_with_dotted_paths(
    seeded: AsyncSession, now: datetime.datetime, order: Order
) -> None:
    shirt, book = await edit_lines.load(seeded, order=order)
    cap = await factories.product_numbered(seeded, "CAP-NAVY")
    # The line is removed after the new one is added: SQLite (without AUTOINCREMENT on order_lines)
    # hands the highest id of a deleted row to the next row, which would blur the comparison.
    added = await run(
        seeded, order, now, delivery={"city": "Odense"}, lines=[edit_lines.LineChange(product_id=str(cap.id))]
    )
    three_shirts = edit_lines.LineChange(line_id=str(shirt.id), quantity=D(3))
    await run(seeded, order, now, lines=[three_shirts, edit_lines.LineChange(line_id=str(book.id), remove=True)])
    new_line = added.lines[-1]

    changes = {c.path: c for c in await versions.compare(seeded, order=order, from_number=1, to_number=None)}
    between = {c.path for c in await versions.compare(seeded, order=order, from_number=1, to_number=2)}

    assert (changes["delivery.city"].change, changes["delivery.city"].before, changes["delivery.city"].after) == (
        "CHANGED",
        "Aarhus",
        "Odense",
    )
    assert (changes[f"lines.{shirt.id}.quantity"].before, changes[f"lines.{shirt.id}.quantity"].after) == ("2", "3")
    assert changes[f"lines.{book.id}"].change == "REMOVED"
    assert changes[f"lines.{book.id}"].before["productNumber"] == "BOOK-COOK"
    assert changes[f"lines.{new_line.id}"].change == "ADDED"
    assert changes[f"lines.{new_line.id}"].after["productNumber"] == "CAP-NAVY"
    assert changes["total.withVat"].before == "68.90"
    assert changes["total.withVat"].after == "74.35"
    assert "delivery.city" in between
    assert f"lines.{new_line.id}" in between
    assert f"lines.{book.id}" not in between
    assert f"lines.{shirt.id}.quantity" not in between


async def test_an_edit_of_a_stock_taking_order_moves_the_difference(
    seeded: AsyncSession, now: datetime.datetime, order: Order
) -> None:
    shirt = (await edit_lines.load(seeded, order=order))[0]
    sunglasses = await factories.product_numbered(seeded, "SUNGLASSES")  # 3 in stock

    await run(
        seeded,
        order,
        now,
        lines=[
            edit_lines.LineChange(line_id=str(shirt.id), quantity=D(5)),
            edit_lines.LineChange(product_id=str(sunglasses.id), quantity=D(3)),
        ],
    )
    stock = dict((await seeded.execute(sa.select(Product.number, Product.stock))).all())
    # 120 T-shirts: 2 taken by the order, 3 more by the edit.
    assert (stock["TSHIRT-BLK-M"], stock["SUNGLASSES"]) == (D(115), D(0))

    error = await refused(
        seeded, order, now, lines=[edit_lines.LineChange(product_id=str(sunglasses.id), quantity=D(1))]
    )
    assert error.code is ErrorCode.OUT_OF_STOCK


async def test_a_quote_is_edited_without_touching_stock(seeded: AsyncSession, now: datetime.datetime) -> None:
    quote = await factories.create_order(
        seeded, now=now, lines=factories.SHIRTS_AND_BOOK, kind=OrderKind.QUOTE, state="Requested"
    )
    shirt = (await edit_lines.load(seeded, order=quote))[0]

    edited = await run(seeded, quote, now, lines=[edit_lines.LineChange(line_id=str(shirt.id), quantity=D(500))])

    assert edited.order.total.with_vat == D("10004.00")
    assert (await factories.product_numbered(seeded, "TSHIRT-BLK-M")).stock == D(120)


@pytest.mark.parametrize(
    ("kind", "state", "quote_status", "code"),
    [
        (OrderKind.ORDER, "Picked", None, ErrorCode.NOT_EDITABLE),
        (OrderKind.ORDER, None, None, ErrorCode.NOT_EDITABLE),
        (OrderKind.QUOTE, "Closed", QuoteStatus.OPEN, ErrorCode.NOT_EDITABLE),
        (OrderKind.QUOTE, "Offered", QuoteStatus.REJECTED, ErrorCode.CLOSED),
        (OrderKind.CART, None, None, ErrorCode.NOT_EDITABLE),
    ],
)
async def test_records_that_may_not_be_edited(
    seeded: AsyncSession,
    now: datetime.datetime,
    kind: OrderKind,
    state: str | None,
    quote_status: QuoteStatus | None,
    code: ErrorCode,
) -> None:
    order = await factories.create_order(
        seeded,
        now=now,
        lines=factories.SHIRTS_AND_BOOK,
        kind=OrderKind.QUOTE if kind is OrderKind.QUOTE else OrderKind.ORDER,
        state=state,
    )
    order.kind, order.quote_status = kind, quote_status

    error = await refused(seeded, order, now, comment="x")

    assert error.code is code


async def test_a_stale_revision_is_refused(seeded: AsyncSession, now: datetime.datetime, order: Order) -> None:
    await run(seeded, order, now, comment="first")

    with pytest.raises(DomainError) as raised:
        await run(seeded, order, now, expected_revision=1, comment="second")

    assert (raised.value.code, raised.value.field) == (ErrorCode.STALE_REVISION, ["expectedRevision"])


async def test_input_faults_name_their_field(seeded: AsyncSession, now: datetime.datetime, order: Order) -> None:
    shirt, book = await edit_lines.load(seeded, order=order)
    line = edit_lines.LineChange
    cases: list[tuple[dict[str, Any], ErrorCode, list[str]]] = [
        ({"lines": [line(line_id="999999", quantity=D(1))]}, ErrorCode.NOT_FOUND, ["input", "lines", "0", "lineId"]),
        ({"lines": [line(product_id="999999")]}, ErrorCode.NOT_FOUND, ["input", "lines", "0", "productId"]),
        (
            {"lines": [line(line_id=str(shirt.id), quantity=D(0))]},
            ErrorCode.INVALID,
            ["input", "lines", "0", "quantity"],
        ),
        (
            {"lines": [line(line_id=str(shirt.id), discount_amount=D(1), discount_percent=D(1))]},
            ErrorCode.INVALID,
            ["input", "lines", "0", "discountPercent"],
        ),
        (
            {"lines": [line(line_id=str(shirt.id), discount_percent=D(101))]},
            ErrorCode.INVALID,
            ["input", "lines", "0", "discountPercent"],
        ),
        (
            {"lines": [line(line_id=str(shirt.id), unit_price=D("-1"))]},
            ErrorCode.INVALID,
            ["input", "lines", "0", "unitPrice"],
        ),
        ({"lines": [line(line_id=str(shirt.id))]}, ErrorCode.INVALID, ["input", "lines", "0"]),
        ({"delivery": {"city": "x" * 256}}, ErrorCode.INVALID, ["input", "delivery", "city"]),
        (
            {"add_order_discounts": [edit_lines.OrderDiscount(name="Both", amount=D(1), percent=D(1))]},
            ErrorCode.INVALID,
            ["input", "addOrderDiscounts", "0", "percent"],
        ),
        # An order discount of "-0" percent (or 0) takes nothing off: refused, not added as a zero line.
        (
            {"add_order_discounts": [edit_lines.OrderDiscount(name="Nothing", percent=D("-0"))]},
            ErrorCode.INVALID,
            ["input", "addOrderDiscounts", "0", "percent"],
        ),
        (
            {"add_order_discounts": [edit_lines.OrderDiscount(name="Nothing", amount=D("0"))]},
            ErrorCode.INVALID,
            ["input", "addOrderDiscounts", "0", "amount"],
        ),
        ({"remove_discount_line_ids": [str(book.id)]}, ErrorCode.INVALID, ["input", "removeDiscountLineIds", "0"]),
        (
            {"custom_fields": [custom_fields.FieldValue("gift_wrap", True)]},
            ErrorCode.INVALID,
            ["input", "customFields", "0", "systemName"],
        ),
        ({}, ErrorCode.INVALID, ["input"]),
        (
            {"lines": [line(line_id=str(shirt.id), remove=True), line(line_id=str(book.id), remove=True)]},
            ErrorCode.INVALID,
            ["input", "lines"],
        ),
    ]
    for changes, code, field in cases:
        savepoint = await seeded.begin_nested()
        error = await refused(seeded, order, now, **changes)
        await savepoint.rollback()
        assert (error.code, error.field) == (code, field), changes


async def test_a_discount_beyond_the_order_is_a_negative_total(
    seeded: AsyncSession, now: datetime.datetime, order: Order
) -> None:

    error = await refused(
        seeded, order, now, add_order_discounts=[edit_lines.OrderDiscount(name="Too much", amount=D(69))]
    )

    assert error.code is ErrorCode.NEGATIVE_TOTAL


async def test_a_preview_returns_the_edited_order_and_writes_nothing(
    seeded: AsyncSession, now: datetime.datetime, order: Order
) -> None:
    shirt = (await edit_lines.load(seeded, order=order))[0]
    before = await versions.current_snapshot(seeded, order=order)

    preview = await editing.preview(
        seeded,
        order_id=order.public_id,
        expected_revision=1,
        changes=editing.Changes(lines=[edit_lines.LineChange(line_id=str(shirt.id), quantity=D(3))]),
        now=now + datetime.timedelta(hours=1),
        actor=ACTOR,
    )

    assert preview.order.total.with_vat == D("88.85")
    assert (preview.order.revision, preview.order.modified_at) == (1, now)
    reloaded = await seeded.scalar(sa.select(Order).where(Order.id == preview.order.id))
    assert reloaded is not None
    assert await versions.current_snapshot(seeded, order=reloaded) == before
    assert reloaded.revision == 1
    assert await seeded.scalar(sa.select(sa.func.count()).select_from(OrderVersion)) == 0


async def test_custom_fields_of_the_order_and_its_lines_are_validated_written_and_versioned(
    seeded: AsyncSession, now: datetime.datetime, order: Order
) -> None:
    for name, target, kind in (
        ("gift_note", CustomFieldTarget.ORDER, CustomFieldType.TEXT),
        ("engraving", CustomFieldTarget.ORDER_LINE, CustomFieldType.TEXT),
        ("rush", CustomFieldTarget.ORDER, CustomFieldType.BOOLEAN),
    ):
        await custom_fields.create_definition(
            seeded, system_name=name, name=name.title(), target=target, type=kind, options=None, required=False
        )
    shirt = (await edit_lines.load(seeded, order=order))[0]

    edited = await run(
        seeded,
        order,
        now,
        custom_fields=[custom_fields.FieldValue("gift_note", "Happy birthday")],
        lines=[
            edit_lines.LineChange(line_id=str(shirt.id), custom_fields=[custom_fields.FieldValue("engraving", "A.L.")])
        ],
    )
    wrong = await refused(seeded, order, now, custom_fields=[custom_fields.FieldValue("rush", "soon")])
    await run(seeded, order, now, custom_fields=[custom_fields.FieldValue("gift_note", None)])

    assert [(value.order_line_id, value.value) for value in edited.custom_fields] == [
        (None, "Happy birthday"),
        (shirt.id, "A.L."),
    ]
    assert (wrong.code, wrong.field) == (ErrorCode.INVALID, ["input", "customFields", "0", "value"])
    changes = {
        c.path: (c.change, c.before, c.after)
        for c in await versions.compare(seeded, order=order, from_number=1, to_number=None)
    }
    assert changes == {f"lines.{shirt.id}.customFields.engraving": ("ADDED", None, "A.L.")}
    second = {
        c.path: (c.change, c.before, c.after)
        for c in await versions.compare(seeded, order=order, from_number=2, to_number=None)
    }
    assert second == {"customFields.gift_note": ("REMOVED", "Happy birthday", None)}
