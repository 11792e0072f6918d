"""The domain, in packages named after what a shop does; operations take a session and plain values,
return models, raise `core.errors.DomainError`, and never import the GraphQL or HTTP layer.

Packages import one way, lower ones first: core ← setup ← payments ← fulfilment ← storefront, returns,
editing, channels, reporting. `tests/test_layers.py` holds the allowed edges and checks them.
"""
