"""Custom field values in the domain: validation by type, paths, required order fields."""

from __future__ import annotations

import datetime
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from models.custom_fields import CustomFieldValue
from models.enums import CustomFieldTarget, CustomFieldType
from resolvers.core.errors import DomainError, DomainErrors, ErrorCode
from resolvers.setup import custom_fields, demo
from tests import factories

FIELD = ["details", "customFields"]


@pytest.fixture
async def seeded(session: AsyncSession, now: datetime.datetime) -> AsyncSession:
    await demo.seed(session, now=now)
    for system_name, kind, options, required in [
        ("Note", CustomFieldType.TEXT, None, False),
        ("Floor", CustomFieldType.INTEGER, None, False),
        ("Deposit", CustomFieldType.DECIMAL, None, False),
        ("Gift", CustomFieldType.BOOLEAN, None, False),
        ("DeliverOn", CustomFieldType.DATE, None, False),
        ("Channel", CustomFieldType.LIST, ["web", "phone"], True),
    ]:
        await custom_fields.create_definition(
            session,
            system_name=system_name,
            name=system_name,
            target=CustomFieldTarget.ORDER,
            type=kind,
            options=options,
            required=required,
        )
    await custom_fields.create_definition(
        session,
        system_name="Engraving",
        name="Engraving",
        target=CustomFieldTarget.ORDER_LINE,
        type=CustomFieldType.TEXT,
        options=None,
        required=False,
    )
    return session


async def _stored(session: AsyncSession) -> list[tuple[int | None, Any]]:
    rows = await session.execute(
        sa.select(CustomFieldValue.order_line_id, CustomFieldValue.value).order_by(CustomFieldValue.id)
    )
    return [tuple(row) for row in rows.all()]  # type: ignore[misc]


async def test_values_are_normalized_by_type(seeded: AsyncSession, now: datetime.datetime) -> None:
    order = await factories.create_order(seeded, now=now)
    given = [
        ("Note", "ring twice"),
        ("Floor", "3"),
        ("Deposit", "12.50"),
        ("Gift", True),
        ("DeliverOn", "2026-12-24"),
        ("Channel", "phone"),
    ]

    written = await custom_fields.write_values(
        seeded, order_id=order.id, line_id=None, values=[custom_fields.FieldValue(n, v) for n, v in given], field=FIELD
    )

    assert [row.value for row in written] == ["ring twice", 3, "12.50", True, "2026-12-24", "phone"]
    await custom_fields.require_order_fields(seeded, order_id=order.id)


@pytest.mark.parametrize(
    ("system_name", "value"),
    [
        ("Floor", 2.5),
        ("Floor", True),
        ("Floor", "3a"),
        ("Deposit", 1.5),
        ("Deposit", "NaN"),
        ("Gift", "yes"),
        ("DeliverOn", "2026-02-30"),
        ("DeliverOn", "24/12/2026"),
        ("Channel", "fax"),
        ("Channel", None),
        ("Note", 7),
        ("Note", "x" * 4001),
    ],
)
async def test_wrong_values_are_invalid_with_their_path(
    seeded: AsyncSession, now: datetime.datetime, system_name: str, value: Any
) -> None:
    order = await factories.create_order(seeded, now=now)
    fine = custom_fields.FieldValue("Floor", 1) if system_name != "Floor" else custom_fields.FieldValue("Note", "fine")
    values = [fine, custom_fields.FieldValue(system_name, value)]

    with pytest.raises(DomainError) as raised:
        await custom_fields.write_values(seeded, order_id=order.id, line_id=None, values=values, field=FIELD)

    assert (raised.value.code, raised.value.field) == (ErrorCode.INVALID, ["details", "customFields", "1", "value"])
    assert await _stored(seeded) == []


async def test_every_error_is_reported_and_line_fields_are_apart(seeded: AsyncSession, now: datetime.datetime) -> None:
    order = await factories.create_order(seeded, now=now)
    line_id = await seeded.scalar(sa.text("SELECT id FROM order_lines WHERE order_id = :o"), {"o": order.id})
    values = [
        custom_fields.FieldValue("Engraving", "A"),
        custom_fields.FieldValue("Gift", 1),
        custom_fields.FieldValue("Note", "a"),
    ]

    with pytest.raises(DomainErrors) as raised:
        await custom_fields.write_values(seeded, order_id=order.id, line_id=None, values=values, field=FIELD)
    await custom_fields.write_values(
        seeded,
        order_id=order.id,
        line_id=line_id,
        values=[custom_fields.FieldValue("Engraving", "For Ada")],
        field=["lines", "0", "customFields"],
    )

    assert [(error.code, error.field) for error in raised.value.errors] == [
        (ErrorCode.INVALID, ["details", "customFields", "0", "systemName"]),
        (ErrorCode.INVALID, ["details", "customFields", "1", "value"]),
    ]
    assert await _stored(seeded) == [(line_id, "For Ada")]


async def test_a_null_value_removes_it_and_required_fields_are_enforced(
    seeded: AsyncSession, now: datetime.datetime
) -> None:
    order = await factories.create_order(seeded, now=now)
    await custom_fields.write_values(
        seeded, order_id=order.id, line_id=None, values=[custom_fields.FieldValue("Note", "x")], field=FIELD
    )
    await custom_fields.write_values(
        seeded, order_id=order.id, line_id=None, values=[custom_fields.FieldValue("Note", None)], field=FIELD
    )

    with pytest.raises(DomainError) as raised:
        await custom_fields.require_order_fields(seeded, order_id=order.id)

    assert (raised.value.code, raised.value.field, raised.value.message) == (
        ErrorCode.INVALID,
        ["customFields", "Channel"],
        "Channel is required.",
    )
    assert await _stored(seeded) == []
