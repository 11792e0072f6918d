"""Alembic environment and versions; `models.migration` runs them."""
