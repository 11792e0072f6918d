"""GraphQL operations over `resolvers.fulfilment`: each resolver decodes its input and calls one operation."""
