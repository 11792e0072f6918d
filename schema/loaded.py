"""Loader results for resolvers, without a coroutine per field when the value is already there.

A list of 100 orders resolves about 1,200 loader-backed fields. As `async def`
resolvers each costs Strawberry's async wrapper, a coroutine and a task, even
when the loader was primed by the page statement or its batch has already
resolved. These helpers let a plain resolver return the value itself when every
future it needs is done, and an awaitable otherwise; graphql-core awaits
whatever awaitable a resolver returns, so the answer, its errors included, is
the same either way.

They return `Any`: the resolver's annotation stays the GraphQL type it serves.
"""

from __future__ import annotations

import asyncio
import inspect
from collections.abc import Callable, Sequence
from typing import Any


def value(future: asyncio.Future[Any]) -> Any:
    """The future's result if it is done, else the future to await."""
    return future.result() if future.done() else future


def then(futures: Sequence[asyncio.Future[Any]], function: Callable[..., Any]) -> Any:
    """`function(*results)` now if every future is done, else an awaitable of it."""
    if all(future.done() for future in futures):
        return function(*(future.result() for future in futures))
    return _later(futures, function)


async def _later(futures: Sequence[asyncio.Future[Any]], function: Callable[..., Any]) -> Any:
    results = [await future for future in futures]
    answer = function(*results)
    return await answer if inspect.isawaitable(answer) else answer
