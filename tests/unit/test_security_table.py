"""docs/security.md's table "Who may send what", walked against the code.

Every command of every kind (``domain.kinds.DECIDERS``) is one row; **Signed** is the decider's
``signed_commands``; the workflow-only rows are its ``internal_commands``; **Roles** is the code's role
table (the default ``Policy()`` where the policy names the roles); **Records** names the kind's events
with their i18n labels. Then each row's rule is exercised: an actor with none of the listed roles is
refused ``PermissionDenied``, and so is an actor with the roles but out of scope where **Scope** says
yes (where it says no, such an actor is not refused for its scope). Pure deciders only: fast.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from domain import campaign, inspection, people, project, rating, rectification
from domain.actors import Actor, Role
from domain.campaign.decide import ROLES_ALLOWED as CAMPAIGN_ROLES
from domain.decider import Context, Decider, Tick
from domain.errors import DomainError, PermissionDenied
from domain.identity import PersonKey, generate_key
from domain.kinds import DECIDERS
from domain.policy import Policy
from domain.proposals import DecideSanction
from domain.rungs import SanctionDecision
from domain.timeutil import SHANGHAI
from domain.workcal import WorkCalendar
from i18n import label

from . import builders as b

DOC = Path(__file__).resolve().parents[2] / "docs" / "security.md"
POLICY = Policy()
ROLE_VALUES = frozenset(role.value for role in Role)
NOWHERE = ["NOWHERE"]  # a scope that covers no organization or region of these tests


# ----------------------------------------------------------------------------- the table


@dataclass(frozen=True)
class Row:
    command: str
    kind: str
    records: str
    channel: str
    roles_text: str
    scope: str
    separation: str
    signed: str
    checked_in: str

    @property
    def roles(self) -> frozenset[Role]:
        """The roles the row lists: the backticked role names in its Roles cell."""
        return frozenset(Role(token) for token in re.findall(r"`([a-z_]+)`", self.roles_text) if token in ROLE_VALUES)

    @property
    def policy_field(self) -> str | None:
        found = re.search(r"policy `([a-z_]+)`", self.roles_text)
        return found.group(1) if found else None

    @property
    def scoped(self) -> bool:
        return self.scope.startswith("yes")


def _cells(line: str) -> list[str]:
    return [cell.strip() for cell in line.strip().strip("|").split("|")]


def read_table() -> list[Row]:
    lines = DOC.read_text(encoding="utf-8").splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith("| Command | Kind |"))
    header = _cells(lines[start])
    assert header == [
        "Command",
        "Kind",
        "Records (中文)",
        "Channel",
        "Roles",
        "Scope",
        "Separation of duties",
        "Signed",
        "Checked in",
    ], header
    rows = []
    for line in lines[start + 2 :]:
        if not line.startswith("|"):
            break
        cells = _cells(line)
        assert len(cells) == len(header), line
        name = re.fullmatch(r"`([A-Za-z]+)`", cells[0])
        assert name is not None, f"the Command cell is a bare type name in backticks: {cells[0]!r}"
        rows.append(Row(name.group(1), *cells[1:]))
    return rows


ROWS = read_table()
BY_KEY = {(row.kind, row.command): row for row in ROWS}
KINDS: dict[str, Decider[Any, Any, Any]] = {d.name: d for d in DECIDERS}


def command_types(decider: Decider[Any, Any, Any]) -> set[str]:
    return set(decider.commands.json_schema()["discriminator"]["mapping"])


def event_types(decider: Decider[Any, Any, Any]) -> set[str]:
    return set(decider.events.json_schema()["discriminator"]["mapping"])


def row_id(row: Row) -> str:
    return f"{row.kind}.{row.command}"


# ----------------------------------------------------------------------------- (a) (b) (c): the table is the code's


def test_every_command_of_every_kind_is_one_row() -> None:
    keys = [(row.kind, row.command) for row in ROWS]
    assert len(keys) == len(set(keys)), "a command is listed twice for its kind"
    assert {row.kind for row in ROWS} <= set(KINDS)
    expected = {(name, command) for name, decider in KINDS.items() for command in command_types(decider)}
    assert set(keys) == expected


@pytest.mark.parametrize("row", ROWS, ids=row_id)
def test_signed_is_the_deciders_signed_commands(row: Row) -> None:
    assert row.signed in ("yes", "no")
    assert (row.signed == "yes") == (row.command in KINDS[row.kind].signed_commands)


@pytest.mark.parametrize("row", ROWS, ids=row_id)
def test_workflow_only_rows_are_the_internal_commands(row: Row) -> None:
    internal = row.command in KINDS[row.kind].internal_commands
    assert ("workflow only" in row.channel) == internal, row.channel
    if internal and "opening" not in row.channel:
        assert row.checked_in == "run loop"
    if row.channel.startswith("update"):
        assert row.checked_in.startswith("validator + handler")


@pytest.mark.parametrize("row", ROWS, ids=row_id)
def test_records_name_the_kinds_events_with_their_labels(row: Row) -> None:
    named = re.findall(r"`([A-Za-z]+)`", row.records)
    assert set(named) <= event_types(KINDS[row.kind]), named
    for event in named:
        assert f"`{event}` {label(f'event.{event}')}" in row.records


def _code_roles(row: Row) -> frozenset[Role] | None:
    """The roles the code's role table gives the row's command (None: the kind has no table entry)."""
    if row.kind == "rectification":
        return rectification.roles_allowed(row.command, POLICY)
    if row.kind == "project":
        return project.roles_allowed(row.command, POLICY)
    if row.kind == "campaign":
        return CAMPAIGN_ROLES[row.command]
    if row.kind == "inspection":
        return inspection.ROLES_ALLOWED[row.command]
    if row.kind == "rating":
        return rating.ROLES_ALLOWED[row.command]
    return people.ROLES_ALLOWED.get(row.command)


@pytest.mark.parametrize("row", ROWS, ids=row_id)
def test_roles_are_the_codes_role_table(row: Row) -> None:
    code = _code_roles(row)
    if code is not None:
        assert row.roles == code
    if row.policy_field is not None:
        holder: Any = POLICY if hasattr(POLICY, row.policy_field) else POLICY.projects
        assert row.roles == frozenset(getattr(holder, row.policy_field))


# ----------------------------------------------------------------------------- (d): the rules refuse who the table leaves out


def outsider(row: Row, actor_id: str = "outsider") -> Actor:
    """Every role the row does not list (``system`` too, which no credential may carry), scope ``*``."""
    return Actor(id=actor_id, roles=sorted(set(Role) - row.roles), scope=["*"])


def insider(row: Row, actor_id: str = "insider") -> Actor:
    """The row's roles, out of every scope."""
    return Actor(id=actor_id, roles=sorted(row.roles), scope=NOWHERE)


