"""GraphQL operations over `resolvers.returns`: each resolver decodes its input and calls one operation."""
