"""What the service layer says went wrong, for any door (CLI, HTTP API) to word and map to its codes."""

from __future__ import annotations


class ServiceError(Exception):
    """A request the service could not carry out. ``code`` is a refusal's stable code when the rules
    refused (e.g. ``permission_denied``), for the door to label."""

    def __init__(self, message: str, code: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.code = code


class Refused(ServiceError):
    """The input or the rules refused: fix and retry."""


class InvalidField(Refused):
    """A field of the input the model refused: ``field`` is its dotted location (``measures.0.description``),
    ``reason`` what is wrong with it, for a door to word as its form labels the field."""

    def __init__(self, field: str, reason: str) -> None:
        super().__init__(f"{field + ': ' if field else ''}{reason}")
        self.field = field
        self.reason = reason


class NotFound(Refused):
    """No such case, project or campaign (in Temporal, and the audit log does not explain it)."""

    def __init__(self, message: str, stream_id: str) -> None:
        super().__init__(message)
        self.stream_id = stream_id


class Closed(Refused):
    """The stream is closed (a case 已销号, a project ended, a campaign's year summarized): it accepts
    no more commands, and its id cannot be opened again."""


class Unavailable(ServiceError):
    """Temporal, a worker or the audit database did not answer in time: retry later (with the same
    request id)."""
