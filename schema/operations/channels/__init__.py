"""GraphQL operations over `resolvers.channels`: each resolver decodes its input and calls one operation."""
