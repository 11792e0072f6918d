"""State mails: rendered from Jinja2 templates and queued in the outbox in the state change's own transaction.

When orders enter a state with mail settings, `queue_state_mails` writes per order:

    to the customer and/or delivery email        the state's template
      (sendToCustomer, sendToDeliveryEmail)
      and the address in the order field         (in the same mail)
      named by recipientField
    to otherRecipients                           otherTemplate, else the state's template

An order with none of the addresses asked for gets no mail and a WARNING event that says so, as does
an order whose recipient field is empty or holds no address (its other recipients still get theirs); a
template that cannot be found or rendered gets an ERROR event instead of a mail. A mail never makes
the state change fail. All of it is set-based: one SELECT of lines, one of track-and-trace
configurations (one more of the recipient field's values when the state names one), one multi-row
INSERT into the outbox and one of events, however many orders moved.

Templates are file names looked up in the configured folder (ORDERGRAPH_MAIL_TEMPLATE_FOLDER) first,
then among the defaults shipped in `resolvers/fulfilment/mail_templates/`; saving a state's mail checks
that its templates are found and compile (`check_template`), so a missing one is refused then, not at
sending. They render in Jinja2's sandbox (a subject is written through the API), with HTML autoescaped
in .html/.htm/.xml templates. The subject is a template too, rendered without escaping (it is not
HTML) onto one line. Variables:

    order         id, created_at, completed_at, state, customer and delivery (address fields: name,
                  email, address, zip, city, country, …), comment, customer_comment, currency_code,
                  subtotal, discount_total, shipping_fee, payment_fee, total (prices: with_vat,
                  without_vat, vat, vat_percent), tracking_number, tracking_url, lines
    lines         the order's lines: type, product_number, product_name, variant_text, quantity,
                  unit_price, price, discount_total
    tracking_url  the order's tracking URL, or None
    state         the name of the state the order entered
    filter money  an amount at the order's minor unit: {{ order.total.with_vat | money }}

Every mail gets its Message-ID here, so a delivery repeated after a crash carries the same one.
"""

from __future__ import annotations

import dataclasses
import datetime
import email.utils
import functools
import pathlib
import re
import uuid
from collections import defaultdict
from collections.abc import Sequence
from decimal import Decimal
from typing import Any

import jinja2
import jinja2.sandbox
import sqlalchemy as sa
import structlog
from sqlalchemy.ext.asyncio import AsyncSession

from models import money
from models.catalog import TrackAndTrace
from models.custom_fields import CustomFieldDefinition, CustomFieldValue
from models.enums import CustomFieldTarget, EventLevel, MailStatus
from models.flows import State
from models.mail import OutboxMail
from models.orders import ADDRESS_FIELDS, Order, OrderLine
from models.settings import Settings
from resolvers.core import bulk
from resolvers.core.errors import invalid
from resolvers.fulfilment import tracking

EVENT_SOURCE = "mail"
DEFAULT_TEMPLATE_FOLDER = pathlib.Path(__file__).resolve().parent / "mail_templates"
MAX_SUBJECT_LENGTH = 255
MAX_FIELD_NAME_LENGTH = 100
# Deliberately loose (the SMTP server has the last word) but strict where it matters: one @, and no
# blanks, controls, commas or angle brackets that could smuggle a second address or a header.
_ADDRESS = re.compile(r"[^@\s<>,;:\"()\[\]\\]+@[^@\s<>,;:\"()\[\]\\]+")
_BLANKS = re.compile(r"\s+")

log = structlog.get_logger("ordergraph.mail")


@dataclasses.dataclass(frozen=True, slots=True)
class Composer:
    """Where templates come from and who mails are from: built once per configuration (`composer_for`)."""

    environment: jinja2.Environment
    default_sender: str


