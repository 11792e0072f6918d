"""Track and trace: carrier URL templates, and `setTracking`, which fills one in for an order.

A configuration is a name and an http(s) URL template with `{Parameter}` placeholders. Four
parameters come from the order itself: TrackingNumber (the `setTracking` argument), OrderId, Zip
and CountryCode (delivery address, else customer address). Any other placeholder is the
order's own parameter, given to `setTracking` in `parameters`. Values are URL-encoded into the
template when the URL is read, so the URL follows a later change of the template.

Deleting a configuration is soft: it leaves the list and takes no new orders, while orders that
use it keep their tracking URL (a link a customer got in a mail keeps working).
"""

from __future__ import annotations

import datetime
import re
import urllib.parse
from collections.abc import Mapping
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from models.catalog import TrackAndTrace
from models.enums import OrderKind, WebhookEvent
from models.orders import Order
from resolvers.core import events, lifecycle, notifications, orders, validation
from resolvers.core.errors import DomainError, ErrorCode, invalid, not_found
from resolvers.fulfilment.flows import parse_id

EVENT_SOURCE = "setTracking"
PLACEHOLDER = re.compile(r"\{([A-Za-z_][A-Za-z0-9_]*)\}")
# The parameters an order supplies itself; TrackingNumber is `setTracking`'s own argument.
ORDER_PARAMETERS = ("TrackingNumber", "OrderId", "Zip", "CountryCode")
MAX_PARAMETER_LENGTH = 255
_SAMPLE_VALUE = "x"


# ---------------------------------------------------------------- configurations


async def create(session: AsyncSession, *, name: str, url_template: str) -> TrackAndTrace:
    """Add a configuration. Raises INVALID for an empty name or a malformed template."""
    configuration = TrackAndTrace(
        name=_name(name),
        url_template=check_url_template(url_template, field=["input", "urlTemplate"]),
        is_deleted=False,
    )
    session.add(configuration)
    await session.flush()
    return configuration


async def update(session: AsyncSession, *, track_and_trace_id: str, name: str, url_template: str) -> TrackAndTrace:
    """Rename a configuration or change its template; orders using it follow the new template.

    Raises NOT_FOUND (a deleted configuration too) and INVALID.
    """
    configuration = await get(session, track_and_trace_id=track_and_trace_id, field=["id"])
    configuration.name = _name(name)
    configuration.url_template = check_url_template(url_template, field=["input", "urlTemplate"])
    await session.flush()
    return configuration


async def delete(session: AsyncSession, *, track_and_trace_id: str) -> int:
    """Mark a configuration deleted; orders that use it keep their URL. Raises NOT_FOUND and ALREADY_DONE."""
    configuration = await _find(session, track_and_trace_id)
    if configuration is None:
        raise not_found("Track and trace", track_and_trace_id, ["id"])
    if configuration.is_deleted:
        raise DomainError(ErrorCode.ALREADY_DONE, f"Track and trace {configuration.id} is deleted already.", ["id"])
    configuration.is_deleted = True
    await session.flush()
    return configuration.id


async def get(session: AsyncSession, *, track_and_trace_id: str, field: list[str]) -> TrackAndTrace:
    """A configuration that is not deleted, or NOT_FOUND."""
    configuration = await _find(session, track_and_trace_id)
    if configuration is None or configuration.is_deleted:
        raise not_found("Track and trace", track_and_trace_id, field)
    return configuration


def check_url_template(url_template: str, *, field: list[str]) -> str:
    """The template stripped, or INVALID: braces must pair around a parameter name, and the
    template must be an http or https URL whose scheme and host are written out (no placeholder)."""
    template = validation.text_fits(TrackAndTrace.url_template, url_template, field=field)
    if not template:
        raise invalid("A URL template may not be empty.", field)
    if any(character.isspace() or not character.isprintable() for character in template):
        raise invalid("A URL template may not contain spaces or control characters.", field)
    leftover = PLACEHOLDER.sub("", template)
    if "{" in leftover or "}" in leftover:
        raise invalid("Braces must enclose a parameter name, e.g. {TrackingNumber}: each { closed by its own }.", field)
    split = urllib.parse.urlsplit(PLACEHOLDER.sub(_SAMPLE_VALUE, template))
    if split.scheme.lower() not in ("http", "https") or not split.hostname:
        raise invalid("A URL template is an http:// or https:// URL with a host.", field)
    literal_origin = urllib.parse.urlsplit(template)
    if "{" in literal_origin.scheme or "{" in literal_origin.netloc:
        raise invalid("The scheme and host of a URL template are written out, not parameters.", field)
    return template


def parameters_of(url_template: str) -> list[str]:
    """The template's placeholders, in order, each once."""
    return list(dict.fromkeys(PLACEHOLDER.findall(url_template)))


