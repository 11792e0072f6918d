"""Input checks shared by every capability: ids, text that fits its column, product line quantities."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import InstrumentedAttribute

from models import money
from resolvers.core.errors import DomainError, DomainErrors, invalid

# A line's price is its quantity times a unit price below 10**12 (edits cap unit prices there): up to a
# million units keeps every line price inside the 20 integer digits of the money columns.
MAX_QUANTITY = Decimal(1_000_000)
QUANTITY_STEP = Decimal(1).scaleb(-money.QUANTITY_SCALE)

# Keys are INTEGER columns: a larger number matches nothing (and PostgreSQL would refuse it as a parameter).
MAX_KEY = 2**31 - 1


def integer_id(value: object) -> int | None:
    """A key the client sent as ASCII digits; None for anything else, which matches nothing.

    Not `str.isdigit` alone: it accepts "²" (which int() refuses) and Arabic-Indic digits (which int() reads).
    """
    text = str(value).strip()
    if not (text.isascii() and text.isdigit()) or len(text) > len(str(MAX_KEY)):
        return None
    number = int(text)
    return number if number <= MAX_KEY else None


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
    """Check a product line's quantity (cart, import, edit, return): above 0, at most MAX_QUANTITY, 4 decimals."""
    if not quantity.is_finite() or quantity <= 0 or quantity > MAX_QUANTITY:
        raise invalid(f"A quantity is more than 0 and at most {MAX_QUANTITY}.", field)
    if quantity != quantity.quantize(QUANTITY_STEP):
        raise invalid(f"A quantity has at most {money.QUANTITY_SCALE} decimals.", field)
    return quantity


def camel(name: str) -> str:
    """A column's name as the API spells it (`country_code` → `countryCode`), for field paths."""
    head, *rest = name.split("_")
    return head + "".join(part.capitalize() for part in rest)
