"""Orders that come from elsewhere: imports from external channels (point of sale, marketplaces) and
recurring schedules that generate orders from a template, and how both arrive complete (`completed`).
It imports `core`, `setup`, `payments`, `fulfilment` and `storefront`."""
