"""Rectification of a weak and lax grassroots Party organization (整顿软弱涣散党组织) as a decider.

    decide(state, command, now, policy) -> list[Event]   refuses with a DomainError
    evolve(state, event) -> state                         total, never refuses
    next_wakeup(state, policy) -> datetime | None         when the clock next matters

A case runs Plan–Do–Check–Act cycles:

    designated 已认定 ──submit plan──▶ planning 方案审核 ──approve──▶ implementing 整改实施
         ▲                               │  ▲ return (修改)                     │ self-check
         │ relapse 反弹                  └──┘                                  ▼
    consolidating 巩固提升 ◀──pass── checking 检查验收 ──fail──▶ implementing (rework 重新整改)
         │ follow-up review 回头看, close
         ▼
    closed 已销号

Timers are commands too: ``Tick`` asks "what is due now?" and returns reminder, overdue and
escalation events, each of which fires once (the state remembers what fired).
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from enum import StrEnum
from typing import Annotated, Literal, Union

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, TypeAdapter, field_validator

from domain.actors import SYSTEM_ACTOR, Actor, Role
from domain.errors import (
    InvalidCommand,
    NotAllowedInStage,
    PermissionDenied,
    SeparationOfDuties,
)
from domain.policy import Policy, Recipient, Rung
from domain.timeutil import deadline_instant, format_duration

KIND = "rectification"


class Stage(StrEnum):
    NEW = "new"  # 未立案 (before the case is opened)
    DESIGNATED = "designated"  # 已认定
    PLANNING = "planning"  # 方案审核
    IMPLEMENTING = "implementing"  # 整改实施
    CHECKING = "checking"  # 检查验收
    CONSOLIDATING = "consolidating"  # 巩固提升
    CLOSED = "closed"  # 已销号


class BasisKind(StrEnum):
    RANKING = "ranking"  # 综合考评倒排
    DIRECT = "direct"  # 直接认定情形


class PlanStatus(StrEnum):
    NONE = "none"
    SUBMITTED = "submitted"
    RETURNED = "returned"
    APPROVED = "approved"


class Verdict(StrEnum):
    PASSED = "passed"  # 验收通过
    FAILED_SCORE = "failed_score"  # 得分不达标
    FAILED_SATISFACTION = "failed_satisfaction"  # 群众满意度否决


class Outcome(StrEnum):
    UPGRADED = "upgraded"  # 晋位升级
    STABLE = "stable"  # 巩固达标


def case_id_for(org_code: str, year: int) -> str:
    """One rectification case per organization and year."""
    return f"rect-{org_code}-{year}"


# --------------------------------------------------------------------------- inputs


class _Input(BaseModel):
    """What people type: unknown keys are refused so a misspelt field is reported, not ignored."""

    model_config = ConfigDict(extra="forbid")


class Basis(_Input):
    kind: BasisKind
    detail: str = Field(min_length=1)  # e.g. "2025年度综合考评倒排第3名" or a direct criterion
    rank: int | None = Field(default=None, ge=1)


class ProblemInput(_Input):
    category: str = Field(min_length=1)
    description: str = Field(min_length=1)


class Problem(ProblemInput):
    model_config = ConfigDict(extra="ignore")
    id: str
    cycle: int = 1  # the PDCA cycle in which it was found; each cycle's plan must address its own


class MeasureInput(_Input):
    id: str = Field(min_length=1, pattern=r"^[A-Za-z0-9_.-]+$")
    description: str = Field(min_length=1)
    problems: list[str] = Field(min_length=1)
    responsible: str = Field(min_length=1)
    # A timestamp is tried first: pydantic would otherwise read a midnight timestamp as a bare date.
    deadline: Annotated[AwareDatetime | date, Field(union_mode="left_to_right")]

    @field_validator("deadline", mode="before")
    @classmethod
    def _reject_naive(cls, value: object) -> object:
        if isinstance(value, str) and len(value.strip()) > 10:
            try:
                value = datetime.fromisoformat(value.strip())
            except ValueError:
                return value  # pydantic reports the format error
        if isinstance(value, datetime) and value.tzinfo is None:
            raise ValueError("a deadline with a time must carry a UTC offset, e.g. +08:00")
        return value


# --------------------------------------------------------------------------- commands


class _Command(_Input):
    actor: Actor


class OpenCase(_Command):
    type: Literal["OpenCase"] = "OpenCase"
    org_code: str = Field(min_length=1, pattern=r"^[A-Za-z0-9_.-]+$")
    org_name: str = Field(min_length=1)
    region: str = Field(min_length=1)
    year: int = Field(ge=2000, le=2100)
    basis: Basis
    problems: list[ProblemInput] = Field(min_length=1)
    leaders: list[str] = Field(min_length=1)


class SubmitPlan(_Command):
    type: Literal["SubmitPlan"] = "SubmitPlan"
    measures: list[MeasureInput] = Field(min_length=1)
    summary: str = ""


class ReturnPlan(_Command):
    type: Literal["ReturnPlan"] = "ReturnPlan"
    comments: str = Field(min_length=1)


class ApprovePlan(_Command):
    type: Literal["ApprovePlan"] = "ApprovePlan"
    comments: str = ""


class ReportProgress(_Command):
    type: Literal["ReportProgress"] = "ReportProgress"
    measure_id: str
    note: str = Field(min_length=1)
    evidence: list[str] = Field(default_factory=list)


class CompleteMeasure(_Command):
    type: Literal["CompleteMeasure"] = "CompleteMeasure"
    measure_id: str
    note: str = Field(min_length=1)
    evidence: list[str] = Field(min_length=1)


class SubmitSelfCheck(_Command):
    type: Literal["SubmitSelfCheck"] = "SubmitSelfCheck"
    summary: str = Field(min_length=1)


class RecordAcceptance(_Command):
    type: Literal["RecordAcceptance"] = "RecordAcceptance"
    score: float = Field(ge=0, le=100)
    unsatisfied_share: float = Field(ge=0, le=1)
    comments: str = ""


class RecordFollowUp(_Command):
    """回头看: a follow-up review during consolidation; a relapse re-opens the PDCA cycle."""

    type: Literal["RecordFollowUp"] = "RecordFollowUp"
    relapsed: bool
    note: str = Field(min_length=1)
    new_problems: list[ProblemInput] = Field(default_factory=list)


class CloseCase(_Command):
    type: Literal["CloseCase"] = "CloseCase"
    outcome: Outcome
    note: str = ""


class Tick(_Command):
    """The clock: emit whatever reminders, overdue notices and escalations are due."""

    type: Literal["Tick"] = "Tick"
    actor: Actor = SYSTEM_ACTOR


Command = Annotated[
    Union[
        OpenCase,
        SubmitPlan,
        ReturnPlan,
        ApprovePlan,
        ReportProgress,
        CompleteMeasure,
        SubmitSelfCheck,
        RecordAcceptance,
        RecordFollowUp,
        CloseCase,
        Tick,
    ],
    Field(discriminator="type"),
]

# --------------------------------------------------------------------------- events


class _Event(BaseModel):
    at: AwareDatetime
    actor: str
    policy_version: str | None = None


class CaseOpened(_Event):
    type: Literal["CaseOpened"] = "CaseOpened"
    case_id: str
    org_code: str
    org_name: str
    region: str
    year: int
    basis: Basis
    problems: list[Problem]
    leaders: list[str]


class Measure(BaseModel):
    id: str
    description: str
    problems: list[str]
    responsible: str
    deadline: AwareDatetime


class PlanSubmitted(_Event):
    type: Literal["PlanSubmitted"] = "PlanSubmitted"
    round: int
    measures: list[Measure]
    summary: str = ""


class PlanReturned(_Event):
    type: Literal["PlanReturned"] = "PlanReturned"
    round: int
    comments: str


class PlanApproved(_Event):
    type: Literal["PlanApproved"] = "PlanApproved"
    round: int
    comments: str = ""


class ProgressReported(_Event):
    type: Literal["ProgressReported"] = "ProgressReported"
    measure_id: str
    note: str
    evidence: list[str]


class MeasureCompleted(_Event):
    type: Literal["MeasureCompleted"] = "MeasureCompleted"
    measure_id: str
    note: str
    evidence: list[str]


class SelfCheckSubmitted(_Event):
    type: Literal["SelfCheckSubmitted"] = "SelfCheckSubmitted"
    summary: str


class AcceptanceRecorded(_Event):
    type: Literal["AcceptanceRecorded"] = "AcceptanceRecorded"
    round: int
    score: float
    unsatisfied_share: float
    verdict: Verdict
    pass_score: float
    max_unsatisfied_share: float
    comments: str = ""


class ReworkOrdered(_Event):
    type: Literal["ReworkOrdered"] = "ReworkOrdered"
    rework_round: int
    deadline: AwareDatetime


class ConsolidationStarted(_Event):
    type: Literal["ConsolidationStarted"] = "ConsolidationStarted"
    until: AwareDatetime


class ConsolidationEnded(_Event):
    type: Literal["ConsolidationEnded"] = "ConsolidationEnded"
    recipients: list[str]


class FollowUpReviewed(_Event):
    type: Literal["FollowUpReviewed"] = "FollowUpReviewed"
    relapsed: bool
    note: str


class RelapseRecorded(_Event):
    type: Literal["RelapseRecorded"] = "RelapseRecorded"
    cycle: int
    new_problems: list[Problem]


class CaseClosed(_Event):
    type: Literal["CaseClosed"] = "CaseClosed"
    outcome: Outcome
    note: str = ""


class ReminderSent(_Event):
    type: Literal["ReminderSent"] = "ReminderSent"
    measure_id: str
    deadline: AwareDatetime
    lead: str  # the reminder lead that fired, e.g. "7d"
    covers: list[str]  # every lead this reminder satisfies (missed longer leads are not sent late)
    recipients: list[str]


class MeasureOverdue(_Event):
    type: Literal["MeasureOverdue"] = "MeasureOverdue"
    measure_id: str
    deadline: AwareDatetime
    recipients: list[str]


class EscalationRaised(_Event):
    type: Literal["EscalationRaised"] = "EscalationRaised"
    measure_id: str
    rung: Rung
    overdue_for: str
    recipients: list[str]


Event = Annotated[
    Union[
        CaseOpened,
        PlanSubmitted,
        PlanReturned,
        PlanApproved,
        ProgressReported,
        MeasureCompleted,
        SelfCheckSubmitted,
        AcceptanceRecorded,
        ReworkOrdered,
        ConsolidationStarted,
        ConsolidationEnded,
        FollowUpReviewed,
        RelapseRecorded,
        CaseClosed,
        ReminderSent,
        MeasureOverdue,
        EscalationRaised,
    ],
    Field(discriminator="type"),
]

EVENT_ADAPTER: TypeAdapter[Event] = TypeAdapter(Event)
COMMAND_ADAPTER: TypeAdapter[Command] = TypeAdapter(Command)
NOTICE_EVENTS = frozenset({"ReminderSent", "MeasureOverdue", "EscalationRaised", "ConsolidationEnded"})

# --------------------------------------------------------------------------- state


class MeasureState(Measure):
    done: bool = False
    completed_by: str | None = None
    progress_reports: int = 0
    reminded: list[str] = Field(default_factory=list)
    overdue: bool = False
    escalated: list[Rung] = Field(default_factory=list)


class AcceptanceRound(BaseModel):
    cycle: int
    round: int
    score: float
    unsatisfied_share: float
    verdict: Verdict
    by: str
    at: AwareDatetime


class CaseState(BaseModel):
    case_id: str = ""
    version: int = 0  # number of events folded in: the stream version
    stage: Stage = Stage.NEW
    stage_since: AwareDatetime | None = None  # when the case entered its current stage
    org_code: str = ""
    org_name: str = ""
    region: str = ""
    year: int = 0
    basis: Basis | None = None
    problems: list[Problem] = Field(default_factory=list)
    leaders: list[str] = Field(default_factory=list)
    opened_at: AwareDatetime | None = None
    cycle: int = 1
    plan_status: PlanStatus = PlanStatus.NONE
    plan_round: int = 0
    plan_returns: int = 0
    plan_submitted_by: str | None = None
    plan_comments: str = ""
    measures: list[MeasureState] = Field(default_factory=list)
    self_check_by: str | None = None
    # Everyone who reported completion or self-checked in this cycle, across rework rounds:
    # none of them may accept the cycle (separation of duties).
    reporters: list[str] = Field(default_factory=list)
    rework_round: int = 0
    acceptances: list[AcceptanceRound] = Field(default_factory=list)
    consolidation_until: AwareDatetime | None = None
    consolidation_ended: bool = False
    follow_ups: int = 0
    outcome: Outcome | None = None
    closed_at: AwareDatetime | None = None
    policy_version: str | None = None

    def measure(self, measure_id: str) -> MeasureState | None:
        return next((m for m in self.measures if m.id == measure_id), None)

    @property
    def overdue(self) -> bool:
        return any(m.overdue and not m.done for m in self.measures)

    def open_measures(self) -> list[MeasureState]:
        return [m for m in self.measures if not m.done]

    def next_deadline(self) -> datetime | None:
        pending = [m.deadline for m in self.open_measures()]
        return min(pending) if pending else None


INITIAL_STATE = CaseState()

# --------------------------------------------------------------------------- permissions

_PLAN_AUTHORS = frozenset({Role.BRANCH_SECRETARY, Role.FIRST_SECRETARY, Role.TOWNSHIP_SECRETARY})
_PLAN_REVIEWERS = frozenset({Role.TOWNSHIP_SECRETARY, Role.SUPERVISOR})
_IMPLEMENTERS = frozenset({Role.BRANCH_SECRETARY, Role.FIRST_SECRETARY, Role.TOWNSHIP_SECRETARY})
_ACCEPTORS = frozenset({Role.SUPERVISOR, Role.COUNTY_LEADER})

ROLES_ALLOWED: dict[str, frozenset[Role]] = {
    "OpenCase": frozenset({Role.SUPERVISOR}),
    "SubmitPlan": _PLAN_AUTHORS,
    "ReturnPlan": _PLAN_REVIEWERS,
    "ApprovePlan": _PLAN_REVIEWERS,
    "ReportProgress": _IMPLEMENTERS,
    "CompleteMeasure": _IMPLEMENTERS,
    "SubmitSelfCheck": frozenset({Role.BRANCH_SECRETARY, Role.FIRST_SECRETARY}),
    "RecordAcceptance": _ACCEPTORS,
    "RecordFollowUp": _ACCEPTORS,
    "CloseCase": frozenset({Role.SUPERVISOR}),
    "Tick": frozenset({Role.SYSTEM}),
}

ALLOWED_STAGES: dict[str, frozenset[Stage]] = {
    "OpenCase": frozenset({Stage.NEW}),
    "SubmitPlan": frozenset({Stage.DESIGNATED, Stage.PLANNING}),
    "ReturnPlan": frozenset({Stage.PLANNING}),
    "ApprovePlan": frozenset({Stage.PLANNING}),
    "ReportProgress": frozenset({Stage.IMPLEMENTING}),
    "CompleteMeasure": frozenset({Stage.IMPLEMENTING}),
    "SubmitSelfCheck": frozenset({Stage.IMPLEMENTING}),
    "RecordAcceptance": frozenset({Stage.CHECKING}),
    "RecordFollowUp": frozenset({Stage.CONSOLIDATING}),
    "CloseCase": frozenset({Stage.CONSOLIDATING}),
    "Tick": frozenset(Stage),
}


def _authorize(state: CaseState, command: _Command, kind: str) -> None:
    actor = command.actor
    if kind in {"ReportProgress", "CompleteMeasure"}:
        measure = state.measure(command.measure_id)  # type: ignore[attr-defined]
        if measure is not None and measure.responsible == actor.id:
            return  # the measure's responsible person may always report on it
    if not actor.has_any(ROLES_ALLOWED[kind]):
        allowed = ", ".join(sorted(ROLES_ALLOWED[kind]))
        raise PermissionDenied(f"{actor.id} has none of the roles allowed to {kind}: {allowed}")
    org_code = command.org_code if isinstance(command, OpenCase) else state.org_code
    region = command.region if isinstance(command, OpenCase) else state.region
    if not actor.may_act_on(org_code, region):
        raise PermissionDenied(f"{actor.id} may not act on organization {org_code} ({region})")


# --------------------------------------------------------------------------- decide


def decide(state: CaseState, command: Command, now: datetime, policy: Policy) -> list[Event]:
    """The events that ``command`` produces now, or a DomainError saying why not."""
    kind = command.type
    if state.stage not in ALLOWED_STAGES[kind]:
        raise NotAllowedInStage(f"{kind} is not allowed in stage {state.stage.value}")
    _authorize(state, command, kind)
    base = {"at": now, "actor": command.actor.id}
    handler = _DECIDERS[kind]
    return handler(state, command, base, policy)


def _open(state: CaseState, c: OpenCase, base: dict, policy: Policy) -> list[Event]:
    _check_categories(c.problems, policy)
    problems = [Problem(id=f"P{i}", **p.model_dump()) for i, p in enumerate(c.problems, start=1)]
    return [
        CaseOpened(
            **base,
            policy_version=policy.version,
            case_id=case_id_for(c.org_code, c.year),
            org_code=c.org_code,
            org_name=c.org_name,
            region=c.region,
            year=c.year,
            basis=c.basis,
            problems=problems,
            leaders=list(dict.fromkeys(c.leaders)),
        )
    ]


def _check_categories(problems: list[ProblemInput], policy: Policy) -> None:
    for problem in problems:
        if problem.category not in policy.problem_categories:
            known = ", ".join(policy.problem_categories)
            raise InvalidCommand(f"unknown problem category {problem.category!r}; policy knows: {known}")


def _submit_plan(state: CaseState, c: SubmitPlan, base: dict, policy: Policy) -> list[Event]:
    if state.plan_status == PlanStatus.SUBMITTED:
        raise NotAllowedInStage("a plan is already awaiting review; wait for approval or return")
    ids = [m.id for m in c.measures]
    duplicates = sorted({i for i in ids if ids.count(i) > 1})
    if duplicates:
        raise InvalidCommand(f"duplicate measure ids: {', '.join(duplicates)}")
    known_problems = {p.id for p in state.problems}
    this_cycle = {p.id for p in state.problems if p.cycle == state.cycle}
    addressed: set[str] = set()
    measures = []
    for m in c.measures:
        unknown = [p for p in m.problems if p not in known_problems]
        if unknown:
            raise InvalidCommand(f"measure {m.id} addresses unknown problems: {', '.join(unknown)}")
        addressed.update(m.problems)
        deadline = deadline_instant(m.deadline, policy.deadline_time_of_day)
        if deadline <= base["at"]:
            raise InvalidCommand(f"measure {m.id} deadline {deadline.isoformat()} is not in the future")
        measures.append(
            Measure(id=m.id, description=m.description, problems=m.problems, responsible=m.responsible, deadline=deadline)
        )
    missing = sorted(this_cycle - addressed, key=_problem_order)
    if missing:
        raise InvalidCommand(f"the plan leaves problems without a measure: {', '.join(missing)}")
    return [
        PlanSubmitted(**base, policy_version=policy.version, round=state.plan_round + 1, measures=measures, summary=c.summary)
    ]


def _problem_order(problem_id: str) -> int:
    return int(problem_id[1:]) if problem_id[1:].isdigit() else 0


def _require_plan_awaiting_review(state: CaseState, c: _Command) -> None:
    if state.plan_status != PlanStatus.SUBMITTED:
        raise NotAllowedInStage("no plan is awaiting review")
    if c.actor.id == state.plan_submitted_by:
        raise SeparationOfDuties(f"{c.actor.id} submitted this plan and cannot review it")


def _return_plan(state: CaseState, c: ReturnPlan, base: dict, policy: Policy) -> list[Event]:
    _require_plan_awaiting_review(state, c)
    return [PlanReturned(**base, round=state.plan_round, comments=c.comments)]


def _approve_plan(state: CaseState, c: ApprovePlan, base: dict, policy: Policy) -> list[Event]:
    _require_plan_awaiting_review(state, c)
    return [PlanApproved(**base, round=state.plan_round, comments=c.comments)]


def _open_measure(state: CaseState, measure_id: str) -> MeasureState:
    measure = state.measure(measure_id)
    if measure is None:
        known = ", ".join(m.id for m in state.measures)
        raise InvalidCommand(f"unknown measure {measure_id!r}; this plan has: {known}")
    if measure.done:
        raise NotAllowedInStage(f"measure {measure_id} is already completed")
    return measure


def _report_progress(state: CaseState, c: ReportProgress, base: dict, policy: Policy) -> list[Event]:
    _open_measure(state, c.measure_id)
    return [ProgressReported(**base, measure_id=c.measure_id, note=c.note, evidence=c.evidence)]


def _complete_measure(state: CaseState, c: CompleteMeasure, base: dict, policy: Policy) -> list[Event]:
    _open_measure(state, c.measure_id)
    return [MeasureCompleted(**base, measure_id=c.measure_id, note=c.note, evidence=c.evidence)]


def _self_check(state: CaseState, c: SubmitSelfCheck, base: dict, policy: Policy) -> list[Event]:
    pending = [m.id for m in state.open_measures()]
    if pending:
        raise NotAllowedInStage(f"measures not yet completed: {', '.join(pending)}")
    return [SelfCheckSubmitted(**base, summary=c.summary)]


def _accept(state: CaseState, c: RecordAcceptance, base: dict, policy: Policy) -> list[Event]:
    if c.actor.id in state.reporters:
        raise SeparationOfDuties(f"{c.actor.id} reported this cycle's completion and cannot accept it")
    rules = policy.acceptance
    if c.unsatisfied_share > rules.max_unsatisfied_share:
        verdict = Verdict.FAILED_SATISFACTION
    elif c.score < rules.pass_score:
        verdict = Verdict.FAILED_SCORE
    else:
        verdict = Verdict.PASSED
    at = base["at"]
    events: list[Event] = [
        AcceptanceRecorded(
            **base,
            policy_version=policy.version,
            round=len(state.acceptances) + 1,
            score=c.score,
            unsatisfied_share=c.unsatisfied_share,
            verdict=verdict,
            pass_score=rules.pass_score,
            max_unsatisfied_share=rules.max_unsatisfied_share,
            comments=c.comments,
        )
    ]
    if verdict == Verdict.PASSED:
        events.append(ConsolidationStarted(**base, policy_version=policy.version, until=at + policy.consolidation_period))
    else:
        events.append(
            ReworkOrdered(
                **base,
                policy_version=policy.version,
                rework_round=state.rework_round + 1,
                deadline=at + policy.rework_period,
            )
        )
    return events


def _follow_up(state: CaseState, c: RecordFollowUp, base: dict, policy: Policy) -> list[Event]:
    if c.new_problems and not c.relapsed:
        raise InvalidCommand("new problems can only be recorded with a relapse")
    if c.relapsed and not c.new_problems:
        raise InvalidCommand("a relapse must name at least one problem found")
    events: list[Event] = [FollowUpReviewed(**base, relapsed=c.relapsed, note=c.note)]
    if c.relapsed:
        _check_categories(c.new_problems, policy)
        start = len(state.problems) + 1
        problems = [
            Problem(id=f"P{start + i}", cycle=state.cycle + 1, **p.model_dump()) for i, p in enumerate(c.new_problems)
        ]
        events.append(RelapseRecorded(**base, cycle=state.cycle + 1, new_problems=problems))
    return events


def _close(state: CaseState, c: CloseCase, base: dict, policy: Policy) -> list[Event]:
    assert state.consolidation_until is not None
    if base["at"] < state.consolidation_until:
        until = state.consolidation_until.isoformat()
        raise NotAllowedInStage(f"the consolidation period runs until {until}; a case closes after it")
    if state.follow_ups == 0:
        raise NotAllowedInStage("a follow-up review (回头看) is required before closing")
    return [CaseClosed(**base, outcome=c.outcome, note=c.note)]


def _recipients(state: CaseState, measure: MeasureState | None, targets: list[Recipient], policy: Policy) -> list[str]:
    people: list[str] = []
    for target in targets:
        if target == Recipient.RESPONSIBLE and measure is not None:
            people.append(measure.responsible)
        elif target == Recipient.LEADERS:
            people.extend(state.leaders)
        elif target == Recipient.SUPERVISORS:
            people.extend(policy.supervisors)
    return list(dict.fromkeys(people))


def _tick(state: CaseState, c: Tick, base: dict, policy: Policy) -> list[Event]:
    now: datetime = base["at"]
    events: list[Event] = []
    if state.stage == Stage.IMPLEMENTING:
        for m in state.open_measures():
            events.extend(_measure_notices(state, m, now, policy, base))
    if (
        state.stage == Stage.CONSOLIDATING
        and not state.consolidation_ended
        and state.consolidation_until is not None
        and now >= state.consolidation_until
    ):
        recipients = _recipients(state, None, [Recipient.LEADERS, Recipient.SUPERVISORS], policy)
        events.append(ConsolidationEnded(**base, recipients=recipients))
    return events


def _measure_notices(state: CaseState, m: MeasureState, now: datetime, policy: Policy, base: dict) -> list[Event]:
    events: list[Event] = []
    if not m.overdue and now < m.deadline:
        due = [lead for lead in _pending_leads(m, policy) if now >= m.deadline - lead]
        if due:
            fired = min(due)  # the reminder nearest the deadline; longer leads that were missed are covered
            covers = [format_duration(lead) for lead in _pending_leads(m, policy) if lead >= fired]
            events.append(
                ReminderSent(
                    **base,
                    policy_version=policy.version,
                    measure_id=m.id,
                    deadline=m.deadline,
                    lead=format_duration(fired),
                    covers=covers,
                    recipients=_recipients(state, m, [Recipient.RESPONSIBLE], policy),
                )
            )
    if now >= m.deadline:
        if not m.overdue:
            events.append(
                MeasureOverdue(
                    **base,
                    policy_version=policy.version,
                    measure_id=m.id,
                    deadline=m.deadline,
                    recipients=_recipients(state, m, [Recipient.RESPONSIBLE, Recipient.LEADERS], policy),
                )
            )
        for step in policy.escalation_ladder:
            if step.rung not in m.escalated and now >= m.deadline + step.after:
                events.append(
                    EscalationRaised(
                        **base,
                        policy_version=policy.version,
                        measure_id=m.id,
                        rung=step.rung,
                        overdue_for=format_duration(step.after),
                        recipients=_recipients(state, m, step.notify, policy),
                    )
                )
    return events


def _pending_leads(m: MeasureState, policy: Policy) -> list[timedelta]:
    return [lead for lead in policy.sorted_leads() if format_duration(lead) not in m.reminded]


_DECIDERS = {
    "OpenCase": _open,
    "SubmitPlan": _submit_plan,
    "ReturnPlan": _return_plan,
    "ApprovePlan": _approve_plan,
    "ReportProgress": _report_progress,
    "CompleteMeasure": _complete_measure,
    "SubmitSelfCheck": _self_check,
    "RecordAcceptance": _accept,
    "RecordFollowUp": _follow_up,
    "CloseCase": _close,
    "Tick": _tick,
}

# --------------------------------------------------------------------------- timers


def next_wakeup(state: CaseState, policy: Policy) -> datetime | None:
    """The earliest moment at which ``Tick`` could produce an event, or None if no timer is needed."""
    moments: list[datetime] = []
    if state.stage == Stage.IMPLEMENTING:
        for m in state.open_measures():
            if not m.overdue:
                moments.extend(m.deadline - lead for lead in _pending_leads(m, policy))
                moments.append(m.deadline)
            else:
                moments.extend(m.deadline + s.after for s in policy.escalation_ladder if s.rung not in m.escalated)
    if state.stage == Stage.CONSOLIDATING and not state.consolidation_ended and state.consolidation_until:
        moments.append(state.consolidation_until)
    return min(moments) if moments else None


# --------------------------------------------------------------------------- evolve


def evolve(state: CaseState, event: Event) -> CaseState:
    """Fold one event into the state. Never refuses: events are facts."""
    s = state.model_copy(deep=True)
    s.version += 1
    if event.policy_version:
        s.policy_version = event.policy_version
    match event:
        case CaseOpened():
            s.case_id = event.case_id
            s.stage = Stage.DESIGNATED
            s.org_code, s.org_name, s.region, s.year = event.org_code, event.org_name, event.region, event.year
            s.basis = event.basis
            s.problems = list(event.problems)
            s.leaders = list(event.leaders)
            s.opened_at = event.at
        case PlanSubmitted():
            s.stage = Stage.PLANNING
            s.plan_status = PlanStatus.SUBMITTED
            s.plan_round = event.round
            s.plan_submitted_by = event.actor
            s.measures = [MeasureState(**m.model_dump()) for m in event.measures]
        case PlanReturned():
            s.plan_status = PlanStatus.RETURNED
            s.plan_returns += 1
            s.plan_comments = event.comments
        case PlanApproved():
            s.stage = Stage.IMPLEMENTING
            s.plan_status = PlanStatus.APPROVED
            s.plan_comments = event.comments
        case ProgressReported():
            _measure(s, event.measure_id).progress_reports += 1
        case MeasureCompleted():
            m = _measure(s, event.measure_id)
            m.done, m.completed_by = True, event.actor
            s.reporters = list(dict.fromkeys(s.reporters + [event.actor]))
        case SelfCheckSubmitted():
            s.stage = Stage.CHECKING
            s.self_check_by = event.actor
            s.reporters = list(dict.fromkeys(s.reporters + [event.actor]))
        case AcceptanceRecorded():
            s.acceptances.append(
                AcceptanceRound(
                    cycle=s.cycle,
                    round=event.round,
                    score=event.score,
                    unsatisfied_share=event.unsatisfied_share,
                    verdict=event.verdict,
                    by=event.actor,
                    at=event.at,
                )
            )
        case ReworkOrdered():
            s.stage = Stage.IMPLEMENTING
            s.rework_round = event.rework_round
            s.self_check_by = None
            s.measures = [
                MeasureState(id=m.id, description=m.description, problems=m.problems, responsible=m.responsible, deadline=event.deadline)
                for m in s.measures
            ]
        case ConsolidationStarted():
            s.stage = Stage.CONSOLIDATING
            s.consolidation_until = event.until
            s.consolidation_ended = False
        case ConsolidationEnded():
            s.consolidation_ended = True
        case FollowUpReviewed():
            s.follow_ups += 1
        case RelapseRecorded():
            s.stage = Stage.DESIGNATED
            s.cycle = event.cycle
            s.problems = s.problems + list(event.new_problems)
            s.plan_status, s.plan_round, s.plan_returns = PlanStatus.NONE, 0, 0
            s.plan_submitted_by, s.plan_comments, s.self_check_by = None, "", None
            s.measures, s.rework_round, s.reporters = [], 0, []
            s.consolidation_until, s.consolidation_ended, s.follow_ups = None, False, 0
        case CaseClosed():
            s.stage = Stage.CLOSED
            s.outcome = event.outcome
            s.closed_at = event.at
        case ReminderSent():
            m = _measure(s, event.measure_id)
            m.reminded = list(dict.fromkeys(m.reminded + event.covers))
        case MeasureOverdue():
            _measure(s, event.measure_id).overdue = True
        case EscalationRaised():
            _measure(s, event.measure_id).escalated.append(event.rung)
    if s.stage != state.stage:
        s.stage_since = event.at
    return s


def _measure(state: CaseState, measure_id: str) -> MeasureState:
    measure = state.measure(measure_id)
    if measure is None:  # an event names a measure the state lacks: the log is corrupt
        raise ValueError(f"event refers to unknown measure {measure_id}")
    return measure


def fold(events: list[Event], state: CaseState = INITIAL_STATE) -> CaseState:
    for event in events:
        state = evolve(state, event)
    return state
