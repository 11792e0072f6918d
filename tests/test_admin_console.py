"""GET /admin and its assets over HTTP: content types, the security headers, and nothing fetched from elsewhere
(the console works offline). The console's behaviour is tested in a browser: tests/test_admin_console_browser.py."""

from __future__ import annotations

import pathlib
import re
from collections.abc import AsyncIterator

import httpx
import pytest

from models import database
from models.settings import Settings
from schema import admin_console
from schema.app import create_app
from tests import browser

ASSETS = sorted(path for path in admin_console.FOLDER.rglob("*") if path.is_file() and path.name != "index.html")
ASSET_BYTES = {path: path.read_bytes() for path in ASSETS}
CONTENT_TYPES = {".js": "text/javascript; charset=utf-8", ".css": "text/css; charset=utf-8"}
# Any absolute or protocol-relative URL: a CDN, a font host, a remote script.
EXTERNAL_URL = re.compile(r"""(?:\b[a-z][a-z0-9+.-]*:)?//[a-z0-9-]+\.[a-z0-9.-]+|\bhttps?:|\bwss?:""", re.IGNORECASE)


@pytest.fixture
async def http(tmp_path: pathlib.Path) -> AsyncIterator[httpx.AsyncClient]:
    """The app over an empty store that these tests never reach: the console is static files."""
    settings = Settings(database_url=f"sqlite+aiosqlite:///{tmp_path / 'unused.db'}")
    db = database.connect(settings)
    app = create_app(settings, db=db)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://ordergraph.test") as client:
        yield client
    await db.dispose()


def _asset_url(path: pathlib.Path) -> str:
    return "/admin/assets/" + path.relative_to(admin_console.FOLDER).as_posix()


async def test_the_console_page_is_html_with_a_strict_content_security_policy(http: httpx.AsyncClient) -> None:
    response = await http.get("/admin")

    assert response.status_code == 200
    assert response.headers["content-type"] == "text/html; charset=utf-8"
    policy = response.headers["content-security-policy"]
    assert "script-src 'self';" in policy
    assert "default-src 'none'" in policy
    assert "unsafe-inline" not in policy
    assert response.headers["x-content-type-options"] == "nosniff"
    assert '<script type="module" src="/admin/assets/js/main.js"></script>' in response.text
    assert re.findall(r"<script(?![^>]*\ssrc=)", response.text) == []  # no inline script
    assert " style=" not in response.text


async def test_a_trailing_slash_leads_to_the_page(http: httpx.AsyncClient) -> None:
    response = await http.get("/admin/")

    assert (response.status_code, response.headers["location"]) == (308, "/admin")


@pytest.mark.parametrize("path", ASSETS, ids=lambda path: path.name)
async def test_every_asset_is_served_with_its_content_type(http: httpx.AsyncClient, path: pathlib.Path) -> None:
    response = await http.get(_asset_url(path))

    assert response.status_code == 200
    assert response.headers["content-type"] == CONTENT_TYPES[path.suffix]
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.content == ASSET_BYTES[path]


async def test_missing_assets_and_paths_outside_the_folder_are_not_found(http: httpx.AsyncClient) -> None:
    missing = await http.get("/admin/assets/js/nothing.js")
    outside = await http.get("/admin/assets/%2e%2e/admin_console.py")

    assert (missing.status_code, outside.status_code) == (404, 404)
    assert "FOLDER" not in outside.text


def test_no_asset_refers_to_another_host() -> None:
    files = [admin_console.FOLDER / "index.html", *ASSETS]

    found = {path.name: EXTERNAL_URL.findall(path.read_text()) for path in files}

    assert found == {path.name: [] for path in files}


def test_every_module_import_is_a_module_of_the_console() -> None:
    modules = {path.name for path in ASSETS if path.suffix == ".js"}
    imports = {
        path.name: re.findall(r"""^import .* from "([^"]+)";$""", path.read_text(), re.MULTILINE)
        for path in ASSETS
        if path.suffix == ".js"
    }

    outside = {
        name: [spec for spec in specs if spec.removeprefix("./") not in modules] for name, specs in imports.items()
    }

    assert outside == {name: [] for name in imports}
    assert all(spec.startswith("./") for specs in imports.values() for spec in specs)
    assert "main.js" not in {spec.removeprefix("./") for specs in imports.values() for spec in specs}


@pytest.mark.parametrize(
    ("environment", "outcome"),
    [
        ({}, pytest.skip.Exception),
        ({"CI": "1"}, pytest.fail.Exception),
        ({"ORDERGRAPH_REQUIRE_BROWSER": "1"}, pytest.fail.Exception),
    ],
)
def test_browser_tests_skip_without_chromium_unless_they_are_required(
    monkeypatch: pytest.MonkeyPatch, tmp_path: pathlib.Path, environment: dict[str, str], outcome: type[BaseException]
) -> None:
    monkeypatch.delenv("CI", raising=False)
    monkeypatch.delenv("ORDERGRAPH_REQUIRE_BROWSER", raising=False)
    for name, setting in environment.items():
        monkeypatch.setenv(name, setting)
    monkeypatch.setattr(browser, "CHROMIUM", tmp_path / "no-chromium")

    with pytest.raises(outcome) as raised:
        browser.require_chromium()

    assert "no-chromium is missing" in str(raised.value)
