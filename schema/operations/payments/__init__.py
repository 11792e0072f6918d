"""GraphQL operations over `resolvers.payments`: each resolver decodes its input and calls one operation."""
