"""Order: a cart, quote or order as clients read it, with its addresses, events and the order list's connection.

Every field resolves from the order's model row, loading what it refers to through the request's
loaders; the money an order derives from its transactions (captureState, authorizedAmount…) comes from
`resolvers.payments.ledger`. Its lines are `order_lines.OrderLine`, its payment records
`transactions.Transaction`; versions, returns and schedules are `strawberry.lazy` references, as their
modules refer back to Order.

Staff data (design.md, Access): `comment`, `ip`, `events`, `versions`, `version` and `compare` answer
admins only; every other caller, the record's customer and its secret's holder included, reads them as
null, an empty list or a comparison without changes, never as an error, so one fragment serves every client.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable, Iterable, Sequence
from decimal import Decimal
from typing import TYPE_CHECKING, Annotated, Any

import strawberry
from aiodataloader import DataLoader
from sqlalchemy.ext.asyncio import AsyncSession
from strawberry.scalars import JSON
from strawberry.utils.str_converters import to_camel_case

from models import money
from models import orders as order_models
from models import payments as payment_models
from models.enums import OrderKind as DomainOrderKind
from models.orders import ADDRESS_FIELDS
from resolvers.fulfilment import tracking, transitions
from resolvers.payments import delta, ledger
from schema import addresses, loaded
from schema.context import Context
from schema.enums import CaptureState, EventLevel, OrderKind, QuoteStatus
from schema.types import custom_fields
from schema.types.catalog import Currency, PaymentMethod, Price, ShippingMethod, Shop, TrackAndTrace
from schema.types.custom_fields import CustomFieldValue
from schema.types.flows import Flow, State, Transition
from schema.types.order_lines import OrderLine
from schema.types.transactions import Transaction

if TYPE_CHECKING:
    from schema.types.recurring import RecurringSchedule
    from schema.types.returns import Return
    from schema.types.versions import Version, VersionComparison


_AddressParts: Any = addresses.fields("AddressParts")


@strawberry.type(
    description="A customer or delivery address of a record; every part is null until it is given "
    "(setCartDetails, an edit, an import)."
)
class Address(_AddressParts):
    @classmethod
    def of(cls, order: order_models.Order, prefix: str) -> Address:
        return cls(**{field: getattr(order, f"{prefix}_{field}") for field in ADDRESS_FIELDS})


@strawberry.type(description="One entry of an order's log (DynamicWeb's debugging info): what was done, by whom.")
class OrderEvent:
    id: strawberry.ID = strawberry.field(description="The event's id.")
    at: datetime.datetime = strawberry.field(description="When it happened.")
    level: EventLevel = strawberry.field(description="How serious it is.")  # type: ignore[valid-type]
    source: str = strawberry.field(
        description="What raised it: checkout, changeState, capture, refund, edit, mail, import…"
    )
    message: str = strawberry.field(description='What happened, for a person (amounts as "1.00 EUR").')
    actor: str | None = strawberry.field(
        description="Who did it: admin:<token name>, storefront:<token name>, customer:<id>, anonymous, or a "
        "process (mail-worker, reconciliation); null for a system event without one."
    )


def _with_ledger(
    info: strawberry.Info[Context], order: order_models.Order, function: Callable[[ledger.Amounts], Any]
) -> Any:
    """`function` of the order's ledger (see `loaded`), computed once per request for the rows loaded."""
    loaders = info.context.loaders
    now = info.context.now

    def of(rows: Sequence[payment_models.Transaction]) -> Any:
        # Keyed by the loaded list itself: a loader cleared and loaded again gives a new list, so a new ledger.
        known = loaders.computed.get(("ledger", id(rows)))
        if known is None or known[0] is not rows:
            known = loaders.computed[("ledger", id(rows))] = (rows, ledger.amounts(rows, now=now))
        return function(known[1])

    return loaded.then([loaders.transactions_by_order_id.load(order.id)], of)


async def _load_if_set(loader: DataLoader[Any, Any], key: int | None) -> Any:
    """The row the loader has for `key`, or None where the order refers to none."""
    return None if key is None else await loader.load(key)


