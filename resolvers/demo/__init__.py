"""The demo shop's customers and orders: about 200 carts, quotes and orders of every kind, flow state and
capture state, made through the same domain operations the API runs (carts, checkout, quotes, capture,
refund, cancel, state changes, tracking, edits, returns, recurring), so their ledger, stock and events
are those of real ones. `plans` decides what each record goes through (seeded, no I/O), `journeys`
takes one record through it, `orders` runs them all once. It imports every package but `integrations`;
nothing imports it: `ordergraph seed --demo` runs it after the catalogue of `setup.demo`."""