# --- rectification: the builders' case in the stage each command needs


def _case_planning() -> b.Case:
    case = b.opened()
    case.run(b.plan(), b.T0 + timedelta(days=1))
    return case


def _rect(command_type: str, actor: Actor) -> list[Any]:
    now = b.T0 + timedelta(days=45)
    build: dict[str, tuple[Callable[[], b.Case], Callable[[], Any]]] = {
        "OpenCase": (b.Case, lambda: b.open_case(by=actor)),
        "SubmitPlan": (b.opened, lambda: b.plan(by=actor)),
        "ReturnPlan": (_case_planning, lambda: b.return_plan(by=actor)),
        "ApprovePlan": (_case_planning, lambda: b.approve(by=actor)),
        "ReportProgress": (b.implementing, lambda: b.progress("M1", by=actor)),
        "CompleteMeasure": (b.implementing, lambda: b.complete("M1", by=actor)),
        "SubmitSelfCheck": (b.implementing, lambda: b.self_check(by=actor)),
        "RequestRelief": (b.implementing, lambda: rectification.RequestRelief(actor=actor, reason="换届")),
        "PauseMeasures": (b.implementing, lambda: rectification.PauseMeasures(actor=actor, reason="换届", requested_by="bs-1")),
        "ResumeMeasures": (b.implementing, lambda: rectification.ResumeMeasures(actor=actor)),
        "ExtendDeadline": (b.implementing, lambda: rectification.ExtendDeadline(actor=actor, measure_id="M1", by="10wd", reason="汛期")),
        "DecideSanction": (b.implementing, lambda: DecideSanction(actor=actor, decision=SanctionDecision.APPROVED)),
        "Tick": (b.implementing, lambda: Tick(actor=actor)),
        "RecordAcceptance": (b.checking, lambda: b.acceptance(85, by=actor)),
        "RecordFollowUp": (b.consolidating, lambda: b.follow_up(by=actor)),
        "CloseCase": (b.consolidating, lambda: b.close(by=actor)),
        # issue 14
        "RecordExecution": (
            b.implementing,
            lambda: rectification.RecordExecution(actor=actor, proposal_id="S1", action="免职", executed_on=date(2026, 2, 1)),
        ),
        "RecordFindings": (
            b.implementing,
            lambda: rectification.RecordFindings(
                actor=actor,
                source="insp-2026-001",
                findings=[rectification.FindingInput(finding_id="F1", category="organization_life", description="明察暗访")],
            ),
        ),
    }
    case, command = build[command_type]
    return case().attempt(command(), now)


