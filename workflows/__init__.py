"""Temporal workflows: orchestration only. Rules live in ``domain``; I/O in ``activities``."""
