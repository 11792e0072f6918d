"""What a shop sets up before it sells: the catalogue (products, currencies, payment and shipping
methods) and its stock, custom field definitions and their validation, and the demo data. It
imports `core` only."""