def _staff_only(column: str) -> Callable[..., Any]:
    """A resolver of an order column that is staff data: its value for admins, null for everyone else."""

    def resolve(root: strawberry.Parent[order_models.Order], info: strawberry.Info[Context]) -> str | None:
        return getattr(root, column) if info.context.viewer.is_admin else None  # type: ignore[no-any-return]

    return resolve


async def transitions_now(session: AsyncSession, orders: Sequence[order_models.Order]) -> list[Any]:
    """The orders' transitions judged when the batch runs (one function, so the request's loader batches)."""
    return await transitions.transitions_of(session, orders, now=datetime.datetime.now(datetime.UTC))


def _in_minor_units(order: order_models.Order, amount: Decimal) -> Decimal:
    # The ledger keeps the store's scale (4 places); money is served at the order currency's minor unit.
    return money.round_money(amount, minor_unit=order.currency_minor_unit)


@strawberry.type(
    description="A cart, quote or order (one record as it moves from cart to completion, told apart by kind). "
    "Money fields are Decimal strings in the order's currency. Staff data (comment, ip, events, versions, version, "
    "compare, transitions) reads as null or empty for anyone but an admin."
)
class Order:
    display_name: str | None = strawberry.field(description="A customer's name for a named cart or quote.")
    created_at: datetime.datetime = strawberry.field(description="When the record was created (as a cart, mostly).")
    modified_at: datetime.datetime = strawberry.field(description="When the record last changed.")
    completed_at: datetime.datetime | None = strawberry.field(
        description="When the checkout completed or the quote was accepted; null until then."
    )
    revision: int = strawberry.field(
        description="Bumped by every change of the order; pass it back as expectedRevision to guard a change."
    )
    customer_id: strawberry.ID | None = strawberry.field(
        description="The shop's id of the customer the record belongs to; null for an anonymous shopper."
    )
    comment: str | None = strawberry.field(
        resolver=_staff_only("comment"), description="The shop's internal comment. Staff data: null but for admins."
    )
    customer_comment: str | None = strawberry.field(description="The customer's comment on the order.")
    payment_fee: Price = strawberry.field(description="The payment method's fee.")
    shipping_fee: Price = strawberry.field(description="The shipping method's fee after its fee rules.")
    voucher_code: str | None = strawberry.field(description="The voucher code the shopper gave, if any.")
    subtotal: Price = strawberry.field(description="Products after line discounts, before order discounts and fees.")
    discount_total: Price = strawberry.field(description="All discounts (line and order), a negative price.")
    price_before_fees: Price = strawberry.field(description="Everything before payment and shipping fees.")
    total: Price = strawberry.field(description="What the customer pays: priceBeforeFees plus the fees.")
    weight: Decimal = strawberry.field(description="The products' weight: unit weight times quantity, summed.")
    volume: Decimal = strawberry.field(description="The products' volume: unit volume times quantity, summed.")
    tracking_number: str | None = strawberry.field(description="The carrier's tracking number (setTracking).")
    tracking_parameters: JSON | None = strawberry.field(
        description="Values for the track-and-trace template's own placeholders, as a JSON object of strings."
    )
    ip: str | None = strawberry.field(
        resolver=_staff_only("ip"), description="The IP address the cart was created from. Staff data."
    )
    referrer: str | None = strawberry.field(description="The Referer header when the cart was created.")
    language_id: str | None = strawberry.field(
        description="The shopper's language: from the cart details, else Accept-Language at creation."
    )
    is_exported: bool = strawberry.field(description="Whether an integration marked it exported (markExported).")
    integration_order_id: str | None = strawberry.field(
        description="The order's id in the external channel it was imported from."
    )
    price_calculated_at: datetime.datetime | None = strawberry.field(
        description="When the prices were last calculated; null if never."
    )
    external_id: str | None = strawberry.field(description="The external channel's order id for an imported order.")
    reference: str | None = strawberry.field(description="The customer's own reference (a purchase-order number).")
    shipping_fee_rule_name: str | None = strawberry.field(
        description="The shipping fee rule that set the shipping fee, if a rule did."
    )
    standard_vat_percent: Decimal | None = strawberry.field(
        description="The shop's standard VAT rate as it was when the order was priced."
    )

    @strawberry.field(description="CART…, QUOTE… or ORDER…: a cart gets a new ORDER id at checkout.")
    def id(self, root: strawberry.Parent[order_models.Order]) -> strawberry.ID:
        return strawberry.ID(root.public_id)

    @strawberry.field(description="Earlier ids of this record (a cart id, a quote id, an abandoned checkout id).")
    async def previous_ids(
        self, root: strawberry.Parent[order_models.Order], info: strawberry.Info[Context]
    ) -> list[strawberry.ID]:
        numbers: Sequence[order_models.OrderNumber] = await info.context.loaders.order_numbers_by_order_id.load(root.id)
        return [strawberry.ID(f"{n.prefix.value}{n.number}") for n in numbers if n.number != root.number]

    @strawberry.field(description="Cart, quote or order.")
    def kind(self, root: strawberry.Parent[order_models.Order]) -> OrderKind:  # type: ignore[valid-type]
        return DomainOrderKind(root.kind)

    @strawberry.field(description="The shop the record belongs to.")
    async def shop(self, root: strawberry.Parent[order_models.Order], info: strawberry.Info[Context]) -> Shop | None:
        return await info.context.loaders.shop_by_id.load(root.shop_id)

    @strawberry.field(description="Whether the checkout completed (or the quote was accepted): a placed order.")
    def complete(self, root: strawberry.Parent[order_models.Order]) -> bool:
        return root.is_complete

    @strawberry.field(description="Whether the order was cancelled: it is closed.")
    def cancelled(self, root: strawberry.Parent[order_models.Order]) -> bool:
        return root.is_cancelled

    @strawberry.field(description="Whether it was (soft) deleted: hidden from lists unless asked for.")
    def deleted(self, root: strawberry.Parent[order_models.Order]) -> bool:
        return root.is_deleted

    @strawberry.field(description="The channel an imported order came from.")
    def channel(self, root: strawberry.Parent[order_models.Order]) -> str | None:
        return root.import_channel

    @strawberry.field(description="The flow of its kind the record is in; null before it has one.")
    def flow(self, root: strawberry.Parent[order_models.Order], info: strawberry.Info[Context]) -> Flow | None:
        return loaded.value(info.context.loaders.flow_by_id.load(root.flow_id)) if root.flow_id is not None else None

    @strawberry.field(description="Its state in the flow; null before it has one.")
    def state(self, root: strawberry.Parent[order_models.Order], info: strawberry.Info[Context]) -> State | None:
        if root.state_id is None:
            return None
        return loaded.value(info.context.loaders.state_by_id.load(root.state_id))  # type: ignore[no-any-return]

    @strawberry.field(description="The customer's (billing) address and contact.")
    def customer(self, root: strawberry.Parent[order_models.Order]) -> Address:
        return Address.of(root, "customer")

    @strawberry.field(description="The delivery address and contact: where it is shipped.")
    def delivery(self, root: strawberry.Parent[order_models.Order]) -> Address:
        return Address.of(root, "delivery")

    @strawberry.field(description="Values of the shop's order custom fields that are set on it.")
    def custom_fields(
        self, root: strawberry.Parent[order_models.Order], info: strawberry.Info[Context]
    ) -> list[CustomFieldValue]:
        return custom_fields.values_of(info, order_id=root.id, line_id=None)  # type: ignore[no-any-return]

    @strawberry.field(description="The currency as it was when the order was placed.")
    def currency(self, root: strawberry.Parent[order_models.Order]) -> Currency:
        return Currency(code=root.currency_code, name=root.currency_name, rate=root.currency_rate)

    @strawberry.field(description="Its lines: products, discounts and taxes, in their sort order.")
    def lines(self, root: strawberry.Parent[order_models.Order], info: strawberry.Info[Context]) -> list[OrderLine]:
        return loaded.value(info.context.loaders.order_lines_by_order_id.load(root.id))  # type: ignore[no-any-return]

    @strawberry.field(description="The chosen payment method; null until one is chosen.")
    async def payment_method(
        self, root: strawberry.Parent[order_models.Order], info: strawberry.Info[Context]
    ) -> PaymentMethod | None:
        return await _load_if_set(info.context.loaders.payment_method_by_id, root.payment_method_id)

    @strawberry.field(description="The chosen shipping method; null until one is chosen.")
    async def shipping_method(
        self, root: strawberry.Parent[order_models.Order], info: strawberry.Info[Context]
    ) -> ShippingMethod | None:
        return await _load_if_set(info.context.loaders.shipping_method_by_id, root.shipping_method_id)

    @strawberry.field(description="How much is captured, over all authorizations and the total.")
    def capture_state(
        self, root: strawberry.Parent[order_models.Order], info: strawberry.Info[Context]
    ) -> CaptureState:  # type: ignore[valid-type]
        def state(provider_name: str | None) -> Any:
            return _with_ledger(
                info,
                root,
                lambda amounts: delta.capture_state(delta.position(root, amounts), provider_name=provider_name),
            )

        if root.payment_method_id is None:
            return state(None)  # type: ignore[no-any-return]
        method = info.context.loaders.payment_method_by_id.load(root.payment_method_id)
        return loaded.then([method], lambda found: state(found.provider if found else None))  # type: ignore[no-any-return]

    @strawberry.field(
        description="Money authorized with the provider, less what was voided; captured money counts in it."
    )
    def authorized_amount(self, root: strawberry.Parent[order_models.Order], info: strawberry.Info[Context]) -> Decimal:
        return _with_ledger(info, root, lambda amounts: _in_minor_units(root, amounts.authorized))  # type: ignore[no-any-return]

    @strawberry.field(description="Money captured so far.")
    def captured_amount(self, root: strawberry.Parent[order_models.Order], info: strawberry.Info[Context]) -> Decimal:
        return _with_ledger(info, root, lambda amounts: _in_minor_units(root, amounts.captured))  # type: ignore[no-any-return]

    @strawberry.field(description="Money refunded so far (never more than captured).")
    def refunded_amount(self, root: strawberry.Parent[order_models.Order], info: strawberry.Info[Context]) -> Decimal:
        return _with_ledger(info, root, lambda amounts: _in_minor_units(root, amounts.refunded))  # type: ignore[no-any-return]

    @strawberry.field(
        description="When the earliest authorization that can still be captured lapses; null when none can."
    )
    async def authorization_expires_at(
        self, root: strawberry.Parent[order_models.Order], info: strawberry.Info[Context]
    ) -> datetime.datetime | None:
        transactions: Sequence[payment_models.Transaction] = await info.context.loaders.transactions_by_order_id.load(
            root.id
        )
        return ledger.authorization_expires_at(transactions, now=info.context.now)

    @strawberry.field(
        description=(
            "total − captured − capturable + refunds that settled an earlier negative delta: "  # noqa: RUF001
            "positive is money to secure, negative money to give back (design.md)."
        )
    )
    def payment_delta(self, root: strawberry.Parent[order_models.Order], info: strawberry.Info[Context]) -> Decimal:
        return _with_ledger(  # type: ignore[no-any-return]
            info, root, lambda amounts: _in_minor_units(root, delta.position(root, amounts).payment_delta)
        )

    @strawberry.field(description="Every payment transaction with the provider, failed ones included, oldest first.")
    def transactions(
        self, root: strawberry.Parent[order_models.Order], info: strawberry.Info[Context]
    ) -> list[Transaction]:
        return loaded.value(info.context.loaders.transactions_by_order_id.load(root.id))  # type: ignore[no-any-return]

    @strawberry.field(description="The carrier's tracking configuration set by setTracking; null when none.")
    async def track_and_trace(
        self, root: strawberry.Parent[order_models.Order], info: strawberry.Info[Context]
    ) -> TrackAndTrace | None:
        return await _load_if_set(info.context.loaders.track_and_trace_by_id, root.track_and_trace_id)

    @strawberry.field(description="The carrier's tracking page for this order; null without a tracking number.")
    async def tracking_url(
        self, root: strawberry.Parent[order_models.Order], info: strawberry.Info[Context]
    ) -> str | None:
        if root.track_and_trace_id is None or not root.tracking_number:
            return None
        configuration = await info.context.loaders.track_and_trace_by_id.load(root.track_and_trace_id)
        return tracking.url_for(root, configuration) if configuration is not None else None

    @strawberry.field(description="Where a quote stands; null for a record that never was a quote.")
    def quote_status(self, root: strawberry.Parent[order_models.Order]) -> QuoteStatus | None:  # type: ignore[valid-type]
        return root.quote_status

    @strawberry.field(
        description="Every state of the flows of this record's kind (except its current state), with whether it "
        "may move there now and why not. Staff data: empty but for admins."
    )
    def transitions(
        self, root: strawberry.Parent[order_models.Order], info: strawberry.Info[Context]
    ) -> list[Transition]:
        if not info.context.viewer.is_admin:
            return []
        found = info.context.loaders.orders_batch(transitions_now).load(root)
        return loaded.then([found], lambda rows: [Transition.of(row) for row in rows])  # type: ignore[no-any-return]

    @strawberry.field(description="Its log, oldest first. Staff data: empty but for admins.")
    def events(self, root: strawberry.Parent[order_models.Order], info: strawberry.Info[Context]) -> list[OrderEvent]:
        if not info.context.viewer.is_admin:
            return []
        return loaded.value(info.context.loaders.events_by_order_id.load(root.id))  # type: ignore[no-any-return]

    @strawberry.field(description="Snapshots taken before each edit, oldest first. Staff data: empty but for admins.")
    async def versions(
        self, root: strawberry.Parent[order_models.Order], info: strawberry.Info[Context]
    ) -> list[Annotated[Version, strawberry.lazy("schema.types.versions")]]:
        if not info.context.viewer.is_admin:
            return []
        return await info.context.loaders.versions_by_order_id.load(root.id)

    @strawberry.field(
        description="One version by its number; null when there is none. Staff data: null but for admins."
    )
    async def version(
        self,
        root: strawberry.Parent[order_models.Order],
        info: strawberry.Info[Context],
        number: Annotated[int, strawberry.argument(description="The version's number (1 is the first edit's).")],
    ) -> Annotated[Version, strawberry.lazy("schema.types.versions")] | None:
        if not info.context.viewer.is_admin:
            return None
        versions = await info.context.loaders.versions_by_order_id.load(root.id)
        return next((version for version in versions if version.number == number), None)

    @strawberry.field(
        description="Differences between two versions, field by field and line by line. Staff data: no changes "
        "but for admins."
    )
    async def compare(
        self,
        root: strawberry.Parent[order_models.Order],
        info: strawberry.Info[Context],
        from_: Annotated[int, strawberry.argument(name="from", description="The earlier version's number.")],
        to: Annotated[
            int | None, strawberry.argument(description="The later version's number; null compares with the order now.")
        ] = None,
    ) -> Annotated[VersionComparison, strawberry.lazy("schema.types.versions")]:
        from schema.types import versions

        if not info.context.viewer.is_admin:
            return versions.VersionComparison(from_=from_, to=to, changes=[])
        return await versions.compare(info, root, from_number=from_, to_number=to)

    @strawberry.field(description="Its returns (RMAs), oldest first.")
    async def returns(
        self, root: strawberry.Parent[order_models.Order], info: strawberry.Info[Context]
    ) -> list[Annotated[Return, strawberry.lazy("schema.types.returns")]]:
        return await info.context.loaders.returns_by_order_id.load(root.id)

    @strawberry.field(description="The schedule this order is the template of, if any.")
    async def recurring(
        self, root: strawberry.Parent[order_models.Order], info: strawberry.Info[Context]
    ) -> Annotated[RecurringSchedule, strawberry.lazy("schema.types.recurring")] | None:
        schedules = await info.context.loaders.schedules_by_template_order_id.load(root.id)
        return schedules[-1] if schedules else None

    @strawberry.field(description="The schedule that generated this order, if any.")
    async def generated_by(
        self, root: strawberry.Parent[order_models.Order], info: strawberry.Info[Context]
    ) -> Annotated[RecurringSchedule, strawberry.lazy("schema.types.recurring")] | None:
        return await _load_if_set(info.context.loaders.schedule_by_id, root.generated_by_schedule_id)


