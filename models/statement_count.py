"""Counting the SQL statements a unit of work sends (a request's log line and metrics).

One engine event counts every statement into the counter of the current context: a request opens
`counting()`, and everything it runs (its tasks copy the context; SQLAlchemy's greenlets share it)
adds to that counter. Transaction control (BEGIN, SAVEPOINT, COMMIT…) is left out, as the tests count.
"""

from __future__ import annotations

import contextlib
import contextvars
import dataclasses
from collections.abc import Iterator
from typing import Any

from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncEngine

_TRANSACTION_CONTROL = ("BEGIN", "SAVEPOINT", "RELEASE", "ROLLBACK", "COMMIT", "PRAGMA")


@dataclasses.dataclass(slots=True)
class Counter:
    statements: int = 0


_current: contextvars.ContextVar[Counter | None] = contextvars.ContextVar("statement_counter", default=None)


@contextlib.contextmanager
def counting() -> Iterator[Counter]:
    """Count the statements sent inside the block (and the tasks it starts)."""
    counter = Counter()
    token = _current.set(counter)
    try:
        yield counter
    finally:
        _current.reset(token)


def current() -> Counter | None:
    """The counter of the current context, if one is counting."""
    return _current.get()


def install(engine: AsyncEngine) -> None:
    """Count `engine`'s statements into the current counter, if any."""
    if not event.contains(engine.sync_engine, "before_cursor_execute", _count):
        event.listen(engine.sync_engine, "before_cursor_execute", _count)


def _count(_connection: Any, _cursor: Any, statement: str, *_: Any) -> None:
    counter = _current.get()
    if counter is not None and not statement.lstrip()[:9].upper().startswith(_TRANSACTION_CONTROL):
        counter.statements += 1
