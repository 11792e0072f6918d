"""What a new cart keeps of the request that created it (DynamicWeb's OrderReferrer and OrderLanguageId).

The GraphQL layer passes the headers as sent; these turn them into what the order's columns hold.
"""

from __future__ import annotations

import re

from models.orders import Order

# A BCP 47 language tag as Accept-Language lists them (da, da-DK, zh-Hant-TW); `*` and q-values are not tags.
_LANGUAGE_TAG = re.compile(r"[A-Za-z]{1,8}(?:-[A-Za-z0-9]{1,8})*")


def language_of(accept_language: str | None) -> str | None:
    """The first language tag of an Accept-Language header ("da-DK" of "da-DK,da;q=0.9"), or None."""
    length = _column_length("language_id")
    for item in (accept_language or "").split(","):
        tag = item.split(";", 1)[0].strip()
        if _LANGUAGE_TAG.fullmatch(tag) and len(tag) <= length:
            return tag
    return None


def referrer_of(referer: str | None) -> str | None:
    """The Referer header as the column holds it: stripped and cut to its length (it only informs)."""
    return (referer or "").strip()[: _column_length("referrer")] or None


def _column_length(column: str) -> int:
    length: int = getattr(Order.__table__.c[column].type, "length", None) or 0
    return length
