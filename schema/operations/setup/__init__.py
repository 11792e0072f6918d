"""GraphQL operations over `resolvers.setup`: each resolver decodes its input and calls one operation."""
