"""The shared core every capability stands on: coded errors, order events, access (viewers, tokens),
finding orders by public id, the order-row helpers bulk operations share, input validation and the
per-request loaders. It imports only `models`."""
