"""The admin console end to end: headless Chromium (tests/browser.py) against a real `ordergraph serve` on
loopback over a SQLite store seeded by the factories and the public API. One journey through a day's work on an
order, and a few focused checks: keyset paging, bulk results per order, a stale edit, a refused token."""

from __future__ import annotations

import datetime
import re
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
import sqlalchemy as sa
from playwright.async_api import Locator, Page, expect

from models.access import ApiToken
from models.enums import Role
from resolvers.core import access
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

    async def read(self, public_id: str) -> dict[str, Any]:
        """The order as the API answers it now."""
        order: dict[str, Any] = (await self.api.execute(READ, {"id": public_id}))["order"]
        return order


@pytest.fixture
async def console(demo_store: Store) -> AsyncIterator[Console]:
    server = Server(demo_store.url, crash_after=None)
    try:
        await started(server)
        token = await make_token(demo_store, Role.ADMIN)
        async with httpx.AsyncClient(base_url=server.base_url, timeout=30) as http:
            yield Console(server, token, GraphQLClient(http, token), demo_store)
    finally:
        server.stop()


async def started(server: Server) -> None:
    """Wait for `server` to answer: `Server.ready` allows it ten seconds, which a machine under load may exceed."""
    for attempt in range(1, 7):
        try:
            await server.ready()
            return
        except AssertionError:
            if server.process.poll() is not None or attempt == 6:
                raise


async def sign_in(page: Page, console: Console) -> None:
    await page.goto(console.url)
    await expect(page.get_by_role("heading", name="Signed out")).to_be_visible()
    await page.get_by_label("Admin token").fill(console.token)
    await page.get_by_role("button", name="Sign in").click()
    await expect(page.get_by_role("heading", name="Orders")).to_be_visible()
    await expect(page.locator("main")).to_have_attribute("aria-busy", "false")


async def apply_filters(page: Page) -> None:
    """Apply the filter form and wait for the list it asks for (the list it replaces has the same heading)."""
    await page.get_by_role("button", name="Apply filters").click()
    await expect(page.locator("main")).to_have_attribute("aria-busy", "false")


async def open_paid_order(page: Page, console: Console) -> str:
    """Sign in and open a new order in Received whose 78.00 is authorized; its id."""
    db = console.store.db
    public_id = await payment_factories.editable_order(db, Providers(db.write_sessions))
    await sign_in(page, console)
    await page.goto(f"{console.url}#/order/{public_id}")
    await expect(page.get_by_role("heading", name=public_id, exact=True)).to_be_visible()
    return public_id


def money_fact(page: Page, term: str) -> Locator:
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
    await apply_filters(page)
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

    authorize = page.locator('form[data-section="authorize"]')
    await authorize.get_by_role("button", name="Authorize").click()
    await expect(money_fact(page, "Payment delta")).to_have_text("€0.00 (settled)")
    await expect(money_fact(page, "Authorized")).to_have_text("€107.00")
    await expect(page.locator('form[data-section="authorize"] legend')).to_be_focused()
    tracking = page.locator('form[data-section="setTracking"]')
    await tracking.get_by_label("Tracking number").fill("TRACK-0042")
    await tracking.get_by_role("button", name="Set tracking").click()
    await expect(page.locator("#tracking")).to_contain_text("TRACK-0042")

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


