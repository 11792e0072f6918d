"""The admin console end to end: headless Chromium (tests/browser.py) against a real `ordergraph serve` on
loopback over a SQLite store seeded by the factories and the public API. One journey through a day's work on an
order, and a few focused checks: keyset paging, bulk results per order, a stale edit, a refused token."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from dataclasses import dataclass

import httpx
import pytest
from playwright.async_api import Page, expect

from models.enums import Role
from resolvers.payments.payment_providers import Providers
from tests import factories, payment_factories
from tests.browser import Browser, browser, screenshot
from tests.conftest import GraphQLClient, Store, make_token
from tests.lifecycle_helpers import state_ids
from tests.test_payments_crash import Server

__all__ = ["browser"]  # the fixture
pytestmark = pytest.mark.parametrize("store", ["sqlite"], indirect=True)  # one store is enough for the browser

READ = """query($id: ID!) { order(id: $id) { revision capturedAmount refundedAmount total { withVat }
  state { name } versions { number } } }"""


@dataclass
class Console:
    server: Server
    token: str
    api: GraphQLClient
    store: Store

    @property
    def url(self) -> str:
        return f"{self.server.base_url}/admin"

    async def read(self, public_id: str) -> dict[str, object]:
        return (await self.api.execute(READ, {"id": public_id}))["order"]  # type: ignore[no-any-return]


@pytest.fixture
async def console(demo_store: Store) -> AsyncIterator[Console]:
    server = Server(demo_store.url, crash_after=None)
    try:
        await server.ready()
        token = await make_token(demo_store, Role.ADMIN)
        async with httpx.AsyncClient(base_url=server.base_url, timeout=30) as http:
            yield Console(server, token, GraphQLClient(http, token), demo_store)
    finally:
        server.stop()


async def sign_in(page: Page, console: Console) -> None:
    await page.goto(console.url)
    await expect(page.get_by_role("heading", name="Signed out")).to_be_visible()
    await page.get_by_label("Admin token").fill(console.token)
    await page.get_by_role("button", name="Sign in").click()
    await expect(page.get_by_role("heading", name="Orders")).to_be_visible()


def money_fact(page: Page, term: str):  # type: ignore[no-untyped-def]
    return page.locator(f'#payment-summary dd[data-fact="{term}"]')


async def test_a_days_work_on_one_order(browser: Browser, console: Console) -> None:
    db = console.store.db
    public_id = await payment_factories.editable_order(db, Providers(db.write_sessions), email="journey@example.com")
    await factories.committed_orders(db, 2)
    states = await state_ids(console.api)
    update = "mutation($id: ID!) { updateState(id: $id, input: {allowEdit: true}) { userErrors { code } } }"
    await console.api.execute(update, {"id": states[("ORDER", "Picked")]})  # Picked orders may be edited too
    page = browser.page

    await sign_in(page, console)
    assert await browser.session_token() == console.token
    await page.get_by_label("Search (id, name, email, product)").fill("journey@example.com")
    await page.get_by_role("button", name="Apply filters").click()
    await expect(page.locator("#total-count")).to_have_text("1 order")
    await expect(page.locator("table.orders tbody tr")).to_have_count(1)
    await screenshot(page, "admin-list")

    await page.get_by_role("link", name=public_id).click()
    await expect(page.get_by_role("heading", name=public_id, exact=True)).to_be_visible()
    await expect(page.locator("#totals")).to_contain_text("€78.00")
    shipped = page.locator('.transition[data-state="Shipped"]')
    await expect(shipped.get_by_role("radio")).to_be_disabled()
    await expect(shipped.locator(".reason")).to_contain_text("TRANSITION_NOT_ALLOWED")
    change_state = page.locator('form[data-section="changeState"]')
    await change_state.locator('.transition[data-state="Picked"]').get_by_role("radio").check()
    await change_state.get_by_role("button", name="Change state").click()
    await expect(page.locator("#order-state")).to_contain_text("Picked")

    capture = page.locator('form[data-section="capture"]')
    await capture.get_by_label("Amount").fill("30.00")
    await capture.get_by_role("button", name="Capture").click()
    await expect(money_fact(page, "Captured")).to_have_text("€30.00")
    await expect(money_fact(page, "Capture state")).to_have_text("split captured")

    refund = page.locator('form[data-section="refund"]')
    await refund.get_by_label("Amount").fill("1000.00")
    await refund.get_by_role("button", name="Refund").click()
    refused = refund.locator('.error[data-user-error="AMOUNT_EXCEEDS_AVAILABLE"]')
    await expect(refused).to_be_visible()
    assert await refund.get_by_label("Amount").get_attribute("aria-describedby") == await refused.get_attribute("id")
    assert (await console.read(public_id))["refundedAmount"] == "0.00"
    await refund.get_by_label("Amount").fill("10.00")
    await refund.get_by_label("Reason").fill("Goodwill")
    await refund.get_by_role("button", name="Refund").click()
    await expect(money_fact(page, "Refunded")).to_have_text("€10.00")
    before_edit = await console.read(public_id)

    await page.get_by_label("Quantity of Cookbook").fill("2")
    await page.get_by_role("button", name="Preview changes").click()
    await expect(page.locator("#preview-totals")).to_contain_text("€107.00")
    await expect(page.locator("#preview-delta")).to_have_text("Payment delta: €29.00 still to secure")
    assert await console.read(public_id) == before_edit  # a preview writes nothing
    await page.get_by_role("button", name="Save changes").click()
    await expect(page.locator("#totals")).to_contain_text("€107.00")
    await expect(money_fact(page, "Payment delta")).to_have_text("€29.00 still to secure")
    await expect(page.locator("table.version-list tbody tr")).to_have_count(1)
    await screenshot(page, "admin-details")

    versions = page.get_by_role("form", name="Compare versions")
    await versions.get_by_label("Compare").select_option("1")
    await versions.get_by_label("with").select_option("")
    await versions.get_by_role("button", name="Compare").click()
    quantity_change = page.locator("table.compare tr", has=page.locator("code", has_text=re.compile(r"\.quantity$")))
    await expect(quantity_change).to_have_count(1)
    await expect(quantity_change.locator("td.before")).to_have_text(re.compile(r"^1(\.0+)?$"))
    await expect(quantity_change.locator("td.after")).to_have_text(re.compile(r"^2(\.0+)?$"))

    await page.get_by_role("button", name="Sign out").click()
    await expect(page.get_by_role("heading", name="Signed out")).to_be_visible()
    assert await browser.session_token() is None
    after = await console.read(public_id)
    assert (after["state"], after["capturedAmount"], after["refundedAmount"], after["total"]) == (
        {"name": "Picked"},
        "30.00",
        "10.00",
        {"withVat": "107.00"},
    )
    assert browser.console_errors == []
