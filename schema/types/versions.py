"""Version, FieldChange and VersionComparison: an order's history of edits as admins compare it.

`compare` serves `Order.compare`: the comparison itself is `resolvers.editing.versions`; an unknown
version number is a visible error of that field, not a userError, since no mutation is involved.
"""

from __future__ import annotations

import datetime

import strawberry
from strawberry.scalars import JSON

from models import orders as order_models
from resolvers.core.errors import DomainError
from resolvers.editing import versions
from schema.context import Context
from schema.enums import ChangeKind
from schema.errors import ClientError


@strawberry.type(description="A snapshot of an order taken right before an edit.")
class Version:
    number: int
    created_at: datetime.datetime
    actor: str | None = strawberry.field(description="Who made the edit that followed this snapshot.")
    summary: str | None
    snapshot: JSON


@strawberry.type
class FieldChange:
    path: str = strawberry.field(description="Dotted path, e.g. delivery.city or lines.12.quantity.")
    change: ChangeKind
    before: JSON | None
    after: JSON | None


@strawberry.type
class VersionComparison:
    from_: int = strawberry.field(name="from")
    to: int | None
    changes: list[FieldChange]


async def compare(
    info: strawberry.Info[Context], order: order_models.Order, *, from_number: int, to_number: int | None
) -> VersionComparison:
    try:
        changes = await versions.compare(
            info.context.session, order=order, from_number=from_number, to_number=to_number
        )
    except DomainError as error:
        # A field, not a mutation: an unknown version is a visible (unmasked) error.
        raise ClientError(error.message) from error
    return VersionComparison(
        from_=from_number,
        to=to_number,
        changes=[
            FieldChange(path=c.path, change=ChangeKind(c.change), before=c.before, after=c.after) for c in changes
        ],
    )
