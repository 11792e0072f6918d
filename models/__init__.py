"""Tables, engine and session setup, settings.

Importing the package registers every table on `Base.metadata` (Alembic needs all of them).
"""

from models import (
    access,
    catalog,
    custom_fields,
    flows,
    mail,
    orders,
    payments,
    recurring,
    returns,
    statistics,
    webhooks,
)
from models.base import Base

# SQLite reuses the largest rowid after a delete; ids are public (lines, states, transactions) and
# versions compare lines by id, so an id must never be handed out twice on any store.
for _table in Base.metadata.tables.values():
    _table.dialect_options["sqlite"]["autoincrement"] = True

__all__ = [
    "Base",
    "access",
    "catalog",
    "custom_fields",
    "flows",
    "mail",
    "orders",
    "payments",
    "recurring",
    "returns",
    "statistics",
    "webhooks",
]
