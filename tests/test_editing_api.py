"""Editing through HTTP as an admin: exact totals, history, compare, refusals that change nothing, dry runs, races."""

from __future__ import annotations

import asyncio
from decimal import Decimal
from typing import Any

import sqlalchemy as sa

from models.enums import OrderKind, TransactionKind
from models.orders import OrderEvent, OrderVersion
from resolvers.core import orders
from resolvers.editing import versions
from tests import factories
from tests.conftest import GraphQLClient, Store

D = Decimal
PRICE = "{ withVat withoutVat vat vatPercent }"
ORDER = f"""id revision kind comment paymentDelta authorizedAmount
  delivery {{ city zip }} customer {{ email }}
  customFields {{ systemName value }}
  lines {{ id type parentLineId productNumber quantity unitPrice {PRICE} price {PRICE}
    customFields {{ systemName value }} }}
  subtotal {PRICE} discountTotal {PRICE} priceBeforeFees {PRICE} shippingFee {PRICE} total {PRICE}
  versions {{ number actor summary snapshot }}"""
EDIT = f"""mutation($o: ID!, $r: Int, $i: EditOrderInput!, $dry: Boolean) {{
  edit(orderId: $o, expectedRevision: $r, input: $i, dryRun: $dry) {{
    order {{ {ORDER} }} userErrors {{ field message code }} }} }}"""
READ = f"query($id: ID!) {{ order(id: $id) {{ {ORDER} }} }}"
COMPARE = """query($id: ID!, $from: Int!, $to: Int) { order(id: $id) {
  version(number: $from) { number snapshot }
  compare(from: $from, to: $to) { from to changes { path change before after } } } }"""


async def committed_order(store: Store, **kwargs: Any) -> str:
    """A committed order (`factories.create_order`'s arguments) of two T-shirts and a cookbook, 68.90."""
    return await factories.committed_order(store.db, lines=factories.SHIRTS_AND_BOOK, **kwargs)


async def edit(client: GraphQLClient, order_id: str, changes: dict[str, Any], **options: Any) -> dict[str, Any]:
    data = await client.execute(EDIT, {"o": order_id, "i": changes, **options})
    return data["edit"]


async def edited(client: GraphQLClient, order_id: str, changes: dict[str, Any], **options: Any) -> dict[str, Any]:
    payload = await edit(client, order_id, changes, **options)
    assert payload["userErrors"] == [], payload["userErrors"]
    return payload["order"]


async def read(client: GraphQLClient, order_id: str) -> dict[str, Any]:
    return (await client.execute(READ, {"id": order_id}))["order"]


async def stored(store: Store, order_id: str) -> tuple[Any, ...]:
    """Everything an edit may write, read back from the store in a fresh session."""
    async with store.db.read_sessions() as session:
        order = await orders.find(session, order_id)
        assert order is not None
        count = sa.select(sa.func.count())
        return (
            await versions.current_snapshot(session, order=order),
            order.revision,
            order.modified_at,
            order.price_calculated_at,
            await session.scalar(count.select_from(OrderVersion).where(OrderVersion.order_id == order.id)),
            await session.scalar(count.select_from(OrderEvent).where(OrderEvent.order_id == order.id)),
        )


def money(price: dict[str, str]) -> tuple[Decimal, ...]:
    return tuple(D(price[part]) for part in ("withVat", "withoutVat", "vat"))


async def test_every_edit_kind_with_exact_totals(admin: GraphQLClient, demo_store: Store) -> None:
    order_id = await committed_order(
        demo_store, transactions=[(TransactionKind.AUTHORIZE, factories.SUCCEEDED, D("68.90"))]
    )
    products = {
        p["number"]: p["id"] for p in (await admin.execute("{ products(first: 100) { id number } }"))["products"]
    }
    shirt, book = (line["id"] for line in (await read(admin, order_id))["lines"])

    quantity = await edited(admin, order_id, {"lines": [{"lineId": shirt, "quantity": "3"}]}, r=1)
    assert money(quantity["total"]) == (D("88.85"), D("76.88"), D("11.97"))
    assert D(quantity["paymentDelta"]) == D("19.95")

    overridden = await edited(admin, order_id, {"lines": [{"lineId": book, "unitPrice": "20.00"}]})
    assert money(overridden["lines"][1]["unitPrice"]) == (D("20.00"), D("20.00"), D("0.00"))
    assert money(overridden["total"]) == (D("79.85"), D("67.88"), D("11.97"))

    added = await edited(
        admin, order_id, {"lines": [{"productId": products["MUG-CER"], "quantity": "2", "discountAmount": "1.90"}]}
    )
    mug, mug_discount = added["lines"][2:]
    assert (mug["productNumber"], D(mug["quantity"]), money(mug["price"])) == (
        "MUG-CER",
        D(2),
        (D("17.90"), D("14.32"), D("3.58")),
    )
    assert (mug_discount["type"], mug_discount["parentLineId"]) == ("DISCOUNT", mug["id"])
    assert money(mug_discount["price"]) == (D("-1.90"), D("-1.52"), D("-0.38"))
    assert money(added["subtotal"]) == (D("95.85"), D("80.68"), D("15.17"))

    discounted = await edited(admin, order_id, {"addOrderDiscounts": [{"name": "Sorry for the wait", "percent": "10"}]})
    order_discount = discounted["lines"][-1]
    assert (order_discount["type"], order_discount["parentLineId"]) == ("DISCOUNT", None)
    assert D(order_discount["price"]["withVat"]) == D("-9.59")
    assert money(discounted["total"]) == (D("86.26"), D("72.61"), D("13.65"))
    assert money(discounted["discountTotal"]) == (D("-11.49"), D("-9.59"), D("-1.90"))

    removed = await edited(
        admin,
        order_id,
        {"removeDiscountLineIds": [order_discount["id"]], "lines": [{"lineId": mug["id"], "remove": True}]},
    )
    assert [line["productNumber"] for line in removed["lines"]] == ["TSHIRT-BLK-M", "BOOK-COOK"]
    assert money(removed["total"]) == (D("79.85"), D("67.88"), D("11.97"))

    details = await edited(
        admin,
        order_id,
        {"delivery": {"city": "Odense", "zip": "5000"}, "customer": {"email": "ada@example.org"}, "comment": "Gift"},
    )
    assert (details["delivery"], details["customer"]["email"], details["comment"]) == (
        {"city": "Odense", "zip": "5000"},
        "ada@example.org",
        "Gift",
    )
    assert details["revision"] == 7
    assert [v["number"] for v in details["versions"]] == [1, 2, 3, 4, 5, 6]
    assert details["versions"][0]["summary"] == f"line {shirt} quantity 3"
    assert details["versions"][5]["summary"] == "customer details (email); delivery details (zip, city); comment"


