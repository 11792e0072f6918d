"""The demo customers: who they are, where they live, the currency they pay in, the id a CUSTOMER token binds."""

from __future__ import annotations

import dataclasses


@dataclasses.dataclass(frozen=True, slots=True)
class Customer:
    customer_id: str | None  # None: a guest who checks out without signing in
    first_name: str
    surname: str
    email: str
    address: str
    zip: str
    city: str
    country_code: str
    currency_code: str
    company: str | None = None

    @property
    def address_fields(self) -> dict[str, str | None]:
        """The address as `carts.DetailsInput` and edits take it (snake_case ADDRESS_FIELDS)."""
        return {
            "first_name": self.first_name,
            "surname": self.surname,
            "name": f"{self.first_name} {self.surname}",
            "company": self.company,
            "email": self.email,
            "address": self.address,
            "zip": self.zip,
            "city": self.city,
            "country": COUNTRIES[self.country_code],
            "country_code": self.country_code,
        }


COUNTRIES = {
    "DE": "Germany",
    "DK": "Denmark",
    "FR": "France",
    "GB": "United Kingdom",
    "IT": "Italy",
    "NL": "Netherlands",
    "PL": "Poland",
    "SE": "Sweden",
    "US": "United States",
}

CUSTOMERS = (
    Customer("ann", "Ann", "Jensen", "ann@example.com", "Nørregade 12", "1165", "København K", "DK", "DKK"),
    Customer("bo", "Bo", "Nielsen", "bo@example.com", "Vestergade 3", "8000", "Aarhus C", "DK", "DKK"),
    Customer("clara", "Clara", "Schmidt", "clara@example.com", "Lindenstraße 7", "10969", "Berlin", "DE", "EUR"),
    Customer("david", "David", "Okafor", "david@example.com", "Keizersgracht 101", "1015", "Amsterdam", "NL", "EUR"),
    Customer("emma", "Emma", "Rossi", "emma@example.com", "Via Roma 21", "20121", "Milano", "IT", "EUR"),
    Customer("finn", "Finn", "Larsen", "finn@example.com", "Algade 45", "9000", "Aalborg", "DK", "EUR"),
    Customer("grace", "Grace", "Miller", "grace@example.com", "200 Main Street", "02139", "Cambridge MA", "US", "USD"),
    Customer("henri", "Henri", "Dubois", "henri@example.com", "8 rue de Rivoli", "75004", "Paris", "FR", "EUR"),
    Customer("ivy", "Ivy", "Chen", "ivy@northwind.example", "Havnen 6", "2900", "Hellerup", "DK", "EUR", "Northwind"),
    Customer("jonas", "Jonas", "Berg", "jonas@example.com", "Storgatan 4", "11122", "Stockholm", "SE", "EUR"),
    Customer("kate", "Kate", "Walsh", "kate@example.com", "14 Elm Road", "10001", "New York NY", "US", "USD"),
    Customer("lars", "Lars", "Holm", "lars@example.com", "Torvet 2", "5000", "Odense C", "DK", "DKK"),
)  # fmt: skip

GUESTS = (
    Customer(None, "Mia", "Kowalski", "mia@example.com", "ul. Długa 5", "80-827", "Gdańsk", "PL", "EUR"),
    Customer(None, "Noah", "Andersen", "noah@example.com", "Havnegade 9", "6700", "Esbjerg", "DK", "DKK"),
    Customer(None, "Olivia", "Brown", "olivia@example.com", "5 King Street", "EH1 1AA", "Edinburgh", "GB", "EUR"),
    # The test gateway declines this customer's captures: the demo's failed transactions.
    Customer(None, "Paul", "Weber", "decline-capture@example.com", "Hauptstraße 1", "80331", "München", "DE", "EUR"),
)  # fmt: skip

DECLINING_GUEST = GUESTS[-1]
