"""GraphQL operations over `resolvers.storefront`: each resolver decodes its input and calls one operation."""
