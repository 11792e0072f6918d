"""The shared core every capability stands on: coded errors, order events, access (viewers, tokens),
finding orders by public id, the order-row helpers bulk operations share, input validation, the
per-request loaders, the lifecycle rules every capability asks (`lifecycle`), and `testing_hooks`,
the one home of test-only hooks (never set in production). It imports only `models`."""
