"""Per-capability Query and Mutation classes; `schema.root` composes them."""
