"""Inspections (明察暗访、专项抽查、观摩): one function per thing a door asks (docs/inspections.md).

Changing an inspection (async; each returns ``service.commands.Done``): ``record`` (the visit, from an
``InspectionFile``), ``add_findings``, ``refer_to_case``, ``refer_to_designation``, ``close_findings``,
``close``. Reading (sync, from the audit log and the inspection ledger): ``show``, ``list_inspections``,
``findings``, ``history``.

``refer_to_case`` is two audited commands: the findings are recorded in the case first
(``service.cases.record_findings``: problems of its current cycle, source = the inspection id), then
marked in the inspection with the case id. Both go under request ids derived from one, so a retry with
the same ``--request-id`` after a failure between them applies each once.
"""

from __future__ import annotations

import uuid
from datetime import date
from typing import Any

from pydantic import ConfigDict, Field, field_validator

from domain.actors import Actor
from domain.decider import Input
from domain.errors import DomainError
from domain.inspection import (
    CloseFindings,
    CloseInspection,
    FindingInput,
    FindingStatus,
    InspectionState,
    RecordFindings,
    RecordInspection,
    ReferToCase,
    ReferToDesignation,
    Stage,
    VisitedOrgInput,
    VisitKind,
    case_org,
    parse_visit_kind,
)
from domain.inspection.decide import authorize
from domain.limits import MAX_ITEMS, MAX_NAME, MAX_TEXT, Id
from domain.policy import Policy
from service.bootstrap import Deps
from service.commands import Done, command, expect, folded, open_stream, send, trail
from service.errors import Refused
from store import inspections as store
from store.directory import Directory
from store.inspection_models import InspectionFinding, InspectionSummary
from store.models import AuditEvent

EXAMPLE = "insp-2027-001"
YEARS = (2000, 2100)  # the years an inspection may be of (RecordInspection.year)


class InspectionFile(Input):
    """The record file: what kind of visit, when, where (organization codes), who went besides the
    inspector, and what was found (``findings``, optional: they may be added later)."""

    model_config = ConfigDict(extra="forbid")
    kind: VisitKind
    visited_on: date
    announced: bool | None = None  # default: observation (观摩) announced, the others not
    title: str = Field(min_length=1, max_length=MAX_NAME)
    orgs: list[str] = Field(min_length=1, max_length=MAX_ITEMS)
    companions: list[Id] = Field(default_factory=list, max_length=MAX_ITEMS)
    note: str = Field(default="", max_length=MAX_TEXT)
    number: int | None = Field(default=None, ge=1, le=999)  # default: the year's next free number
    findings: list[FindingInput] = Field(default_factory=list, max_length=MAX_ITEMS)

    @field_validator("kind", mode="before")
    @classmethod
    def _kind(cls, value: object) -> object:
        return parse_visit_kind(value)  # 明察暗访 or unannounced, …

    @field_validator("visited_on")
    @classmethod
    def _visited_on(cls, value: date) -> date:
        # the visit's year is the inspection's (insp-<year>-NNN): said of the date the person wrote
        if not YEARS[0] <= value.year <= YEARS[1]:
            day, years = value.isoformat(), f"{YEARS[0]}–{YEARS[1]}"
            raise ValueError(f"检查日期 {day} 不在 {years} 年之间 / {day} is not a date of the years {years}")
        return value


class FindingsFile(Input):
    """``pdca inspection finding ID --file``: more findings."""

    model_config = ConfigDict(extra="forbid")
    findings: list[FindingInput] = Field(min_length=1, max_length=MAX_ITEMS)


def _orgs(deps: Deps, codes: list[str]) -> list[VisitedOrgInput]:
    """The organizations visited as the directory holds them (``Refused`` naming the unknown codes)."""

    def query(engine: Any) -> list[VisitedOrgInput]:
        directory = Directory(engine)
        found, unknown = [], []
        for code in dict.fromkeys(codes):
            org = directory.organization(code)
            if org is None:
                unknown.append(code)
            else:
                found.append(VisitedOrgInput(code=org.code, name=org.name, region=org.region))
        if unknown:
            raise Refused(f"orgs: unknown organization(s) {', '.join(unknown)} (not in the directory: `pdca org list`)")
        return found

    return deps.reading(query)


