"""The facts the people directory records, and the adapters that read events and commands from JSON."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field, TypeAdapter

from domain.actors import Role
from domain.decider import Event as _Event
from domain.identity.credentials import PersonKey
from domain.people.commands import Command, PersonInput


class DirectoryOpened(_Event):
    type: Literal["DirectoryOpened"] = "DirectoryOpened"
    admin: PersonInput


class PersonAdded(_Event):
    type: Literal["PersonAdded"] = "PersonAdded"
    person: PersonInput


class RolesGranted(_Event):
    type: Literal["RolesGranted"] = "RolesGranted"
    person_id: str
    roles: list[Role]  # only the roles the person did not hold


class RolesRevoked(_Event):
    type: Literal["RolesRevoked"] = "RolesRevoked"
    person_id: str
    roles: list[Role]  # only the roles the person held


class ScopeSet(_Event):
    type: Literal["ScopeSet"] = "ScopeSet"
    person_id: str
    scope: list[str]


class PersonDisabled(_Event):
    type: Literal["PersonDisabled"] = "PersonDisabled"
    person_id: str
    reason: str


class PersonEnabled(_Event):
    type: Literal["PersonEnabled"] = "PersonEnabled"
    person_id: str
    note: str = ""


class PeopleImported(_Event):
    type: Literal["PeopleImported"] = "PeopleImported"
    file_name: str
    file_digest: str
    added: list[str]
    updated: list[str]
    people: list[PersonInput]  # only the added and updated ones, as the file gives them


class KeyRegistered(_Event):
    type: Literal["KeyRegistered"] = "KeyRegistered"
    person_id: str
    key: PersonKey


class ImportRecorded(_Event):
    type: Literal["ImportRecorded"] = "ImportRecorded"
    what: Literal["organizations", "assessments", "pairings", "standards"]
    file_name: str
    file_digest: str
    summary: dict[str, int]
    codes: list[str]


class PasswordReset(_Event):
    type: Literal["PasswordReset"] = "PasswordReset"
    person_id: str
    second_factor: bool = False


Event = Annotated[
    DirectoryOpened
    | PersonAdded
    | RolesGranted
    | RolesRevoked
    | ScopeSet
    | PersonDisabled
    | PersonEnabled
    | PeopleImported
    | KeyRegistered
    | ImportRecorded
    | PasswordReset,
    Field(discriminator="type"),
]
EVENT_ADAPTER: TypeAdapter[Event] = TypeAdapter(Event)
COMMAND_ADAPTER: TypeAdapter[Command] = TypeAdapter(Command)
NOTICE_EVENTS: frozenset[str] = frozenset()  # the directory notifies nobody
