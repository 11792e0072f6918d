"""Input checks shared by every capability: text that fits its column, positive quantities."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import InstrumentedAttribute

from resolvers.core.errors import DomainError, DomainErrors, invalid


def text_fits(column: InstrumentedAttribute[Any], value: str | None, *, field: Sequence[str]) -> str | None:
    """The value stripped of surrounding blanks (None for blank), or INVALID when longer than its column."""
    if value is None:
        return None
    stripped = value.strip()
    length = getattr(column.property.columns[0].type, "length", None)
    if length is not None and len(stripped) > length:
        raise invalid(f"At most {length} characters.", field)
    return stripped or None


def texts_fit(
    model: type[Any], values: Mapping[str, str | None], *, column_prefix: str = "", field: Sequence[str]
) -> dict[str, str | None]:
    """Check every value against `model.<column_prefix><name>`; all faults are reported together."""
    mapper = sa.inspect(model)
    checked: dict[str, str | None] = {}
    faults: list[DomainError] = []
    for name, value in values.items():
        column = mapper.attrs[f"{column_prefix}{name}"]
        try:
            checked[name] = text_fits(column.class_attribute, value, field=[*field, camel(name)])
        except DomainError as fault:
            faults.append(fault)
    if faults:
        raise DomainErrors(faults)
    return checked


def positive_quantity(quantity: Decimal, *, field: Sequence[str]) -> Decimal:
    if not quantity.is_finite() or quantity <= 0:
        raise invalid("The quantity must be greater than zero.", field)
    if quantity != quantity.quantize(Decimal("0.0001")):
        raise invalid("The quantity has at most 4 decimal places.", field)
    return quantity


def camel(name: str) -> str:
    """A column's name as the API spells it (`country_code` → `countryCode`), for field paths."""
    head, *rest = name.split("_")
    return head + "".join(part.capitalize() for part in rest)
