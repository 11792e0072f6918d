"""The sales rollup kept by triggers on orders, and its backfill (written 2026-12-01 14:00).

`models/statistics.py` says how the rollup is kept on each store. An order counts while it is an ORDER,
complete, not cancelled, not deleted and has a completion time; its key is the UTC day of that time,
its state (0 for none) and the currency rate it kept.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from models import money

revision: str = '0009'
down_revision: str | None = '0008'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_KEY = ('day', 'state_key', 'currency_rate')
_SUMS = ('orders', 'total_with_vat', 'total_without_vat')


def _counted(row: str, true: str) -> str:
    return (
        f"{row}.kind = 'ORDER' AND {row}.is_complete = {true} AND {row}.is_cancelled <> {true}"
        f" AND {row}.is_deleted <> {true} AND {row}.completed_at IS NOT NULL"
    )


def _day(row: str, dialect: str) -> str:
    if dialect == 'sqlite':
        return f'substr({row}.completed_at, 1, 10)'  # stored as ISO text in UTC
    return f"to_char(timezone('UTC', {row}.completed_at), 'YYYY-MM-DD')"


def _contribution(row: str, dialect: str, sign: str, *, shard: bool = False) -> str:
    return (
        f'{_day(row, dialect)}, coalesce({row}.state_id, 0), {row}.currency_rate,{" 0," if shard else ""}'
        f' {sign}1, {sign}{row}.total_with_vat, {sign}{row}.total_without_vat'
    )


_ADD = ', '.join(f'{name} = sales_rollup.{name} + excluded.{name}' for name in _SUMS)
# SQLite has one writer at a time and keeps one row per key (shard 0); see models/statistics.py.
_UPSERT = f"ON CONFLICT ({', '.join(_KEY)}, shard) DO UPDATE SET {_ADD}"
_COLUMNS = ', '.join((*_KEY, *_SUMS))
_ROLLUP_COLUMNS = ', '.join((*_KEY, 'shard', *_SUMS))
_WATCHED = (
    'kind', 'is_complete', 'is_cancelled', 'is_deleted', 'completed_at', 'state_id', 'currency_rate',
    'total_with_vat', 'total_without_vat',
)


def _sqlite_triggers() -> list[str]:
    def add(row: str, sign: str) -> str:
        return (
            f'INSERT INTO sales_rollup ({_ROLLUP_COLUMNS}) SELECT {_contribution(row, "sqlite", sign, shard=True)}'
            f' WHERE {_counted(row, "1")} {_UPSERT};'
        )

    same = ' AND '.join(f'OLD.{column} IS NEW.{column}' for column in _WATCHED)
    return [
        f'CREATE TRIGGER sales_rollup_insert AFTER INSERT ON orders WHEN {_counted("NEW", "1")}'
        f' BEGIN {add("NEW", "")} END',
        f'CREATE TRIGGER sales_rollup_delete AFTER DELETE ON orders WHEN {_counted("OLD", "1")}'
        f' BEGIN {add("OLD", "-")} END',
        f"CREATE TRIGGER sales_rollup_update AFTER UPDATE OF {', '.join(_WATCHED)} ON orders"
        f' WHEN NOT ({same}) AND (({_counted("OLD", "1")}) OR ({_counted("NEW", "1")}))'
        f' BEGIN {add("OLD", "-")} {add("NEW", "")} END',
    ]


def _postgres_triggers() -> list[str]:
    # Statement-level, over the transition tables: one INSERT per statement however many orders it changed.
    def part(table: str, sign: str) -> str:
        return f'SELECT {_contribution("o", "postgresql", sign)} FROM {table} o WHERE {_counted("o", "true")}'

    def function(name: str, parts: list[str]) -> str:
        return f"""CREATE FUNCTION {name}() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO sales_rollup_changes (transaction_id, {_COLUMNS})
    SELECT txid_current(), {', '.join(_KEY)}, sum(n), sum(gross), sum(net)
    FROM ({' UNION ALL '.join(parts)}) AS changed ({', '.join(_KEY)}, n, gross, net)
    GROUP BY {', '.join(_KEY)}
    HAVING sum(n) <> 0 OR sum(gross) <> 0 OR sum(net) <> 0;
    RETURN NULL;