# --- project: applied, approved, evaluated (as in test_project_decider.py)

P_ORG, P_REGION, P_YEAR = "V001", "青山镇", 2027
P_T0 = datetime(2027, 1, 4, 10, 0, tzinfo=SHANGHAI)
OWNER = Actor(id="bs-1", roles=[Role.BRANCH_SECRETARY], scope=[P_ORG])
REVIEWER = Actor(id="ts-1", roles=[Role.TOWNSHIP_SECRETARY], scope=[P_REGION])
EVALUATOR = Actor(id="cl-1", roles=[Role.COUNTY_LEADER])


def _application() -> project.ApplicationInput:
    return project.ApplicationInput(
        title="村集体经济破零",
        problem="集体经济收入为零",
        goals=["年底集体经济收入达到10万元"],
        measures=["成立合作社"],
        milestones=[project.MilestoneInput(id="M1", description="成立合作社", deadline=date(2027, 3, 31))],
        deadline=date(2027, 12, 20),
    )


def _apply(actor: Actor) -> project.ApplyProject:
    return project.ApplyProject(
        actor=actor,
        level=project.Level.SECRETARY,
        org_code=P_ORG,
        org_name="东村党支部",
        region=P_REGION,
        year=P_YEAR,
        application=_application(),
    )


def _project_after(*steps: tuple[Any, datetime]) -> project.ProjectState:
    state = project.INITIAL_STATE
    for command, now in steps:
        for event in project.decide(state, command, Context(now=now.astimezone(UTC), policy=POLICY, calendar=WorkCalendar())):
            state = project.evolve(state, event)
    return state


def _proj(command_type: str, actor: Actor) -> list[Any]:
    applied = ((_apply(OWNER), P_T0),)
    approved = (*applied, (project.ApproveApplication(actor=REVIEWER), P_T0 + timedelta(days=1)))
    evaluated = (
        *approved,
        (
            project.EvaluateProject(actor=EVALUATOR, rating=project.Rating.GOOD, satisfaction=0.9),
            datetime(2027, 12, 21, 10, 0, tzinfo=SHANGHAI),
        ),
    )
    build: dict[str, tuple[tuple[tuple[Any, datetime], ...], Any]] = {
        "ApplyProject": ((), _apply(actor)),
        "ReviseApplication": (applied, project.ReviseApplication(actor=actor, application=_application())),
        "ReturnApplication": (applied, project.ReturnApplication(actor=actor, comments="细化")),
        "ApproveApplication": (applied, project.ApproveApplication(actor=actor)),
        "RejectApplication": (applied, project.RejectApplication(actor=actor, comments="不予立项")),
        "RecordProgress": (approved, project.RecordProgress(actor=actor, note="推进中")),
        "CompleteMilestone": (approved, project.CompleteMilestone(actor=actor, milestone_id="M1")),
        "SubmitQuarterlyReport": (approved, project.SubmitQuarterlyReport(actor=actor, quarter=1, note="一季度")),
        "EvaluateProject": (approved, project.EvaluateProject(actor=actor, rating=project.Rating.GOOD, satisfaction=0.9)),
        "DecideSanction": (approved, DecideSanction(actor=actor, decision=SanctionDecision.APPROVED)),
        "Tick": (approved, Tick(actor=actor)),
        "PromoteProject": (evaluated, project.PromoteProject(actor=actor)),
        "CloseProject": (evaluated, project.CloseProject(actor=actor)),
    }
    steps, command = build[command_type]
    state = _project_after(*steps)
    # the application and its review before the deadlines; the rest after the final one (evaluation due)
    now = (P_T0 + timedelta(days=2)) if len(steps) < 2 else datetime(2027, 12, 22, 10, 0, tzinfo=SHANGHAI)
    return project.decide(state, command, Context(now=now.astimezone(UTC), policy=POLICY, calendar=WorkCalendar()))


