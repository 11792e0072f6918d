"""The floor as a server: `GET /page?first=N` answers `floor.page` from the store in ORDERGRAPH_BENCH_FLOOR_URL.

A bare ASGI app under the same uvicorn as `ordergraph serve`, so the two differ only in what runs
between the socket and the store. `GET /healthz` answers once the store is open.

    ORDERGRAPH_BENCH_FLOOR_URL=sqlite+aiosqlite:///x.db uvicorn --factory benchmarks.floor_server:create_app
"""

from __future__ import annotations

import os
import urllib.parse
from typing import Any

from benchmarks import floor

URL_VARIABLE = "ORDERGRAPH_BENCH_FLOOR_URL"


class FloorApp:
    def __init__(self, url: str) -> None:
        self.url = url
        self.pool: Any = None
        self.sqlite: Any = None

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] == "lifespan":
            await self._lifespan(receive, send)
            return
        if scope["path"] == "/healthz":
            await _respond(send, b'{"status":"ok"}')
            return
        query = urllib.parse.parse_qs(scope.get("query_string", b"").decode())
        first = int(query.get("first", ["100"])[0])
        if self.sqlite is not None:
            body = await floor.page(floor.sqlite_fetch(self.sqlite), first=first, scaled_money=True)
        else:
            async with self.pool.acquire() as connection:
                body = await floor.page(floor.postgres_fetch(connection), first=first, scaled_money=False)
        await _respond(send, body)

    async def _lifespan(self, receive: Any, send: Any) -> None:
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                await self._open()
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                await self._close()
                await send({"type": "lifespan.shutdown.complete"})
                return

    async def _open(self) -> None:
        if self.url.startswith("sqlite"):
            import aiosqlite

            self.sqlite = await aiosqlite.connect(self.url.split("///", 1)[1])
            await self.sqlite.execute("PRAGMA journal_mode=WAL")
        else:
            import asyncpg

            dsn = self.url.replace("postgresql+asyncpg://", "postgresql://", 1)
            self.pool = await asyncpg.create_pool(dsn, min_size=1, max_size=10)

    async def _close(self) -> None:
        if self.sqlite is not None:
            await self.sqlite.close()
        if self.pool is not None:
            await self.pool.close()


async def _respond(send: Any, body: bytes) -> None:
    headers = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]
    await send({"type": "http.response.start", "status": 200, "headers": headers})
    await send({"type": "http.response.body", "body": body})


def create_app() -> FloorApp:
    return FloorApp(os.environ[URL_VARIABLE])
