"""Database layer: schema, engine and migrations. Knows nothing of core/ or the UI."""