END $$"""

    return [
        function('sales_rollup_inserted', [part('new_rows', '')]),
        function('sales_rollup_deleted', [part('old_rows', '-')]),
        function('sales_rollup_updated', [part('old_rows', '-'), part('new_rows', '')]),
        'CREATE TRIGGER sales_rollup_insert AFTER INSERT ON orders REFERENCING NEW TABLE AS new_rows'
        ' FOR EACH STATEMENT EXECUTE FUNCTION sales_rollup_inserted()',
        'CREATE TRIGGER sales_rollup_delete AFTER DELETE ON orders REFERENCING OLD TABLE AS old_rows'
        ' FOR EACH STATEMENT EXECUTE FUNCTION sales_rollup_deleted()',
        'CREATE TRIGGER sales_rollup_update AFTER UPDATE ON orders'
        ' REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows'
        ' FOR EACH STATEMENT EXECUTE FUNCTION sales_rollup_updated()',
    ]


def backfill(connection: sa.Connection) -> None:
    """Build the rollup again from the orders themselves, in one statement."""
    dialect = connection.dialect.name
    true = '1' if dialect == 'sqlite' else 'true'
    connection.execute(sa.text('DELETE FROM sales_rollup_changes'))
    connection.execute(sa.text('DELETE FROM sales_rollup'))
    connection.execute(
        sa.text(
            f'INSERT INTO sales_rollup ({_ROLLUP_COLUMNS})'
            f' SELECT {_day("o", dialect)}, coalesce(o.state_id, 0), o.currency_rate, 0,'
            ' count(*), sum(o.total_with_vat), sum(o.total_without_vat)'
            f' FROM orders o WHERE {_counted("o", true)} GROUP BY 1, 2, 3'
        )
    )


def _key_and_sums() -> list[sa.Column]:
    total = money.ExactDecimal(money.MONEY_SCALE)
    return [
        sa.Column('day', sa.String(length=10), nullable=False),
        sa.Column('state_key', sa.Integer(), nullable=False),
        sa.Column('currency_rate', money.ExactDecimal(money.RATE_SCALE), nullable=False),
        sa.Column('orders', sa.Integer(), nullable=False),
        sa.Column('total_with_vat', total, nullable=False),
        sa.Column('total_without_vat', total, nullable=False),
    ]


def upgrade() -> None:
    op.create_table(
        'sales_rollup',
        *_key_and_sums(),
        sa.Column('shard', sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint('day', 'state_key', 'currency_rate', 'shard', name=op.f('pk_sales_rollup')),
    )
    op.create_table(
        'sales_rollup_changes',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('transaction_id', sa.BigInteger(), nullable=False),
        *_key_and_sums(),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_sales_rollup_changes')),
        sqlite_autoincrement=True,
    )
    op.create_index(
        op.f('ix_sales_rollup_changes_transaction_id'), 'sales_rollup_changes', ['transaction_id'], unique=False
    )
    connection = op.get_bind()
    for statement in _sqlite_triggers() if connection.dialect.name == 'sqlite' else _postgres_triggers():
        connection.execute(sa.text(statement))
    backfill(connection)


def downgrade() -> None:
    connection = op.get_bind()
    for event in ('insert', 'delete', 'update'):
        connection.execute(sa.text(f'DROP TRIGGER IF EXISTS sales_rollup_{event}' + ('' if connection.dialect.name == 'sqlite' else ' ON orders')))
    if connection.dialect.name != 'sqlite':
        for name in ('inserted', 'deleted', 'updated'):
            connection.execute(sa.text(f'DROP FUNCTION IF EXISTS sales_rollup_{name}()'))
    op.drop_index(op.f('ix_sales_rollup_changes_transaction_id'), table_name='sales_rollup_changes')
    op.drop_table('sales_rollup_changes')
    op.drop_table('sales_rollup')
