"""Moving orders through their flows: flows and states and their setup, bulk state changes and the
transitions they judge by, track and trace, state mails and their delivery, and soft deletion. It
imports `core`, `setup` and `payments`."""
