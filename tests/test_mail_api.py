"""Track and trace, setTracking and state mails through HTTP, delivered to a real SMTP server."""

from __future__ import annotations

import pathlib
from typing import Any

import httpx
import sqlalchemy as sa

from models.enums import Role
from models.orders import Order
from models.settings import Settings
from resolvers.fulfilment import mail_delivery
from schema.app import create_app
from tests import factories, mail_helpers
from tests.conftest import GraphQLClient, Store, make_token

ERRORS = "userErrors { field message code }"
CONFIGURATION = f"trackAndTrace {{ id name urlTemplate parameters }} {ERRORS}"
CREATE = f"mutation($i: TrackAndTraceInput!) {{ createTrackAndTrace(input: $i) {{ {CONFIGURATION} }} }}"
UPDATE = (
    f"mutation($id: ID!, $i: TrackAndTraceInput!) {{ updateTrackAndTrace(id: $id, input: $i) {{ {CONFIGURATION} }} }}"
)
DELETE = f"mutation($id: ID!) {{ deleteTrackAndTrace(id: $id) {{ deletedId {ERRORS} }} }}"
SET_TRACKING = f"""mutation($o: ID!, $t: ID!, $n: String!, $p: JSON) {{
  setTracking(orderId: $o, trackAndTraceId: $t, trackingNumber: $n, parameters: $p) {{
    order {{ id revision trackingNumber trackingParameters trackingUrl trackAndTrace {{ name }}
             events {{ source message }} }}
    {ERRORS}
  }}
}}"""
SHIP = "mutation($ids: [ID!]!, $s: ID!) { changeState(orderIds: $ids, stateId: $s) { ok } }"
GLS = "https://gls.example/track/{Service}?n={TrackingNumber}&zip={Zip}"


async def _configurations(client: GraphQLClient) -> list[dict[str, Any]]:
    return (await client.execute("{ trackAndTraces { id name urlTemplate parameters } }"))["trackAndTraces"]


async def _shipped_state_id(client: GraphQLClient) -> str:
    data = await client.execute("query { flows(kind: ORDER) { states { id name } } }")
    return next(state["id"] for state in data["flows"][0]["states"] if state["name"] == "Shipped")


async def test_track_and_trace_setup(admin: GraphQLClient, storefront: GraphQLClient) -> None:
    created = (await admin.execute(CREATE, {"i": {"name": "GLS", "urlTemplate": GLS}}))["createTrackAndTrace"]
    refused = (await admin.execute(CREATE, {"i": {"name": "Bad", "urlTemplate": "https://x.example/{A"}}))[
        "createTrackAndTrace"
    ]
    forbidden = (await storefront.execute(CREATE, {"i": {"name": "Mine", "urlTemplate": GLS}}))["createTrackAndTrace"]
    gls_id = created["trackAndTrace"]["id"]
    renamed = (
        await admin.execute(UPDATE, {"id": gls_id, "i": {"name": "GLS DK", "urlTemplate": "https://gls.example/{Nr}"}})
    )["updateTrackAndTrace"]
    deleted = (await admin.execute(DELETE, {"id": gls_id}))["deleteTrackAndTrace"]
    again = (await admin.execute(DELETE, {"id": gls_id}))["deleteTrackAndTrace"]

    assert created == {
        "trackAndTrace": {
            "id": gls_id,
            "name": "GLS",
            "urlTemplate": GLS,
            "parameters": ["Service", "TrackingNumber", "Zip"],
        },
        "userErrors": [],
    }
    assert refused["trackAndTrace"] is None
    assert [(e["field"], e["code"]) for e in refused["userErrors"]] == [(["input", "urlTemplate"], "INVALID")]
    assert [e["code"] for e in forbidden["userErrors"]] == ["FORBIDDEN"]
    assert renamed["trackAndTrace"]["parameters"] == ["Nr"]
    assert deleted == {"deletedId": gls_id, "userErrors": []}
    assert [(e["field"], e["code"]) for e in again["userErrors"]] == [(["id"], "ALREADY_DONE")]
    assert [c["name"] for c in await _configurations(admin)] == ["PostNord"]


