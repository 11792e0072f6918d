"""GraphQL operations of `resolvers.integrations`: webhook endpoints (admin only)."""
