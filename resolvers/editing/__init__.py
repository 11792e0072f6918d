"""Admin edits of orders and quotes with version history: the edit itself, its line changes, and the
versions with their comparison. It imports `core`, `setup`, `storefront` (pricing) and `fulfilment`."""