def url_for(order: Order, configuration: TrackAndTrace) -> str:
    """The template with TrackingNumber, the order's parameters and its delivery details filled in (URL-encoded)."""
    values: dict[str, str] = {
        "TrackingNumber": order.tracking_number or "",
        "OrderId": order.public_id,
        "Zip": order.delivery_zip or order.customer_zip or "",
        "CountryCode": order.delivery_country_code or order.customer_country_code or "",
    }
    values.update({str(key): str(value) for key, value in (order.tracking_parameters or {}).items()})
    return PLACEHOLDER.sub(
        lambda match: urllib.parse.quote(values.get(match.group(1), ""), safe=""), configuration.url_template
    )


# ---------------------------------------------------------------- orders


async def set_tracking(
    session: AsyncSession,
    *,
    order_id: str,
    track_and_trace_id: str,
    tracking_number: str,
    parameters: object,
    now: datetime.datetime,
    actor: str | None,
) -> Order:
    """Give a completed order its carrier, tracking number and parameters; bumps the revision, writes an event.

    Raises NOT_FOUND (order, or a missing or deleted configuration), CLOSED (cancelled, deleted, a
    rejected quote), NOT_EDITABLE (not a completed order), INVALID (an empty tracking number, parameters that are not an
    object of strings, a parameter the template lacks or a template parameter left out) and
    ALREADY_DONE (the order has exactly this tracking already).
    """
    order = await orders.find(session, order_id, for_update=True)
    if order is None:
        raise not_found("Order", order_id, ["orderId"])
    _check_trackable(order)
    configuration = await get(session, track_and_trace_id=track_and_trace_id, field=["trackAndTraceId"])
    number = validation.text_fits(Order.tracking_number, tracking_number, field=["trackingNumber"])
    if number is None:
        raise invalid("A tracking number may not be empty.", ["trackingNumber"])
    given = _check_parameters(parameters, template_parameters=parameters_of(configuration.url_template))
    stored = given or None
    if (order.track_and_trace_id, order.tracking_number, order.tracking_parameters) == (
        configuration.id,
        number,
        stored,
    ):
        raise DomainError(ErrorCode.ALREADY_DONE, f"Order {order.public_id} has this tracking already.")
    order.track_and_trace_id = configuration.id
    order.tracking_number = number
    order.tracking_parameters = stored
    message = f"Tracking set: {configuration.name} {number}, {url_for(order, configuration)}"
    orders.touch(order, now=now)
    notifications.notify(session, event=WebhookEvent.TRACKING_SET, order=order, now=now)
    events.record(session, order_id=order.id, source=EVENT_SOURCE, message=message, actor=actor, now=now)
    await session.flush()
    return order


async def configurations_by_id(session: AsyncSession, ids: set[int]) -> dict[int, TrackAndTrace]:
    """Configurations (deleted ones too: their orders keep their URL) by id, in one statement."""
    if not ids:
        return {}
    rows = await session.scalars(sa.select(TrackAndTrace).where(TrackAndTrace.id.in_(ids)))
    return {row.id: row for row in rows.all()}


# ---------------------------------------------------------------- helpers


async def _find(session: AsyncSession, track_and_trace_id: str) -> TrackAndTrace | None:
    key = parse_id(track_and_trace_id)
    return await session.get(TrackAndTrace, key) if key is not None else None


def _name(name: str) -> str:
    text = validation.text_fits(TrackAndTrace.name, name, field=["input", "name"])
    if text is None:
        raise invalid("A name may not be empty.", ["input", "name"])
    return text


def _check_trackable(order: Order) -> None:
    field = ["orderId"]
    lifecycle.refuse_if_closed(order, field=field)
    if order.kind is not OrderKind.ORDER or not order.is_complete:
        raise DomainError(ErrorCode.NOT_EDITABLE, f"{order.public_id} is not a completed order.", field)


def _check_parameters(parameters: object, *, template_parameters: list[str]) -> dict[str, str]:
    """The order's own parameters: an object of strings naming exactly the template's non-order parameters."""
    if parameters is None:
        parameters = {}
    if not isinstance(parameters, Mapping):
        raise invalid("Parameters are a JSON object of strings.", ["parameters"])
    checked: dict[str, str] = {}
    for key, value in parameters.items():
        field = ["parameters", str(key)]
        if key == "TrackingNumber":
            raise invalid("The tracking number is given by trackingNumber, not as a parameter.", field)
        if key not in template_parameters:
            known = ", ".join(template_parameters) or "none"
            raise invalid(f"{key} is not a parameter of the template (it has: {known}).", field)
        checked[str(key)] = _parameter_value(value, field=field)
    missing = [name for name in template_parameters if name not in ORDER_PARAMETERS and name not in checked]
    if missing:
        raise invalid(f"The template needs {', '.join(missing)}.", ["parameters", missing[0]])
    return checked


def _parameter_value(value: Any, *, field: list[str]) -> str:
    if not isinstance(value, str):
        raise invalid("A parameter's value is a string.", field)
    text = value.strip()
    if not text:
        raise invalid("A parameter's value may not be empty.", field)
    if len(text) > MAX_PARAMETER_LENGTH:
        raise invalid(f"At most {MAX_PARAMETER_LENGTH} characters.", field)
    return text
