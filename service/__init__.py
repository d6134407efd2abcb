"""The service layer: what any door (the CLI, an HTTP API) asks of Temporal and the audit store."""
