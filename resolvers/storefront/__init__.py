"""What a shopper does: carts (and what they keep of the visit), pricing and shipping fees, checkout and
quotes. It imports `core`, `setup`, `payments` and `fulfilment` (a completed checkout enters its first state)."""
