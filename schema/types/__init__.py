"""Strawberry object types. Resolvers return model rows; each type reads its fields from the row
(`strawberry.Parent`) and loads relations through the request's dataloaders."""
