"""Custom fields of orders and order lines: definitions, and validating every value written against them.

Every capability that writes custom fields (cart details, cart lines, edits, imports)
calls `write_values`; checkout completion calls `require_order_fields`. Values are
stored as JSON in a normal form per type:

    TEXT     a string (at most 4,000 characters)
    INTEGER  an integer (a JSON integer, or a string of digits)
    DECIMAL  an exact decimal as a string like "12.50" (a JSON integer or a decimal string; never a float)
    BOOLEAN  true or false
    DATE     an ISO date string, YYYY-MM-DD
    LIST     one of the definition's options

A wrong value is INVALID with the path of the value at fault.
"""

from __future__ import annotations

import dataclasses
import datetime
import re
from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from models import money
from models.custom_fields import CustomFieldDefinition, CustomFieldValue
from models.enums import CustomFieldTarget, CustomFieldType
from resolvers.core import validation
from resolvers.core.errors import DomainError, DomainErrors, invalid, not_found

SYSTEM_NAME = re.compile(r"^[A-Za-z][A-Za-z0-9_]{0,99}$")
MAX_TEXT_LENGTH = 4000
_INTEGER_TEXT = re.compile(r"^-?[0-9]{1,18}$")
_DATE_TEXT = re.compile(r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$")


@dataclasses.dataclass(frozen=True, slots=True)
class FieldValue:
    """One value as a client sent it."""

    system_name: str
    value: Any


async def create_definition(
    session: AsyncSession,
    *,
    system_name: str,
    name: str,
    target: CustomFieldTarget,
    type: CustomFieldType,
    options: Sequence[str] | None,
    required: bool,
) -> CustomFieldDefinition:
    """Define a field. Raises INVALID for a bad or taken system name, an empty name, or options unfit for the type."""
    if not SYSTEM_NAME.match(system_name):
        raise invalid(
            "A system name starts with a letter and holds only letters, digits and _.", ["input", "systemName"]
        )
    if not validation.text_fits(CustomFieldDefinition.name, name, field=["input", "name"]):
        raise invalid("A name may not be empty.", ["input", "name"])
    if type is CustomFieldType.LIST:
        # An option is what a LIST value may be: as long as a TEXT value at most.
        cleaned = [option.strip() for option in options or ()]
        too_long = [position for position, option in enumerate(cleaned) if len(option) > MAX_TEXT_LENGTH]
        if too_long:
            raise invalid(f"At most {MAX_TEXT_LENGTH} characters.", ["input", "options", str(too_long[0])])
        if not cleaned or any(not option for option in cleaned) or len(set(cleaned)) != len(cleaned):
            raise invalid("A LIST field needs distinct, non-empty options.", ["input", "options"])
    elif options:
        raise invalid(f"Only a LIST field has options, not a {type.value} field.", ["input", "options"])
    taken = await session.scalar(
        sa.select(CustomFieldDefinition.id).where(
            CustomFieldDefinition.target == target, CustomFieldDefinition.system_name == system_name
        )
    )
    if taken is not None:
        raise invalid(f"A {target.value} field named {system_name} exists already.", ["input", "systemName"])
    definition = CustomFieldDefinition(
        system_name=system_name,
        name=name.strip(),
        target=target,
        type=type,
        options=cleaned if type is CustomFieldType.LIST else None,
        is_required=required,
    )
    session.add(definition)
    await session.flush()
    return definition


async def delete_definition(session: AsyncSession, *, system_name: str, target: CustomFieldTarget) -> int:
    """Delete a definition and every value written against it. Raises NOT_FOUND."""
    definition = await session.scalar(
        sa.select(CustomFieldDefinition).where(
            CustomFieldDefinition.target == target, CustomFieldDefinition.system_name == system_name
        )
    )
    if definition is None:
        raise not_found(f"{target.value} field", system_name, ["systemName"])
    await session.execute(sa.delete(CustomFieldValue).where(CustomFieldValue.definition_id == definition.id))
    await session.delete(definition)
    await session.flush()
    return definition.id


async def write_values(
    session: AsyncSession, *, order_id: int, line_id: int | None, values: Sequence[FieldValue], field: Sequence[str]
) -> list[CustomFieldValue]:
    """Validate and write values of an order (`line_id` None) or one of its lines; a null value removes one.

    `field` is the path of the list in the input, e.g. ["details", "customFields"]; errors point
    at ["details", "customFields", "0", "value"]. Raises INVALID (all errors at once); writes nothing then.
    """
    target = CustomFieldTarget.ORDER if line_id is None else CustomFieldTarget.ORDER_LINE
    names = {value.system_name for value in values}
    definitions = {
        definition.system_name: definition
        for definition in (
            await session.scalars(
                sa.select(CustomFieldDefinition).where(
                    CustomFieldDefinition.target == target, CustomFieldDefinition.system_name.in_(names)
                )
            )
        ).all()
    }
    errors: list[DomainError] = []
    normalized: dict[int, Any] = {}
    for position, given in enumerate(values):
        path = [*field, str(position)]
        definition = definitions.get(given.system_name)
        if definition is None:
            errors.append(invalid(f"No {target.value} field is named {given.system_name}.", [*path, "systemName"]))
        elif definition.id in normalized:
            errors.append(invalid(f"{given.system_name} is given twice.", [*path, "systemName"]))
        else:
            try:
                normalized[definition.id] = normalize(definition, given.value)
            except ValueError as error:
                errors.append(invalid(str(error), [*path, "value"]))
    if errors:
        raise DomainErrors(errors)
    return await _store(session, order_id=order_id, line_id=line_id, normalized=normalized)


async def require_order_fields(session: AsyncSession, *, order_id: int) -> None:
    """Refuse an order that lacks a value of a required ORDER field (INVALID at ["customFields", systemName])."""
    present = (
        sa.select(CustomFieldValue.id)
        .where(
            CustomFieldValue.definition_id == CustomFieldDefinition.id,
            CustomFieldValue.order_id == order_id,
            CustomFieldValue.order_line_id.is_(None),
        )
        .exists()
    )
    missing = (
        await session.scalars(
            sa.select(CustomFieldDefinition)
            .where(CustomFieldDefinition.target == CustomFieldTarget.ORDER, CustomFieldDefinition.is_required, ~present)
            .order_by(CustomFieldDefinition.system_name)
        )
    ).all()
    if missing:
        raise DomainErrors([invalid(f"{d.name} is required.", ["customFields", d.system_name]) for d in missing])


def normalize(definition: CustomFieldDefinition, value: Any) -> Any:
    """The stored form of a value for a definition; ValueError with a message for the client if it does not fit."""
    if value is None:
        if definition.is_required:
            raise ValueError(f"{definition.name} is required.")
        return None
    kind = definition.type
    if kind is CustomFieldType.TEXT and isinstance(value, str) and len(value) <= MAX_TEXT_LENGTH:
        return value
    if kind is CustomFieldType.INTEGER and _is_integer(value):
        return int(value)
    if kind is CustomFieldType.DECIMAL and (_is_integer(value) or isinstance(value, str)):
        return _decimal(definition, value)
    if kind is CustomFieldType.BOOLEAN and isinstance(value, bool):
        return value
    if kind is CustomFieldType.DATE and isinstance(value, str) and _DATE_TEXT.match(value):
        return _date(definition, value)
    if kind is CustomFieldType.LIST and isinstance(value, str) and value in (definition.options or ()):
        return value
    raise ValueError(_expected(definition))


async def _store(
    session: AsyncSession, *, order_id: int, line_id: int | None, normalized: dict[int, Any]
) -> list[CustomFieldValue]:
    existing = {
        row.definition_id: row
        for row in (
            await session.scalars(
                sa.select(CustomFieldValue).where(
                    CustomFieldValue.order_id == order_id,
                    CustomFieldValue.order_line_id.is_(None)
                    if line_id is None
                    else CustomFieldValue.order_line_id == line_id,
                    CustomFieldValue.definition_id.in_(normalized),
                )
            )
        ).all()
    }
    written = []
    for definition_id, value in normalized.items():
        row = existing.get(definition_id)
        if value is None:
            if row is not None:
                await session.delete(row)
            continue
        if row is None:
            row = CustomFieldValue(order_id=order_id, order_line_id=line_id, definition_id=definition_id)
            session.add(row)
        row.value = value
        written.append(row)
    await session.flush()
    return written


def _is_integer(value: Any) -> bool:
    if isinstance(value, bool):
        return False
    if isinstance(value, int):
        return abs(value) < 2**63
    return isinstance(value, str) and bool(_INTEGER_TEXT.match(value))


def _decimal(definition: CustomFieldDefinition, value: Any) -> str:
    try:
        return format(money.parse_decimal(str(value)), "f")
    except ValueError as error:
        raise ValueError(_expected(definition)) from error


def _date(definition: CustomFieldDefinition, value: str) -> str:
    try:
        return datetime.date.fromisoformat(value).isoformat()
    except ValueError as error:
        raise ValueError(_expected(definition)) from error


def _expected(definition: CustomFieldDefinition) -> str:
    expected = {
        CustomFieldType.TEXT: f"a string of at most {MAX_TEXT_LENGTH} characters",
        CustomFieldType.INTEGER: "an integer",
        CustomFieldType.DECIMAL: 'a decimal number as a string, like "12.50"',
        CustomFieldType.BOOLEAN: "true or false",
        CustomFieldType.DATE: "a date as YYYY-MM-DD",
        CustomFieldType.LIST: "one of " + ", ".join(definition.options or ()),
    }[definition.type]
    return f"{definition.name} must be {expected}."
