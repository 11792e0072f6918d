"""Money after the cart: the one engine every movement runs through (reserve, provider call outside
locks, settle), the ledger and its amounts, capture, refund, cancel, reconciliation, idempotency keys
and the payment providers. It imports `core` and `setup`; what a movement's success means to another
capability (completing a checkout, concluding a return) is passed in, never imported."""
