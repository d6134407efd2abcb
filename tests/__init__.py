"""Test suites (a package so ``python -m tests.replay.record_history`` works)."""
