"""The GraphQL layer: Strawberry types, inputs, the root Query and Mutation, the Starlette app and the CLI."""
