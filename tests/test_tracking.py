"""Track and trace in the domain: configurations, URL templates, setTracking and its URL."""

from __future__ import annotations

import datetime

import pytest
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from models.catalog import TrackAndTrace
from models.enums import OrderKind
from models.orders import Order, OrderEvent
from resolvers.core.errors import DomainError, ErrorCode
from resolvers.fulfilment import tracking
from resolvers.setup import catalog
from tests import factories

TEMPLATE = "https://track.example/{Service}/?code={TrackingNumber}&zip={Zip}"


async def _set_tracking(
    session: AsyncSession,
    order_id: str,
    configuration_id: object,
    number: str,
    *,
    now: datetime.datetime,
    parameters: object = None,
    actor: str | None = None,
) -> Order:
    """setTracking with the ids as the API passes them (strings)."""
    return await tracking.set_tracking(
        session,
        order_id=order_id,
        track_and_trace_id=str(configuration_id),
        tracking_number=number,
        parameters=parameters,
        now=now,
        actor=actor,
    )


async def test_a_configuration_lists_its_parameters_once_in_order(seeded: AsyncSession) -> None:
    created = await tracking.create(seeded, name=" GLS ", url_template=f" {TEMPLATE}&again={{Service}} ")

    assert (created.name, created.url_template, created.is_deleted) == ("GLS", f"{TEMPLATE}&again={{Service}}", False)
    assert tracking.parameters_of(created.url_template) == ["Service", "TrackingNumber", "Zip"]


@pytest.mark.parametrize(
    "template",
    [
        "",
        "ftp://track.example/{TrackingNumber}",
        "track.example/?code={TrackingNumber}",
        "https://track.example/?code={TrackingNumber",
        "https://track.example/?code=TrackingNumber}",
        "https://track.example/?code={{TrackingNumber}}",
        "https://track.example/?code={Tracking-Number}",
        "https://track.example/?code={}",
        "https://{Host}/?code={TrackingNumber}",
        "https://track.example/?code= {TrackingNumber}",
        "https:///?code={TrackingNumber}",
    ],
)
async def test_malformed_templates_are_refused(seeded: AsyncSession, template: str) -> None:
    with pytest.raises(DomainError) as raised:
        await tracking.create(seeded, name="Bad", url_template=template)

    assert (raised.value.code, raised.value.field) == (ErrorCode.INVALID, ["input", "urlTemplate"])
    assert await seeded.scalar(sa.select(sa.func.count()).select_from(TrackAndTrace)) == 1


async def test_set_tracking_fills_the_url_encoded_and_records_it(seeded: AsyncSession, now: datetime.datetime) -> None:
    configuration = await tracking.create(seeded, name="GLS", url_template=TEMPLATE)
    order = await factories.create_order(seeded, now=now, state="Shipped")
    order.delivery_zip = "DK 8000"
    later = now + datetime.timedelta(hours=1)

    updated = await _set_tracking(
        seeded,
        order.public_id,
        configuration.id,
        " AB 12/3&x=1 ",
        now=later,
        parameters={"Service": "parcel?express"},
        actor="admin:test",
    )

    url = "https://track.example/parcel%3Fexpress/?code=AB%2012%2F3%26x%3D1&zip=DK%208000"
    assert (updated.tracking_number, updated.tracking_parameters, updated.revision) == (
        "AB 12/3&x=1",
        {"Service": "parcel?express"},
        2,
    )
    assert tracking.url_for(updated, configuration) == url
    events = (await seeded.scalars(sa.select(OrderEvent).where(OrderEvent.order_id == order.id))).all()
    assert [(e.source, e.message, e.actor, e.at) for e in events] == [
        ("setTracking", f"Tracking set: GLS AB 12/3&x=1, {url}", "admin:test", later)
    ]


@pytest.mark.parametrize(
    ("parameters", "field"),
    [
        ([1, 2], ["parameters"]),
        ("Service", ["parameters"]),
        ({"Service": "x", "Carrier": "y"}, ["parameters", "Carrier"]),
        ({"Service": 7}, ["parameters", "Service"]),
        ({"Service": " "}, ["parameters", "Service"]),
        ({"Service": "x" * 256}, ["parameters", "Service"]),
        ({"Service": "x", "TrackingNumber": "1"}, ["parameters", "TrackingNumber"]),
        (None, ["parameters", "Service"]),
        ({}, ["parameters", "Service"]),
    ],
)
async def test_parameters_must_be_the_templates_own_strings(
    seeded: AsyncSession, now: datetime.datetime, parameters: object, field: list[str]
) -> None:
    configuration = await tracking.create(seeded, name="GLS", url_template=TEMPLATE)
    order = await factories.create_order(seeded, now=now, state="Shipped")

    with pytest.raises(DomainError) as raised:
        await _set_tracking(seeded, order.public_id, configuration.id, "123", now=now, parameters=parameters)

    assert (raised.value.code, raised.value.field) == (ErrorCode.INVALID, field)
    assert (order.tracking_number, order.track_and_trace_id, order.revision) == (None, None, 1)


