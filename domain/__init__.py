"""Pure domain rules: commands -> events (decide), events -> state (evolve).

Nothing in this package performs I/O, reads the clock or imports Temporal: time
arrives as an argument, so the same functions run in unit tests, inside the
workflow sandbox and when projections are rebuilt from the audit log.
"""
