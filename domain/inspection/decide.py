"""What a command does to an inspection: ``decide(state, command, ctx) -> list[Event]`` (pure).

    (none) ──record 记录检查──▶ open 处置中 ──close 办结检查 (no finding left open)──▶ closed 已办结

Findings (问题) are recorded with the visit or after it, each at one organization visited, numbered
F1, F2, … Each is disposed of once: into a rectification case of its organization (转入整顿案件), into
a year's designation as a direct criterion (列入认定), or closed with a note (办结).

Who: the organization department and county leaders (supervisor, county_leader) record and dispose;
a township secretary (township_secretary) records visits to the organizations in their scope. Scope:
recording a visit or closing the inspection needs every organization visited; recording, referring or
closing findings needs only the findings' organizations (``_concerned``).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from domain import permissions
from domain.actors import Role
from domain.decider import Context
from domain.errors import InvalidCommand, NotAllowedInStage, PermissionDenied
from domain.inspection.commands import (
    CloseFindings,
    CloseInspection,
    Command,
    FindingInput,
    RecordFindings,
    RecordInspection,
    ReferToCase,
    ReferToDesignation,
)
from domain.inspection.events import (
    Event,
    FindingsClosed,
    FindingsReferredToCase,
    FindingsReferredToDesignation,
    InspectionClosed,
    InspectionFindingsRecorded,
    InspectionRecorded,
)
from domain.inspection.state import (
    VISIT_KIND_NAMES,
    Finding,
    FindingStatus,
    InspectionState,
    Stage,
    VisitedOrg,
    VisitKind,
    inspection_id_for,
)
from domain.timeutil import local

_RECORDERS = frozenset({Role.SUPERVISOR, Role.COUNTY_LEADER, Role.TOWNSHIP_SECRETARY})
_DISPOSERS = frozenset({Role.SUPERVISOR, Role.COUNTY_LEADER})
ROLES_ALLOWED: dict[str, frozenset[Role]] = {
    "RecordInspection": _RECORDERS,
    "RecordFindings": _RECORDERS,
    "ReferToCase": _DISPOSERS,
    "ReferToDesignation": _DISPOSERS,
    "CloseFindings": _DISPOSERS,
    "CloseInspection": _DISPOSERS,
    "Tick": frozenset({Role.SYSTEM}),
}
_OPEN = frozenset({Stage.OPEN})
ALLOWED_STAGES: dict[str, frozenset[Stage]] = {
    "RecordFindings": _OPEN,
    "ReferToCase": _OPEN,
    "ReferToDesignation": _OPEN,
    "CloseFindings": _OPEN,
    "CloseInspection": _OPEN,
    "Tick": frozenset(Stage),
}


def _concerned(state: InspectionState, command: Command) -> list[tuple[str, VisitedOrg]]:
    """The organizations a command concerns, over which the actor needs scope, each with the field that
    names it: the visit (记录检查) every organization it names; closing the inspection (办结检查, which
    speaks for the whole visit) every one visited; a finding-level command only the organizations of its
    findings — a county leader of 城关镇 records and disposes of 城关镇's findings of a visit that also
    went to 河西镇. A finding or an organization the inspection does not know concerns none here: the
    rules refuse it, naming it."""
    if isinstance(command, RecordInspection):
        return [("orgs", VisitedOrg(code=o.code, name=o.name, region=o.region)) for o in command.orgs]
    named: list[tuple[str, str]]
    if isinstance(command, RecordFindings):
        named = [(f"findings[{i}].org_code", f.org_code) for i, f in enumerate(command.findings)]
    elif isinstance(command, ReferToCase | ReferToDesignation | CloseFindings):
        found = [(i, state.finding(i)) for i in command.finding_ids]
        named = [(f"finding_ids: {i}", f.org_code) for i, f in found if f is not None]
    else:  # CloseInspection, Tick
        return [("orgs", o) for o in state.orgs]
    return [(field, org) for field, org in ((field, state.org(code)) for field, code in named) if org is not None]


def authorize(state: InspectionState, command: Command) -> None:
    """The command's role, stage and the actor's scope over the organizations it concerns (``_concerned``;
    a refusal is a DomainError); the service asks it before a referral's first step, so a referral never
    ends half-done."""
    kind, actor = command.type, command.actor
    if isinstance(command, RecordInspection):
        if state.version:
            raise NotAllowedInStage(f"inspection {state.inspection_id} is already recorded")
    else:
        if state.version == 0:
            raise NotAllowedInStage("the inspection is not recorded yet")
        if state.stage not in ALLOWED_STAGES[kind]:
            raise NotAllowedInStage(f"{kind} is not allowed in stage {state.stage.value}")
    permissions.require_role(actor, ROLES_ALLOWED[kind], kind)
    for field, org in _concerned(state, command):
        if not actor.may_act_on(org.code, org.region):
            raise PermissionDenied(
                f"{field}: {actor.id} 无权处理 {org.code} {org.name}（{org.region}，超出其管辖范围）/ "
                f"{actor.id} may not act on organization {org.code} ({org.region})"
            )


def _findings(state: InspectionState, inputs: list[FindingInput], orgs: list[VisitedOrg], ctx: Context, actor: str) -> list[Finding]:
    visited = {o.code for o in orgs}
    findings = []
    for index, f in enumerate(inputs, start=len(state.findings) + 1):
        position = index - len(state.findings) - 1
        if f.category not in ctx.policy.problem_categories:
            known = ", ".join(ctx.policy.problem_categories)
            raise InvalidCommand(f"findings[{position}].category: unknown category {f.category!r}; the policy's: {known}")
        if f.org_code not in visited:
            raise InvalidCommand(
                f"findings[{position}].org_code: {f.org_code} was not visited (this inspection visited: {', '.join(sorted(visited))})"
            )
        findings.append(
            Finding(
                finding_id=f"F{index}",
                org_code=f.org_code,
                category=f.category,
                description=f.description,
                evidence=f.evidence,
                recorded_at=ctx.now,
                recorded_by=actor,
            )
        )
    return findings


def _record(state: InspectionState, c: RecordInspection, ctx: Context) -> list[Event]:
    today = local(ctx.now).date()
    if c.visited_on > today:
        raise InvalidCommand(f"visited_on: {c.visited_on.isoformat()} is in the future (today is {today.isoformat()})")
    if c.visited_on.year != c.year:
        raise InvalidCommand(f"visited_on: {c.visited_on.isoformat()} is not in the inspection year {c.year}")
    if c.kind == VisitKind.UNANNOUNCED and c.announced:
        raise InvalidCommand(f"announced: a {VISIT_KIND_NAMES[c.kind]} ({c.kind.value}) visit is never announced")
    codes = [o.code for o in c.orgs]
    duplicates = sorted({code for code in codes if codes.count(code) > 1})
    if duplicates:
        raise InvalidCommand(f"orgs: {', '.join(duplicates)} given twice")
    companions = [p for p in dict.fromkeys(c.companions) if p != c.actor.id]
    orgs = [VisitedOrg(code=o.code, name=o.name, region=o.region) for o in c.orgs]
    inspection_id = inspection_id_for(c.year, c.number)
    events: list[Event] = [
        InspectionRecorded(
            **ctx.stamp(c),
            policy_version=ctx.policy.version,
            inspection_id=inspection_id,
            year=c.year,
            kind=c.kind,
            visited_on=c.visited_on,
            announced=c.announced,
            title=c.title,
            inspector=c.actor.id,
            companions=companions,
            orgs=orgs,
            note=c.note,
        )
    ]
    if c.findings:
        events.append(InspectionFindingsRecorded(**ctx.stamp(c), findings=_findings(INITIAL, c.findings, orgs, ctx, c.actor.id)))
    return events


INITIAL = InspectionState()


def _add(state: InspectionState, c: RecordFindings, ctx: Context) -> list[Event]:
    return [InspectionFindingsRecorded(**ctx.stamp(c), findings=_findings(state, c.findings, state.orgs, ctx, c.actor.id))]


def _open_findings(state: InspectionState, finding_ids: list[str]) -> list[Finding]:
    """The findings named, each known and still open (not yet disposed of)."""
    duplicates = sorted({i for i in finding_ids if finding_ids.count(i) > 1})
    if duplicates:
        raise InvalidCommand(f"finding_ids: {', '.join(duplicates)} given twice")
    found = []
    for finding_id in finding_ids:
        finding = state.finding(finding_id)
        if finding is None:
            known = ", ".join(f.finding_id for f in state.findings) or "none yet"
            raise InvalidCommand(f"finding_ids: unknown finding {finding_id!r}; this inspection has: {known}")
        if finding.status != FindingStatus.OPEN:
            where = {
                FindingStatus.CASE: f"into case {finding.case_id}",
                FindingStatus.DESIGNATION: f"into the {finding.designation_year} designation",
                FindingStatus.CLOSED: "closed",
            }[finding.status]
            raise NotAllowedInStage(f"finding {finding_id} was already disposed of ({where})")
        found.append(finding)
    return found


def case_org(case_id: str) -> str | None:
    """The organization code in a case id ``rect-<org>-<year>`` (None if it is not one)."""
    if not case_id.startswith("rect-"):
        return None
    body = case_id.removeprefix("rect-")
    org, _, year = body.rpartition("-")
    return org if org and year.isdigit() else None


def _to_case(state: InspectionState, c: ReferToCase, ctx: Context) -> list[Event]:
    findings = _open_findings(state, c.finding_ids)
    org = case_org(c.case_id)
    if org is None:
        raise InvalidCommand(f"case_id: {c.case_id!r} is not a case id (rect-<organization>-<year>)")
    others = [f.finding_id for f in findings if f.org_code != org]
    if others:
        raise InvalidCommand(f"finding_ids: {', '.join(others)} concern another organization than case {c.case_id} ({org})")
    return [FindingsReferredToCase(**ctx.stamp(c), finding_ids=c.finding_ids, case_id=c.case_id)]


def _to_designation(state: InspectionState, c: ReferToDesignation, ctx: Context) -> list[Event]:
    _open_findings(state, c.finding_ids)
    if c.year < state.year:
        raise InvalidCommand(f"year: {c.year} is before the inspection's year {state.year}: refer to this or a later year's designation")
    return [
        FindingsReferredToDesignation(
            **ctx.stamp(c), policy_version=ctx.policy.version, finding_ids=c.finding_ids, year=c.year, note=c.note
        )
    ]


def _close_findings(state: InspectionState, c: CloseFindings, ctx: Context) -> list[Event]:
    _open_findings(state, c.finding_ids)
    return [FindingsClosed(**ctx.stamp(c), finding_ids=c.finding_ids, note=c.note)]


def _close(state: InspectionState, c: CloseInspection, ctx: Context) -> list[Event]:
    still = state.open_findings()
    if still:
        raise NotAllowedInStage(f"findings still open: {', '.join(f.finding_id for f in still)}: dispose of each first")
    return [InspectionClosed(**ctx.stamp(c), note=c.note)]


_HANDLERS: dict[str, Callable[[InspectionState, Any, Context], list[Event]]] = {
    "RecordInspection": _record,
    "RecordFindings": _add,
    "ReferToCase": _to_case,
    "ReferToDesignation": _to_designation,
    "CloseFindings": _close_findings,
    "CloseInspection": _close,
    "Tick": lambda state, command, ctx: [],  # nothing here runs on the clock
}


def decide(state: InspectionState, command: Command, ctx: Context) -> list[Event]:
    """The events ``command`` produces now, or a DomainError saying why not."""
    authorize(state, command)
    return _HANDLERS[command.type](state, command, ctx)