async def test_snapshots_are_the_order_as_it_was_and_compare_names_paths(
    admin: GraphQLClient, demo_store: Store
) -> None:
    order_id = await committed_order(demo_store)
    shirt, book = (line["id"] for line in (await read(admin, order_id))["lines"])
    before_first = (await stored(demo_store, order_id))[0]
    await edited(admin, order_id, {"delivery": {"city": "Odense"}, "lines": [{"lineId": shirt, "quantity": "4"}]})
    before_second = (await stored(demo_store, order_id))[0]
    await edited(admin, order_id, {"lines": [{"lineId": book, "remove": True}]})

    first = (await admin.execute(COMPARE, {"id": order_id, "from": 1}))["order"]
    second = (await admin.execute(COMPARE, {"id": order_id, "from": 2, "to": None}))["order"]
    between = (await admin.execute(COMPARE, {"id": order_id, "from": 1, "to": 2}))["order"]

    assert first["version"]["snapshot"] == before_first
    assert second["version"]["snapshot"] == before_second
    changes = {c["path"]: c for c in first["compare"]["changes"]}
    assert changes["delivery.city"] == {
        "path": "delivery.city",
        "change": "CHANGED",
        "before": "Aarhus",
        "after": "Odense",
    }
    assert (changes[f"lines.{shirt}.quantity"]["before"], changes[f"lines.{shirt}.quantity"]["after"]) == ("2", "4")
    assert changes[f"lines.{book}"]["change"] == "REMOVED"
    assert changes[f"lines.{book}"]["after"] is None
    assert (changes["total.withVat"]["before"], changes["total.withVat"]["after"]) == ("68.90", "79.80")
    assert (first["compare"]["from"], first["compare"]["to"]) == (1, None)
    assert f"lines.{book}" not in {c["path"] for c in between["compare"]["changes"]}
    assert {c["path"] for c in second["compare"]["changes"]} >= {f"lines.{book}", "total.withVat"}
    assert "delivery.city" not in {c["path"] for c in second["compare"]["changes"]}
    unknown = await admin.post("query($id: ID!) { order(id: $id) { compare(from: 9) { from } } }", {"id": order_id})
    assert unknown.json()["errors"][0]["message"] == "Version 9 was not found."


async def test_a_stale_revision_and_a_negative_total_leave_the_order_byte_for_byte_unchanged(
    admin: GraphQLClient, demo_store: Store
) -> None:
    order_id = await committed_order(demo_store)
    shirt = (await read(admin, order_id))["lines"][0]["id"]
    await edited(admin, order_id, {"comment": "first"}, r=1)
    before = await stored(demo_store, order_id)

    stale = await edit(admin, order_id, {"lines": [{"lineId": shirt, "quantity": "5"}]}, r=1)
    negative = await edit(
        admin,
        order_id,
        {"lines": [{"lineId": shirt, "quantity": "5"}], "addOrderDiscounts": [{"name": "All of it", "amount": "200"}]},
        r=2,
    )
    line_negative = await edit(admin, order_id, {"lines": [{"lineId": shirt, "discountAmount": "40"}]}, r=2)

    assert (stale["order"], [e["code"] for e in stale["userErrors"]]) == (None, ["STALE_REVISION"])
    assert stale["userErrors"][0]["field"] == ["expectedRevision"]
    assert [e["code"] for e in negative["userErrors"]] == ["NEGATIVE_TOTAL"]
    assert [e["code"] for e in line_negative["userErrors"]] == ["NEGATIVE_TOTAL"]
    assert await stored(demo_store, order_id) == before


