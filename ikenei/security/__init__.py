"""Secrets at rest: password hashing and field encryption."""
