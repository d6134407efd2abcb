"""How each directory event changes the state (total: events are facts, never refused)."""

from __future__ import annotations

from domain.people.commands import PersonInput
from domain.people.events import (
    DirectoryOpened,
    Event,
    ImportRecorded,
    KeyRegistered,
    PeopleImported,
    PersonAdded,
    PersonDisabled,
    PersonEnabled,
    RolesGranted,
    RolesRevoked,
    ScopeSet,
)
from domain.people.state import DirectoryStage, DirectoryState, ImportRecord, Person


def _person(entry: PersonInput) -> Person:
    return Person(id=entry.id, name=entry.name, roles=list(entry.roles), scope=list(entry.scope))


def evolve(state: DirectoryState, event: Event) -> DirectoryState:
    s = state.model_copy(deep=False)
    s.version = state.version + 1
    people = dict(state.people)
    if isinstance(event, DirectoryOpened):
        s.stage = DirectoryStage.OPEN
        s.stage_since = event.at
        people[event.admin.id] = _person(event.admin)
    elif isinstance(event, PersonAdded):
        people[event.person.id] = _person(event.person)
    elif isinstance(event, PeopleImported):
        for entry in event.people:
            known = people.get(entry.id)
            if known is None:
                people[entry.id] = _person(entry)
            else:  # name, roles and scope replaced; status and keys kept
                people[entry.id] = known.model_copy(update={"name": entry.name, "roles": list(entry.roles), "scope": list(entry.scope)})
    elif isinstance(event, ImportRecorded):
        record = ImportRecord(
            what=event.what,
            file_name=event.file_name,
            file_digest=event.file_digest,
            summary=dict(event.summary),
            codes=list(event.codes),
            at=event.at,
            actor=event.actor,
        )
        s.imports = [*state.imports, record]
    else:
        known = people.get(event.person_id)
        if known is None:  # a fact about someone the directory never held: nothing to change
            return s
        if isinstance(event, RolesGranted):
            people[known.id] = known.model_copy(update={"roles": [*known.roles, *(r for r in event.roles if r not in known.roles)]})
        elif isinstance(event, RolesRevoked):
            people[known.id] = known.model_copy(update={"roles": [r for r in known.roles if r not in event.roles]})
        elif isinstance(event, ScopeSet):
            people[known.id] = known.model_copy(update={"scope": list(event.scope)})
        elif isinstance(event, PersonDisabled):
            people[known.id] = known.model_copy(update={"status": "disabled"})
        elif isinstance(event, PersonEnabled):
            people[known.id] = known.model_copy(update={"status": "active"})
        elif isinstance(event, KeyRegistered):
            people[known.id] = known.model_copy(update={"keys": [*known.keys, event.key]})
    s.people = people
    return s