async def test_set_tracking_then_ship_and_deliver_the_mail_with_its_link(
    admin: GraphQLClient, storefront: GraphQLClient, demo_store: Store
) -> None:
    [order_id] = await factories.committed_orders(demo_store.db, 1, state="Picked")
    async with demo_store.db.write_sessions() as session, session.begin():
        await session.execute(sa.update(Order).values(delivery_zip="8000"))
    gls = (await admin.execute(CREATE, {"i": {"name": "GLS", "urlTemplate": GLS}}))["createTrackAndTrace"]
    variables = {"o": order_id, "t": gls["trackAndTrace"]["id"], "n": "GL 7/1"}

    unknown = (await admin.execute(SET_TRACKING, {**variables, "p": {"Service": "x", "Speed": "fast"}}))["setTracking"]
    not_admin = (await storefront.execute(SET_TRACKING, {**variables, "p": {"Service": "x"}}))["setTracking"]
    tracked = (await admin.execute(SET_TRACKING, {**variables, "p": {"Service": "parcel & co"}}))["setTracking"]
    await admin.execute(SHIP, {"ids": [order_id], "s": await _shipped_state_id(admin)})
    collector = mail_helpers.Collector()
    with mail_helpers.smtp_server(collector) as port:
        report = await mail_delivery.deliver_due(
            demo_store.db.write_sessions, options=mail_helpers.options(port), clock=mail_helpers.Clock.now()
        )
    events = await admin.execute(
        "query($id: ID!) { order(id: $id) { events { source level message } } }", {"id": order_id}
    )

    url = "https://gls.example/track/parcel%20%26%20co?n=GL%207%2F1&zip=8000"
    assert [(e["field"], e["code"]) for e in unknown["userErrors"]] == [(["parameters", "Speed"], "INVALID")]
    assert [e["code"] for e in not_admin["userErrors"]] == ["FORBIDDEN"]
    assert tracked["userErrors"] == []
    assert {
        key: tracked["order"][key] for key in ("revision", "trackingNumber", "trackingParameters", "trackingUrl")
    } == {
        "revision": 2,
        "trackingNumber": "GL 7/1",
        "trackingParameters": {"Service": "parcel & co"},
        "trackingUrl": url,
    }
    assert tracked["order"]["trackAndTrace"] == {"name": "GLS"}
    assert report == mail_delivery.Report(sent=1)
    [received] = collector.received
    assert received.message["Subject"] == f"Your order {order_id} is on its way"
    assert f'<a href="{url.replace("&", "&amp;")}">' in mail_helpers.html_body(received.message)
    assert [(e["source"], e["level"]) for e in events["order"]["events"]] == [
        ("setTracking", "INFO"),
        ("changeState", "INFO"),
        ("mail", "INFO"),
    ]


async def test_the_service_renders_from_its_configured_template_folder(
    demo_store: Store, tmp_path: pathlib.Path
) -> None:
    (tmp_path / "order-shipped.html").write_text("<html><body>Hej {{ order.customer.name }}</body></html>")
    [order_id] = await factories.committed_orders(demo_store.db, 1, state="Picked", customer_name="Åse <Ø>")
    settings = Settings(database_url=demo_store.url, mail_template_folder=str(tmp_path))
    app = create_app(settings, db=demo_store.db)
    token = await make_token(demo_store, Role.ADMIN)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://ordergraph.test") as http:
        client = GraphQLClient(http, token)
        await client.execute(SHIP, {"ids": [order_id], "s": await _shipped_state_id(client)})

    [queued] = await mail_helpers.outbox(demo_store.db)
    assert queued.body == "<html><body>Hej Åse &lt;Ø&gt;</body></html>"
