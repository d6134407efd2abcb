"""The people directory decider: administrators keep it, nobody changes their own rights, the last
administrator stays one, imports add and replace, keys belong to one person; pure and fast."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from pydantic import ValidationError

from domain.actors import SYSTEM_ACTOR, Actor, Role
from domain.decider import Context
from domain.errors import DomainError, InvalidCommand, NotAllowedInStage, PermissionDenied, SeparationOfDuties
from domain.identity import PersonKey, generate_key
from domain.people import (
    COMMAND_ADAPTER,
    DECIDER,
    DIRECTORY_ID,
    EVENT_ADAPTER,
    INITIAL_STATE,
    AddPerson,
    Command,
    DirectoryStage,
    DirectoryState,
    DisablePerson,
    EnablePerson,
    Event,
    GrantRoles,
    ImportPeople,
    OpenDirectory,
    PeopleImported,
    PersonInput,
    RecordImport,
    RegisterKey,
    RevokeRoles,
    RolesGranted,
    RolesRevoked,
    SetScope,
    Tick,
    decide,
    evolve,
    fold,
)
from domain.policy import Policy

NOW = datetime(2026, 3, 2, 1, 0, tzinfo=UTC)
POLICY = Policy()
CTX = Context(now=NOW, policy=POLICY)
DIGEST = "sha256:" + "ab" * 32

ROOT = Actor(id="root", roles=[Role.ADMIN])  # the credential's claims; the directory's roles are what count
ADMIN2 = Actor(id="admin2", roles=[Role.ADMIN])
SUP = Actor(id="sup", roles=[Role.SUPERVISOR])
BRANCH = Actor(id="b1", roles=[Role.BRANCH_SECRETARY], scope=["V1"])


def key() -> PersonKey:
    return PersonKey.of("ed25519", generate_key("ed25519")[1])


def who(actor_id: str, roles: list[Role] | None = None) -> Actor:
    """An actor whose credential claims anything: the decider reads the directory, not the claims."""
    return Actor(id=actor_id, roles=roles or [Role.ADMIN])


def run(state: DirectoryState, command: Command, now: datetime = NOW) -> tuple[DirectoryState, list[Event]]:
    events = decide(state, command, Context(now=now, policy=POLICY))
    for event in events:
        state = evolve(state, event)
    return state, events


def apply(state: DirectoryState, command: Command) -> DirectoryState:
    return run(state, command)[0]


def opened(roles: tuple[Role, ...] = (Role.ADMIN,)) -> DirectoryState:
    return apply(INITIAL_STATE, OpenDirectory(actor=ROOT, admin=PersonInput(id="root", name="管理员", roles=list(roles))))


def staffed(root_roles: tuple[Role, ...] = (Role.ADMIN,)) -> DirectoryState:
    """root and admin2 (administrators), sup (supervisor, county-wide), b1 (branch secretary of V1)."""
    state = opened(root_roles)
    state = apply(state, AddPerson(actor=ROOT, person=PersonInput(id="admin2", roles=[Role.ADMIN])))
    state = apply(state, AddPerson(actor=ROOT, person=PersonInput(id="sup", name="督导员", roles=[Role.SUPERVISOR])))
    return apply(state, AddPerson(actor=ROOT, person=PersonInput(id="b1", roles=[Role.BRANCH_SECRETARY], scope=["V1"])))


# ----------------------------------------------------------------------------- the decider value


def test_decider_value() -> None:
    assert DECIDER.name == "directory" and DECIDER.prefix == "dir-" and DECIDER.owns(DIRECTORY_ID)
    assert DECIDER.notice_events == frozenset() and DECIDER.signed_commands == frozenset()
    assert DECIDER.internal_commands == frozenset({"Tick"})
    assert DECIDER.next_wakeup(staffed(), CTX) is None and DECIDER.calendar_years(staffed(), NOW) == []
    assert not DECIDER.is_terminal(INITIAL_STATE) and not DECIDER.is_terminal(staffed())
    state = staffed()
    assert state.next_deadline() is None and state.overdue is False
    assert state.org_name == "人员目录" and state.org_code == "" and state.region == ""


def test_tick_decides_nothing() -> None:
    assert decide(INITIAL_STATE, Tick(), CTX) == []
    assert decide(staffed(), Tick(), CTX) == []
    assert isinstance(COMMAND_ADAPTER.validate_python({"type": "Tick", "actor": SYSTEM_ACTOR.model_dump()}), Tick)


# ----------------------------------------------------------------------------- opening


def test_open_directory() -> None:
    state, events = run(INITIAL_STATE, OpenDirectory(actor=ROOT, admin=PersonInput(id="root", name="管理员", roles=[Role.ADMIN])))
    assert [e.type for e in events] == ["DirectoryOpened"]
    assert events[0].actor == "root" and events[0].at == NOW
    assert state.stage == DirectoryStage.OPEN and state.stage_since == NOW and state.version == 1
    root = state.person("root")
    assert root is not None and root.status == "active" and root.roles == [Role.ADMIN] and root.scope == ["*"]
    assert state.active_admins() == ["root"]
    assert root.actor() == Actor(id="root", name="管理员", roles=[Role.ADMIN], scope=["*"])


def test_open_only_by_the_admin_themself_with_the_admin_role() -> None:
    with pytest.raises(PermissionDenied, match="other may not open the people directory for root"):
        decide(INITIAL_STATE, OpenDirectory(actor=who("other"), admin=PersonInput(id="root", roles=[Role.ADMIN])), CTX)
    with pytest.raises(InvalidCommand, match="root must hold the admin role"):
        decide(INITIAL_STATE, OpenDirectory(actor=ROOT, admin=PersonInput(id="root", roles=[Role.SUPERVISOR])), CTX)


def test_before_opening_only_the_opening() -> None:
    with pytest.raises(NotAllowedInStage, match="AddPerson is not allowed before the people directory is opened"):
        decide(INITIAL_STATE, AddPerson(actor=ROOT, person=PersonInput(id="x", roles=[Role.SUPERVISOR])), CTX)
    with pytest.raises(NotAllowedInStage):
        decide(INITIAL_STATE, RegisterKey(actor=ROOT, person_id="root", key=key()), CTX)


def test_opening_twice_refused() -> None:
    with pytest.raises(NotAllowedInStage, match="already open"):
        decide(opened(), OpenDirectory(actor=ROOT, admin=PersonInput(id="root", roles=[Role.ADMIN])), CTX)


# ----------------------------------------------------------------------------- who acts


def test_actor_must_be_an_active_person_in_the_directory() -> None:
    command = AddPerson(actor=who("stranger"), person=PersonInput(id="x", roles=[Role.SUPERVISOR]))
    with pytest.raises(PermissionDenied, match="stranger is not in the people directory"):
        decide(staffed(), command, CTX)
    state = apply(staffed(), DisablePerson(actor=ROOT, person_id="admin2", reason="left"))
    with pytest.raises(PermissionDenied, match="admin2 is disabled"):
        decide(state, AddPerson(actor=ADMIN2, person=PersonInput(id="x", roles=[Role.SUPERVISOR])), CTX)


def test_admin_role_is_read_from_the_directory_not_the_claims() -> None:
    # sup's credential claims admin; the directory says supervisor
    command = AddPerson(actor=who("sup", [Role.ADMIN]), person=PersonInput(id="x", roles=[Role.SUPERVISOR]))
    with pytest.raises(PermissionDenied, match="sup has none of the directory roles allowed to AddPerson: admin"):
        decide(staffed(), command, CTX)


@pytest.mark.parametrize(
    "command",
    [
        AddPerson(actor=SUP, person=PersonInput(id="x", roles=[Role.SUPERVISOR])),
        GrantRoles(actor=SUP, person_id="b1", roles=[Role.FIRST_SECRETARY]),
        RevokeRoles(actor=SUP, person_id="admin2", roles=[Role.ADMIN]),
        SetScope(actor=SUP, person_id="b1", scope=["V2"]),
        DisablePerson(actor=SUP, person_id="b1", reason="x"),
        EnablePerson(actor=SUP, person_id="b1"),
        ImportPeople(actor=SUP, file_name="people.yaml", file_digest=DIGEST, people=[PersonInput(id="x", roles=[Role.SUPERVISOR])]),
    ],
    ids=lambda c: c.type,
)
def test_admin_commands_need_the_admin_role(command: Command) -> None:
    with pytest.raises(PermissionDenied, match=f"sup has none of the directory roles allowed to {command.type}"):
        decide(staffed(), command, CTX)


# ----------------------------------------------------------------------------- one person at a time


def test_add_person() -> None:
    state, events = run(opened(), AddPerson(actor=ROOT, person=PersonInput(id="zhang.san@town", name="张三", roles=[Role.SUPERVISOR])))
    assert [e.type for e in events] == ["PersonAdded"]
    person = state.person("zhang.san@town")
    assert person is not None and person.name == "张三" and person.status == "active" and person.keys == []
    assert person.current_key is None
    assert list(state.people) == ["root", "zhang.san@town"]


def test_add_existing_person_refused() -> None:
    with pytest.raises(InvalidCommand, match="b1 is already in the people directory"):
        decide(staffed(), AddPerson(actor=ROOT, person=PersonInput(id="b1", roles=[Role.SUPERVISOR])), CTX)


def test_person_input_validation() -> None:
    with pytest.raises(ValidationError, match="system role"):
        PersonInput(id="x", roles=[Role.SYSTEM])
    with pytest.raises(ValidationError, match="reserved"):
        PersonInput(id="system", roles=[Role.SUPERVISOR])
    with pytest.raises(ValidationError):
        PersonInput(id="has space", roles=[Role.SUPERVISOR])
    with pytest.raises(ValidationError):
        PersonInput(id="x" * 65, roles=[Role.SUPERVISOR])
    with pytest.raises(ValidationError):
        PersonInput(id="x", roles=[])
    with pytest.raises(ValidationError):
        PersonInput.model_validate({"id": "x", "roles": ["admin"], "email": "x@y"})  # unknown keys refused
    with pytest.raises(ValidationError, match="system role"):
        GrantRoles(actor=ROOT, person_id="b1", roles=[Role.SYSTEM])
    assert PersonInput(id="x", roles=[Role.ADMIN, Role.ADMIN], scope=[" V1 ", "V1"]).model_dump() == {
        "id": "x", "name": "", "roles": [Role.ADMIN], "scope": ["V1"],
    }  # fmt: skip


def test_grant_roles() -> None:
    state, events = run(staffed(), GrantRoles(actor=ROOT, person_id="b1", roles=[Role.BRANCH_SECRETARY, Role.FIRST_SECRETARY]))
    [event] = events
    assert isinstance(event, RolesGranted) and event.roles == [Role.FIRST_SECRETARY]  # only what is new
    assert state.people["b1"].roles == [Role.BRANCH_SECRETARY, Role.FIRST_SECRETARY]


def test_grant_roles_already_held_refused() -> None:
    with pytest.raises(InvalidCommand, match="b1 already holds branch_secretary: nothing to change"):
        decide(staffed(), GrantRoles(actor=ROOT, person_id="b1", roles=[Role.BRANCH_SECRETARY]), CTX)


def test_revoke_roles() -> None:
    state = apply(staffed(), GrantRoles(actor=ROOT, person_id="b1", roles=[Role.FIRST_SECRETARY]))
    state, events = run(state, RevokeRoles(actor=ROOT, person_id="b1", roles=[Role.BRANCH_SECRETARY, Role.SUPERVISOR]))
    [event] = events
    assert isinstance(event, RolesRevoked) and event.roles == [Role.BRANCH_SECRETARY]  # only what was held
    assert state.people["b1"].roles == [Role.FIRST_SECRETARY]


def test_revoke_roles_not_held_or_leaving_none_refused() -> None:
    with pytest.raises(InvalidCommand, match="b1 holds none of supervisor: nothing to change"):
        decide(staffed(), RevokeRoles(actor=ROOT, person_id="b1", roles=[Role.SUPERVISOR]), CTX)
    with pytest.raises(InvalidCommand, match="would leave b1 with no role: disable them instead"):
        decide(staffed(), RevokeRoles(actor=ROOT, person_id="b1", roles=[Role.BRANCH_SECRETARY]), CTX)


def test_admin_may_revoke_another_admins_role() -> None:
    state = apply(staffed(), GrantRoles(actor=ROOT, person_id="admin2", roles=[Role.SUPERVISOR]))
    state = apply(state, RevokeRoles(actor=ROOT, person_id="admin2", roles=[Role.ADMIN]))
    assert state.active_admins() == ["root"]


def test_set_scope() -> None:
    state, events = run(staffed(), SetScope(actor=ROOT, person_id="b1", scope=["V1", "V2"]))
    assert [e.type for e in events] == ["ScopeSet"]
    assert state.people["b1"].scope == ["V1", "V2"] and state.people["b1"].actor().may_act_on("V2", "")
    with pytest.raises(InvalidCommand, match="the scope of b1 is already V1, V2: nothing to change"):
        decide(state, SetScope(actor=ROOT, person_id="b1", scope=["V2", "V1"]), CTX)
    with pytest.raises(ValidationError):
        SetScope(actor=ROOT, person_id="b1", scope=[])


def test_disable_and_enable() -> None:
    state, events = run(staffed(), DisablePerson(actor=ROOT, person_id="b1", reason="调离"))
    assert [e.type for e in events] == ["PersonDisabled"] and state.people["b1"].status == "disabled"
    with pytest.raises(InvalidCommand, match="b1 is already disabled"):
        decide(state, DisablePerson(actor=ROOT, person_id="b1", reason="again"), CTX)
    state, events = run(state, EnablePerson(actor=ROOT, person_id="b1", note="回任"))
    assert [e.type for e in events] == ["PersonEnabled"] and state.people["b1"].status == "active"
    with pytest.raises(InvalidCommand, match="b1 is already active"):
        decide(state, EnablePerson(actor=ROOT, person_id="b1"), CTX)
    with pytest.raises(ValidationError):
        DisablePerson(actor=ROOT, person_id="b1", reason="")


def test_disabled_admin_is_not_an_active_admin() -> None:
    state = apply(staffed(), DisablePerson(actor=ROOT, person_id="admin2", reason="left"))
    assert state.active_admins() == ["root"]


@pytest.mark.parametrize(
    "command",
    [
        GrantRoles(actor=ROOT, person_id="ghost", roles=[Role.SUPERVISOR]),
        RevokeRoles(actor=ROOT, person_id="ghost", roles=[Role.SUPERVISOR]),
        SetScope(actor=ROOT, person_id="ghost", scope=["V1"]),
        DisablePerson(actor=ROOT, person_id="ghost", reason="x"),
        EnablePerson(actor=ROOT, person_id="ghost"),
        RegisterKey(actor=ROOT, person_id="ghost", key=key()),
    ],
    ids=lambda c: c.type,
)
def test_unknown_person_refused(command: Command) -> None:
    with pytest.raises(InvalidCommand, match="ghost is not in the people directory"):
        decide(staffed(), command, CTX)


# ----------------------------------------------------------------------------- separation of duties


@pytest.mark.parametrize(
    "command",
    [
        GrantRoles(actor=ROOT, person_id="root", roles=[Role.SUPERVISOR]),
        RevokeRoles(actor=ROOT, person_id="root", roles=[Role.ADMIN]),
        SetScope(actor=ROOT, person_id="root", scope=["V1"]),
        DisablePerson(actor=ROOT, person_id="root", reason="x"),
        EnablePerson(actor=ROOT, person_id="root"),
    ],
    ids=lambda c: c.type,
)
def test_nobody_changes_their_own_rights(command: Command) -> None:
    with pytest.raises(SeparationOfDuties, match="root may not change their own"):
        decide(staffed(), command, CTX)


def test_the_last_active_admin_stays_one() -> None:
    state = opened((Role.ADMIN, Role.SUPERVISOR))
    # the only administrator's own import may lower their roles, but not so that no administrator is left
    lowering = ImportPeople(
        actor=ROOT, file_name="people.yaml", file_digest=DIGEST, people=[PersonInput(id="root", roles=[Role.SUPERVISOR])]
    )
    with pytest.raises(InvalidCommand, match="root would no longer be an active administrator and none would be left"):
        decide(state, lowering, CTX)
    # with a second administrator in the same file, it may
    handing_over = lowering.model_copy(update={"people": [*lowering.people, PersonInput(id="admin2", roles=[Role.ADMIN])]})
    state = apply(state, handing_over)
    assert state.active_admins() == ["admin2"] and state.people["root"].roles == [Role.SUPERVISOR]


def test_import_removing_every_admin_refused() -> None:
    state = staffed((Role.ADMIN, Role.SUPERVISOR))
    command = ImportPeople(
        actor=ROOT,
        file_name="people.yaml",
        file_digest=DIGEST,
        people=[PersonInput(id="root", roles=[Role.SUPERVISOR]), PersonInput(id="admin2", roles=[Role.SUPERVISOR])],
    )
    with pytest.raises(InvalidCommand, match="root, admin2 would no longer be an active administrator"):
        decide(state, command, CTX)
    # another admin disabled first, then the last one cannot drop the role through an import either
    state = apply(state, DisablePerson(actor=ROOT, person_id="admin2", reason="left"))
    with pytest.raises(InvalidCommand, match="root would no longer be an active administrator"):
        decide(state, command.model_copy(update={"people": command.people[:1]}), CTX)


# ----------------------------------------------------------------------------- imports


def test_import_adds_and_updates() -> None:
    state = staffed()
    command = ImportPeople(
        actor=ROOT,
        file_name="people.yaml",
        file_digest=DIGEST,
        people=[
            PersonInput(id="sup", name="督导员", roles=[Role.SUPERVISOR]),  # unchanged
            PersonInput(id="b1", name="李四", roles=[Role.BRANCH_SECRETARY, Role.FIRST_SECRETARY], scope=["V1"]),  # updated
            PersonInput(id="n1", roles=[Role.COUNTY_LEADER]),  # added
            PersonInput(id="n2", roles=[Role.TOWNSHIP_SECRETARY], scope=["城关镇"]),  # added
        ],
    )
    state, events = run(state, command)
    assert [e.type for e in events] == ["PeopleImported"]
    event = events[0]
    assert isinstance(event, PeopleImported)
    assert event.added == ["n1", "n2"] and event.updated == ["b1"] and [p.id for p in event.people] == ["b1", "n1", "n2"]
    assert event.file_name == "people.yaml" and event.file_digest == DIGEST
    assert state.people["b1"].name == "李四" and state.people["b1"].roles == [Role.BRANCH_SECRETARY, Role.FIRST_SECRETARY]
    assert list(state.people) == ["root", "admin2", "sup", "b1", "n1", "n2"]
    assert decide(state, command, CTX) == []  # the same file again changes nothing


def test_import_never_disables_and_keeps_status_and_keys() -> None:
    k = key()
    state = apply(staffed(), RegisterKey(actor=ROOT, person_id="b1", key=k))
    state = apply(state, DisablePerson(actor=ROOT, person_id="b1", reason="调离"))
    state = apply(
        state,
        ImportPeople(actor=ROOT, file_name="p.yaml", file_digest=DIGEST, people=[PersonInput(id="b1", roles=[Role.FIRST_SECRETARY])]),
    )
    b1 = state.people["b1"]
    assert b1.status == "disabled" and b1.roles == [Role.FIRST_SECRETARY] and b1.scope == ["*"] and b1.current_key == k
    assert state.people["sup"].status == "active"  # not in the file: untouched


def test_import_refuses_duplicates_and_raising_own_rights() -> None:
    state = staffed()
    twice = [PersonInput(id="n1", roles=[Role.SUPERVISOR]), PersonInput(id="n1", roles=[Role.ADMIN])]
    with pytest.raises(InvalidCommand, match="n1 is listed twice in people.yaml"):
        decide(state, ImportPeople(actor=ROOT, file_name="people.yaml", file_digest=DIGEST, people=twice), CTX)
    more_roles = [PersonInput(id="root", roles=[Role.ADMIN, Role.SUPERVISOR])]
    with pytest.raises(SeparationOfDuties, match="would give root, who imports it, the roles supervisor"):
        decide(state, ImportPeople(actor=ROOT, file_name="people.yaml", file_digest=DIGEST, people=more_roles), CTX)
    # admin2 narrowed by root, then admin2 may not widen their own scope back through an import
    state = apply(state, SetScope(actor=ROOT, person_id="admin2", scope=["城关镇"]))
    wider = [PersonInput(id="admin2", roles=[Role.ADMIN], scope=["*"])]
    with pytest.raises(SeparationOfDuties, match="would widen the scope of admin2, who imports it, to \\*"):
        decide(state, ImportPeople(actor=ADMIN2, file_name="people.yaml", file_digest=DIGEST, people=wider), CTX)
    # renaming oneself, or narrowing, is fine
    state = apply(
        state,
        ImportPeople(actor=ROOT, file_name="p.yaml", file_digest=DIGEST, people=[PersonInput(id="root", name="R", roles=[Role.ADMIN])]),
    )
    assert state.people["root"].name == "R"
    with pytest.raises(ValidationError):
        ImportPeople(actor=ROOT, file_name="p.yaml", file_digest="not a digest", people=[PersonInput(id="x", roles=[Role.ADMIN])])
    with pytest.raises(ValidationError):
        ImportPeople(actor=ROOT, file_name="p.yaml", file_digest=DIGEST, people=[])


def test_record_import() -> None:
    command = RecordImport(
        actor=SUP, what="assessments", file_name="2025考评.xlsx", file_digest=DIGEST, summary={"added": 3, "updated": 1}, codes=["V1", "V2"]
    )
    state, events = run(staffed(), command)
    assert [e.type for e in events] == ["ImportRecorded"]
    [record] = state.imports
    assert record.what == "assessments" and record.actor == "sup" and record.at == NOW and record.file_digest == DIGEST
    assert record.summary == {"added": 3, "updated": 1} and record.codes == ["V1", "V2"]
    state = apply(state, command.model_copy(update={"actor": ROOT, "what": "organizations"}))
    assert [r.what for r in state.imports] == ["assessments", "organizations"]
    with pytest.raises(PermissionDenied, match="b1 has none of the directory roles allowed to RecordImport: admin, supervisor"):
        decide(state, command.model_copy(update={"actor": BRANCH}), CTX)


# ----------------------------------------------------------------------------- keys


def test_register_key_by_self_and_by_admin() -> None:
    first, second = key(), key()
    state, events = run(staffed(), RegisterKey(actor=BRANCH, person_id="b1", key=first))
    assert [e.type for e in events] == ["KeyRegistered"] and events[0].actor == "b1"
    assert state.people["b1"].current_key == first
    state, events = run(state, RegisterKey(actor=ROOT, person_id="b1", key=second))
    assert events[0].actor == "root"
    assert state.people["b1"].keys == [first, second] and state.people["b1"].current_key == second


def test_register_key_for_someone_else_refused() -> None:
    with pytest.raises(PermissionDenied, match="b1 may register only their own signing key"):
        decide(staffed(), RegisterKey(actor=BRANCH, person_id="sup", key=key()), CTX)


def test_register_key_refusals() -> None:
    k = key()
    state = apply(staffed(), RegisterKey(actor=SUP, person_id="sup", key=k))
    with pytest.raises(InvalidCommand, match=f"key {k.fingerprint} is already registered to sup"):
        decide(state, RegisterKey(actor=BRANCH, person_id="b1", key=k), CTX)
    with pytest.raises(InvalidCommand, match="already the current key of sup: nothing to change"):
        decide(state, RegisterKey(actor=SUP, person_id="sup", key=k), CTX)
    state = apply(state, RegisterKey(actor=SUP, person_id="sup", key=key()))
    with pytest.raises(InvalidCommand, match="an earlier key of sup"):
        decide(state, RegisterKey(actor=SUP, person_id="sup", key=k), CTX)
    state = apply(state, DisablePerson(actor=ROOT, person_id="b1", reason="调离"))
    with pytest.raises(InvalidCommand, match="b1 is disabled: enable them before registering a key"):
        decide(state, RegisterKey(actor=ROOT, person_id="b1", key=key()), CTX)
    with pytest.raises(PermissionDenied, match="b1 is disabled"):
        decide(state, RegisterKey(actor=BRANCH, person_id="b1", key=key()), CTX)


def test_register_key_checks_the_key() -> None:
    state = staffed()
    k = key()
    forged = k.model_copy(update={"fingerprint": key().fingerprint})
    with pytest.raises(InvalidCommand, match="does not match its public part"):
        decide(state, RegisterKey(actor=SUP, person_id="sup", key=forged), CTX)
    with pytest.raises(InvalidCommand, match="unknown signature algorithm"):
        decide(state, RegisterKey(actor=SUP, person_id="sup", key=k.model_copy(update={"alg": "rsa"})), CTX)
    with pytest.raises(InvalidCommand, match="has 32 bytes"):
        decide(state, RegisterKey(actor=SUP, person_id="sup", key=k.model_copy(update={"public": "AAAA"})), CTX)
    sm2 = PersonKey.of("sm2", generate_key("sm2")[1])
    assert apply(state, RegisterKey(actor=SUP, person_id="sup", key=sm2)).people["sup"].current_key == sm2


# ----------------------------------------------------------------------------- the fold


def test_fold_of_the_events_is_the_evolved_state() -> None:
    commands: list[Command] = [
        OpenDirectory(actor=ROOT, admin=PersonInput(id="root", roles=[Role.ADMIN])),
        AddPerson(actor=ROOT, person=PersonInput(id="admin2", roles=[Role.ADMIN])),
        AddPerson(actor=ROOT, person=PersonInput(id="sup", roles=[Role.SUPERVISOR])),
        GrantRoles(actor=ADMIN2, person_id="sup", roles=[Role.COUNTY_LEADER]),
        RevokeRoles(actor=ROOT, person_id="sup", roles=[Role.COUNTY_LEADER]),
        SetScope(actor=ROOT, person_id="sup", scope=["城关镇"]),
        ImportPeople(actor=ROOT, file_name="p.yaml", file_digest=DIGEST, people=[PersonInput(id="b1", roles=[Role.BRANCH_SECRETARY])]),
        RegisterKey(actor=SUP, person_id="sup", key=key()),
        DisablePerson(actor=ADMIN2, person_id="sup", reason="x"),
        EnablePerson(actor=ADMIN2, person_id="sup"),
        RecordImport(actor=ROOT, what="organizations", file_name="orgs.xlsx", file_digest=DIGEST, summary={"added": 2}, codes=["V1"]),
        Tick(),
    ]
    state, events = INITIAL_STATE, []
    for i, command in enumerate(commands):
        state, new = run(state, command, NOW + timedelta(minutes=i))
        events.extend(new)
    assert state.version == len(events) == len(commands) - 1  # Tick records nothing
    assert fold(events) == state
    # events survive JSON: the audit log reads back to the same state
    assert fold(EVENT_ADAPTER.validate_json(EVENT_ADAPTER.dump_json(e)) for e in events) == state
    assert [e.proof for e in events] == [None] * len(events)


def test_commands_read_from_json() -> None:
    command = COMMAND_ADAPTER.validate_python(
        {"type": "GrantRoles", "actor": ROOT.model_dump(), "person_id": "b1", "roles": ["first_secretary"]}
    )
    assert isinstance(command, GrantRoles) and command.roles == [Role.FIRST_SECRETARY]
    with pytest.raises(ValidationError):
        COMMAND_ADAPTER.validate_python({"type": "GrantRoles", "actor": ROOT.model_dump(), "person_id": "b1", "roles": [], "x": 1})


def test_evolve_is_total() -> None:
    """Facts about people the directory never held change nothing but the version."""
    state = opened()
    facts: list[Command] = [DisablePerson(actor=ROOT, person_id="b1", reason="x"), RegisterKey(actor=ROOT, person_id="b1", key=key())]
    for command in facts:
        events = decide(staffed(), command, CTX)
        after = evolve(state, events[0])
        assert after.version == state.version + 1 and after.people == state.people


def test_every_refusal_is_a_domain_error() -> None:
    with pytest.raises(DomainError):
        decide(INITIAL_STATE, AddPerson(actor=ROOT, person=PersonInput(id="x", roles=[Role.ADMIN])), CTX)
