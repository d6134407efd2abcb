"""What people (the directory's administrators, and each person for their own key) ask of the directory.

Every command refuses unknown keys (``domain.decider.Input``). Roles, scope and status are the
directory's: who may do what here is read from the directory state, never from the credential's claims.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field, field_validator

from domain.actors import Role
from domain.decider import Command as _Command
from domain.decider import Input, Tick
from domain.identity.credentials import PersonKey
from domain.limits import MAX_ID, MAX_ITEMS, MAX_NAME, MAX_PEOPLE, MAX_TEXT, Cap

PERSON_ID_PATTERN = r"^[A-Za-z0-9_.@-]+$"
RESERVED_IDS = frozenset({"system"})  # the workflow's own timers act as ``system``

PersonId = Annotated[str, Field(min_length=1, max_length=64, pattern=PERSON_ID_PATTERN)]
# "<algorithm>:<lowercase hex>", e.g. "sha256:9f86d0…" (the digest of the imported file's bytes)
FileDigest = Annotated[str, Field(min_length=1, pattern=r"^[a-z0-9]+:[0-9a-f]+$"), Cap(MAX_NAME)]


def _no_system_role(roles: list[Role]) -> list[Role]:
    """Refuse the system role; drop repeated roles, keeping their order."""
    if Role.SYSTEM in roles:
        raise ValueError("no person may hold the system role (it is the workflow's own timers)")
    return list(dict.fromkeys(roles))


def _clean_scope(scope: list[str]) -> list[str]:
    """Trim each entry, refuse blank ones, drop repeated ones (keeping their order)."""
    cleaned = [entry.strip() for entry in scope]
    if any(not entry for entry in cleaned):
        raise ValueError("a scope entry is blank: give organization codes, region names or *")
    return list(dict.fromkeys(cleaned))


class PersonInput(Input):
    """One person as an administrator enters them (or a bootstrap YAML file lists them)."""

    id: PersonId
    name: Annotated[str, Cap(MAX_NAME)] = Field(default="")
    roles: Annotated[list[Role], Cap(MAX_ITEMS)] = Field(min_length=1)
    # Organization codes, region names, or "*" for every organization.
    scope: Annotated[list[Annotated[str, Cap(MAX_NAME)]], Cap(MAX_ITEMS)] = Field(default_factory=lambda: ["*"], min_length=1)

    @field_validator("id")
    @classmethod
    def _not_reserved(cls, value: str) -> str:
        if value.lower() in RESERVED_IDS:
            raise ValueError(f"the id {value!r} is reserved for the workflow's timers: choose another id")
        return value

    @field_validator("roles")
    @classmethod
    def _roles(cls, value: list[Role]) -> list[Role]:
        return _no_system_role(value)

    @field_validator("scope")
    @classmethod
    def _scope(cls, value: list[str]) -> list[str]:
        return _clean_scope(value)


class OpenDirectory(_Command):
    """The opening: the first administrator enters themself (the actor must be ``admin``)."""

    type: Literal["OpenDirectory"] = "OpenDirectory"
    admin: PersonInput


class AddPerson(_Command):
    type: Literal["AddPerson"] = "AddPerson"
    person: PersonInput


class GrantRoles(_Command):
    type: Literal["GrantRoles"] = "GrantRoles"
    person_id: Annotated[str, Cap(MAX_ID)] = Field(min_length=1)
    roles: list[Role] = Field(min_length=1)

    @field_validator("roles")
    @classmethod
    def _roles(cls, value: list[Role]) -> list[Role]:
        return _no_system_role(value)


class RevokeRoles(_Command):
    type: Literal["RevokeRoles"] = "RevokeRoles"
    person_id: Annotated[str, Cap(MAX_ID)] = Field(min_length=1)
    roles: list[Role] = Field(min_length=1)

    @field_validator("roles")
    @classmethod
    def _roles(cls, value: list[Role]) -> list[Role]:
        return list(dict.fromkeys(value))


class SetScope(_Command):
    type: Literal["SetScope"] = "SetScope"
    person_id: Annotated[str, Cap(MAX_ID)] = Field(min_length=1)
    scope: Annotated[list[Annotated[str, Cap(MAX_NAME)]], Cap(MAX_ITEMS)] = Field(min_length=1)

    @field_validator("scope")
    @classmethod
    def _scope(cls, value: list[str]) -> list[str]:
        return _clean_scope(value)


class DisablePerson(_Command):
    type: Literal["DisablePerson"] = "DisablePerson"
    person_id: Annotated[str, Cap(MAX_ID)] = Field(min_length=1)
    reason: Annotated[str, Cap(MAX_TEXT)] = Field(min_length=1)


class EnablePerson(_Command):
    type: Literal["EnablePerson"] = "EnablePerson"
    person_id: Annotated[str, Cap(MAX_ID)] = Field(min_length=1)
    note: Annotated[str, Cap(MAX_TEXT)] = Field(default="")


class ImportPeople(_Command):
    """Bootstrap from a YAML file: adds new ids, replaces name, roles and scope of existing ones, never
    disables anyone (people missing from the file stay as they are)."""

    type: Literal["ImportPeople"] = "ImportPeople"
    file_name: Annotated[str, Cap(MAX_NAME * 2)] = Field(min_length=1)
    file_digest: FileDigest
    people: Annotated[list[PersonInput], Cap(MAX_PEOPLE)] = Field(min_length=1)


class RegisterKey(_Command):
    """A person's public signing key (the last one registered is current); by the person or an administrator."""

    type: Literal["RegisterKey"] = "RegisterKey"
    person_id: Annotated[str, Cap(MAX_ID)] = Field(min_length=1)
    key: PersonKey


class RecordImport(_Command):
    """An organization or assessment import, recorded with who did it and from which file."""

    type: Literal["RecordImport"] = "RecordImport"
    what: Literal["organizations", "assessments", "pairings", "standards"]
    file_name: Annotated[str, Cap(MAX_NAME * 2)] = Field(min_length=1)
    file_digest: FileDigest
    summary: dict[str, int] = Field(default_factory=dict)  # e.g. {"added": 12, "updated": 3}
    codes: list[str] = Field(default_factory=list)  # the organization codes the import touched


class ResetPassword(_Command):
    """A new password (or, ``second_factor``, a new TOTP secret) for a person: by an administrator, or
    by the person themself. The secret is set by the server after this is accepted and never recorded."""

    type: Literal["ResetPassword"] = "ResetPassword"
    person_id: Annotated[str, Cap(MAX_ID)] = Field(min_length=1)
    second_factor: bool = False


Command = Annotated[
    OpenDirectory
    | AddPerson
    | GrantRoles
    | RevokeRoles
    | SetScope
    | DisablePerson
    | EnablePerson
    | ImportPeople
    | RegisterKey
    | RecordImport
    | ResetPassword
    | Tick,
    Field(discriminator="type"),
]
INTERNAL_COMMANDS = frozenset({"Tick"})
