"""GraphQL operations over `resolvers.core`: each resolver decodes its input and calls one operation."""
