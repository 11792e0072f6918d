"""DynamicWeb's order data in the domain: the language of a request, the fee rule and VAT rate kept at pricing,
an open quote's details, and state mails to the address in an order field."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from models.catalog import PaymentMethod, ShippingMethod, Shop
from models.enums import CustomFieldTarget, CustomFieldType, EventLevel, OrderKind, Role
from models.flows import State
from models.mail import OutboxMail
from models.orders import Order, OrderEvent, OrderLine
from resolvers.channels import imports
from resolvers.core import access, orders
from resolvers.core.errors import DomainError, ErrorCode
from resolvers.fulfilment import flow_setup, mail, state_changes
from resolvers.setup import custom_fields
from resolvers.storefront import carts, pricing, visits
from tests import factories
from tests.conftest import StatementCounter

D = Decimal
ADMIN = access.Viewer(role=Role.ADMIN, name="test")
COMPOSER = mail.composer_for(template_folder=None, default_sender="shop@example.com")


@pytest.mark.parametrize(
    ("header", "language"),
    [
        ("da-DK,da;q=0.9,en;q=0.8", "da-DK"),
        (" en-GB ; q=1", "en-GB"),
        ("*, de;q=0.5", "de"),
        ("zh-Hant-TW", "zh-Hant-TW"),
        ("", None),
        (None, None),
        ("*", None),
        ("da_DK", None),
        ("en-" + "x" * 60, None),
    ],
)
def test_a_carts_language_is_the_first_language_tag_of_accept_language(
    header: str | None, language: str | None
) -> None:
    assert visits.language_of(header) == language


@pytest.mark.parametrize(
    ("details", "language"),
    [(None, "da-DK"), (carts.DetailsInput(language_id="en-GB"), "en-GB"), (carts.DetailsInput(language_id=""), None)],
)
async def test_a_new_cart_keeps_the_request_headers_unless_its_details_say_otherwise(
    seeded: AsyncSession, now: datetime.datetime, details: carts.DetailsInput | None, language: str | None
) -> None:
    cart, _ = await carts.create(
        seeded, viewer=access.Viewer(), details=details, ip="203.0.113.9", referrer=" https://shop.example/ ",
        accept_language="da-DK,da;q=0.9", now=now, actor=None,
    )  # fmt: skip

    assert (cart.ip, cart.referrer, cart.language_id) == ("203.0.113.9", "https://shop.example/", language)


async def test_an_imported_order_keeps_the_channels_id_as_its_integration_order_id(
    seeded: AsyncSession, now: datetime.datetime
) -> None:
    product = await factories.product_numbered(seeded, "MUG-CER")
    sale = imports.ImportInput(
        channel="marketplace", external_id="M-77", lines=[carts.LineInput(str(product.id), D(1))]
    )

    [outcome] = await imports.import_orders(seeded, inputs=[sale], now=now, actor=None)

    assert outcome.order is not None
    assert (outcome.order.import_channel, outcome.order.external_id, outcome.order.integration_order_id) == (
        "marketplace", "M-77", "M-77",
    )  # fmt: skip


async def _cart(session: AsyncSession, now: datetime.datetime, **kwargs: object) -> Order:
    return await factories.create_order(
        session,
        now=now,
        kind=OrderKind.CART,
        state=None,
        is_complete=False,
        **kwargs,  # type: ignore[arg-type]
    )


async def test_pricing_names_the_fee_rule_and_forgets_it_for_a_flat_fee(
    seeded: AsyncSession, now: datetime.datetime
) -> None:
    order = await _cart(seeded, now, shipping_method="Parcel")
    order.delivery_country_code = "DK"
    lines = await _lines(seeded, order)

    await pricing.recalculate(seeded, order=order, lines=lines, recalculate_fees=True, now=now)
    by_rule = (order.shipping_fee_rule_name, order.shipping_fee.with_vat)
    order.delivery_country_code = "SE"
    await pricing.recalculate(seeded, order=order, lines=lines, recalculate_fees=True, now=now)
    flat = (order.shipping_fee_rule_name, order.shipping_fee.with_vat)
    order.delivery_country_code = "DK"
    await pricing.recalculate(seeded, order=order, lines=lines, recalculate_fees=True, now=now)
    order.shipping_method_id = None
    await pricing.recalculate(seeded, order=order, lines=lines, recalculate_fees=True, now=now)

    assert by_rule == ("Denmark", D("4.95"))
    assert flat == (None, D("9.95"))
    assert (order.shipping_fee_rule_name, order.shipping_fee.with_vat) == (None, D(0))


async def test_pricing_keeps_the_rule_name_when_the_fees_are_kept(seeded: AsyncSession, now: datetime.datetime) -> None:
    order = await _cart(seeded, now, shipping_method="Parcel")
    order.delivery_country_code = "DK"
    lines = await _lines(seeded, order)
    await pricing.recalculate(seeded, order=order, lines=lines, recalculate_fees=True, now=now)
    order.delivery_country_code = "SE"

    await pricing.recalculate(seeded, order=order, lines=lines, recalculate_fees=False, now=now)

    assert (order.shipping_fee_rule_name, order.shipping_fee.with_vat) == ("Denmark", D("4.95"))


async def test_pricing_keeps_the_shops_standard_vat_rate_as_it_is_then(
    seeded: AsyncSession, now: datetime.datetime
) -> None:
    order = await _cart(seeded, now)
    shop = await seeded.get_one(Shop, order.shop_id)
    assert order.standard_vat_percent == D(25)

    shop.default_vat_percent = D(20)
    priced_later = await _cart(seeded, now)
    assert (order.standard_vat_percent, priced_later.standard_vat_percent) == (D(25), D(20))
    await pricing.recalculate(seeded, order=order, lines=await _lines(seeded, order), recalculate_fees=False, now=now)
    assert order.standard_vat_percent == D(20)


async def test_an_open_quote_takes_methods_and_keeps_its_lines(seeded: AsyncSession, now: datetime.datetime) -> None:
    quote = await factories.create_order(
        seeded, now=now, kind=OrderKind.QUOTE, state="Requested", is_complete=False,
        lines=(factories.Line("TSHIRT-BLK-M", D(2), unit_price=D("15.00")),),
    )  # fmt: skip
    card = await seeded.scalar(sa.select(PaymentMethod.id).where(PaymentMethod.name == "Card"))
    parcel = await seeded.scalar(sa.select(ShippingMethod.id).where(ShippingMethod.name == "Parcel"))

    changed = await carts.set_details(
        seeded, cart_id=quote.public_id, secret=None, viewer=ADMIN, now=now, actor="admin:test",
        details=carts.DetailsInput(payment_method_id=str(card), shipping_method_id=str(parcel), reference="PO-9"),
    )  # fmt: skip

    [line] = await _lines(seeded, changed)
    assert (changed.kind, changed.public_id, changed.payment_method_id, changed.shipping_method_id) == (
        OrderKind.QUOTE, quote.public_id, card, parcel,
    )  # fmt: skip
    assert (line.unit_amount, line.price.with_vat) == (D("15.00"), D("30.00"))
    # No delivery country: the Parcel's flat fee of 9.95.
    assert (changed.shipping_fee.with_vat, changed.total.with_vat, changed.reference) == (D("9.95"), D("39.95"), "PO-9")


@pytest.mark.parametrize(
    ("details", "field"),
    [
        (carts.DetailsInput(currency_code="DKK"), ["details", "currencyCode"]),
        (carts.DetailsInput(voucher_code="AUTUMN"), ["details", "voucherCode"]),
    ],
)
async def test_an_open_quote_refuses_what_would_reprice_it(
    seeded: AsyncSession, now: datetime.datetime, details: carts.DetailsInput, field: list[str]
) -> None:
    quote = await factories.create_order(seeded, now=now, kind=OrderKind.QUOTE, state="Requested", is_complete=False)
    revision, total = quote.revision, quote.total

    with pytest.raises(DomainError) as raised:
        await carts.set_details(
            seeded, cart_id=quote.public_id, secret=None, viewer=ADMIN, details=details, now=now, actor=None
        )

    assert (raised.value.code, raised.value.field) == (ErrorCode.INVALID, field)
    assert (quote.revision, quote.total, quote.currency_code, quote.voucher_code) == (revision, total, "EUR", None)


async def test_the_same_currency_is_not_a_change_of_a_quote(seeded: AsyncSession, now: datetime.datetime) -> None:
    quote = await factories.create_order(seeded, now=now, kind=OrderKind.QUOTE, state="Requested", is_complete=False)

    changed = await carts.set_details(
        seeded, cart_id=quote.public_id, secret=None, viewer=ADMIN, now=now, actor=None,
        details=carts.DetailsInput(currency_code="eur", display_name="Uniforms"),
    )  # fmt: skip

    assert (changed.currency_code, changed.display_name) == ("EUR", "Uniforms")


async def test_a_state_mail_also_goes_to_the_address_in_the_recipient_field(
    seeded: AsyncSession, now: datetime.datetime
) -> None:
    await _buyer_email_field(seeded)
    with_buyer = await factories.create_order(seeded, now=now, state="Picked")
    only_buyer = await factories.create_order(seeded, now=now, state="Picked", customer_email=None)
    same_as_customer = await factories.create_order(seeded, now=now, state="Picked")
    without = await factories.create_order(seeded, now=now, state="Picked")
    malformed = await factories.create_order(seeded, now=now, state="Picked")
    for order, value in (
        (with_buyer, "buyer@example.com"),
        (only_buyer, "buyer@example.com"),
        (same_as_customer, "ADA@example.com"),
        (malformed, "buyer@example.com, other@example.com"),
    ):
        await _write_buyer_email(seeded, order, value)
    shipped = await _shipped_to_buyer_email(seeded)
    ordered = [with_buyer, only_buyer, same_as_customer, without, malformed]

    await _ship(seeded, ordered, shipped, now)

    mails = (await seeded.scalars(sa.select(OutboxMail).order_by(OutboxMail.id))).all()
    assert [(m.order_id, m.recipients) for m in mails] == [
        (with_buyer.id, ["ada@example.com", "buyer@example.com"]),
        (only_buyer.id, ["buyer@example.com"]),
        (same_as_customer.id, ["ada@example.com"]),
        (without.id, ["ada@example.com"]),
        (malformed.id, ["ada@example.com"]),
    ]
    assert {o.state_id for o in ordered} == {shipped.id}
    events = await seeded.execute(
        sa.select(OrderEvent.order_id, OrderEvent.level, OrderEvent.message)
        .where(OrderEvent.source == "mail")
        .order_by(OrderEvent.id)
    )
    assert [tuple(row) for row in events.all()] == [
        (only_buyer.id, EventLevel.WARNING, "No Shipped mail to the customer: no customer email."),
        (without.id, EventLevel.WARNING, "No Shipped mail to the order field BuyerEmail: it is empty."),
        (
            malformed.id,
            EventLevel.WARNING,
            "No Shipped mail to the order field BuyerEmail: 'buyer@example.com, other@example.com' is not an address.",
        ),
    ]


async def test_the_recipient_field_costs_one_statement_for_all_orders(
    seeded: AsyncSession, now: datetime.datetime, count_statements: StatementCounter
) -> None:
    await _buyer_email_field(seeded)
    created = [await factories.create_order(seeded, now=now, state="Picked", lines=()) for _ in range(50)]
    for order in created:
        await _write_buyer_email(seeded, order, f"buyer-{order.id}@example.com")
    shipped = await _shipped_to_buyer_email(seeded)
    await seeded.flush()
    count_statements.statements.clear()

    await _ship(seeded, created, shipped, now)

    # orders, states with their rules, UPDATE, lines, the field's values (+ INSERTs of events and mails).
    assert len([s for s in count_statements.statements if not s.lstrip().upper().startswith("INSERT")]) == 5
    mails = (await seeded.scalars(sa.select(OutboxMail).order_by(OutboxMail.id))).all()
    assert [m.recipients for m in mails] == [["ada@example.com", f"buyer-{o.id}@example.com"] for o in created]


@pytest.mark.parametrize(("given", "saved"), [(" BuyerEmail ", "BuyerEmail"), ("  ", None), (None, None)])
async def test_the_recipient_field_is_saved_stripped(
    seeded: AsyncSession, given: str | None, saved: str | None
) -> None:
    shipped = await factories.state_named(seeded, "Shipped")
    setup = flow_setup.StateMail(template="order-shipped.html", subject="Shipped", recipient_field=given)

    await flow_setup.update_state(seeded, state_id=str(shipped.id), changes={}, mail=setup)

    assert shipped.mail_recipient_field == saved


@pytest.mark.parametrize("given", ["F" * 101, "Buyer\r\nBcc"])
async def test_a_recipient_field_that_cannot_name_a_field_is_refused(seeded: AsyncSession, given: str) -> None:
    shipped = await factories.state_named(seeded, "Shipped")
    setup = flow_setup.StateMail(template="order-shipped.html", subject="Shipped", recipient_field=given)

    with pytest.raises(DomainError) as raised:
        await flow_setup.update_state(seeded, state_id=str(shipped.id), changes={}, mail=setup)

    assert (raised.value.code, raised.value.field) == (ErrorCode.INVALID, ["input", "mail", "recipientField"])


async def _buyer_email_field(session: AsyncSession) -> None:
    await custom_fields.create_definition(
        session, system_name="BuyerEmail", name="Buyer's email", target=CustomFieldTarget.ORDER,
        type=CustomFieldType.TEXT, options=None, required=False,
    )  # fmt: skip


async def _write_buyer_email(session: AsyncSession, order: Order, value: str) -> None:
    await custom_fields.write_values(
        session, order_id=order.id, line_id=None, values=[custom_fields.FieldValue("BuyerEmail", value)], field=[]
    )


async def _shipped_to_buyer_email(session: AsyncSession) -> State:
    shipped = await factories.state_named(session, "Shipped")
    shipped.mail_recipient_field = "BuyerEmail"
    return shipped


async def _ship(session: AsyncSession, moved: list[Order], shipped: State, now: datetime.datetime) -> None:
    outcomes = await state_changes.change_state(
        session, order_ids=[o.public_id for o in moved], state_id=str(shipped.id), now=now, actor=None,
        composer=COMPOSER,
    )  # fmt: skip
    assert [outcome.error for outcome in outcomes] == [None] * len(moved)


async def _lines(session: AsyncSession, order: Order) -> list[OrderLine]:
    return list(await orders.lines_of(session, order_id=order.id))