@strawberry.type(description="One record of the order list and where it stands in it.")
class OrderEdge:
    node: Order = strawberry.field(description="The record.")
    cursor: str = strawberry.field(description="Opaque; pass it as after or before to page from here.")


@strawberry.type(description="Where a page of a list stands (keyset paging).")
class PageInfo:
    has_next_page: bool = strawberry.field(description="Whether records follow this page.")
    has_previous_page: bool = strawberry.field(description="Whether records come before this page.")
    start_cursor: str | None = strawberry.field(description="The first edge's cursor; null on an empty page.")
    end_cursor: str | None = strawberry.field(description="The last edge's cursor; null on an empty page.")


@strawberry.type(description="A page of the order list.")
class OrderConnection:
    edges: list[OrderEdge] = strawberry.field(description="The page's records, in the order asked for.")
    page_info: PageInfo = strawberry.field(description="Where the page stands.")
    total_count: int = strawberry.field(description="How many records match the filter, over every page.")


_MONEY_COLUMNS = ("payment_method_id", "is_cancelled", "total", "currency_minor_unit")
# The model attributes an Order field with a resolver reads; the order list's page statement loads only what
# its nodes select (`columns_read`). A resolver field not named here may read anything: its page loads all.
_COLUMNS_OF_RESOLVER: dict[str, tuple[str, ...]] = {
    "__typename": (),
    "id": ("public_id",),
    "previousIds": ("id", "number"),
    "kind": ("kind",),
    "shop": ("shop_id",),
    "complete": ("is_complete",),
    "cancelled": ("is_cancelled",),
    "deleted": ("is_deleted",),
    "channel": ("import_channel",),
    "flow": ("flow_id",),
    "state": ("state_id",),
    "customer": tuple(f"customer_{field}" for field in ADDRESS_FIELDS),
    "delivery": tuple(f"delivery_{field}" for field in ADDRESS_FIELDS),
    "currency": ("currency_code", "currency_name", "currency_rate"),
    "paymentMethod": ("payment_method_id",),
    "shippingMethod": ("shipping_method_id",),
    "trackAndTrace": ("track_and_trace_id",),
    "quoteStatus": ("quote_status",),
    "comment": ("comment",),
    "ip": ("ip",),
    "generatedBy": ("generated_by_schedule_id",),
    **dict.fromkeys(
        ["captureState", "authorizedAmount", "capturedAmount", "refundedAmount", "paymentDelta"], _MONEY_COLUMNS
    ),
    **dict.fromkeys(["customFields", "lines", "transactions", "events", "versions", "returns", "recurring"], ("id",)),
    "authorizationExpiresAt": ("id",),
}
# Fields without a resolver read the model attribute of their own name (a column or a Price's four).
_ATTRIBUTE_OF_FIELD = {
    field.graphql_name or to_camel_case(field.python_name): field.python_name
    for field in Order.__strawberry_definition__.fields  # type: ignore[attr-defined]
    if field.base_resolver is None
}


def columns_read(field_names: Iterable[str]) -> set[str] | None:
    """The Order model attributes that these fields of Order read; None when one of them may read any."""
    columns: set[str] = set()
    for name in field_names:
        if name in _ATTRIBUTE_OF_FIELD:
            columns.add(_ATTRIBUTE_OF_FIELD[name])
        elif name in _COLUMNS_OF_RESOLVER:
            columns.update(_COLUMNS_OF_RESOLVER[name])
        else:
            return None
    return columns