@functools.cache
def composer_for(*, template_folder: str | None, default_sender: str) -> Composer:
    """The composer of a template folder (searched before the shipped defaults) and a default sender."""
    folders = [pathlib.Path(template_folder)] if template_folder else []
    environment = jinja2.sandbox.SandboxedEnvironment(
        loader=jinja2.FileSystemLoader([*folders, DEFAULT_TEMPLATE_FOLDER]),
        autoescape=jinja2.select_autoescape(["html", "htm", "xml"], default_for_string=False),
        undefined=jinja2.ChainableUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    environment.filters["money"] = _money
    return Composer(environment=environment, default_sender=default_sender)


def composer_from(settings: Settings) -> Composer:
    return composer_for(template_folder=settings.mail_template_folder, default_sender=settings.mail_default_sender)


def check_subject(subject: str, *, field: list[str]) -> str:
    """INVALID when the subject is not a well-formed template."""
    try:
        composer_for(template_folder=None, default_sender="").environment.parse(subject)
    except jinja2.TemplateSyntaxError as error:
        raise invalid(f"The subject is not a valid template: {error.message}", field) from error
    return subject


def check_recipient_field(system_name: str | None, *, field: list[str]) -> str | None:
    """The recipient field's system name stripped (None when blank), or INVALID when it cannot name a field."""
    name = (system_name or "").strip()
    if len(name) > MAX_FIELD_NAME_LENGTH or not name.isprintable():
        raise invalid(f"A field's system name is one line of at most {MAX_FIELD_NAME_LENGTH} characters.", field)
    return name or None


def check_template(name: str, *, composer: Composer, field: list[str]) -> str:
    """The template's name, or INVALID when the composer finds no template of that name or it does not compile."""
    try:
        composer.environment.get_template(name)
    except jinja2.TemplateNotFound as error:
        raise invalid(f"There is no mail template {name}.", field) from error
    except jinja2.TemplateSyntaxError as error:
        raise invalid(f"The mail template {name} is not valid: {_fault(error)}", field) from error
    return name


def check_address(address: str, *, field: list[str]) -> str:
    """The address stripped, or INVALID."""
    checked = _address(address)
    if checked is None:
        raise invalid(f"{address!r} is not an email address.", field)
    return checked


async def queue_state_mails(
    session: AsyncSession, *, state: State, orders: Sequence[Order], now: datetime.datetime, composer: Composer
) -> int:
    """Queue the mails of `state` for orders that just entered it; the number of mails queued."""
    if not state.mail_template or not orders:
        return 0
    lines = await _lines_by_order_id(session, [order.id for order in orders])
    field_values = await _recipient_field_values(session, state, [order.id for order in orders])
    configurations = await tracking.configurations_by_id(
        session, {order.track_and_trace_id for order in orders if order.track_and_trace_id is not None}
    )
    queued: list[dict[str, Any]] = []
    warnings: dict[int, str] = {}
    faults: dict[int, str] = {}
    renderer = _Renderer(composer, state)
    for order in orders:
        variables = _variables(order, lines.get(order.id, []), configurations, state)
        for template_name, recipients in _mails_of(state, order, field_values.get(order.id), warnings):
            try:
                queued.append(_row(state, order, renderer, template_name, recipients, variables, now))
            except jinja2.TemplateError as error:
                faults[order.id] = f"State mail for {state.name} not queued: template {template_name}: {_fault(error)}"
                log.error("state mail not rendered", order=order.public_id, template=template_name, error=str(error))
    if queued:
        await session.execute(sa.insert(OutboxMail), queued)
    await bulk.record_events(session, warnings, source=EVENT_SOURCE, actor=None, now=now, level=EventLevel.WARNING)
    await bulk.record_events(session, faults, source=EVENT_SOURCE, actor=None, now=now, level=EventLevel.ERROR)
    return len(queued)


# ---------------------------------------------------------------- helpers


def _mails_of(state: State, order: Order, field_value: object, warnings: dict[int, str]) -> list[tuple[str, list[str]]]:
    """(template, recipients) of each mail the order gets; a WARNING for asked-for addresses it lacks."""
    assert state.mail_template is not None
    mails: list[tuple[str, list[str]]] = []
    problems: list[str] = []
    addresses = _customer_addresses(state, order, problems)
    if state.mail_recipient_field:
        addresses = _unique([*addresses, *_field_address(state, state.mail_recipient_field, field_value, problems)])
    if addresses:
        mails.append((state.mail_template, addresses))
    if problems:
        warnings[order.id] = " ".join(problems)
    others = _unique([address for raw in state.mail_other_recipients or [] if (address := _address(raw))])
    if others:
        mails.append((state.mail_other_template or state.mail_template, others))
    return mails


def _customer_addresses(state: State, order: Order, problems: list[str]) -> list[str]:
    """The customer and delivery addresses the state asks for; a problem when it asks for some and none is one."""
    wanted = [
        (label, getattr(order, f"{prefix}_email"))
        for label, prefix, asked in (
            ("customer", "customer", state.mail_send_to_customer),
            ("delivery", "delivery", state.mail_send_to_delivery_email),
        )
        if asked
    ]
    addresses = _unique([address for _, raw in wanted if raw and (address := _address(raw)) is not None])
    if wanted and not addresses:
        described = " or ".join(
            f"{label} email {raw!r} is not an address" if raw else f"no {label} email" for label, raw in wanted
        )
        problems.append(f"No {state.name} mail to the customer: {described}.")
    return addresses


def _field_address(state: State, system_name: str, value: object, problems: list[str]) -> list[str]:
    """The address the order's recipient field holds, or a problem saying why there is none."""
    address = _address(value) if isinstance(value, str) else None
    if address is not None:
        return [address]
    why = f"{value!r} is not an address" if value not in (None, "") else "it is empty"
    problems.append(f"No {state.name} mail to the order field {system_name}: {why}.")
    return []


class _Renderer:
    """The state's templates, each loaded and compiled once for all the orders of a state change."""

    def __init__(self, composer: Composer, state: State) -> None:
        self.environment = composer.environment
        self.default_sender = composer.default_sender
        self.subject_source = state.mail_subject or ""
        self.templates: dict[str, jinja2.Template] = {}

    def body(self, template_name: str, variables: dict[str, Any]) -> str:
        if template_name not in self.templates:
            self.templates[template_name] = self.environment.get_template(template_name)
        return self.templates[template_name].render(variables)

    def subject(self, variables: dict[str, Any]) -> str:
        if "" not in self.templates:
            self.templates[""] = self.environment.from_string(self.subject_source)
        return _BLANKS.sub(" ", self.templates[""].render(variables)).strip()[:MAX_SUBJECT_LENGTH]


def _row(
    state: State,
    order: Order,
    renderer: _Renderer,
    template_name: str,
    recipients: list[str],
    variables: dict[str, Any],
    now: datetime.datetime,
) -> dict[str, Any]:
    sender_address = state.mail_sender_email or renderer.default_sender
    domain = sender_address.rpartition("@")[2] or "ordergraph.invalid"
    return {
        "order_id": order.id,
        "state_id": state.id,
        "message_id": f"<{uuid.uuid4().hex}.{order.public_id.lower()}@{domain}>",
        "sender": email.utils.formataddr((state.mail_sender_name or "", sender_address)),
        "recipients": recipients,
        "subject": renderer.subject(variables),
        "body": renderer.body(template_name, variables),
        "status": MailStatus.PENDING,
        "attempts": 0,
        "next_attempt_at": now,
        "claimed_until": None,
        "last_error": None,
        "created_at": now,
        "sent_at": None,
    }


def _variables(
    order: Order, lines: list[OrderLine], configurations: dict[int, TrackAndTrace], state: State
) -> dict[str, Any]:
    configuration = configurations.get(order.track_and_trace_id) if order.track_and_trace_id is not None else None
    tracking_url = tracking.url_for(order, configuration) if configuration and order.tracking_number else None
    line_views = [
        {
            "type": line.type.value,
            "product_number": line.product_number,
            "product_name": line.product_name,
            "variant_text": line.variant_text,
            "quantity": money.plain_quantity(line.quantity),
            "unit_price": line.unit_price,
            "price": line.price,
            "discount_total": line.discount_total,
        }
        for line in lines
    ]
    view = {
        "id": order.public_id,
        "created_at": order.created_at,
        "completed_at": order.completed_at,
        "state": state.name,
        "customer": {field: getattr(order, f"customer_{field}") for field in ADDRESS_FIELDS},
        "delivery": {field: getattr(order, f"delivery_{field}") for field in ADDRESS_FIELDS},
        "comment": order.comment,
        "customer_comment": order.customer_comment,
        "currency_code": order.currency_code,
        "minor_unit": order.currency_minor_unit,
        "subtotal": order.subtotal,
        "discount_total": order.discount_total,
        "shipping_fee": order.shipping_fee,
        "payment_fee": order.payment_fee,
        "total": order.total,
        "tracking_number": order.tracking_number,
        "tracking_url": tracking_url,
        "lines": line_views,
    }
    return {"order": view, "lines": line_views, "tracking_url": tracking_url, "state": state.name}


async def _recipient_field_values(session: AsyncSession, state: State, order_ids: list[int]) -> dict[int, Any]:
    """The value of the state's recipient field on each order that has one (no query when it names none)."""
    if not state.mail_recipient_field:
        return {}
    rows = await session.execute(
        sa.select(CustomFieldValue.order_id, CustomFieldValue.value)
        .join(CustomFieldDefinition, CustomFieldDefinition.id == CustomFieldValue.definition_id)
        .where(
            CustomFieldDefinition.target == CustomFieldTarget.ORDER,
            CustomFieldDefinition.system_name == state.mail_recipient_field,
            CustomFieldValue.order_line_id.is_(None),
            CustomFieldValue.order_id.in_(order_ids),
        )
    )
    return {order_id: value for order_id, value in rows.all()}


async def _lines_by_order_id(session: AsyncSession, order_ids: list[int]) -> dict[int, list[OrderLine]]:
    statement = (
        sa.select(OrderLine)
        .where(OrderLine.order_id.in_(order_ids))
        .order_by(OrderLine.order_id, OrderLine.sort_order, OrderLine.id)
    )
    grouped: dict[int, list[OrderLine]] = defaultdict(list)
    for line in (await session.scalars(statement)).all():
        grouped[line.order_id].append(line)
    return grouped


@jinja2.pass_context
def _money(context: jinja2.runtime.Context, amount: Decimal | None) -> str:
    if amount is None:
        return ""
    order = context.get("order")
    places = order.get("minor_unit", 2) if isinstance(order, dict) else 2
    return format(Decimal(amount).quantize(Decimal(1).scaleb(-places)), "f")


def _fault(error: jinja2.TemplateError) -> str:
    # Never the search path: events are read by admins, the folders are the operator's business.
    if isinstance(error, jinja2.TemplateNotFound):
        return f"{error.name} was not found."
    if isinstance(error, jinja2.TemplateSyntaxError):
        return f"line {error.lineno}: {error.message}"
    return str(error)


def _address(raw: str) -> str | None:
    text = raw.strip()
    return text if _ADDRESS.fullmatch(text) and text.isprintable() else None


def _unique(addresses: list[str]) -> list[str]:
    seen: dict[str, str] = {}
    for address in addresses:
        seen.setdefault(address.lower(), address)
    return list(seen.values())