async def test_a_date_range_and_keyset_paging_forward_and_back(browser: Browser, console: Console) -> None:
    created = await factories.committed_orders(console.store.db, 12)  # on 25 November
    earlier = datetime.datetime(2026, 11, 20, 12, 0, tzinfo=datetime.UTC)
    await factories.committed_order(console.store.db, created_at=earlier, completed_at=earlier)
    page = browser.page
    await sign_in(page, console)
    await expect(page.locator("#total-count")).to_have_text("13 orders")

    await page.get_by_label("Created from").fill("2026-11-25")
    await page.get_by_label("Created to").fill("2026-11-25")
    await page.get_by_label("Sort by").select_option("ID")
    await page.get_by_label("Direction").select_option("ASC")
    await page.get_by_label("Per page").select_option("10")
    await apply_filters(page)
    rows = page.locator("table.orders tbody tr")
    await expect(page.locator("#total-count")).to_have_text("12 orders")
    await expect(rows).to_have_count(10)
    first_page = await rows.evaluate_all("rows => rows.map(row => row.dataset.orderId)")
    await expect(page.get_by_role("button", name="Previous page")).to_be_disabled()
    await page.get_by_role("button", name="Next page").click()
    await expect(rows).to_have_count(2)
    second_page = await rows.evaluate_all("rows => rows.map(row => row.dataset.orderId)")
    await expect(page.get_by_role("button", name="Next page")).to_be_disabled()
    await page.get_by_role("button", name="Previous page").click()
    await expect(rows).to_have_count(10)

    assert first_page + second_page == sorted(created, key=lambda public_id: int(public_id.removeprefix("ORDER")))
    assert await rows.evaluate_all("rows => rows.map(row => row.dataset.orderId)") == first_page
    assert browser.console_errors == []


async def test_bulk_change_state_and_capture_show_each_orders_result(browser: Browser, console: Console) -> None:
    db = console.store.db
    paid = await payment_factories.editable_order(db, Providers(db.write_sessions), email="bulk@example.com")
    shipped = await factories.committed_order(db, customer_email="bulk@example.com", state="Shipped")
    page = browser.page
    await sign_in(page, console)
    await page.get_by_label("Search (id, name, email, product)").fill("bulk@example.com")
    await apply_filters(page)
    await expect(page.locator("#total-count")).to_have_text("2 orders")

    await page.get_by_label("Select all orders on this page").check()
    await page.get_by_label("Move to state").select_option(label="Picked")
    await page.get_by_role("button", name="Check state change").click()
    checked = page.get_by_role("table", name="Results: Check (nothing changed)")
    await expect(checked.locator(f'tr[data-result-for="{shipped}"]')).to_contain_text("TRANSITION_NOT_ALLOWED")
    await expect(checked.locator(f'tr[data-result-for="{paid}"]')).to_contain_text("OK")
    assert (await console.read(paid))["state"] == {"name": "Received"}
    await page.get_by_role("button", name="Change state", exact=True).click()
    moved = page.get_by_role("table", name="Results: Change state")
    await expect(moved.locator(f'tr[data-result-for="{paid}"]')).to_contain_text("OK")
    await expect(moved.locator(f'tr[data-result-for="{shipped}"]')).to_contain_text("TRANSITION_NOT_ALLOWED")
    await expect(page.locator(f'table.orders tr[data-order-id="{paid}"]')).to_contain_text("Picked")
    await expect(page.locator(f'table.orders tr[data-order-id="{shipped}"]')).to_contain_text("Shipped")
    await page.get_by_role("button", name="Capture in full").click()
    captured = page.get_by_role("table", name="Results: Capture")
    await expect(captured.locator(f'tr[data-result-for="{paid}"]')).to_contain_text("OK")
    await expect(captured.locator(f'tr[data-result-for="{shipped}"] .error code')).to_have_text("PROVIDER_UNSUPPORTED")
    await expect(page.locator(f'table.orders tr[data-order-id="{paid}"] td').nth(7)).to_have_text("captured")

    after = [await console.read(public_id) for public_id in (paid, shipped)]
    assert [(order["state"], order["capturedAmount"]) for order in after] == [
        ({"name": "Picked"}, "78.00"),
        ({"name": "Shipped"}, "0.00"),
    ]
    assert browser.console_errors == []