# --- campaign: new, open, running, closed (as in test_campaign_decider.py)

C_NOW = datetime(2026, 3, 2, 1, 0, tzinfo=UTC)
C_CTX = Context(now=C_NOW, policy=POLICY)
C_SUP = Actor(id="sup", roles=[Role.SUPERVISOR])
C_REGION = "城关镇"


def _designee(code: str) -> rectification.OpenCase:
    return rectification.OpenCase(
        actor=C_SUP,
        org_code=code,
        org_name=f"{code}党支部",
        region=C_REGION,
        year=2026,
        basis=rectification.Basis(kind=rectification.BasisKind.DIRECT, detail="星级评定1星"),
        problems=[rectification.ProblemInput(category="weak_leadership", description="x")],
        leaders=["cl"],
    )


def _campaign_after(*commands: Any) -> campaign.CampaignState:
    state = campaign.INITIAL_STATE
    for command in commands:
        for event in campaign.decide(state, command, C_CTX):
            state = campaign.evolve(state, event)
    return state


def _camp(command_type: str, actor: Actor) -> list[Any]:
    opened = (campaign.OpenCampaign(actor=C_SUP, region=C_REGION, year=2026),)
    running = (*opened, campaign.ApproveDesignation(actor=C_SUP, designees=[_designee("V1")]))
    closed = (*opened, campaign.CloseYear(actor=C_SUP))
    build: dict[str, tuple[tuple[Any, ...], Any]] = {
        "OpenCampaign": ((), campaign.OpenCampaign(actor=actor, region=C_REGION, year=2026)),
        "ApproveDesignation": (opened, campaign.ApproveDesignation(actor=actor, designees=[_designee("V2")])),
        "RecordCheck": (opened, campaign.RecordCheck(actor=actor, figures=campaign.CampaignFigures(as_of=C_NOW, cases=1))),
        "CloseYear": (opened, campaign.CloseYear(actor=actor)),
        "RecordStarts": (running, campaign.RecordStarts(actor=actor, started=[rectification.case_id_for("V1", 2026)])),
        "RecordOutcomes": (closed, campaign.RecordOutcomes(actor=actor, organizations=1)),
        "RecordDesignationStep": (opened, campaign.RecordDesignationStep(actor=actor, step="visit", note="遍访")),
    }
    before, command = build[command_type]
    return campaign.decide(_campaign_after(*before), command, C_CTX)


# --- directory: opened by root, with the acting person in it (the directory's roles are what count)

D_CTX = Context(now=C_NOW, policy=POLICY)
ROOT = Actor(id="root", roles=[Role.ADMIN])


def _person(actor: Actor) -> people.PersonInput:
    return people.PersonInput(id=actor.id, roles=[r for r in actor.roles if r != Role.SYSTEM], scope=actor.scope)


def _directory_with(actor: Actor) -> people.DirectoryState:
    """root (admin), the acting person, b1 (branch secretary), two (two roles), gone (disabled)."""
    commands: list[Any] = [
        people.OpenDirectory(actor=ROOT, admin=people.PersonInput(id="root", roles=[Role.ADMIN])),
        people.AddPerson(actor=ROOT, person=_person(actor)),
        people.AddPerson(actor=ROOT, person=people.PersonInput(id="b1", roles=[Role.BRANCH_SECRETARY], scope=["V1"])),
        people.AddPerson(actor=ROOT, person=people.PersonInput(id="two", roles=[Role.BRANCH_SECRETARY, Role.FIRST_SECRETARY])),
        people.AddPerson(actor=ROOT, person=people.PersonInput(id="gone", roles=[Role.BRANCH_SECRETARY])),
        people.DisablePerson(actor=ROOT, person_id="gone", reason="调离"),
    ]
    state = people.INITIAL_STATE
    for command in commands:
        for event in people.decide(state, command, D_CTX):
            state = people.evolve(state, event)
    return state


