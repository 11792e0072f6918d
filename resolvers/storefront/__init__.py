"""What a shopper does: carts, pricing and shipping fees, checkout and quotes. It imports `core`,
`setup`, `payments` and `fulfilment` (a completed checkout enters its first state)."""
