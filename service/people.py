"""The people directory (人员目录): who may act, with which roles and scope — changed only by audited
commands of an administrator (docs/security.md), read by sign-in and by `pdca person list`.

Every function sends one command to the ``dir-people`` stream as ``deps.caller``; the workflow
verifies the caller's credential and the directory's rules decide (an administrator, never about
themself, never leaving no administrator). Passwords are set only after an audited ``ResetPassword``
was accepted, and never enter the record.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from pathlib import Path

from domain.actors import Role
from domain.people import (
    DIRECTORY_ID,
    AddPerson,
    DirectoryState,
    DisablePerson,
    EnablePerson,
    GrantRoles,
    ImportPeople,
    PersonInput,
    RecordImport,
    ResetPassword,
    RevokeRoles,
    SetScope,
)
from service import signin
from service.bootstrap import Deps
from service.commands import Done, command, send, trail
from service.errors import Refused
from settings.directory import ActorDirectory
from settings.files import load_model
from store.account_models import get_account
from store.models import AuditEvent


@dataclass(frozen=True)
class PasswordSet:
    person_id: str
    password: str  # shown once to the administrator, who hands it over; never stored in clear


def file_digest(path: Path) -> str:
    return "sha256:" + hashlib.sha256(path.read_bytes()).hexdigest()


def directory(deps: Deps) -> DirectoryState:
    return signin.read_directory(deps)


async def add_person(deps: Deps, person_id: str, name: str, roles: list[str], scope: list[str]) -> tuple[Done, PasswordSet]:
    """Add a person and give them a first password (shown once)."""
    person = command(PersonInput, id=person_id, name=name, roles=roles, scope=scope or ["*"])
    done = await send(deps, DIRECTORY_ID, command(AddPerson, actor=deps.caller.actor, person=person))
    return done, await reset_password(deps, person_id)


async def grant(deps: Deps, person_id: str, roles: list[str]) -> Done:
    return await send(deps, DIRECTORY_ID, command(GrantRoles, actor=deps.caller.actor, person_id=person_id, roles=roles))


async def revoke(deps: Deps, person_id: str, roles: list[str]) -> Done:
    return await send(deps, DIRECTORY_ID, command(RevokeRoles, actor=deps.caller.actor, person_id=person_id, roles=roles))


async def set_scope(deps: Deps, person_id: str, scope: list[str]) -> Done:
    return await send(deps, DIRECTORY_ID, command(SetScope, actor=deps.caller.actor, person_id=person_id, scope=scope))


async def disable(deps: Deps, person_id: str, reason: str) -> Done:
    return await send(deps, DIRECTORY_ID, command(DisablePerson, actor=deps.caller.actor, person_id=person_id, reason=reason))


async def enable(deps: Deps, person_id: str, note: str = "") -> Done:
    return await send(deps, DIRECTORY_ID, command(EnablePerson, actor=deps.caller.actor, person_id=person_id, note=note))


async def reset_password(deps: Deps, person_id: str, password: str | None = None) -> PasswordSet:
    """An audited ``ResetPassword`` (an administrator, or the person themself), then the new argon2id
    hash; ``password`` None: a random one, returned to be handed over."""
    password = password or secrets.token_urlsafe(12)
    signin.check_password_strength(password)
    await send(deps, DIRECTORY_ID, command(ResetPassword, actor=deps.caller.actor, person_id=person_id, second_factor=False))
    with deps.database() as engine:
        signin.set_password(engine, person_id, password)
    return PasswordSet(person_id, password)


async def enroll_totp(deps: Deps, person_id: str) -> tuple[str, str]:
    """An audited ``ResetPassword`` of the second factor, then a new TOTP secret: (secret, otpauth URI)."""
    await send(deps, DIRECTORY_ID, command(ResetPassword, actor=deps.caller.actor, person_id=person_id, second_factor=True))
    with deps.database() as engine:
        return signin.enroll_totp(engine, person_id)


async def import_people(deps: Deps, path: Path, passwords: bool = False) -> tuple[Done, list[PasswordSet]]:
    """Bootstrap the directory from an actors YAML (examples/actors.yaml's format): one audited
    ``ImportPeople`` with the file's digest; ``passwords``: a first password for each person who has none."""
    loaded = load_model(ActorDirectory, path)
    people = [
        command(PersonInput, id=a.id, name=a.name, roles=[r.value for r in a.roles if r != Role.SYSTEM], scope=a.scope)
        for a in loaded.actors
        if Role.SYSTEM not in a.roles or len(a.roles) > 1
    ]
    if not people:
        raise Refused(f"{path} lists nobody who may sign in")
    done = await send(
        deps,
        DIRECTORY_ID,
        command(ImportPeople, actor=deps.caller.actor, file_name=path.name, file_digest=file_digest(path), people=people),
    )
    issued: list[PasswordSet] = []
    if passwords:
        with deps.database() as engine:
            missing = [p.id for p in people if get_account(engine, p.id) is None]
        for person_id in missing:
            issued.append(await reset_password(deps, person_id))
    return done, issued


async def record_import(deps: Deps, what: str, path: Path, summary: dict[str, int], codes: list[str]) -> Done:
    """The audited record of an organization or assessment import: who, which file (its digest), what changed."""
    return await send(
        deps,
        DIRECTORY_ID,
        command(
            RecordImport,
            actor=deps.caller.actor,
            what=what,
            file_name=path.name,
            file_digest=file_digest(path),
            summary=summary,
            codes=codes,
        ),
    )


def history(deps: Deps) -> list[AuditEvent]:
    """The directory's audit rows in order: who added, granted, revoked, imported, registered keys."""
    return trail(deps, DIRECTORY_ID, "the people directory is empty: `pdca up` creates the first administrator")
