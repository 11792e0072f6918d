"""Input checks shared by every capability: ids, text that fits its column, product line quantities.

Text limits come from the models alone (`models.base.max_length`: a String's length, a text column's
`max_length`). Operations check their inputs with `text_fits`, which names the field at fault; a
flush that would still write a longer value is refused here (INVALID, nothing written), so no input
an operation forgot can reach the store.
"""

from __future__ import annotations

import functools
from collections.abc import Iterator, Mapping, Sequence
from decimal import Decimal
from typing import Any, cast

import sqlalchemy as sa
from sqlalchemy.orm import InstrumentedAttribute, Mapper, Session, UOWTransaction

from models import money
from models.base import TEXT_LENGTH, max_length
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
    length = max_length(column.property.columns[0])
    if length is not None and len(stripped) > length:
        raise invalid(f"At most {length} characters.", field)
    return stripped or None


def note_fits(value: str | None, *, field: Sequence[str]) -> None:
    """INVALID for a note (a refund's or cancellation's reason, written into an event) longer than a text column."""
    if value is not None and len(value) > TEXT_LENGTH:
        raise invalid(f"At most {TEXT_LENGTH} characters.", field)


# A column, the value meant for it, and the path of the input field it came from.
TextCheck = tuple[InstrumentedAttribute[Any], str | None, Sequence[str]]


def all_texts_fit(checks: Sequence[TextCheck]) -> list[str | None]:
    """`text_fits` for each check, in order; all faults are reported together."""
    checked: list[str | None] = []
    faults: list[DomainError] = []
    for column, value, field in checks:
        try:
            checked.append(text_fits(column, value, field=field))
        except DomainError as fault:
            faults.append(fault)
    if faults:
        raise DomainErrors(faults)
    return checked


def texts_fit(
    model: type[Any], values: Mapping[str, str | None], *, column_prefix: str = "", field: Sequence[str]
) -> dict[str, str | None]:
    """Check every value against `model.<column_prefix><name>`; all faults are reported together."""
    mapper = sa.inspect(model)
    checks = [
        (mapper.attrs[f"{column_prefix}{name}"].class_attribute, value, [*field, camel(name)])
        for name, value in values.items()
    ]
    return dict(zip(values, all_texts_fit(checks), strict=True))


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


@sa.event.listens_for(Session, "before_flush")
def _refuse_overlong_text(session: Session, _flush: UOWTransaction, _instances: object) -> None:
    """The backstop of `text_fits`: nothing longer than its column is written (PostgreSQL would fail the flush)."""
    faults = [
        invalid(f"`{camel(name)}` may hold at most {length} characters.") for name, length in _overlong_values(session)
    ]
    if faults:
        raise DomainErrors(faults)


def _overlong_values(session: Session) -> Iterator[tuple[str, int]]:
    for instance in [*session.new, *session.dirty]:
        state = sa.inspect(instance)
        is_new = state.key is None
        for key, length in _limited_columns(state.mapper):
            # Only what this flush writes: a value stored before the limit existed is left as it is.
            values = [state.dict.get(key)] if is_new else state.attrs[key].history.added or ()
            if any(isinstance(value, str) and len(value) > length for value in values):
                yield key, length


@functools.cache
def _limited_columns(mapper: Mapper[Any]) -> tuple[tuple[str, int], ...]:
    """The attributes of a mapped class whose column bounds its length, with the bound (computed once)."""
    columns = ((attribute.key, cast("sa.Column[Any]", attribute.columns[0])) for attribute in mapper.column_attrs)
    limited = ((key, max_length(column)) for key, column in columns)
    return tuple((key, length) for key, length in limited if length is not None)