def _dir(command_type: str, actor: Actor) -> list[Any]:
    if command_type == "OpenDirectory":
        # the opener enters an administrator: themself if they hold admin, else someone else (root)
        entry = actor.id if Role.ADMIN in actor.roles else "root"
        opening = people.OpenDirectory(actor=actor, admin=people.PersonInput(id=entry, roles=[Role.ADMIN], scope=actor.scope))
        return people.decide(people.INITIAL_STATE, opening, D_CTX)
    key = PersonKey.of("ed25519", generate_key("ed25519")[1])
    digest = "sha256:" + "ab" * 32
    build: dict[str, Any] = {
        "AddPerson": people.AddPerson(actor=actor, person=people.PersonInput(id="n1", roles=[Role.FIRST_SECRETARY])),
        "GrantRoles": people.GrantRoles(actor=actor, person_id="b1", roles=[Role.FIRST_SECRETARY]),
        "RevokeRoles": people.RevokeRoles(actor=actor, person_id="two", roles=[Role.FIRST_SECRETARY]),
        "SetScope": people.SetScope(actor=actor, person_id="b1", scope=["V2"]),
        "DisablePerson": people.DisablePerson(actor=actor, person_id="b1", reason="调离"),
        "EnablePerson": people.EnablePerson(actor=actor, person_id="gone"),
        "ImportPeople": people.ImportPeople(
            actor=actor, file_name="people.yaml", file_digest=digest, people=[people.PersonInput(id="n2", roles=[Role.SUPERVISOR])]
        ),
        "RecordImport": people.RecordImport(actor=actor, what="organizations", file_name="orgs.xlsx", file_digest=digest),
        # someone else's key and password: the person themself needs no role, anyone else needs admin
        "RegisterKey": people.RegisterKey(actor=actor, person_id="b1", key=key),
        "ResetPassword": people.ResetPassword(actor=actor, person_id="b1"),
        "Tick": Tick(actor=actor),
    }
    return people.decide(_directory_with(actor), build[command_type], D_CTX)


# --- inspection: recorded by a supervisor, one finding at each of two organizations (test_inspection_decider.py)

I_NOW = datetime(2027, 4, 16, 15, 0, tzinfo=SHANGHAI).astimezone(UTC)
I_CTX = Context(now=I_NOW, policy=POLICY)
I_SUP = Actor(id="sup", roles=[Role.SUPERVISOR])


def _record_visit(actor: Actor) -> inspection.RecordInspection:
    return inspection.RecordInspection(
        actor=actor, year=2027, number=1, kind=inspection.VisitKind.UNANNOUNCED, visited_on=date(2027, 4, 16), title="暗访",
        orgs=[inspection.VisitedOrgInput(code="V1", name="一村党支部", region=C_REGION)],
        findings=[inspection.FindingInput(org_code="V1", category="weak_leadership", description="会议记录缺失")],
    )  # fmt: skip


def _insp(command_type: str, actor: Actor) -> list[Any]:
    state = inspection.INITIAL_STATE
    if command_type != "RecordInspection":
        for event in inspection.decide(state, _record_visit(I_SUP), I_CTX):
            state = inspection.evolve(state, event)
    build: dict[str, Any] = {
        "RecordInspection": _record_visit(actor),
        "RecordFindings": inspection.RecordFindings(
            actor=actor, findings=[inspection.FindingInput(org_code="V1", category="other", description="x")]
        ),
        "ReferToCase": inspection.ReferToCase(actor=actor, finding_ids=["F1"], case_id="rect-V1-2027"),
        "ReferToDesignation": inspection.ReferToDesignation(actor=actor, finding_ids=["F1"], year=2028),
        "CloseFindings": inspection.CloseFindings(actor=actor, finding_ids=["F1"], note="当场整改"),
        "CloseInspection": inspection.CloseInspection(actor=actor),
        "Tick": Tick(actor=actor),
    }
    return inspection.decide(state, build[command_type], I_CTX)


# --- rating: opened by the county, assessed, reviewed, approved, an objection in 公示 (test_rating_decider.py)

R_NOW = datetime(2027, 11, 1, 10, 0, tzinfo=SHANGHAI).astimezone(UTC)
R_CTX = Context(now=R_NOW, policy=POLICY, calendar=WorkCalendar())
R_ORG, R_REGION = "V001", "青山镇"
R_BRANCH = Actor(id="bs-1", roles=[Role.BRANCH_SECRETARY], scope=[R_ORG])
R_TOWN = Actor(id="ts-1", roles=[Role.TOWNSHIP_SECRETARY], scope=[R_REGION])


