"""Money after the cart: the one engine every movement runs through (plan, reserve, provider call
outside locks, settle), the ledger and its amounts, capture, refund, cancel, reconciliation,
idempotency keys and the payment providers. It imports `core` and `setup` only: what a movement
means to another capability (completing a checkout, concluding a return) is that capability's
`purposes.Purpose`, passed to the engine and registered for reconciliation, never imported."""