@pytest.mark.parametrize(
    ("order_kwargs", "code", "field"),
    [
        ({"kind": OrderKind.CART, "state": "New", "is_complete": False}, ErrorCode.NOT_EDITABLE, ["orderId"]),
        ({"is_complete": False}, ErrorCode.NOT_EDITABLE, ["orderId"]),
        ({"is_cancelled": True}, ErrorCode.CLOSED, ["orderId"]),
        ({"is_deleted": True}, ErrorCode.CLOSED, ["orderId"]),
    ],
)
async def test_only_completed_live_orders_take_tracking(
    seeded: AsyncSession, now: datetime.datetime, order_kwargs: dict[str, object], code: ErrorCode, field: list[str]
) -> None:
    postnord = (await catalog.track_and_traces(seeded))[0]
    order = await factories.create_order(seeded, now=now, **order_kwargs)  # type: ignore[arg-type]

    with pytest.raises(DomainError) as raised:
        await _set_tracking(seeded, order.public_id, postnord.id, "123", now=now)

    assert (raised.value.code, raised.value.field) == (code, field)
    assert (order.tracking_number, order.revision) == (None, 1)


async def test_unknown_ids_an_empty_number_and_a_repeat(seeded: AsyncSession, now: datetime.datetime) -> None:
    postnord = (await catalog.track_and_traces(seeded))[0]
    order = await factories.create_order(seeded, now=now, state="Shipped")

    async def attempt(order_id: str, configuration_id: str, number: str) -> DomainError:
        with pytest.raises(DomainError) as raised:
            await _set_tracking(seeded, order_id, configuration_id, number, now=now)
        return raised.value

    unknown_order = await attempt("ORDER999999", str(postnord.id), "1")
    unknown_configuration = await attempt(order.public_id, "999", "1")
    empty = await attempt(order.public_id, str(postnord.id), "  ")
    too_long = await attempt(order.public_id, str(postnord.id), "9" * 256)
    await _set_tracking(seeded, order.public_id, postnord.id, "1", now=now, parameters={})
    repeat = await attempt(order.public_id, str(postnord.id), "1")

    assert [(e.code, e.field) for e in (unknown_order, unknown_configuration, empty, too_long, repeat)] == [
        (ErrorCode.NOT_FOUND, ["orderId"]),
        (ErrorCode.NOT_FOUND, ["trackAndTraceId"]),
        (ErrorCode.INVALID, ["trackingNumber"]),
        (ErrorCode.INVALID, ["trackingNumber"]),
        (ErrorCode.ALREADY_DONE, None),
    ]
    assert (order.revision, order.tracking_parameters) == (2, None)


async def test_a_deleted_configuration_takes_no_new_orders_but_keeps_its_orders_urls(
    seeded: AsyncSession, now: datetime.datetime
) -> None:
    configuration = await tracking.create(seeded, name="DHL", url_template="https://dhl.example/t/{TrackingNumber}")
    order = await factories.create_order(seeded, now=now, state="Shipped")
    other = await factories.create_order(seeded, now=now, state="Shipped")
    await _set_tracking(seeded, order.public_id, configuration.id, "T1", now=now)

    deleted_id = await tracking.delete(seeded, track_and_trace_id=str(configuration.id))

    assert deleted_id == configuration.id
    assert [row.name for row in await catalog.track_and_traces(seeded)] == ["PostNord"]
    assert tracking.url_for(order, configuration) == "https://dhl.example/t/T1"
    with pytest.raises(DomainError) as again:
        await tracking.delete(seeded, track_and_trace_id=str(configuration.id))
    with pytest.raises(DomainError) as updated:
        await tracking.update(
            seeded, track_and_trace_id=str(configuration.id), name="DHL", url_template="https://x.example/"
        )
    with pytest.raises(DomainError) as used:
        await _set_tracking(seeded, other.public_id, configuration.id, "T2", now=now)
    assert (again.value.code, again.value.field) == (ErrorCode.ALREADY_DONE, ["id"])
    assert (updated.value.code, updated.value.field) == (ErrorCode.NOT_FOUND, ["id"])
    assert (used.value.code, used.value.field) == (ErrorCode.NOT_FOUND, ["trackAndTraceId"])
    assert other.tracking_number is None


async def test_orders_follow_an_updated_template(seeded: AsyncSession, now: datetime.datetime) -> None:
    configuration = await tracking.create(seeded, name="DHL", url_template="https://dhl.example/t/{TrackingNumber}")
    order = await factories.create_order(seeded, now=now, state="Shipped")
    await _set_tracking(seeded, order.public_id, configuration.id, "T1", now=now)

    await tracking.update(
        seeded,
        track_and_trace_id=str(configuration.id),
        name="DHL Express",
        url_template="https://dhl.example/track?id={TrackingNumber}&order={OrderId}",
    )

    assert tracking.url_for(order, configuration) == f"https://dhl.example/track?id=T1&order={order.public_id}"