async def test_a_dry_run_returns_what_the_edit_would_produce_and_writes_nothing(
    admin: GraphQLClient, demo_store: Store
) -> None:
    order_id = await committed_order(demo_store)
    products = {
        p["number"]: p["id"] for p in (await admin.execute("{ products(first: 100) { id number } }"))["products"]
    }
    shirt = (await read(admin, order_id))["lines"][0]["id"]
    definition = await admin.execute(
        'mutation { createCustomFieldDefinition(input: {systemName: "engraving", name: "Engraving", '
        "target: ORDER_LINE, type: TEXT}) { userErrors { code } } }"
    )
    assert definition["createCustomFieldDefinition"]["userErrors"] == []
    changes = {
        "lines": [
            {"lineId": shirt, "quantity": "3", "discountPercent": "10"},
            {"productId": products["CAP-NAVY"], "customFields": [{"systemName": "engraving", "value": "A.L."}]},
        ],
        "addOrderDiscounts": [{"name": "Loyalty", "amount": "5"}],
        "delivery": {"city": "Vejle"},
    }
    before = await stored(demo_store, order_id)

    preview = await edited(admin, order_id, changes, r=1, dry=True)

    assert await stored(demo_store, order_id) == before
    assert (preview["revision"], preview["versions"], preview["delivery"]["city"]) == (1, [], "Vejle")
    assert preview["lines"][-2]["customFields"] == [{"systemName": "engraving", "value": "A.L."}]
    real = await edited(admin, order_id, changes, r=1)
    strip = lambda lines: [{k: v for k, v in line.items() if k != "id" and k != "parentLineId"} for line in lines]  # noqa: E731
    assert strip(preview["lines"]) == strip(real["lines"])
    for part in ("subtotal", "discountTotal", "priceBeforeFees", "total"):
        assert preview[part] == real[part], part
    assert money(real["total"]) == (D("92.36"), D("79.39"), D("12.97"))
    assert real["revision"] == 2
    refused = await edit(admin, order_id, {"addOrderDiscounts": [{"name": "x", "amount": "500"}]}, dry=True)
    assert [e["code"] for e in refused["userErrors"]] == ["NEGATIVE_TOTAL"]


async def test_two_concurrent_edits_from_the_same_revision_one_wins(admin: GraphQLClient, demo_store: Store) -> None:
    order_id = await committed_order(demo_store)
    shirt = (await read(admin, order_id))["lines"][0]["id"]

    results = await asyncio.gather(
        edit(admin, order_id, {"lines": [{"lineId": shirt, "quantity": "3"}]}, r=1),
        edit(admin, order_id, {"lines": [{"lineId": shirt, "quantity": "7"}]}, r=1),
    )

    outcomes = sorted([e["code"] for e in result["userErrors"]] for result in results)
    assert outcomes == [[], ["STALE_REVISION"]]
    [winner] = [result["order"] for result in results if result["order"] is not None]
    now = await read(admin, order_id)
    assert (now["revision"], len(now["versions"])) == (2, 1)
    assert D(now["lines"][0]["quantity"]) == D(winner["lines"][0]["quantity"])


async def test_only_admins_edit_and_only_what_may_be_edited(
    api: GraphQLClient, storefront: GraphQLClient, admin: GraphQLClient, demo_store: Store
) -> None:
    order_id = await committed_order(demo_store)
    picked = await committed_order(demo_store, state="Picked")
    quote = await committed_order(demo_store, kind=OrderKind.QUOTE, state="Requested")

    for client in (api, storefront):
        refused = await edit(client, order_id, {"comment": "x"})
        assert [e["code"] for e in refused["userErrors"]] == ["FORBIDDEN"]
    not_editable = await edit(admin, picked, {"comment": "x"})
    missing = await edit(admin, "ORDER999999", {"comment": "x"})
    bad_line = await edit(admin, order_id, {"lines": [{"lineId": "nope", "quantity": "1"}]})
    fields = await edit(admin, order_id, {"customFields": [{"systemName": "gift", "value": True}]})
    quote_edit = await edited(admin, quote, {"comment": "We can deliver in May"})

    assert [e["code"] for e in not_editable["userErrors"]] == ["NOT_EDITABLE"]
    assert (missing["userErrors"][0]["code"], missing["userErrors"][0]["field"]) == ("NOT_FOUND", ["orderId"])
    assert (bad_line["userErrors"][0]["code"], bad_line["userErrors"][0]["field"]) == (
        "NOT_FOUND",
        ["input", "lines", "0", "lineId"],
    )
    assert (fields["userErrors"][0]["code"], fields["userErrors"][0]["field"]) == (
        "INVALID",
        ["input", "customFields", "0", "systemName"],
    )
    assert (quote_edit["kind"], quote_edit["comment"], quote_edit["revision"]) == ("QUOTE", "We can deliver in May", 2)
    assert (await read(admin, order_id))["revision"] == 1