def _open_rating(actor: Actor) -> rating.OpenRating:
    return rating.OpenRating(actor=actor, org_code=R_ORG, year=2027, org_name="青山镇东村党支部", region=R_REGION)


def _rating_scores() -> list[rating.ItemScoreInput]:
    return [rating.ItemScoreInput(code=code, points=20) for code in ("political", "team", "members", "rules", "service")]


def _rating_after(*commands: Any) -> rating.RatingState:
    state = rating.INITIAL_STATE
    for command in commands:
        for event in rating.decide(state, command, R_CTX):
            state = rating.evolve(state, event)
    return state


def _rate(command_type: str, actor: Actor) -> list[Any]:
    opened = (_open_rating(C_SUP),)
    assessed = (*opened, rating.SubmitSelfAssessment(actor=R_BRANCH, scores=_rating_scores()))
    reviewed = (*assessed, rating.ReviewRating(actor=R_TOWN, comment="同意上报"))
    published = (*reviewed, rating.ApproveRating(actor=C_SUP))
    objected = (*published, rating.RecordObjection(actor=R_TOWN, text="党员大会记录不实"))
    build: dict[str, tuple[tuple[Any, ...], Any]] = {
        "OpenRating": ((), _open_rating(actor)),
        "SubmitSelfAssessment": (opened, rating.SubmitSelfAssessment(actor=actor, scores=_rating_scores())),
        "ReviewRating": (assessed, rating.ReviewRating(actor=actor, comment="同意上报")),
        # in township_review: the township returns the organization's assessment (the county's return is in county_review)
        "ReturnRating": (assessed, rating.ReturnRating(actor=actor, comment="佐证材料不全")),
        "ApproveRating": (reviewed, rating.ApproveRating(actor=actor)),
        "RecordObjection": (published, rating.RecordObjection(actor=actor, text="党员大会记录不实")),
        "ResolveObjection": (objected, rating.ResolveObjection(actor=actor, objection_id="O1", upheld=False, note="经核实不成立")),
        "RecordVetoEvent": (reviewed, rating.RecordVetoEvent(actor=actor, item="incident", source="manual", note="发生群体性上访事件")),
        "Tick": (published, Tick(actor=actor)),
    }
    before, command = build[command_type]
    return rating.decide(_rating_after(*before), command, R_CTX)


ATTEMPTS: dict[str, Callable[[str, Actor], list[Any]]] = {
    "rectification": _rect,
    "project": _proj,
    "campaign": _camp,
    "directory": _dir,
    "inspection": _insp,
    "rating": _rate,
}


@pytest.mark.parametrize("row", ROWS, ids=row_id)
def test_an_actor_without_the_listed_roles_is_refused(row: Row) -> None:
    attempt = ATTEMPTS[row.kind]
    if not row.roles:
        # "none": the rules check no role (the directory's Tick does nothing, for anyone)
        assert attempt(row.command, outsider(row)) == []
        return
    with pytest.raises(PermissionDenied):
        attempt(row.command, outsider(row))


@pytest.mark.parametrize("row", [row for row in ROWS if row.roles], ids=row_id)
def test_scope_is_checked_where_the_table_says_so(row: Row) -> None:
    attempt = ATTEMPTS[row.kind]
    if row.scoped:
        with pytest.raises(PermissionDenied):
            attempt(row.command, insider(row))
        return
    assert row.scope.startswith("no"), row.scope
    try:
        events = attempt(row.command, insider(row))
    except PermissionDenied as refused:  # pragma: no cover - the table would be wrong
        pytest.fail(f"{row.command} refused an actor with the roles for its scope, though the table says no: {refused}")
    except DomainError:  # pragma: no cover - another rule refused: the scope was not what stopped it
        return
    assert events, f"{row.command} by an out-of-scope actor with the roles changed nothing"


@pytest.mark.parametrize("row", [row for row in ROWS if row.roles], ids=row_id)
def test_the_listed_roles_are_enough(row: Row) -> None:
    """The other side: an in-scope actor holding just the listed roles is never refused for its roles
    (another rule — the stage's preconditions, separation of duties — may still refuse it)."""
    try:
        ATTEMPTS[row.kind](row.command, Actor(id="allowed", roles=sorted(row.roles), scope=["*"]))
    except PermissionDenied as refused:  # pragma: no cover - the table would be wrong
        pytest.fail(f"{row.command} refused an actor with the listed roles: {refused}")
    except DomainError:
        pass
