"""Tables, engine and session setup, settings.

Importing the package registers every table on `Base.metadata` (Alembic needs all of them).
"""

from models import access, catalog, custom_fields, flows, mail, orders, payments, recurring, returns
from models.base import Base

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
]
