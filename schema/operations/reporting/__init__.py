"""GraphQL operations over `resolvers.reporting`: each resolver decodes its input and calls one operation."""
