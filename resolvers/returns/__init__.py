"""Returns (RMA): requesting, receiving (restocking), rejecting and refunding returned lines, and the
return flow's states. It imports `core`, `setup`, `payments` and `fulfilment`."""
