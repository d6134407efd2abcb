"""Persistence: the append-only, hash-chained audit event log and the projections read from it."""
