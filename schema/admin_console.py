"""GET /admin: the admin console, static HTML, CSS and JavaScript modules that call the public GraphQL API.

Nothing is rendered on the server: the files are served as they are, with a Content-Security-Policy that
allows only this origin's own scripts, styles and GraphQL endpoint (no inline script, no other host).
"""

from __future__ import annotations

import pathlib

from starlette.requests import Request
from starlette.responses import FileResponse, RedirectResponse, Response
from starlette.routing import BaseRoute, Mount, Route
from starlette.staticfiles import StaticFiles
from starlette.types import ASGIApp, Message, Receive, Scope, Send

FOLDER = pathlib.Path(__file__).parent / "admin_console"

CONTENT_SECURITY_POLICY = (
    "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self' data:; "
    "base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
)
HEADERS = {
    "content-security-policy": CONTENT_SECURITY_POLICY,
    "x-content-type-options": "nosniff",
    "referrer-policy": "no-referrer",
    # Always revalidated: a new release of the console is picked up on the next load.
    "cache-control": "no-cache",
}
# Declared here rather than taken from the platform's MIME table, which differs between systems.
CONTENT_TYPES = {".js": "text/javascript; charset=utf-8", ".css": "text/css; charset=utf-8"}


def routes() -> list[BaseRoute]:
    """The console's routes: the page, and its assets under /admin/assets/."""
    return [
        Route("/admin", _page, methods=["GET", "HEAD"]),
        Route("/admin/", _to_page, methods=["GET", "HEAD"]),
        Mount("/admin/assets", _WithHeaders(StaticFiles(directory=FOLDER, follow_symlink=False)), name="admin-assets"),
    ]


async def _page(_: Request) -> Response:
    return FileResponse(FOLDER / "index.html", media_type="text/html; charset=utf-8", headers=HEADERS)


async def _to_page(_: Request) -> Response:
    return RedirectResponse("/admin", status_code=308)


class _WithHeaders:
    """Adds the console's headers, and exact content types for its scripts and styles, to every asset."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        content_type = CONTENT_TYPES.get(pathlib.PurePosixPath(scope["path"]).suffix)

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = [
                    (name, value) for name, value in message["headers"] if name != b"content-type" or not content_type
                ]
                if content_type and message["status"] == 200:
                    headers.append((b"content-type", content_type.encode()))
                headers.extend((name.encode(), value.encode()) for name, value in HEADERS.items())
                message = {**message, "headers": headers}
            await send(message)

        await self.app(scope, receive, send_with_headers)
