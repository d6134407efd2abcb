"""The one error a setting or an input file raises: a message a person can act on, no traceback.

Layers below the CLI (activities, reports, the worker) raise ``InputError``; the CLI prints it as one
line and exits 1 (cli/common.py's ``run``; service errors carry their own exit codes there).
"""

from __future__ import annotations


class InputError(Exception):
    """A bad setting or input file: ``message`` names the variable or file (and line) and the problem;
    ``code`` is a domain refusal's code when there is one (labelled for people by the CLI)."""

    def __init__(self, message: str, code: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.code = code
