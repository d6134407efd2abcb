"""What the web console reads, for the signed-in person: my tasks, a case as I may see it, the case list.

    my_tasks(deps)                 我的待办: my open measures with their traffic light, and what waits for my decision
                                   (a star rating's self-assessment or township review among them)
    case_view(deps, case_id)       a case page: state, timeline (全程纪实), evidence files, what I may do now
    evidence_file(deps, id, sha)   an evidence file of a case or a star rating I may see
    case_page(deps, year=…, …)     one page of the cases in my scope, filtered, with the total

Visibility is the scope rule of the commands (domain.permissions.may_see): a village sees its own case,
a township its villages', the county every case; a person responsible for a measure sees that case. A
case someone may not see is "not found", as if it did not exist. What a page offers to do comes from
the same rules the workflow applies (domain.rectification.permissions.available); the workflow decides.
"""

from __future__ import annotations

import functools
from datetime import UTC, datetime
from pathlib import Path

from pydantic import BaseModel, Field
from sqlalchemy.engine import Engine

from activities.calendar import CalendarFileError, default_override_path, facts_for_years
from domain.actors import Actor, Role
from domain.evidence import EvidenceFile
from domain.lights import Light, light, working_days_left
from domain.policy import Policy
from domain.rating import DECIDER as RATINGS
from domain.rectification import DECIDER, CaseState
from domain.rectification.permissions import available, may_report, may_see_case, roles_allowed
from domain.workcal import WorkCalendar
from i18n.links import item_path
from service import cases, ratings
from service import policy as policies
from service.bootstrap import Deps
from service.commands import TrailRow, expect, trail, trail_row
from service.errors import NotFound
from service.signin import read_directory
from store import queries
from store.models import CaseSummary

EXAMPLE = "rect-V001-2026"
PAGE_SIZE = 50


@functools.lru_cache(maxsize=8)
def _calendar(years: tuple[int, ...], override: str | None, _modified: float) -> WorkCalendar:
    try:
        return WorkCalendar(facts_for_years(list(years), Path(override) if override else None))
    except CalendarFileError:  # a broken override file (`pdca calendar check` says why): the package's facts
        return WorkCalendar(facts_for_years(list(years), None))


def calendar_for(now: datetime) -> WorkCalendar:
    """The working-day calendar for this year and the next (the package's facts and the override file,
    read again when the file changes)."""
    override = default_override_path()
    if override is None or not override.exists():
        return _calendar((now.year, now.year + 1), None, 0.0)
    return _calendar((now.year, now.year + 1), str(override), override.stat().st_mtime)


# ----------------------------------------------------------------------------- my tasks


class MeasureTask(BaseModel):
    case_id: str
    org_name: str
    region: str
    measure_id: str
    description: str
    deadline: datetime
    days_left: int  # working days; negative: overdue by that many
    light: Light
    link: str


class Decision(BaseModel):
    kind: str  # the command it waits for: ApprovePlan, RecordAcceptance, PauseMeasures, DecideSanction, SubmitPlan, SubmitSelfCheck;
    # of a star rating (noun "rating"): SubmitSelfAssessment, ReviewRating
    case_id: str  # the case's id, or the rating's (star-…) when ``noun`` is "rating"
    org_name: str
    region: str
    detail: str = ""  # e.g. the proposal id and rung, the request id and reason
    plan_status: str | None = None  # for a plan to write or review: none, submitted, returned
    since: datetime | None = None
    link: str
    noun: str = "case"  # case | rating


class Tasks(BaseModel):
    person: str
    measures: list[MeasureTask] = Field(default_factory=list)
    decisions: list[Decision] = Field(default_factory=list)


def _decision(
    kind: str, case: CaseSummary, link: str, detail: str = "", since: datetime | None = None, plan_status: str | None = None
) -> Decision:
    since = since or case.last_event_at
    return Decision(
        kind=kind,
        case_id=case.case_id,
        org_name=case.org_name,
        region=case.region,
        detail=detail,
        since=since,
        link=link,
        plan_status=plan_status,
    )


