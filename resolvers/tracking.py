"""Track and trace: filling a configuration's URL template for an order."""

from __future__ import annotations

import re
import urllib.parse

from models.catalog import TrackAndTrace
from models.orders import Order

PLACEHOLDER = re.compile(r"\{(\w+)\}")


def parameters_of(url_template: str) -> list[str]:
    """The template's placeholders, in order, each once."""
    return list(dict.fromkeys(PLACEHOLDER.findall(url_template)))


def url_for(order: Order, configuration: TrackAndTrace) -> str:
    """The template with TrackingNumber, the order's parameters and its delivery details filled in (URL-encoded)."""
    values: dict[str, str] = {
        "TrackingNumber": order.tracking_number or "",
        "OrderId": order.public_id,
        "Zip": order.delivery_zip or order.customer_zip or "",
        "CountryCode": order.delivery_country_code or order.customer_country_code or "",
    }
    values.update({str(key): str(value) for key, value in (order.tracking_parameters or {}).items()})
    return PLACEHOLDER.sub(
        lambda match: urllib.parse.quote(values.get(match.group(1), ""), safe=""), configuration.url_template
    )
