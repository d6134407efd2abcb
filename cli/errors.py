"""One-line errors with stable exit codes."""

from __future__ import annotations

USER_ERROR = 1  # the input or the rules refused: fix and retry
USAGE = 2  # the command line itself (Click's own code)
UNAVAILABLE = 3  # Temporal or the worker could not be reached in time: retry later


class CliError(Exception):
    def __init__(self, message: str, exit_code: int = USER_ERROR, code: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.exit_code = exit_code
        self.code = code  # a domain refusal's code, labelled for people by the CLI


class UnknownCase(CliError):
    """Temporal does not know the case id (the audit log may still: see cli.main)."""

    def __init__(self, case_id: str) -> None:
        super().__init__(f"unknown case {case_id}")
        self.case_id = case_id
