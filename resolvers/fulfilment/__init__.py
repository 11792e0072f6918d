"""Moving orders through their flows: flows and states and their setup, bulk state changes, track and
trace, state mails and their delivery, and soft deletion. It imports `core`, `setup` and `payments`."""
