"""The people directory's state: the fold of its events."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Literal

from pydantic import BaseModel, Field

from domain.actors import Actor, Role
from domain.identity.credentials import PersonKey

KIND = "directory"
PREFIX = "dir-"
DIRECTORY_ID = "dir-people"  # one directory per deployment


class DirectoryStage(StrEnum):
    EMPTY = "empty"  # not opened: no administrator yet
    OPEN = "open"  # kept by its administrators


class Person(BaseModel):
    id: str
    name: str = ""
    roles: list[Role]
    scope: list[str] = Field(default_factory=lambda: ["*"])  # organization codes, region names, or "*"
    status: Literal["active", "disabled"] = "active"
    keys: list[PersonKey] = Field(default_factory=list)  # registered signing keys (public parts), oldest first

    @property
    def active(self) -> bool:
        return self.status == "active"

    @property
    def current_key(self) -> PersonKey | None:
        """The key the person signs with from the CLI now: the last one registered that is not a passkey
        (a new one replaces the earlier ones)."""
        return next((k for k in reversed(self.keys) if not k.is_passkey), None)

    @property
    def passkeys(self) -> list[PersonKey]:
        """Their passkeys (WebAuthn), oldest first: several may be in use at once (a phone, a laptop)."""
        return [k for k in self.keys if k.is_passkey]

    @property
    def current_passkey(self) -> PersonKey | None:
        """The passkey registered last (what a web console credential names unless it names another)."""
        return next((k for k in reversed(self.keys) if k.is_passkey), None)

    def passkey(self, credential_id: str) -> PersonKey | None:
        """Their passkey with this WebAuthn credential id."""
        return next((k for k in self.keys if k.is_passkey and k.credential_id == credential_id), None)

    def actor(self) -> Actor:
        return Actor(id=self.id, name=self.name, roles=list(self.roles), scope=list(self.scope))


class ImportRecord(BaseModel):
    """An organization or assessment import: who did it, when, from which file."""

    what: Literal["organizations", "assessments", "pairings", "standards"]
    file_name: str
    file_digest: str
    summary: dict[str, int] = Field(default_factory=dict)
    codes: list[str] = Field(default_factory=list)
    at: datetime
    actor: str


class DirectoryState(BaseModel):
    version: int = 0
    stage: DirectoryStage = DirectoryStage.EMPTY
    stage_since: datetime | None = None
    # what logs, notices and search attributes of a stream name (the directory concerns no organization)
    org_code: str = ""
    org_name: str = "人员目录"
    region: str = ""
    people: dict[str, Person] = Field(default_factory=dict)  # by id, in the order they were added
    imports: list[ImportRecord] = Field(default_factory=list)

    def person(self, person_id: str) -> Person | None:
        return self.people.get(person_id)

    def active_admins(self) -> list[str]:
        return [p.id for p in self.people.values() if p.active and Role.ADMIN in p.roles]

    def next_deadline(self) -> datetime | None:
        """The directory has no deadlines."""
        return None

    @property
    def overdue(self) -> bool:
        return False


INITIAL_STATE = DirectoryState()


def is_terminal(state: DirectoryState) -> bool:
    """The directory is never finished."""
    return False
