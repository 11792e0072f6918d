"""What admins read across orders: the filtered, keyset-paged order list, the sales summary and export
marks. It imports `core`, `payments` (capture-state filters) and `fulfilment` (state ids)."""