def my_tasks(deps: Deps, now: datetime | None = None, policy: Policy | None = None) -> Tasks:
    """我的待办 of the signed-in person: their open measures (traffic light by working days left) and
    everything waiting for a decision they may take, within their scope."""
    now = now or datetime.now(UTC)
    policy = policy or policies.effective(deps.settings.policy)
    actor = deps.caller.actor
    calendar = calendar_for(now)
    tasks = Tasks(person=actor.id)
    for m, case in deps.reading(lambda engine: queries.open_measures_of(engine, actor.id)):
        tasks.measures.append(
            MeasureTask(
                case_id=case.case_id,
                org_name=case.org_name,
                region=case.region,
                measure_id=m.measure_id,
                description=m.description,
                deadline=m.deadline,
                days_left=working_days_left(m.deadline, now, calendar),
                light=light(m.deadline, now, calendar, paused=bool(m.paused)),
                link=item_path(case.case_id, m.measure_id),
            )
        )
    tasks.decisions = deps.reading(lambda engine: _decisions(engine, actor, policy))
    tasks.decisions += _rating_decisions(deps, actor)
    return tasks


RATING_ANCHORS = {"SubmitSelfAssessment": "#self-assessment", "ReviewRating": "#review"}


def _rating_decisions(deps: Deps, actor: Actor) -> list[Decision]:
    """Star ratings waiting for ``actor`` (service.ratings.rating_tasks): a self-assessment for the
    organization's people, a review for the township secretary; each links to its rating page's form."""
    return [
        Decision(
            kind=task.kind,
            case_id=task.row.rating_id,
            org_name=task.row.org_name,
            region=task.row.region,
            detail=f"{task.row.year}",
            since=task.row.last_event_at,
            link=f"/ratings/{task.row.rating_id}{RATING_ANCHORS[task.kind]}",
            noun="rating",
        )
        for task in ratings.rating_tasks(deps, actor)
    ]


def _decisions(engine: Engine, actor: Actor, policy: Policy) -> list[Decision]:
    scope = actor.scope
    found: list[Decision] = []

    def allowed(kind: str) -> bool:
        return actor.has_any(roles_allowed(kind, policy))

    if allowed("SubmitPlan"):
        for case in queries.cases_at(engine, "designated", scope) + queries.cases_at(engine, "planning", scope, plan_status="returned"):
            found.append(_decision("SubmitPlan", case, item_path(case.case_id) + "/plan", plan_status=case.plan_status))
    if allowed("ApprovePlan"):
        for case in queries.cases_at(engine, "planning", scope, plan_status="submitted"):
            link = item_path(case.case_id) + "/plan"
            found.append(_decision("ApprovePlan", case, link, detail=f" #{case.plan_round}", plan_status=case.plan_status))
    if allowed("SubmitSelfCheck"):
        for case in queries.cases_at(engine, "implementing", scope):
            if case.measures_total and case.measures_done >= case.measures_total:
                found.append(_decision("SubmitSelfCheck", case, item_path(case.case_id) + "#self-check"))
    if allowed("RecordAcceptance"):
        for case in queries.cases_at(engine, "checking", scope):
            found.append(_decision("RecordAcceptance", case, item_path(case.case_id) + "#acceptance"))
    if allowed("PauseMeasures") or allowed("ExtendDeadline"):
        ids = queries.cases_with_event(engine, "ReliefRequested", "implementing", scope)
        streams = queries.read_streams(engine, ids)
        summaries = {c.case_id: c for c in queries.cases_by_id(engine, ids)}
        for case_id, rows in streams.items():
            state = queries.fold_stream(rows, DECIDER)
            for request_id, request in state.relief_requests.items():
                if request.granted_by is None and request.requested_by != actor.id:
                    detail = f"{request_id}: {request.reason}"
                    found.append(_decision("PauseMeasures", summaries[case_id], item_path(case_id) + "#relief", detail=detail))
    if allowed("DecideSanction"):
        for proposal, case in queries.pending_sanctions(engine, scope):
            found.append(
                _decision(
                    "DecideSanction",
                    case,
                    item_path(case.case_id) + "#proposals",
                    detail=f"{proposal.proposal_id} {proposal.rung}" + (f" ({proposal.measure_id})" if proposal.measure_id else ""),
                    since=proposal.proposed_at,
                )
            )
    return found


