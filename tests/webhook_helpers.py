"""A real HTTP receiver on loopback, the webhook documents, and a worker run with a test clock."""

from __future__ import annotations

import dataclasses
import datetime
import http.server
import json
import threading
import time
from collections.abc import Iterator
from typing import Any

import sqlalchemy as sa

from models.webhooks import WebhookDelivery
from resolvers.integrations import webhook_delivery
from tests.conftest import GraphQLClient, Store

ERRORS = "userErrors { field message code }"
WEBHOOK = "id url events isActive description createdAt"
DELIVERY = "id event orderId status attempts lastResponseStatus lastError nextAttemptAt deliveredAt createdAt payload"
CREATE = f"""mutation($i: WebhookInput!) {{
  createWebhook(input: $i) {{ secret webhook {{ {WEBHOOK} }} {ERRORS} }} }}"""
UPDATE = f"""mutation($id: ID!, $i: WebhookInput!) {{
  updateWebhook(id: $id, input: $i) {{ secret webhook {{ {WEBHOOK} }} {ERRORS} }} }}"""
DELETE = f"mutation($id: ID!) {{ deleteWebhook(id: $id) {{ deletedId {ERRORS} }} }}"
ROTATE = f"mutation($id: ID!) {{ rotateWebhookSecret(id: $id) {{ secret webhook {{ id }} {ERRORS} }} }}"
REDELIVER = f"mutation($d: ID!) {{ redeliverWebhook(deliveryId: $d) {{ secret webhook {{ id }} {ERRORS} }} }}"
READ = f"""query($id: ID!, $status: DeliveryStatus) {{
  webhook(id: $id) {{ {WEBHOOK} deliveries(status: $status) {{ {DELIVERY} }} }} }}"""
# A receiver that does not answer within this many seconds is a failed attempt.
TIMEOUT_SECONDS = 0.5
HANG = -1


@dataclasses.dataclass(frozen=True)
class Received:
    headers: dict[str, str]
    body: str

    @property
    def type(self) -> str:
        return str(json.loads(self.body)["type"])


class Receiver:
    """An HTTP server in a thread: records every POST, answers the scripted statuses, then 204."""

    def __init__(self) -> None:
        self.received: list[Received] = []
        self.script: list[int] = []
        self._lock = threading.Lock()
        receiver = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers["content-length"])).decode()
                with receiver._lock:
                    receiver.received.append(Received({k.lower(): v for k, v in self.headers.items()}, body))
                    status = receiver.script.pop(0) if receiver.script else 204
                if status == HANG:
                    time.sleep(TIMEOUT_SECONDS * 4)
                    status = 204
                self.send_response(status)
                self.send_header("content-length", "0")
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hooks"
        self._thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> Receiver:
        self._thread.start()
        return self

    def __exit__(self, *_: Any) -> None:
        self.server.shutdown()
        self.server.server_close()

    def types(self) -> list[str]:
        return [received.type for received in self.received]


def receiving() -> Iterator[Receiver]:
    with Receiver() as receiver:
        yield receiver


class Clock:
    """The worker's clock: starts at the real time (deliveries are due from when they were written)."""

    def __init__(self) -> None:
        self.now = datetime.datetime.now(datetime.UTC) + datetime.timedelta(seconds=1)

    def __call__(self) -> datetime.datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += datetime.timedelta(**delta)


OPTIONS = webhook_delivery.Options(
    timeout_seconds=TIMEOUT_SECONDS, max_attempts=3, retry_after=datetime.timedelta(minutes=1), batch_size=5
)


async def deliver(store: Store, clock: Clock | None = None, **options: Any) -> webhook_delivery.Report:
    return await webhook_delivery.deliver_due(
        store.db.write_sessions, options=dataclasses.replace(OPTIONS, **options), clock=clock or Clock()
    )


async def subscribe(admin: GraphQLClient, url: str, events: list[str] | None = None, **fields: Any) -> tuple[str, str]:
    """Register an endpoint that must succeed: its id and secret."""
    payload = (await admin.execute(CREATE, {"i": {"url": url, "events": events or ALL_EVENTS, **fields}}))[
        "createWebhook"
    ]
    assert payload["userErrors"] == [], payload["userErrors"]
    return payload["webhook"]["id"], payload["secret"]


async def deliveries_of(store: Store) -> list[WebhookDelivery]:
    async with store.db.read_sessions() as session:
        return list((await session.scalars(sa.select(WebhookDelivery).order_by(WebhookDelivery.id))).all())


ALL_EVENTS = [
    "ORDER_CREATED", "ORDER_STATE_CHANGED", "ORDER_EDITED", "ORDER_CANCELLED", "ORDER_DELETED",
    "PAYMENT_AUTHORIZED", "PAYMENT_CAPTURED", "PAYMENT_REFUNDED", "PAYMENT_FAILED", "TRACKING_SET",
    "QUOTE_SUBMITTED", "QUOTE_ACCEPTED", "QUOTE_REJECTED",
    "RETURN_CREATED", "RETURN_RECEIVED", "RETURN_REFUNDED", "RETURN_REJECTED",
]  # fmt: skip
