"""Bookings at a test gateway that answers after the caller stopped waiting.

A real gateway books what it was sent whether or not the caller still waits, so the caller's timeout must
not cut a booking short: on a loaded machine the booking itself can outlast a short timeout. The tests wait
for every booking before they reconcile.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable
from typing import TypeVar

Answer = TypeVar("Answer")


class Bookings:
    def __init__(self) -> None:
        self.running: list[asyncio.Future[object]] = []

    async def book(self, call: Awaitable[Answer]) -> Answer:
        """`call`'s answer; a caller that stops waiting leaves it running to the end."""
        booking = asyncio.ensure_future(call)
        self.running.append(booking)  # type: ignore[arg-type]
        return await asyncio.shield(booking)

    async def done(self) -> None:
        await asyncio.gather(*self.running)
