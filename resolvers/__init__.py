"""The domain: one module per capability. Operations take a session and plain values, return models,
raise `errors.DomainError`, and never import the GraphQL layer."""
