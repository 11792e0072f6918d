"""salesSummary and markExported through HTTP."""

from __future__ import annotations

import datetime

import pytest

from tests import factories
from tests.conftest import GraphQLClient, StatementCounter, Store

SUMMARY = """query($g: String!) {
  salesSummary(from: "2026-11-01T00:00:00Z", to: "2026-12-01T00:00:00Z", groupBy: $g) {
    key orders total { withVat withoutVat vat vatPercent }
  }
}"""
RANGED = """query($from: DateTime!, $to: DateTime!) {
  salesSummary(from: $from, to: $to, groupBy: "DAY") { key orders }
}"""
MARK = """mutation($ids: [ID!]!, $e: Boolean) {
  markExported(orderIds: $ids, exported: $e) {
    ok results { orderId order { isExported revision } userErrors { code } }
  }
}"""


async def test_sales_summary(admin: GraphQLClient, demo_store: Store) -> None:
    await factories.committed_orders(demo_store.db, 3)

    data = await admin.execute(SUMMARY, {"g": "DAY"})
    bad = (await admin.post(SUMMARY, {"g": "YEAR"})).json()

    assert data["salesSummary"] == [
        {
            "key": "2026-11-25",
            "orders": 3,
            "total": {"withVat": "59.85", "withoutVat": "47.88", "vat": "11.97", "vatPercent": "25.00"},
        }
    ]
    assert bad["errors"][0]["message"] == "groupBy is one of DAY, MONTH or STATE."


@pytest.mark.parametrize(
    ("start", "stop", "days"),
    [
        ("2026-11-01T00:00:00Z", "2026-12-01T00:00:00Z", 3),  # whole days only: the rollup
        ("2026-11-24T06:30:00Z", "2026-11-26T18:00:00Z", 3),  # both ends cut: the rollup and two edges
        ("2026-11-25T06:30:00Z", "2026-11-25T18:00:00Z", 1),  # within one day: the orders alone
    ],
)
async def test_sales_summary_is_one_statement_for_any_range(
    admin: GraphQLClient, demo_store: Store, count_statements: StatementCounter, start: str, stop: str, days: int
) -> None:
    for offset in (-1, 0, 1):
        await factories.committed_orders(demo_store.db, 2, now=factories.NOW + datetime.timedelta(days=offset))
    await admin.execute(RANGED, {"from": start, "to": stop})  # the token's first use may write
    count_statements.statements.clear()

    data = await admin.execute(RANGED, {"from": start, "to": stop})

    assert [row["orders"] for row in data["salesSummary"]] == [2] * days
    # The token lookup, then the summary: whole days, edges and the default currency's minor unit at once.
    assert count_statements.count == 2, count_statements.statements


async def test_sales_summary_is_for_admins(storefront: GraphQLClient) -> None:
    response = (await storefront.post(SUMMARY, {"g": "DAY"})).json()

    assert response["errors"][0]["message"] == "Only an admin may read this."


async def test_mark_exported_and_back(admin: GraphQLClient, storefront: GraphQLClient, demo_store: Store) -> None:
    ids = await factories.committed_orders(demo_store.db, 2)

    refused = await storefront.execute(MARK, {"ids": ids})
    marked = await admin.execute(MARK, {"ids": ids})
    again = await admin.execute(MARK, {"ids": ids[:1]})
    back = await admin.execute(MARK, {"ids": ids[:1], "e": False})

    assert refused["markExported"]["ok"] is False
    assert [r["userErrors"] for r in refused["markExported"]["results"]] == [[{"code": "FORBIDDEN"}]] * 2
    assert marked["markExported"]["results"] == [
        {"orderId": public_id, "order": {"isExported": True, "revision": 2}, "userErrors": []} for public_id in ids
    ]
    assert again["markExported"]["results"][0]["userErrors"] == [{"code": "ALREADY_DONE"}]
    assert back["markExported"]["results"][0]["order"] == {"isExported": False, "revision": 3}
