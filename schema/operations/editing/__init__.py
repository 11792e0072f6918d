"""GraphQL operations over `resolvers.editing`: each resolver decodes its input and calls one operation."""
