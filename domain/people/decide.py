"""The directory's rules: who may change whom, and the events a command yields (pure).

    decide(state, command, ctx) -> list[Event]   refuses with a DomainError

Who acts is read from the directory itself: the actor must be an active person in it, and the
roles that count (``admin`` above all) are the ones the directory holds, not the credential's claims.
Nobody changes their own roles, scope or status, and the last active administrator stays one.
"""

from __future__ import annotations

from collections.abc import Iterable

from domain.actors import Role
from domain.decider import Context, Tick
from domain.errors import InvalidCommand, NotAllowedInStage, PermissionDenied, SeparationOfDuties
from domain.identity.algorithms import unb64
from domain.identity.credentials import PersonKey
from domain.identity.webauthn import KEY_ALGORITHMS, MAX_CREDENTIAL_ID, PUBLIC_KEY_BYTES, key_fingerprint, public_key_problem
from domain.people.commands import (
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
from domain.people.events import (
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
from domain.people.state import DirectoryStage, DirectoryState, Person

_ADMINS = frozenset({Role.ADMIN})
# The directory roles each command needs (RegisterKey: the person themself, or an administrator).
ROLES_ALLOWED: dict[str, frozenset[Role]] = {
    "AddPerson": _ADMINS,
    "GrantRoles": _ADMINS,
    "RevokeRoles": _ADMINS,
    "SetScope": _ADMINS,
    "DisablePerson": _ADMINS,
    "EnablePerson": _ADMINS,
    "ImportPeople": _ADMINS,
    "RecordImport": _ADMINS | {Role.SUPERVISOR},
}
# public key sizes in bytes (domain/identity/algorithms.py, domain/identity/webauthn.py)
_PUBLIC_KEY_BYTES: dict[str, int] = {"ed25519": 32, "sm2": 64, **PUBLIC_KEY_BYTES}


def _roles(roles: Iterable[Role]) -> str:
    return ", ".join(role.value for role in roles)


def _acting(state: DirectoryState, command: Command) -> Person:
    """The actor as the directory holds them: present and active."""
    person = state.person(command.actor.id)
    if person is None:
        raise PermissionDenied(f"{command.actor.id} is not in the people directory")
    if not person.active:
        raise PermissionDenied(f"{command.actor.id} is disabled in the people directory")
    return person


def _require(actor: Person, command_type: str) -> None:
    allowed = ROLES_ALLOWED[command_type]
    if not any(role in allowed for role in actor.roles):
        raise PermissionDenied(f"{actor.id} has none of the directory roles allowed to {command_type}: {_roles(sorted(allowed))}")


def _not_self(actor: Person, person_id: str, what: str) -> None:
    if person_id == actor.id:
        raise SeparationOfDuties(f"{actor.id} may not change their own {what}: another administrator must")


def _target(state: DirectoryState, person_id: str) -> Person:
    person = state.person(person_id)
    if person is None:
        raise InvalidCommand(f"{person_id} is not in the people directory")
    return person


def _keep_an_admin(state: DirectoryState, events: list[Event]) -> list[Event]:
    """The events, unless they would leave the directory without an active administrator."""
    before = state.active_admins()
    after = state
    for event in events:
        after = evolve(after, event)
    if before and not after.active_admins():
        raise InvalidCommand(
            f"{', '.join(before)} would no longer be an active administrator and none would be left: "
            "grant the admin role to someone else first"
        )
    return events


def decide(state: DirectoryState, command: Command, ctx: Context) -> list[Event]:
    if isinstance(command, Tick):
        return []  # the directory has no clock
    if isinstance(command, OpenDirectory):
        return _open(state, command, ctx)
    if state.stage != DirectoryStage.OPEN:
        raise NotAllowedInStage(f"{command.type} is not allowed before the people directory is opened (OpenDirectory)")
    actor = _acting(state, command)
    if isinstance(command, RegisterKey):
        return _register_key(state, actor, command, ctx)
    if isinstance(command, ResetPassword):
        target = _target(state, command.person_id)
        if target.id != actor.id and Role.ADMIN not in actor.roles:
            raise PermissionDenied(f"{actor.id} may reset only their own password: {target.id}'s is an administrator's to reset")
        if not target.active:
            raise InvalidCommand(f"{target.id} is disabled: enable them first")
        return [PasswordReset(**ctx.stamp(command), person_id=target.id, second_factor=command.second_factor)]
    _require(actor, command.type)
    if isinstance(command, RecordImport):
        return [
            ImportRecorded(
                **ctx.stamp(command),
                what=command.what,
                file_name=command.file_name,
                file_digest=command.file_digest,
                summary=dict(command.summary),
                codes=list(command.codes),
            )
        ]
    if isinstance(command, AddPerson):
        if command.person.id in state.people:
            raise InvalidCommand(
                f"{command.person.id} is already in the people directory: change them with GrantRoles, RevokeRoles or SetScope"
            )
        return [PersonAdded(**ctx.stamp(command), person=command.person)]
    if isinstance(command, ImportPeople):
        return _import(state, actor, command, ctx)
    if isinstance(command, GrantRoles):
        _not_self(actor, command.person_id, "roles")
        target = _target(state, command.person_id)
        new = [role for role in command.roles if role not in target.roles]
        if not new:
            raise InvalidCommand(f"{target.id} already holds {_roles(command.roles)}: nothing to change")
        return [RolesGranted(**ctx.stamp(command), person_id=target.id, roles=new)]
    if isinstance(command, RevokeRoles):
        _not_self(actor, command.person_id, "roles")
        target = _target(state, command.person_id)
        held = [role for role in command.roles if role in target.roles]
        if not held:
            raise InvalidCommand(f"{target.id} holds none of {_roles(command.roles)}: nothing to change")
        if all(role in held for role in target.roles):
            raise InvalidCommand(f"revoking {_roles(held)} would leave {target.id} with no role: disable them instead (DisablePerson)")
        return _keep_an_admin(state, [RolesRevoked(**ctx.stamp(command), person_id=target.id, roles=held)])
    if isinstance(command, SetScope):
        _not_self(actor, command.person_id, "scope")
        target = _target(state, command.person_id)
        if set(command.scope) == set(target.scope):
            raise InvalidCommand(f"the scope of {target.id} is already {', '.join(target.scope)}: nothing to change")
        return [ScopeSet(**ctx.stamp(command), person_id=target.id, scope=list(command.scope))]
    if isinstance(command, DisablePerson):
        _not_self(actor, command.person_id, "status")
        target = _target(state, command.person_id)
        if not target.active:
            raise InvalidCommand(f"{target.id} is already disabled: nothing to change")
        return _keep_an_admin(state, [PersonDisabled(**ctx.stamp(command), person_id=target.id, reason=command.reason)])
    if isinstance(command, EnablePerson):
        _not_self(actor, command.person_id, "status")
        target = _target(state, command.person_id)
        if target.active:
            raise InvalidCommand(f"{target.id} is already active: nothing to change")
        return [PersonEnabled(**ctx.stamp(command), person_id=target.id, note=command.note)]
    raise InvalidCommand(f"unknown directory command {command.type}")  # pragma: no cover


def _open(state: DirectoryState, c: OpenDirectory, ctx: Context) -> list[Event]:
    if state.stage != DirectoryStage.EMPTY:
        raise NotAllowedInStage("the people directory is already open: add people with AddPerson or ImportPeople")
    if c.actor.id != c.admin.id:
        raise PermissionDenied(
            f"{c.actor.id} may not open the people directory for {c.admin.id}: the first administrator opens it themself"
        )
    if Role.ADMIN not in c.admin.roles:
        raise InvalidCommand(f"the first administrator {c.admin.id} must hold the admin role")
    return [DirectoryOpened(**ctx.stamp(c), admin=c.admin)]


def _same(person: Person, entry: PersonInput) -> bool:
    """The file says what the directory holds (the order of roles and scope entries does not matter)."""
    return person.name == entry.name and set(person.roles) == set(entry.roles) and set(person.scope) == set(entry.scope)


def _import(state: DirectoryState, actor: Person, c: ImportPeople, ctx: Context) -> list[Event]:
    seen: set[str] = set()
    added: list[str] = []
    updated: list[str] = []
    listed: list[PersonInput] = []
    for entry in c.people:
        if entry.id in seen:
            raise InvalidCommand(f"{entry.id} is listed twice in {c.file_name}")
        seen.add(entry.id)
        known = state.person(entry.id)
        if known is None:
            added.append(entry.id)
        elif _same(known, entry):
            continue
        else:
            if entry.id == actor.id:
                _no_raise_of_own_rights(known, entry, c.file_name)
            updated.append(entry.id)
        listed.append(entry)
    if not listed:
        return []  # the file says what the directory already holds
    event = PeopleImported(**ctx.stamp(c), file_name=c.file_name, file_digest=c.file_digest, added=added, updated=updated, people=listed)
    return _keep_an_admin(state, [event])


def _no_raise_of_own_rights(own: Person, entry: PersonInput, file_name: str) -> None:
    """An administrator's import may lower their own roles or scope, never raise them."""
    gained = [role for role in entry.roles if role not in own.roles]
    if gained:
        raise SeparationOfDuties(f"{file_name} would give {own.id}, who imports it, the roles {_roles(gained)}: another administrator must")
    if "*" not in own.scope and not set(entry.scope) <= set(own.scope):
        wider = [s for s in entry.scope if s not in own.scope]
        raise SeparationOfDuties(
            f"{file_name} would widen the scope of {own.id}, who imports it, to {', '.join(wider)}: another administrator must"
        )


def _check_key(key: PersonKey) -> None:
    if key.alg not in KEY_ALGORITHMS:
        raise InvalidCommand(f"unknown signature algorithm {key.alg!r}: one of {', '.join(KEY_ALGORITHMS)}")
    try:
        public = key.public_bytes()
    except ValueError:
        raise InvalidCommand("the key's public part is not base64url") from None
    if len(public) != _PUBLIC_KEY_BYTES[key.alg]:
        raise InvalidCommand(f"an {key.alg} public key has {_PUBLIC_KEY_BYTES[key.alg]} bytes, not {len(public)}")
    if key_fingerprint(key.alg, public) != key.fingerprint:
        raise InvalidCommand(f"the key's fingerprint {key.fingerprint} does not match its public part")
    if not key.is_passkey:
        if key.credential_id is not None or key.rp_id is not None:
            raise InvalidCommand(f"only a passkey names a WebAuthn credential or site: {key.fingerprint} is an {key.alg} key")
        return
    problem = public_key_problem(key.alg, public)
    if problem:
        raise InvalidCommand(problem)
    try:
        credential_id = unb64(key.credential_id or "")
    except ValueError:
        credential_id = b""
    if not credential_id or len(credential_id) > MAX_CREDENTIAL_ID:
        raise InvalidCommand(f"a passkey names its WebAuthn credential id (base64url, 1 to {MAX_CREDENTIAL_ID} bytes)")
    if key.rp_id is not None and not key.rp_id.strip():
        raise InvalidCommand("a passkey's site (relying party id) may not be blank")


def _register_key(state: DirectoryState, actor: Person, c: RegisterKey, ctx: Context) -> list[Event]:
    """A key the CLI keeps replaces the person's earlier ones (``current_key``); passkeys add up (a
    phone and a laptop), each registered once, and leave the CLI key current."""
    if c.person_id != actor.id and Role.ADMIN not in actor.roles:
        raise PermissionDenied(f"{actor.id} may register only their own signing key (an administrator may register anyone's)")
    target = _target(state, c.person_id)
    if not target.active:
        raise InvalidCommand(f"{target.id} is disabled: enable them before registering a key")
    _check_key(c.key)
    owner = next((p for p in state.people.values() if any(k.fingerprint == c.key.fingerprint for k in p.keys)), None)
    if owner is not None and owner.id != target.id:
        raise InvalidCommand(f"key {c.key.fingerprint} is already registered to {owner.id}")
    if c.key.is_passkey:
        if owner is not None:
            raise InvalidCommand(f"passkey {c.key.fingerprint} is already registered to {target.id}: nothing to change")
        holder = next((p for p in state.people.values() if p.passkey(c.key.credential_id or "") is not None), None)
        if holder is not None:
            raise InvalidCommand(f"a passkey with credential id {c.key.credential_id} is already registered to {holder.id}")
        return [KeyRegistered(**ctx.stamp(c), person_id=target.id, key=c.key)]
    current = target.current_key
    if current is not None and current.fingerprint == c.key.fingerprint:
        raise InvalidCommand(f"key {c.key.fingerprint} is already the current key of {target.id}: nothing to change")
    if owner is not None:
        raise InvalidCommand(f"key {c.key.fingerprint} is an earlier key of {target.id}, since replaced: register a new key")
    return [KeyRegistered(**ctx.stamp(c), person_id=target.id, key=c.key)]