def _check_companions(deps: Deps, companions: list[str]) -> None:
    """Each companion (同行人员) is a person of the people directory (``Refused`` naming the unknown ids).
    Known is enough: someone disabled since may well have gone on the visit."""
    if not companions:
        return
    from service.signin import read_directory

    people = read_directory(deps).people
    unknown = [p for p in dict.fromkeys(companions) if p not in people]
    if unknown:
        names = ", ".join(unknown)
        raise Refused(
            f"companions: 同行人员 {names} 不在人员目录中（见 `pdca person list`）/ unknown person(s) {names}, not in the people directory"
        )


def opening(deps: Deps, file: InspectionFile, actor: Actor) -> RecordInspection:
    """The RecordInspection a record file asks for (the acting person the inspector), numbered; the
    organizations and companions checked against the directories first."""
    _check_companions(deps, file.companions)
    year = file.visited_on.year
    number = file.number or deps.reading(lambda engine: store.next_number(engine, year))
    announced = file.announced if file.announced is not None else file.kind == VisitKind.OBSERVATION
    return command(
        RecordInspection,
        actor=actor,
        year=year,
        number=number,
        kind=file.kind,
        visited_on=file.visited_on,
        announced=announced,
        title=file.title,
        orgs=_orgs(deps, file.orgs),
        companions=file.companions,
        note=file.note,
        findings=file.findings,
    )


async def _send(deps: Deps, inspection_id: str, cmd: object, request_id: str | None) -> Done:
    expect("inspection", inspection_id, EXAMPLE)
    return await send(deps, inspection_id, cmd, request_id)


# ----------------------------------------------------------------------------- changing an inspection


async def record(deps: Deps, file: InspectionFile, actor: Actor, policy: Policy) -> Done:
    """记录检查: start the inspection's stream (``insp-<year>-<NNN>``) with the visit and its findings."""
    return await open_stream(deps, opening(deps, file, actor), policy)


async def add_findings(deps: Deps, inspection_id: str, actor: Actor, findings: list[FindingInput], request_id: str | None = None) -> Done:
    return await _send(deps, inspection_id, command(RecordFindings, actor=actor, findings=findings), request_id)


def _open_findings(state: InspectionState, finding_ids: list[str]) -> list[Any]:
    found = []
    for finding_id in finding_ids:
        finding = state.finding(finding_id)
        if finding is None:
            known = ", ".join(f.finding_id for f in state.findings) or "none yet"
            raise Refused(f"finding_ids: unknown finding {finding_id!r}; {state.inspection_id} has: {known}")
        found.append(finding)
    return found


async def refer_to_case(
    deps: Deps, inspection_id: str, actor: Actor, finding_ids: list[str], case_id: str | None = None, request_id: str | None = None
) -> Done:
    """转入整顿案件: the findings become problems of the case (its current cycle; the plan must address
    them), then are marked with the case id. ``case_id`` default: the case of the findings' organization
    in the inspection's year. Returns the inspection's ``Done``."""
    from service import cases

    state = show(deps, inspection_id)
    findings = _open_findings(state, finding_ids)
    if case_id is None:
        orgs = sorted({f.org_code for f in findings})
        if len(orgs) != 1:
            raise Refused(f"--case: the findings concern {', '.join(orgs)}: refer each organization's findings to its own case")
        case_id = f"rect-{orgs[0]}-{state.year}"
    org = case_org(case_id)
    others = [f.finding_id for f in findings if f.org_code != org]
    if org is None or others:
        raise Refused(f"--case: {case_id} is not the case of the organization of {', '.join(others or finding_ids)}")
    disposed = [f.finding_id for f in findings if f.status != FindingStatus.OPEN and f.case_id != case_id]
    if disposed:
        raise Refused(f"finding(s) {', '.join(disposed)} already disposed of: see `pdca inspection show {inspection_id}`")
    rid = request_id or uuid.uuid4().hex
    pending = [f for f in findings if f.status == FindingStatus.OPEN]
    if pending:
        items = [{"finding_id": f.finding_id, "category": f.category, "description": f.description} for f in pending]
        cmd = command(ReferToCase, actor=actor, finding_ids=[f.finding_id for f in pending], case_id=case_id)
        try:  # may this person mark the inspection? asked before the case is touched: never half a referral
            authorize(state, cmd)
        except DomainError as error:
            raise Refused(error.message, code=error.code) from None
        # the case first (its own rules: live stage, roles, each finding of a source once), then the mark
        await cases.record_findings(deps, case_id, actor=actor, source=inspection_id, findings=items, request_id=f"{rid}-case")
        return await _send(deps, inspection_id, cmd, rid)
    if request_id is not None:  # a retry of a referral that went through: its first result (applied once)
        return await _send(deps, inspection_id, command(ReferToCase, actor=actor, finding_ids=finding_ids, case_id=case_id), rid)
    raise Refused(f"finding(s) {', '.join(finding_ids)} are already in case {case_id}")


