"""The parts of an address as the schema describes them, for `Address` and `AddressInput` alike."""

from __future__ import annotations

import dataclasses
from typing import Any

import strawberry

from models.orders import ADDRESS_FIELDS

PARTS = {
    "company": "The company name.",
    "title": "A form of address, e.g. Ms.",
    "first_name": "The first name.",
    "middle_name": "The middle name.",
    "surname": "The family name.",
    "name": "The full name as one string.",
    "address": "The street address, first line.",
    "address2": "The second address line.",
    "house_number": "The house number, where kept apart from the street.",
    "zip": "The postal code (at most 50 characters).",
    "city": "The city or town.",
    "region": "The region or state (at most 50 characters).",
    "country": "The country's name.",
    "country_code": "The ISO 3166-1 alpha-2 country code, e.g. DK; it picks the shipping fee rules.",
    "phone": "The phone number (at most 50 characters).",
    "cell": "The mobile phone number (at most 50 characters).",
    "email": "The e-mail address; state mails go to the customer's.",
    "vat_reg_number": "The VAT registration number of a business customer.",
    "ean": "The EAN (GLN) number for electronic invoicing.",
    "customer_number": "The customer's number in the shop's own systems.",
}
assert set(PARTS) == set(ADDRESS_FIELDS), "every stored address field is described"


def fields(class_name: str) -> Any:
    """A dataclass of one optional, described string per stored address field, in the store's order."""
    return dataclasses.make_dataclass(
        class_name,
        [(name, str | None, strawberry.field(default=None, description=PARTS[name])) for name in ADDRESS_FIELDS],
    )