async def test_release_then_cancel_closes_the_order(browser: Browser, console: Console) -> None:
    page = browser.page
    await open_paid_order(page, console)

    await page.locator('form[data-section="releaseAuthorization"]').get_by_role("button", name="Release").click()
    await expect(money_fact(page, "Payment delta")).to_have_text("€78.00 still to secure")
    cancel = page.locator('form[data-section="cancel"]')
    await cancel.get_by_label("Reason").fill("Customer called")
    await cancel.get_by_role("button", name="Cancel order").click()

    await expect(page.locator("article header")).to_contain_text("cancelled")
    reasons = page.locator('form[data-section="changeState"] .transition .reason code')
    await expect(reasons).to_have_count(3)
    assert set(await reasons.all_inner_texts()) == {"CLOSED"}
    assert await page.locator('form[data-section="changeState"] input[type=radio]:enabled').count() == 0
    await page.locator('form[data-section="capture"]').get_by_role("button", name="Capture").click()
    await expect(page.locator('form[data-section="capture"] .error code')).to_have_text("CLOSED")
    assert browser.console_errors == []


async def test_a_stale_edit_says_so_and_offers_a_reload(browser: Browser, console: Console) -> None:
    page = browser.page
    public_id = await open_paid_order(page, console)
    shown_revision = (await console.read(public_id))["revision"]
    comment = (
        'mutation($id: ID!) { edit(orderId: $id, input: {comment: "Called the customer"}) { userErrors { code } } }'
    )
    assert (await console.api.execute(comment, {"id": public_id}))["edit"]["userErrors"] == []
    changed = await console.read(public_id)

    await page.get_by_label("Quantity of Cookbook").fill("3")
    await page.get_by_role("button", name="Preview changes").click()

    await expect(page.locator('.edit .error[data-user-error="STALE_REVISION"]')).to_be_visible()
    assert await console.read(public_id) == changed
    await page.get_by_role("button", name="Reload the order").click()
    await expect(page.get_by_text(f"Editing revision {shown_revision + 1}.")).to_be_visible()
    await expect(page.locator("#totals")).to_contain_text("€78.00")
    assert browser.console_errors == []


async def test_the_keyboard_alone_signs_in_and_opens_an_order_with_focus_visible(
    browser: Browser, console: Console
) -> None:
    public_id = await factories.committed_order(console.store.db)
    page = browser.page
    await page.goto(console.url)

    await page.get_by_label("Admin token").focus()
    await page.keyboard.type(console.token)
    await page.keyboard.press("Enter")
    await expect(page.get_by_role("heading", name="Orders")).to_be_focused()
    link = page.get_by_role("link", name=public_id)
    for _ in range(60):  # through the filters and the header of the table, to the order's link
        await page.keyboard.press("Tab")
        if await link.evaluate("link => link === document.activeElement"):
            break
    await expect(link).to_be_focused()
    outline = await link.evaluate("link => getComputedStyle(link).outlineStyle")
    await page.keyboard.press("Enter")

    await expect(page.get_by_role("heading", name=public_id, exact=True)).to_be_focused()
    assert outline == "solid"
    assert browser.console_errors == []


async def test_a_refused_token_leaves_a_clear_signed_out_state(browser: Browser, console: Console) -> None:
    storefront = await make_token(console.store, Role.STOREFRONT)
    page = browser.page
    await page.goto(console.url)
    await page.get_by_label("Admin token").fill(storefront)
    await page.get_by_role("button", name="Sign in").click()
    await expect(page.locator('.sign-in .error[data-user-error="FORBIDDEN"]')).to_be_visible()
    assert await browser.session_token() is None

    await sign_in(page, console)
    async with console.store.db.write_sessions() as session, session.begin():
        await session.execute(
            sa.update(ApiToken)
            .where(ApiToken.token_hash == access.hash_secret(console.token))
            .values(revoked_at=datetime.datetime.now(datetime.UTC))
        )
    await apply_filters(page)

    await expect(page.get_by_role("heading", name="Signed out")).to_be_visible()
    await expect(page.get_by_role("alert")).to_contain_text("UNAUTHENTICATED")
    await expect(page.get_by_role("button", name="Sign out")).to_be_hidden()
    assert await browser.session_token() is None
