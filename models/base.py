"""The declarative base: one metadata, one naming convention, shared column helpers."""

from __future__ import annotations

import datetime
import enum
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import DeclarativeBase, Mapped, composite, mapped_column

from models import money

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class UtcDateTime(sa.types.TypeDecorator[datetime.datetime]):
    """Timestamps are stored and returned as aware UTC datetimes on every store."""

    impl = sa.DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime.datetime | None, dialect: sa.Dialect) -> datetime.datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetimes are not stored")
        return value.astimezone(datetime.UTC)

    def process_result_value(self, value: datetime.datetime | None, dialect: sa.Dialect) -> datetime.datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=datetime.UTC)
        return value.astimezone(datetime.UTC)


class Base(DeclarativeBase):
    metadata = sa.MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map = {
        datetime.datetime: UtcDateTime(),
        Decimal: money.ExactDecimal(money.MONEY_SCALE),
    }


def enum_column(enum_type: type[enum.StrEnum], **kwargs: object) -> sa.Enum:
    """Enums are stored as their values in a VARCHAR with a CHECK, portable across stores."""
    return sa.Enum(
        enum_type,
        native_enum=False,
        create_constraint=True,
        length=32,
        values_callable=lambda members: [member.value for member in members],
        name=enum_type.__name__.lower(),
        **kwargs,  # type: ignore[arg-type]
    )


# DynamicWeb's free-text columns (a comment, a reason): TEXT in the store, at most this much from a client.
TEXT_LENGTH = 10_000


def text_column(*, nullable: bool = True, max_length: int = TEXT_LENGTH) -> Mapped[Any]:
    """A TEXT column whose `info["max_length"]` bounds what a client may put into it."""
    return mapped_column(sa.Text, nullable=nullable, info={"max_length": max_length})


def max_length(column: sa.Column[Any]) -> int | None:
    """The most characters a column takes: its declared String length, or a text column's `max_length`."""
    length: int | None = getattr(column.type, "length", None)
    return length if length is not None else column.info.get("max_length")


def quantity_column(**kwargs: object) -> Mapped[Decimal]:
    return mapped_column(money.ExactDecimal(money.QUANTITY_SCALE), **kwargs)  # type: ignore[arg-type]


def price_composite(prefix: str) -> Mapped[money.Price]:
    """Four NOT NULL columns `<prefix>_with_vat` … `<prefix>_vat_percent` read as one Price."""
    return composite(
        money.Price,
        mapped_column(f"{prefix}_with_vat", money.ExactDecimal(), nullable=False, default=money.ZERO),
        mapped_column(f"{prefix}_without_vat", money.ExactDecimal(), nullable=False, default=money.ZERO),
        mapped_column(f"{prefix}_vat", money.ExactDecimal(), nullable=False, default=money.ZERO),
        mapped_column(f"{prefix}_vat_percent", money.ExactDecimal(), nullable=False, default=money.ZERO),
    )
