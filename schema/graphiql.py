"""GraphiQL at GET /graphql, served from files installed with the project: it works without internet.

`make install` runs `npm ci --omit=dev --prefix graphiql` (versions pinned by graphiql/package-lock.json);
the page loads React, ReactDOM and GraphiQL's UMD build from /graphiql/…, never from a CDN. When the
files are missing the page says how to install them (HTTP 503) instead of hanging on "Loading…".
The page opens with an example an admin runs (the order list) and a headers editor holding a bearer
token placeholder; `?query=`, `?variables=` and `?operationName=` links fill the editor.
"""

from __future__ import annotations

import json
import pathlib

from starlette.requests import Request
from starlette.responses import FileResponse, HTMLResponse, Response
from starlette.routing import Route

from models.settings import Settings

ASSETS_PATH = "/graphiql"
_TEMPLATES = pathlib.Path(__file__).parent / "templates"
_CHECKOUT_ASSETS = pathlib.Path(__file__).resolve().parent.parent / "graphiql" / "node_modules"

# The files the page loads, by the name it loads them under: where npm puts them, and their media type.
ASSETS: dict[str, tuple[str, str]] = {
    "react.production.min.js": ("react/umd/react.production.min.js", "text/javascript; charset=utf-8"),
    "react-dom.production.min.js": ("react-dom/umd/react-dom.production.min.js", "text/javascript; charset=utf-8"),
    "graphiql.min.js": ("graphiql/graphiql.min.js", "text/javascript; charset=utf-8"),
    "graphiql.min.css": ("graphiql/graphiql.min.css", "text/css; charset=utf-8"),
}
# Source maps, asked for only by a browser's developer tools.
SOURCE_MAPS: dict[str, tuple[str, str]] = {
    "graphiql.min.js.map": ("graphiql/graphiql.min.js.map", "application/json"),
    "graphiql.min.css.map": ("graphiql/graphiql.min.css.map", "application/json"),
}

PLACEHOLDER_AUTHORIZATION = "Bearer <token>"
DEFAULT_HEADERS = json.dumps({"Authorization": PLACEHOLDER_AUTHORIZATION}, indent=2)
EXAMPLE_QUERY = """\
# ordergraph's GraphiQL: write a query here and run it with Ctrl-Enter (or the ▶ button).
#
# Most of the API needs a bearer token. Create one on the server with
#     .venv/bin/ordergraph token create --role ADMIN --name graphiql
# and put it in the Headers tab below, in place of <token>:
#     {"Authorization": "Bearer <token>"}
# While the placeholder is there the header is left out: you call as an anonymous shopper, who may read
# products and fill a cart, but not the order list (FORBIDDEN).
#
# The latest completed orders, as an admin's order list reads them (keyset paging: pass
# pageInfo.endCursor as `after` for the next page):
query LatestOrders($first: Int = 10, $after: String) {
  orders(
    first: $first
    after: $after
    filter: {kind: ORDER, completed: true}
    sort: {field: COMPLETED_AT, direction: DESC}
  ) {
    totalCount
    pageInfo { hasNextPage endCursor }
    edges {
      node {
        id
        completedAt
        customer { name email }
        total { withVat }
        currency { code }
        captureState
        state { name color }
      }
    }
  }
}
"""


def assets_folder(settings: Settings) -> pathlib.Path:
    """Where GraphiQL's files are read from: ORDERGRAPH_GRAPHIQL_ASSETS, else the checkout's graphiql/node_modules."""
    return pathlib.Path(settings.graphiql_assets) if settings.graphiql_assets else _CHECKOUT_ASSETS


def missing_assets(folder: pathlib.Path) -> list[str]:
    """The page's files that are not in `folder`, by their path under it."""
    return [path for path, _ in ASSETS.values() if not (folder / path).is_file()]


def page(settings: Settings) -> Response:
    """GraphiQL's page, or (503) how to install its files when they are missing."""
    folder = assets_folder(settings)
    missing = missing_assets(folder)
    if missing:
        text = (_TEMPLATES / "graphiql-not-installed.html").read_text()
        listed = ", ".join(f"<code>{path}</code>" for path in missing)
        return HTMLResponse(text.replace("__FOLDER__", str(folder)).replace("__MISSING__", listed), status_code=503)
    page_settings = {
        "exampleQuery": EXAMPLE_QUERY,
        "defaultHeaders": DEFAULT_HEADERS,
        "placeholderAuthorization": PLACEHOLDER_AUTHORIZATION,
    }
    # "<" escaped: nothing in the settings can close the script element that holds them.
    embedded = json.dumps(page_settings).replace("<", "\\u003c")
    text = (_TEMPLATES / "graphiql.html").read_text()
    return HTMLResponse(text.replace("__ASSETS__", ASSETS_PATH).replace("__SETTINGS__", embedded))


def asset_route(settings: Settings) -> Route:
    """GET /graphiql/{name}: one of the page's files (or a source map) from the assets folder, else 404."""
    folder = assets_folder(settings)
    served = {**ASSETS, **SOURCE_MAPS}

    async def asset(request: Request) -> Response:
        found = served.get(request.path_params["name"])
        if found is None or not (folder / found[0]).is_file():
            return Response("Not found", status_code=404, media_type="text/plain")
        return FileResponse(folder / found[0], media_type=found[1])

    return Route(f"{ASSETS_PATH}/{{name}}", asset, methods=["GET", "HEAD"])