# ----------------------------------------------------------------------------- a case


class EvidenceItem(BaseModel):
    measure_id: str
    file: EvidenceFile


class CaseView(BaseModel):
    state: CaseState
    trail: list[TrailRow]
    files: list[EvidenceItem]
    lights: dict[str, Light]  # by measure id (open measures)
    days_left: dict[str, int]
    actions: list[str]  # case-level commands the viewer may send now
    reportable: list[str]  # measure ids the viewer may report on now


def case_view(deps: Deps, case_id: str, now: datetime | None = None, policy: Policy | None = None) -> CaseView:
    """The case as the signed-in person may see it; ``NotFound`` when they may not (or it does not exist)."""
    expect("case", case_id, EXAMPLE)
    now = now or datetime.now(UTC)
    policy = policy or policies.effective(deps.settings.policy)
    actor = deps.caller.actor
    missing = f"unknown case {case_id}"
    rows = trail(deps, case_id, missing)
    state = queries.fold_stream(rows, DECIDER)
    if not may_see_case(actor, state):
        raise NotFound(missing, case_id)
    calendar = calendar_for(now)
    open_measures = state.open_measures()
    return CaseView(
        state=state,
        trail=[trail_row(row) for row in rows],
        files=[EvidenceItem(measure_id=m.id, file=f) for m in state.measures for f in m.files],
        lights={m.id: light(m.deadline, now, calendar, paused=m.paused) for m in open_measures},
        days_left={m.id: working_days_left(m.deadline, now, calendar) for m in open_measures},
        actions=sorted(available(state, actor, policy, now)),
        reportable=[m.id for m in open_measures if may_report(state, actor, m.id, policy)],
    )


class Candidate(BaseModel):
    id: str
    name: str


def responsible_candidates(deps: Deps, state: CaseState) -> list[Candidate]:
    """Who a plan may name as a measure's responsible person: the active people of the directory whose
    scope covers the case's organization (the plan form offers them; any id is still accepted)."""
    directory = read_directory(deps)
    return [
        Candidate(id=p.id, name=p.name)
        for p in sorted(directory.people.values(), key=lambda p: p.id)
        if p.active and p.actor().may_act_on(state.org_code, state.region) and set(p.roles) - {Role.ADMIN}
    ]


def evidence_file(deps: Deps, stream_id: str, sha256: str) -> EvidenceFile:
    """An evidence file of a case or a star rating (``star-…``) the signed-in person may see (files are
    reached only through their case or rating: service.ratings.evidence_file for a rating); ``NotFound``
    otherwise. Folds the stream, nothing more: a gallery asks this once per thumbnail."""
    if RATINGS.owns(stream_id):
        return ratings.evidence_file(deps, stream_id, sha256)
    state = cases.show(deps, stream_id, visible_to=deps.caller.actor)
    found = next((f for m in state.measures for f in m.files if f.sha256 == sha256), None)
    if found is None:
        raise NotFound(f"case {stream_id} has no evidence file {sha256}", stream_id)
    return found


# ----------------------------------------------------------------------------- the case list


def case_page(
    deps: Deps,
    *,
    year: int | None = None,
    region: str | None = None,
    stage: str | None = None,
    overdue: bool | None = None,
    page: int = 1,
    size: int = PAGE_SIZE,
) -> queries.CasePage:
    """One page of the cases in the signed-in person's scope (overdue first, then the nearest deadline)."""
    scope = deps.caller.actor.scope
    offset = max(page - 1, 0) * size
    return deps.reading(
        lambda engine: queries.case_page(
            engine, scope=scope, year=year, region=region, stage=stage, overdue=overdue, offset=offset, limit=size, urgent_first=True
        )
    )
