"""The database core: the pool and its scopes, query loading and execution, records, connections."""
