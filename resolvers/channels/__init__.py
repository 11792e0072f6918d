"""Orders that come from elsewhere: imports from external channels (point of sale, marketplaces) and
recurring schedules that generate orders from a template. It imports `core`, `setup`, `payments`,
`fulfilment` and `storefront`."""
