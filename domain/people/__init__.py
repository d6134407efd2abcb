"""The people directory (人员目录): who may act, with which roles, on which organizations, as a decider.

    decide(state, command, ctx) -> list[Event]   refuses with a DomainError
    evolve(state, event) -> state                 total, never refuses

One directory per deployment, stream ``dir-people`` (``DIRECTORY_ID``), kept by its administrators
(``Role.ADMIN``) and audited like every other stream:

    OpenDirectory   the first administrator enters themself
    AddPerson, GrantRoles, RevokeRoles, SetScope, DisablePerson, EnablePerson   one person at a time
    ImportPeople    bootstrap from a YAML file (adds and replaces, never disables)
    RegisterKey     a person's public signing key (by the person, or an administrator)
    RecordImport    an organization or assessment import: who did it, from which file digest
    ResetPassword   a new password or second factor (the secret itself is never recorded)

Nobody changes their own roles, scope or status, and the last active administrator stays one.
Pure: no I/O, no clock (``ctx.now`` is given), no Temporal. The modules:

    commands   what is asked;  events  what is recorded (and the JSON adapters)
    state      the fold of the events;  decide  the rules;  evolve  the fold

``DECIDER`` is this kind as a value (domain/decider.py), for generic code.
"""

from __future__ import annotations

from domain.decider import Decider, Tick, no_calendar, no_wakeup
from domain.people.commands import (
    INTERNAL_COMMANDS,
    AddPerson,
    Command,
    DisablePerson,
    EnablePerson,
    GrantRoles,
    ImportPeople,
    OpenDirectory,
    PersonInput,
    RecordImport,
    RegisterKey,
    ResetPassword,
    RevokeRoles,
    SetScope,
)
from domain.people.decide import ROLES_ALLOWED, decide
from domain.people.events import (
    COMMAND_ADAPTER,
    EVENT_ADAPTER,
    NOTICE_EVENTS,
    DirectoryOpened,
    Event,
    ImportRecorded,
    KeyRegistered,
    PasswordReset,
    PeopleImported,
    PersonAdded,
    PersonDisabled,
    PersonEnabled,
    RolesGranted,
    RolesRevoked,
    ScopeSet,
)
from domain.people.evolve import evolve
from domain.people.state import (
    DIRECTORY_ID,
    INITIAL_STATE,
    KIND,
    PREFIX,
    DirectoryStage,
    DirectoryState,
    ImportRecord,
    Person,
    is_terminal,
)

DECIDER: Decider[DirectoryState, Command, Event] = Decider(
    name=KIND,
    prefix=PREFIX,
    initial=INITIAL_STATE,
    commands=COMMAND_ADAPTER,
    events=EVENT_ADAPTER,
    notice_events=NOTICE_EVENTS,
    decide=decide,
    evolve=evolve,
    is_terminal=is_terminal,
    next_wakeup=no_wakeup,
    calendar_years=no_calendar,
    internal_commands=INTERNAL_COMMANDS,
    signed_commands=frozenset(),
)
fold = DECIDER.fold

__all__ = [
    "COMMAND_ADAPTER",
    "DECIDER",
    "DIRECTORY_ID",
    "EVENT_ADAPTER",
    "INITIAL_STATE",
    "KIND",
    "NOTICE_EVENTS",
    "PREFIX",
    "ROLES_ALLOWED",
    "AddPerson",
    "PasswordReset",
    "ResetPassword",
    "Command",
    "DirectoryOpened",
    "DirectoryStage",
    "DirectoryState",
    "DisablePerson",
    "EnablePerson",
    "Event",
    "GrantRoles",
    "ImportPeople",
    "ImportRecord",
    "ImportRecorded",
    "KeyRegistered",
    "OpenDirectory",
    "PeopleImported",
    "Person",
    "PersonAdded",
    "PersonDisabled",
    "PersonEnabled",
    "PersonInput",
    "RecordImport",
    "RegisterKey",
    "RevokeRoles",
    "RolesGranted",
    "RolesRevoked",
    "ScopeSet",
    "SetScope",
    "Tick",
    "decide",
    "evolve",
    "fold",
    "is_terminal",
]
