"""The catalogue and setup queries through HTTP, on the demo data."""

from __future__ import annotations

from tests.conftest import GraphQLClient


async def test_products_have_exact_four_part_prices(api: GraphQLClient) -> None:
    data = await api.execute(
        'query { products(search: "t-shirt, black") '
        "{ number name stock unitPrice { withVat withoutVat vat vatPercent } } }"
    )

    assert data["products"] == [
        {
            "number": "TSHIRT-BLK-M",
            "name": "T-shirt, black, M",
            "stock": "120.00",
            "unitPrice": {"withVat": "19.95", "withoutVat": "15.96", "vat": "3.99", "vatPercent": "25.00"},
        }
    ]


async def test_catalogue_lists_the_demo_setup(api: GraphQLClient, admin: GraphQLClient) -> None:
    data = await api.execute(
        """query {
          products(first: 100) { number }
          paymentMethods { name provider supportsCapture supportsPartialCapture fee { withVat } }
          shippingMethods { name code }
          trackAndTraces { name parameters }
        }"""
    )
    data |= await admin.execute(
        "query { flows(kind: ORDER) "
        "{ name kind isDefault states { name isDefault allowedNext { name } mail { template } } } }"
    )

    assert len(data["products"]) == 22
    assert data["paymentMethods"] == [
        {
            "name": "Invoice",
            "provider": "manual",
            "supportsCapture": False,
            "supportsPartialCapture": False,
            "fee": {"withVat": "2.50"},
        },
        {
            "name": "Card",
            "provider": "test",
            "supportsCapture": True,
            "supportsPartialCapture": True,
            "fee": {"withVat": "0.00"},
        },
    ]
    assert [method["code"] for method in data["shippingMethods"]] == ["FLAT", "PARCEL"]
    assert data["trackAndTraces"] == [{"name": "PostNord", "parameters": ["TrackingNumber", "Zip"]}]
    [order_flow] = data["flows"]
    assert order_flow["isDefault"] is True
    assert [(state["name"], state["isDefault"]) for state in order_flow["states"]] == [
        ("Received", True),
        ("Picked", False),
        ("Shipped", False),
        ("Completed", False),
    ]
    assert order_flow["states"][0]["allowedNext"] == [{"name": "Picked"}]
    assert order_flow["states"][2]["mail"] == {"template": "order-shipped.html"}


async def test_flow_and_state_by_id(admin: GraphQLClient) -> None:
    flows = await admin.execute("query { flows(kind: QUOTE) { id states { id name allowOrder } } }")
    flow_id = flows["flows"][0]["id"]
    offered = next(state for state in flows["flows"][0]["states"] if state["name"] == "Offered")

    data = await admin.execute(
        "query($f: ID!, $s: ID!) { flow(id: $f) { name kind } state(id: $s) { name allowOrder flow { id } } "
        'missing: flow(id: "999999") { id } garbage: state(id: "x") { id } }',
        {"f": flow_id, "s": offered["id"]},
    )

    assert data == {
        "flow": {"name": "Quotes", "kind": "QUOTE"},
        "state": {"name": "Offered", "allowOrder": True, "flow": {"id": flow_id}},
        "missing": None,
        "garbage": None,
    }