async def refer_to_designation(
    deps: Deps, inspection_id: str, actor: Actor, finding_ids: list[str], year: int, note: str = "", request_id: str | None = None
) -> Done:
    """列入认定: the findings are direct criteria of ``year``'s designation (signed by who decides)."""
    cmd = command(ReferToDesignation, actor=actor, finding_ids=finding_ids, year=year, note=note)
    return await _send(deps, inspection_id, cmd, request_id)


async def close_findings(
    deps: Deps, inspection_id: str, actor: Actor, finding_ids: list[str], note: str, request_id: str | None = None
) -> Done:
    """办结: nothing more to do about the findings (corrected on the spot, not upheld): the note says why."""
    return await _send(deps, inspection_id, command(CloseFindings, actor=actor, finding_ids=finding_ids, note=note), request_id)


async def close(deps: Deps, inspection_id: str, actor: Actor, note: str = "", request_id: str | None = None) -> Done:
    """办结检查: every finding disposed of; the inspection ends."""
    return await _send(deps, inspection_id, command(CloseInspection, actor=actor, note=note), request_id)


# ----------------------------------------------------------------------------- reading


def history(deps: Deps, inspection_id: str) -> list[AuditEvent]:
    expect("inspection", inspection_id, EXAMPLE)
    return trail(deps, inspection_id)


def show(deps: Deps, inspection_id: str) -> InspectionState:
    """The inspection as its audit rows fold: the visit, each finding and how it was disposed of."""
    expect("inspection", inspection_id, EXAMPLE)
    state: InspectionState = folded(deps, inspection_id)
    return state


def list_inspections(deps: Deps, *, year: int | None = None, stage: str | None = None) -> list[InspectionSummary]:
    """Rows of the inspection ledger (of one year, in one stage: open / closed)."""
    if stage is not None and stage not in {s.value for s in Stage}:
        raise Refused(f"--stage: {stage!r} is not one of {', '.join(s.value for s in Stage)}")
    return deps.reading(lambda engine: store.inspection_summaries(engine, year=year, stage=stage))


def findings(deps: Deps, *, org_code: str | None = None, status: str | None = None) -> list[InspectionFinding]:
    """Findings of every inspection (of one organization, in one status)."""
    if status is not None and status not in {s.value for s in FindingStatus}:
        raise Refused(f"--status: {status!r} is not one of {', '.join(s.value for s in FindingStatus)}")
    return deps.reading(lambda engine: store.findings_of(engine, org_code=org_code, status=status))


def referred_to_designation(deps: Deps, year: int) -> dict[str, list[str]]:
    """Org code → findings referred to ``year``'s designation (what the designation reads)."""
    return deps.reading(lambda engine: store.referred_to_designation(engine, year))


__all__ = [
    "EXAMPLE", "FindingsFile", "InspectionFile", "add_findings", "close", "close_findings", "findings",
    "history", "list_inspections", "opening", "record", "refer_to_case", "refer_to_designation", "referred_to_designation", "show",
]  # fmt: skip
