"""Domain errors: a command that is not allowed now, with a stable code."""

from __future__ import annotations


class DomainError(Exception):
    """A command the rules refuse. ``code`` is stable and machine-readable."""

    code = "domain_error"

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class InvalidCommand(DomainError):
    code = "invalid_command"


class NotAllowedInStage(DomainError):
    code = "not_allowed_in_stage"


class PermissionDenied(DomainError):
    code = "permission_denied"


class SeparationOfDuties(DomainError):
    code = "separation_of_duties"


ERROR_TYPES: dict[str, type[DomainError]] = {
    cls.code: cls
    for cls in (DomainError, InvalidCommand, NotAllowedInStage, PermissionDenied, SeparationOfDuties)
}
