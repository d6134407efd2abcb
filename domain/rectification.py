"""Rectification of a weak and lax grassroots Party organization (整顿软弱涣散党组织) as a decider.

    decide(state, command, now, policy, calendar) -> list[Event]   refuses with a DomainError
    evolve(state, event) -> state                                   total, never refuses
    next_wakeup(state, policy, calendar) -> datetime | None         when the clock next matters

``calendar`` is a ``WorkCalendar`` over facts the workflow fetched through an activity: working-day
budgets, reminder leads such as ``5wd``, pauses and extensions are counted on it, and notices are
delivered only at working moments (workday, inside the policy's working hours).

A case runs Plan–Do–Check–Act cycles:

    designated 已认定 ──submit plan──▶ planning 方案审核 ──approve──▶ implementing 整改实施
         ▲                               │  ▲ return (修改)                     │ self-check
         │ relapse 反弹                  └──┘                                  ▼
    consolidating 巩固提升 ◀──pass── checking 检查验收 ──fail──▶ implementing (rework 重新整改)
         │ follow-up review 回头看, close
         ▼
    closed 已销号

Timers are commands too: ``Tick`` asks "what is due now?" and returns reminder, overdue,
escalation and sanction-lapse events, each of which fires once (the state remembers what fired).
Paused measures (换届 etc.) get none of them; resuming moves their deadlines by the working days
paused. Sanction rungs are proposals (SanctionProposed) that a person decides (DecideSanction); an
undecided proposal lapses at its own deadline and the next rung fires early.
"""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum
from typing import Annotated, Literal, Union

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, TypeAdapter, field_validator, model_validator

from domain.actors import SYSTEM_ACTOR, Actor, Role
from domain.directory import AcceptanceResult, HistoryRecord
from domain.errors import (
    InvalidCommand,
    NotAllowedInStage,
    PermissionDenied,
    SeparationOfDuties,
)
from domain.memory import MemoryFinding, Moment, evaluate_memory
from domain.policy import EscalationStep, Policy, Recipient, Rung
from domain.rungs import ProposalStatus, SanctionDecision  # noqa: F401  (re-exported: commands and state name them)
from domain.timeutil import SHANGHAI, deadline_instant, local, reject_naive_deadline
from domain.workcal import Offset, WorkCalendar, offset_length

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
    deadline: Annotated[AwareDatetime | date | None, Field(union_mode="left_to_right")] = None
    # Or a budget counted from the day the plan is submitted: "20wd" (working days) or "30d".
    budget: Offset | None = None

    @model_validator(mode="after")
    def _one_deadline(self) -> MeasureInput:
        if (self.deadline is None) == (self.budget is None):
            raise ValueError("give either deadline (a date or timestamp) or budget (e.g. 20wd), not both")
        return self

    @field_validator("deadline", mode="before")
    @classmethod
    def _reject_naive(cls, value: object) -> object:
        return reject_naive_deadline(value)


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
    # Memory across years: this organization's records of previous years as the designation read
    # them (possibly none), and its current secretary (same_secretary rules). None (a case opened by
    # hand, or before memory proposals existed): the memory rules are not applied to the case.
    secretary: str | None = None
    history: list[HistoryRecord] | None = None


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


class PauseMeasures(_Command):
    """暂停计时 (换届 etc.): stop the clock of chosen measures, or of every open measure (the whole case).

    ``actor`` approves (a ``deadline_approvers`` role); ``requested_by`` is who asked, never the approver."""

    type: Literal["PauseMeasures"] = "PauseMeasures"
    measure_ids: list[str] = Field(default_factory=list)  # empty: the whole case
    reason: str = Field(min_length=1)
    requested_by: str = Field(min_length=1)


class ResumeMeasures(_Command):
    """恢复计时: paused measures resume; each deadline moves by the working days it was paused."""

    type: Literal["ResumeMeasures"] = "ResumeMeasures"
    measure_ids: list[str] = Field(default_factory=list)  # empty: every paused measure
    note: str = ""


class ExtendDeadline(_Command):
    """延期: a later deadline for one measure, as a new date/timestamp or as extra time ("10wd")."""

    type: Literal["ExtendDeadline"] = "ExtendDeadline"
    measure_id: str
    to: Annotated[AwareDatetime | date | None, Field(union_mode="left_to_right")] = None
    by: Offset | None = None
    reason: str = Field(min_length=1)
    requested_by: str | None = None

    @model_validator(mode="after")
    def _one_way(self) -> ExtendDeadline:
        if (self.to is None) == (self.by is None):
            raise ValueError("give either to (a new date or timestamp) or by (extra time, e.g. 10wd)")
        return self



class DecideSanction(_Command):
    """Approve or dismiss a pending sanction proposal, named by id or by measure and rung."""

    type: Literal["DecideSanction"] = "DecideSanction"
    proposal_id: str | None = None
    measure_id: str | None = None
    rung: Rung | None = None
    decision: SanctionDecision
    comment: str = ""


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
        PauseMeasures,
        ResumeMeasures,
        ExtendDeadline,
        DecideSanction,
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
    secretary: str | None = None
    history: list[HistoryRecord] | None = None


class Measure(BaseModel):
    id: str
    description: str
    problems: list[str]
    responsible: str
    deadline: AwareDatetime
    budget: str | None = None  # the working-day budget the deadline was derived from, if any


class PlanSubmitted(_Event):
    type: Literal["PlanSubmitted"] = "PlanSubmitted"
    round: int
    measures: list[Measure]
    summary: str = ""
    calendar: str | None = None  # calendar facts used for budgets


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
    lead: str  # the reminder lead that fired, e.g. "5wd" or "7d"
    covers: list[str]  # every lead this reminder satisfies (missed longer leads are not sent late)
    recipients: list[str]
    calendar: str | None = None  # the calendar facts the timer used


class MeasureOverdue(_Event):
    type: Literal["MeasureOverdue"] = "MeasureOverdue"
    measure_id: str
    deadline: AwareDatetime
    recipients: list[str]
    calendar: str | None = None


class EscalationRaised(_Event):
    type: Literal["EscalationRaised"] = "EscalationRaised"
    measure_id: str
    rung: Rung
    overdue_for: str  # the step's "after", e.g. "5wd"
    recipients: list[str]
    early: bool = False  # fired before its time because the previous rung's proposal lapsed
    deadline: AwareDatetime | None = None
    calendar: str | None = None


class MeasuresPaused(_Event):
    """暂停计时. ``actor`` approved it; ``requested_by`` asked."""

    type: Literal["MeasuresPaused"] = "MeasuresPaused"
    measure_ids: list[str]
    whole_case: bool
    reason: str
    requested_by: str
    recipients: list[str]


class DeadlineShift(BaseModel):
    measure_id: str
    old_deadline: AwareDatetime
    new_deadline: AwareDatetime
    working_days: int  # working days paused (or added)
    paused_since: AwareDatetime | None = None


class MeasuresResumed(_Event):
    type: Literal["MeasuresResumed"] = "MeasuresResumed"
    shifts: list[DeadlineShift]
    whole_case: bool
    note: str = ""
    # Pending sanction proposals of the resumed measures get the same working days.
    decide_by: dict[str, AwareDatetime] = Field(default_factory=dict)
    recipients: list[str]
    calendar: str | None = None


class DeadlineExtended(_Event):
    type: Literal["DeadlineExtended"] = "DeadlineExtended"
    measure_id: str
    old_deadline: AwareDatetime
    new_deadline: AwareDatetime
    by: str | None = None  # "10wd" when given as extra time
    reason: str
    requested_by: str | None = None
    recipients: list[str]
    calendar: str | None = None


class ProposalSource(StrEnum):
    LADDER = "ladder"  # a sanction rung of the escalation ladder
    MEMORY = "memory"  # a cross-year memory rule (case level)



class SanctionProposed(_Event):
    """A sanction rung fired: a proposal someone with an approver role decides by ``decide_by``."""

    type: Literal["SanctionProposed"] = "SanctionProposed"
    proposal_id: str
    measure_id: str | None = None  # None: a case-level proposal (memory rules)
    rung: Rung
    source: ProposalSource = ProposalSource.LADDER
    reason: str = ""  # e.g. "逾期20wd" or the memory rule that matched
    rule: str | None = None  # the memory rule (source memory): each fires once per case
    years: list[int] = Field(default_factory=list)  # the years that made the memory rule fire
    overdue_for: str | None = None
    early: bool = False
    decide_by: AwareDatetime
    recipients: list[str]  # who must decide (supervisors, leaders)
    calendar: str | None = None


class SanctionDecided(_Event):
    type: Literal["SanctionDecided"] = "SanctionDecided"
    proposal_id: str
    measure_id: str | None = None
    rung: Rung
    decision: SanctionDecision
    comment: str = ""
    recipients: list[str]


class SanctionLapsed(_Event):
    """Nobody decided in time: the proposal lapses and the next rung (if any) fires early."""

    type: Literal["SanctionLapsed"] = "SanctionLapsed"
    proposal_id: str
    measure_id: str | None = None
    rung: Rung
    next_rung: Rung | None = None
    recipients: list[str]
    calendar: str | None = None


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
        MeasuresPaused,
        MeasuresResumed,
        DeadlineExtended,
        SanctionProposed,
        SanctionDecided,
        SanctionLapsed,
    ],
    Field(discriminator="type"),
]

EVENT_ADAPTER: TypeAdapter[Event] = TypeAdapter(Event)
COMMAND_ADAPTER: TypeAdapter[Command] = TypeAdapter(Command)
NOTICE_EVENTS = frozenset(
    {
        "ReminderSent",
        "MeasureOverdue",
        "EscalationRaised",
        "ConsolidationEnded",
        "MeasuresPaused",
        "MeasuresResumed",
        "DeadlineExtended",
        "SanctionProposed",
        "SanctionDecided",
        "SanctionLapsed",
    }
)

# --------------------------------------------------------------------------- state


class MeasureState(Measure):
    done: bool = False
    completed_by: str | None = None
    progress_reports: int = 0
    reminded: list[str] = Field(default_factory=list)
    overdue: bool = False
    escalated: list[Rung] = Field(default_factory=list)
    paused_since: AwareDatetime | None = None
    pause_reason: str = ""
    original_deadline: AwareDatetime | None = None  # the plan's deadline, before pauses and extensions
    changes: list[DeadlineChange] = Field(default_factory=list)

    @property
    def paused(self) -> bool:
        return self.paused_since is not None


class DeadlineChange(BaseModel):
    """One move of a measure's deadline: a pause (resumed) or an extension (延期)."""

    kind: Literal["pause", "extension"]
    old_deadline: AwareDatetime
    new_deadline: AwareDatetime
    working_days: int | None = None
    reason: str = ""
    by: str  # who approved
    at: AwareDatetime


class SanctionProposal(BaseModel):
    proposal_id: str
    measure_id: str | None = None
    rung: Rung
    source: ProposalSource = ProposalSource.LADDER
    reason: str = ""
    rule: str | None = None
    years: list[int] = Field(default_factory=list)
    proposed_at: AwareDatetime
    decide_by: AwareDatetime
    status: ProposalStatus = ProposalStatus.PENDING
    decided_by: str | None = None
    decided_at: AwareDatetime | None = None
    comment: str = ""


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
    case_paused: bool = False  # the whole case is paused (every open measure)
    pause_reason: str = ""
    proposals: list[SanctionProposal] = Field(default_factory=list)
    secretary: str | None = None
    history: list[HistoryRecord] | None = None  # previous years (memory rules); None: rules off

    def measure(self, measure_id: str) -> MeasureState | None:
        return next((m for m in self.measures if m.id == measure_id), None)

    @property
    def overdue(self) -> bool:
        return any(m.overdue and not m.done for m in self.measures)

    def open_measures(self) -> list[MeasureState]:
        return [m for m in self.measures if not m.done]

    def proposal(self, proposal_id: str) -> SanctionProposal | None:
        return next((p for p in self.proposals if p.proposal_id == proposal_id), None)

    def pending_proposals(self) -> list[SanctionProposal]:
        return [p for p in self.proposals if p.status == ProposalStatus.PENDING]

    def paused_measures(self) -> list[MeasureState]:
        return [m for m in self.open_measures() if m.paused]

    def next_deadline(self) -> datetime | None:
        pending = [m.deadline for m in self.open_measures()]
        return min(pending) if pending else None


MeasureState.model_rebuild()
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
# Commands whose roles come from the policy (deadline_approvers, sanction_approvers).
_POLICY_ROLES = {
    "PauseMeasures": "deadline_approvers",
    "ResumeMeasures": "deadline_approvers",
    "ExtendDeadline": "deadline_approvers",
    "DecideSanction": "sanction_approvers",
}
_LIVE = frozenset({Stage.DESIGNATED, Stage.PLANNING, Stage.IMPLEMENTING, Stage.CHECKING, Stage.CONSOLIDATING})

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
    "PauseMeasures": frozenset({Stage.IMPLEMENTING}),
    "ResumeMeasures": frozenset({Stage.IMPLEMENTING}),
    "ExtendDeadline": frozenset({Stage.IMPLEMENTING}),
    "DecideSanction": _LIVE,
    "Tick": frozenset(Stage),
}


def roles_allowed(kind: str, policy: Policy) -> frozenset[Role]:
    if kind in _POLICY_ROLES:
        return frozenset(getattr(policy, _POLICY_ROLES[kind]))
    return ROLES_ALLOWED[kind]


def _authorize(state: CaseState, command: _Command, kind: str, policy: Policy) -> None:
    actor = command.actor
    if kind in {"ReportProgress", "CompleteMeasure"}:
        measure = state.measure(command.measure_id)  # type: ignore[attr-defined]
        if measure is not None and measure.responsible == actor.id:
            return  # the measure's responsible person may always report on it
    allowed_roles = roles_allowed(kind, policy)
    if not actor.has_any(allowed_roles):
        allowed = ", ".join(sorted(allowed_roles))
        raise PermissionDenied(f"{actor.id} has none of the roles allowed to {kind}: {allowed}")
    org_code = command.org_code if isinstance(command, OpenCase) else state.org_code
    region = command.region if isinstance(command, OpenCase) else state.region
    if not actor.may_act_on(org_code, region):
        raise PermissionDenied(f"{actor.id} may not act on organization {org_code} ({region})")


# --------------------------------------------------------------------------- decide


def decide(state: CaseState, command: Command, now: datetime, policy: Policy, calendar: WorkCalendar) -> list[Event]:
    """The events that ``command`` produces now, or a DomainError saying why not."""
    kind = command.type
    if state.stage not in ALLOWED_STAGES[kind]:
        raise NotAllowedInStage(f"{kind} is not allowed in stage {state.stage.value}")
    _authorize(state, command, kind, policy)
    base = {"at": now, "actor": command.actor.id}
    handler = _DECIDERS[kind]
    return handler(state, command, base, policy, calendar)


def _open(state: CaseState, c: OpenCase, base: dict, policy: Policy, calendar: WorkCalendar) -> list[Event]:
    _check_categories(c.problems, policy)
    problems = [Problem(id=f"P{i}", **p.model_dump()) for i, p in enumerate(c.problems, start=1)]
    history = None if c.history is None else [r for r in c.history if r.org_code == c.org_code]
    opened = CaseOpened(
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
        secretary=c.secretary,
        history=history,
    )
    if history is None:
        return [opened]
    findings = evaluate_memory(c.org_code, history, c.year, Moment.DESIGNATION, policy.memory, person=c.secretary)
    return [opened, *_memory_proposals(evolve(state, opened), findings, base, policy, calendar)]


def _memory_proposals(
    state: CaseState, findings: list[MemoryFinding], base: dict, policy: Policy, calendar: WorkCalendar
) -> list[Event]:
    """One case-level SanctionProposed per memory finding whose rule has not yet proposed in this case."""
    now: datetime = base["at"]
    fired = {p.rule for p in state.proposals if p.source == ProposalSource.MEMORY}
    events: list[Event] = []
    for finding in findings:
        if finding.rule.value in fired:
            continue
        fired.add(finding.rule.value)
        step = next((s for s in policy.escalation_ladder if s.rung == finding.rung), None)
        decide_by = _decide_by(now, step.decide_within if step else EscalationStep.model_fields["decide_within"].default, policy, calendar)
        events.append(
            SanctionProposed(
                **base,
                policy_version=policy.version,
                proposal_id=f"S{len(state.proposals) + len(events) + 1}",
                measure_id=None,
                rung=finding.rung,
                source=ProposalSource.MEMORY,
                reason=finding.zh,
                rule=finding.rule.value,
                years=finding.years,
                decide_by=decide_by,
                recipients=_recipients(state, None, [Recipient.LEADERS, Recipient.SUPERVISORS], policy),
                calendar=_source(calendar, now, decide_by),
            )
        )
    return events


def _acceptance_memory(state: CaseState, verdict: Verdict, base: dict, policy: Policy, calendar: WorkCalendar) -> list[Event]:
    """Memory rules at acceptance: the history plus this case's earlier failed rounds (in the case's
    year) plus the verdict just recorded."""
    if state.history is None:
        return []
    earlier_failed = sum(1 for a in state.acceptances if a.verdict != Verdict.PASSED)
    records = [r for r in state.history if r.year != state.year]
    this_year = next((r for r in state.history if r.year == state.year), None)
    if this_year is not None or earlier_failed:
        record = this_year or HistoryRecord(org_code=state.org_code, year=state.year, person=state.secretary)
        records.append(
            record.model_copy(
                update={"designated": True, "failed_acceptances": max(record.failed_acceptances, earlier_failed)}
            )
        )
    current = AcceptanceResult.PASSED if verdict == Verdict.PASSED else AcceptanceResult.FAILED
    findings = evaluate_memory(
        state.org_code, records, state.year, Moment.ACCEPTANCE, policy.memory, current_acceptance=current, person=state.secretary
    )
    return _memory_proposals(state, findings, base, policy, calendar)


def _check_categories(problems: list[ProblemInput], policy: Policy) -> None:
    for problem in problems:
        if problem.category not in policy.problem_categories:
            known = ", ".join(policy.problem_categories)
            raise InvalidCommand(f"unknown problem category {problem.category!r}; policy knows: {known}")


def _submit_plan(state: CaseState, c: SubmitPlan, base: dict, policy: Policy, calendar: WorkCalendar) -> list[Event]:
    if state.plan_status == PlanStatus.SUBMITTED:
        raise NotAllowedInStage("a plan is already awaiting review; wait for approval or return")
    ids = [m.id for m in c.measures]
    duplicates = sorted({i for i in ids if ids.count(i) > 1})
    if duplicates:
        raise InvalidCommand(f"duplicate measure ids: {', '.join(duplicates)}")
    known_problems = {p.id for p in state.problems}
    this_cycle = {p.id for p in state.problems if p.cycle == state.cycle}
    addressed: set[str] = set()
    uses_calendar = False
    measures = []
    for m in c.measures:
        unknown = [p for p in m.problems if p not in known_problems]
        if unknown:
            raise InvalidCommand(f"measure {m.id} addresses unknown problems: {', '.join(unknown)}")
        addressed.update(m.problems)
        if m.budget is not None:
            # A budget counts from the submission day, due at the policy's time of day.
            start = datetime.combine(local(base["at"]).date(), policy.deadline_time_of_day, tzinfo=SHANGHAI)
            deadline = calendar.shift(start, m.budget).astimezone(base["at"].tzinfo)
            uses_calendar = True
        else:
            assert m.deadline is not None
            deadline = deadline_instant(m.deadline, policy.deadline_time_of_day)
        if deadline <= base["at"]:
            raise InvalidCommand(f"measure {m.id} deadline {deadline.isoformat()} is not in the future")
        measures.append(
            Measure(
                id=m.id, description=m.description, problems=m.problems, responsible=m.responsible, deadline=deadline, budget=m.budget
            )
        )
    missing = sorted(this_cycle - addressed, key=_problem_order)
    if missing:
        raise InvalidCommand(f"the plan leaves problems without a measure: {', '.join(missing)}")
    source = _source(calendar, base["at"], *(m.deadline for m in measures)) if uses_calendar else None
    return [
        PlanSubmitted(
            **base, policy_version=policy.version, round=state.plan_round + 1, measures=measures, summary=c.summary, calendar=source
        )
    ]


def _problem_order(problem_id: str) -> int:
    return int(problem_id[1:]) if problem_id[1:].isdigit() else 0


def _require_plan_awaiting_review(state: CaseState, c: _Command) -> None:
    if state.plan_status != PlanStatus.SUBMITTED:
        raise NotAllowedInStage("no plan is awaiting review")
    if c.actor.id == state.plan_submitted_by:
        raise SeparationOfDuties(f"{c.actor.id} submitted this plan and cannot review it")


def _return_plan(state: CaseState, c: ReturnPlan, base: dict, policy: Policy, calendar: WorkCalendar) -> list[Event]:
    _require_plan_awaiting_review(state, c)
    return [PlanReturned(**base, round=state.plan_round, comments=c.comments)]


def _approve_plan(state: CaseState, c: ApprovePlan, base: dict, policy: Policy, calendar: WorkCalendar) -> list[Event]:
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


def _report_progress(state: CaseState, c: ReportProgress, base: dict, policy: Policy, calendar: WorkCalendar) -> list[Event]:
    _open_measure(state, c.measure_id)
    return [ProgressReported(**base, measure_id=c.measure_id, note=c.note, evidence=c.evidence)]


def _complete_measure(state: CaseState, c: CompleteMeasure, base: dict, policy: Policy, calendar: WorkCalendar) -> list[Event]:
    _open_measure(state, c.measure_id)
    return [MeasureCompleted(**base, measure_id=c.measure_id, note=c.note, evidence=c.evidence)]


def _self_check(state: CaseState, c: SubmitSelfCheck, base: dict, policy: Policy, calendar: WorkCalendar) -> list[Event]:
    pending = [m.id for m in state.open_measures()]
    if pending:
        raise NotAllowedInStage(f"measures not yet completed: {', '.join(pending)}")
    return [SelfCheckSubmitted(**base, summary=c.summary)]


def _accept(state: CaseState, c: RecordAcceptance, base: dict, policy: Policy, calendar: WorkCalendar) -> list[Event]:
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
    events.extend(_acceptance_memory(state, verdict, base, policy, calendar))
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


def _follow_up(state: CaseState, c: RecordFollowUp, base: dict, policy: Policy, calendar: WorkCalendar) -> list[Event]:
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


def _close(state: CaseState, c: CloseCase, base: dict, policy: Policy, calendar: WorkCalendar) -> list[Event]:
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
        elif target == Recipient.SUPERIOR:
            people.extend(policy.superiors_of(state.region))
    return list(dict.fromkeys(people))


def _source(calendar: WorkCalendar, *moments: datetime) -> str:
    """The calendar facts behind a computation spanning ``moments`` (recorded on the event)."""
    years = [local(m).year for m in moments]
    return calendar.sources(range(min(years), max(years) + 1))


def deliverable(moment: datetime, policy: Policy, calendar: WorkCalendar) -> datetime:
    """When a notice due at ``moment`` may go out: the next working moment (or at once, with any_time)."""
    if policy.notice_window == "any_time":
        return moment
    return calendar.next_working_moment(moment, policy.working_hours).astimezone(moment.tzinfo)


def _working(now: datetime, policy: Policy, calendar: WorkCalendar) -> bool:
    """May a notice go out now? A Tick that catches up at night or on a holiday waits for the next
    working moment instead of sending what fell due meanwhile (``next_wakeup(..., now)`` says when)."""
    return policy.notice_window == "any_time" or calendar.may_notify(now, policy.working_hours)


def _decide_by(now: datetime, within: str, policy: Policy, calendar: WorkCalendar) -> datetime:
    """When a sanction proposal made at ``now`` must be decided: ``within`` later, at a working moment."""
    return deliverable(calendar.shift(now, within), policy, calendar)


def reminder_moment(m: Measure, lead: str, policy: Policy, calendar: WorkCalendar) -> datetime:
    """When the ``lead`` reminder of measure ``m`` goes out (before the deadline, or never: see callers)."""
    return deliverable(calendar.shift(m.deadline, "-" + lead), policy, calendar)


def overdue_moment(m: Measure, policy: Policy, calendar: WorkCalendar) -> datetime:
    return deliverable(m.deadline, policy, calendar)


def rung_moment(m: Measure, step: EscalationStep, policy: Policy, calendar: WorkCalendar) -> datetime:
    return deliverable(calendar.shift(m.deadline, step.after), policy, calendar)


def _pending_leads(m: MeasureState, policy: Policy) -> list[str]:
    return [lead for lead in policy.sorted_leads() if lead not in m.reminded]


def _tick(state: CaseState, c: Tick, base: dict, policy: Policy, calendar: WorkCalendar) -> list[Event]:
    now: datetime = base["at"]
    events: list[Event] = []
    if state.stage == Stage.CLOSED:
        return events  # a closed case's clock has stopped (its workflow has ended)
    proposals = len(state.proposals)
    for p in state.pending_proposals():
        lapsed = _lapse(state, p, now, policy, calendar, base, proposals)
        proposals += sum(isinstance(e, SanctionProposed) for e in lapsed)
        events.extend(lapsed)
    fired_early = {(e.measure_id, e.rung) for e in events if isinstance(e, (EscalationRaised, SanctionProposed))}
    if state.stage == Stage.IMPLEMENTING:
        for m in state.open_measures():
            if m.paused:
                continue
            notices = _measure_notices(state, m, now, policy, calendar, base, proposals, fired_early)
            proposals += sum(isinstance(e, SanctionProposed) for e in notices)
            events.extend(notices)
    if (
        state.stage == Stage.CONSOLIDATING
        and not state.consolidation_ended
        and state.consolidation_until is not None
        and now >= state.consolidation_until
    ):
        recipients = _recipients(state, None, [Recipient.LEADERS, Recipient.SUPERVISORS], policy)
        events.append(ConsolidationEnded(**base, recipients=recipients))
    return events


def _lapse(
    state: CaseState, p: SanctionProposal, now: datetime, policy: Policy, calendar: WorkCalendar, base: dict, proposals: int
) -> list[Event]:
    m = state.measure(p.measure_id) if p.measure_id else None
    if m is not None and m.paused and not m.done:
        return []  # a paused measure's proposal waits; resuming moves its deadline
    if now < p.decide_by or not _working(now, policy, calendar):
        return []
    step = policy.step_after(p.rung)
    live = m is not None and not m.done and state.stage == Stage.IMPLEMENTING
    next_step = step if live and step is not None and m is not None and step.rung not in m.escalated else None
    events: list[Event] = [
        SanctionLapsed(
            **base,
            policy_version=policy.version,
            proposal_id=p.proposal_id,
            measure_id=p.measure_id,
            rung=p.rung,
            next_rung=next_step.rung if next_step else None,
            recipients=_recipients(state, m, [Recipient.LEADERS, Recipient.SUPERVISORS], policy),
            calendar=_source(calendar, p.proposed_at, now),
        )
    ]
    if next_step is not None and m is not None:
        events.append(_fire_rung(state, m, next_step, now, policy, calendar, base, proposals, early=True))
    return events


def _fire_rung(
    state: CaseState,
    m: MeasureState,
    step: EscalationStep,
    now: datetime,
    policy: Policy,
    calendar: WorkCalendar,
    base: dict,
    proposals: int,
    early: bool = False,
) -> Event:
    source = _source(calendar, m.deadline, now)
    if step.is_proposal:
        decide_by = _decide_by(now, step.decide_within, policy, calendar)
        return SanctionProposed(
            **base,
            policy_version=policy.version,
            proposal_id=f"S{proposals + 1}",
            measure_id=m.id,
            rung=step.rung,
            source=ProposalSource.LADDER,
            reason=f"overdue {step.after}",
            overdue_for=step.after,
            early=early,
            decide_by=decide_by,
            recipients=_recipients(state, m, [Recipient.LEADERS, Recipient.SUPERVISORS], policy),
            calendar=_source(calendar, m.deadline, decide_by),
        )
    return EscalationRaised(
        **base,
        policy_version=policy.version,
        measure_id=m.id,
        rung=step.rung,
        overdue_for=step.after,
        recipients=_recipients(state, m, step.notify, policy),
        early=early,
        deadline=m.deadline,
        calendar=source,
    )


def _measure_notices(
    state: CaseState,
    m: MeasureState,
    now: datetime,
    policy: Policy,
    calendar: WorkCalendar,
    base: dict,
    proposals: int,
    fired_early: set[tuple[str | None, Rung]],
) -> list[Event]:
    events: list[Event] = []
    if not _working(now, policy, calendar):
        return events
    if not m.overdue and now < m.deadline:
        pending = _pending_leads(m, policy)
        due = [lead for lead in pending if now >= reminder_moment(m, lead, policy, calendar)]
        if due:
            fired = min(due, key=offset_length)  # nearest the deadline; longer leads that were missed are covered
            covers = [lead for lead in pending if offset_length(lead) >= offset_length(fired)]
            events.append(
                ReminderSent(
                    **base,
                    policy_version=policy.version,
                    measure_id=m.id,
                    deadline=m.deadline,
                    lead=fired,
                    covers=covers,
                    recipients=_recipients(state, m, [Recipient.RESPONSIBLE], policy),
                    calendar=_source(calendar, now, m.deadline),
                )
            )
    if now >= overdue_moment(m, policy, calendar):
        if not m.overdue:
            events.append(
                MeasureOverdue(
                    **base,
                    policy_version=policy.version,
                    measure_id=m.id,
                    deadline=m.deadline,
                    recipients=_recipients(state, m, [Recipient.RESPONSIBLE, Recipient.LEADERS], policy),
                    calendar=_source(calendar, m.deadline, now),
                )
            )
        for step in policy.escalation_ladder:
            if step.rung in m.escalated or (m.id, step.rung) in fired_early:
                continue
            if now >= rung_moment(m, step, policy, calendar):
                event = _fire_rung(state, m, step, now, policy, calendar, base, proposals)
                proposals += isinstance(event, SanctionProposed)
                events.append(event)
    return events


# --------------------------------------------------------------------------- pause, extension, sanctions


def _approver_is_not_requester(c: _Command, requested_by: str | None) -> None:
    if requested_by is not None and requested_by == c.actor.id:
        raise SeparationOfDuties(f"{c.actor.id} asked for this and cannot approve it; another approver must")


def _measures_named(state: CaseState, ids: list[str]) -> list[MeasureState]:
    chosen = []
    for measure_id in dict.fromkeys(ids):
        chosen.append(_open_measure(state, measure_id))
    return chosen


def _pause(state: CaseState, c: PauseMeasures, base: dict, policy: Policy, calendar: WorkCalendar) -> list[Event]:
    _approver_is_not_requester(c, c.requested_by)
    whole = not c.measure_ids
    chosen = state.open_measures() if whole else _measures_named(state, c.measure_ids)
    already = [m.id for m in chosen if m.paused]
    if not whole and already:
        raise NotAllowedInStage(f"already paused: {', '.join(already)}")
    chosen = [m for m in chosen if not m.paused]
    if not chosen:
        raise NotAllowedInStage("no open measure to pause" if not state.paused_measures() else "every open measure is already paused")
    recipients = list(dict.fromkeys([m.responsible for m in chosen] + state.leaders))
    return [
        MeasuresPaused(
            **base,
            policy_version=policy.version,
            measure_ids=[m.id for m in chosen],
            whole_case=whole,
            reason=c.reason,
            requested_by=c.requested_by,
            recipients=recipients,
        )
    ]


def _resume(state: CaseState, c: ResumeMeasures, base: dict, policy: Policy, calendar: WorkCalendar) -> list[Event]:
    now: datetime = base["at"]
    whole = not c.measure_ids
    if whole:
        chosen = state.paused_measures()
        if not chosen:
            raise NotAllowedInStage("no measure is paused")
    else:
        chosen = _measures_named(state, c.measure_ids)
        running = [m.id for m in chosen if not m.paused]
        if running:
            raise NotAllowedInStage(f"not paused: {', '.join(running)}")
    shifts, decide_by, moments = [], {}, [now]
    for m in chosen:
        assert m.paused_since is not None
        days = calendar.working_days_between(local(m.paused_since).date(), local(now).date())
        new_deadline = calendar.shift(m.deadline, f"{days}wd") if days else m.deadline
        shifts.append(
            DeadlineShift(measure_id=m.id, old_deadline=m.deadline, new_deadline=new_deadline, working_days=days, paused_since=m.paused_since)
        )
        moments += [m.paused_since, new_deadline]
        for p in state.pending_proposals():
            if p.measure_id == m.id and days:
                decide_by[p.proposal_id] = calendar.shift(p.decide_by, f"{days}wd")
    recipients = list(dict.fromkeys([m.responsible for m in chosen] + state.leaders))
    return [
        MeasuresResumed(
            **base,
            policy_version=policy.version,
            shifts=shifts,
            whole_case=whole and len(chosen) == len(state.paused_measures()),
            note=c.note,
            decide_by=decide_by,
            recipients=recipients,
            calendar=_source(calendar, *moments),
        )
    ]


def _extend(state: CaseState, c: ExtendDeadline, base: dict, policy: Policy, calendar: WorkCalendar) -> list[Event]:
    _approver_is_not_requester(c, c.requested_by)
    m = _open_measure(state, c.measure_id)
    if c.by is not None:
        new_deadline = calendar.shift(m.deadline, c.by)
    else:
        assert c.to is not None
        new_deadline = deadline_instant(c.to, policy.deadline_time_of_day)
    if new_deadline <= m.deadline:
        raise InvalidCommand(f"the new deadline {new_deadline.isoformat()} is not later than the current {m.deadline.isoformat()}")
    if new_deadline <= base["at"]:
        raise InvalidCommand(f"the new deadline {new_deadline.isoformat()} is not in the future")
    return [
        DeadlineExtended(
            **base,
            policy_version=policy.version,
            measure_id=m.id,
            old_deadline=m.deadline,
            new_deadline=new_deadline,
            by=c.by,
            reason=c.reason,
            requested_by=c.requested_by,
            recipients=list(dict.fromkeys([m.responsible] + state.leaders)),
            calendar=_source(calendar, m.deadline, new_deadline),
        )
    ]


def _decide_sanction(state: CaseState, c: DecideSanction, base: dict, policy: Policy, calendar: WorkCalendar) -> list[Event]:
    if c.proposal_id:
        proposal = state.proposal(c.proposal_id)
    elif c.rung is not None:
        matches = [p for p in state.proposals if p.measure_id == c.measure_id and p.rung == c.rung]
        pending = [p for p in matches if p.status == ProposalStatus.PENDING]
        proposal = (pending or matches or [None])[-1]
    else:
        raise InvalidCommand("name the proposal: its id, or the measure and the rung")
    if proposal is None:
        known = ", ".join(f"{p.proposal_id}({p.measure_id or 'case'}/{p.rung.value})" for p in state.proposals) or "none"
        raise InvalidCommand(f"no such sanction proposal; this case has: {known}")
    if proposal.status != ProposalStatus.PENDING:
        raise NotAllowedInStage(f"proposal {proposal.proposal_id} is already {proposal.status.value}")
    m = state.measure(proposal.measure_id) if proposal.measure_id else None
    if m is not None and m.responsible == c.actor.id:
        raise SeparationOfDuties(f"{c.actor.id} is responsible for measure {m.id} and cannot decide its sanction")
    targets = [Recipient.LEADERS, Recipient.SUPERVISORS]
    if c.decision == SanctionDecision.APPROVED:
        step = next((s for s in policy.escalation_ladder if s.rung == proposal.rung), None)
        targets = (step.notify if step else [Recipient.RESPONSIBLE]) + targets
    return [
        SanctionDecided(
            **base,
            policy_version=policy.version,
            proposal_id=proposal.proposal_id,
            measure_id=proposal.measure_id,
            rung=proposal.rung,
            decision=c.decision,
            comment=c.comment,
            recipients=_recipients(state, m, targets, policy),
        )
    ]


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
    "PauseMeasures": _pause,
    "ResumeMeasures": _resume,
    "ExtendDeadline": _extend,
    "DecideSanction": _decide_sanction,
    "Tick": _tick,
}

# --------------------------------------------------------------------------- timers


def next_wakeup(state: CaseState, policy: Policy, calendar: WorkCalendar, now: datetime | None = None) -> datetime | None:
    """The earliest moment at which ``Tick`` could produce an event, or None if no timer is needed.

    With ``now``, a notice that fell due while nobody ticked (a command at night, a worker that was down)
    is due at the next working moment from ``now``, and a reminder that could then only go out after its
    deadline is dropped — exactly as ``Tick`` decides, so a workflow never wakes to find nothing due."""

    def at(moment: datetime) -> datetime:
        if now is None or moment > now:
            return moment
        return now if _working(now, policy, calendar) else deliverable(now, policy, calendar)

    moments: list[datetime] = []
    if state.stage == Stage.CLOSED:
        return None
    for p in state.pending_proposals():
        m = state.measure(p.measure_id) if p.measure_id else None
        if m is None or m.done or not m.paused:
            moments.append(at(p.decide_by))
    if state.stage == Stage.IMPLEMENTING:
        for m in state.open_measures():
            if m.paused:
                continue
            overdue_at = overdue_moment(m, policy, calendar)
            if not m.overdue:
                for lead in _pending_leads(m, policy):
                    when = at(reminder_moment(m, lead, policy, calendar))
                    if when < m.deadline:  # a reminder that could only go out after the deadline never does
                        moments.append(when)
                moments.append(at(overdue_at))
            moments.extend(
                at(max(rung_moment(m, s, policy, calendar), overdue_at)) for s in policy.escalation_ladder if s.rung not in m.escalated
            )
    if state.stage == Stage.CONSOLIDATING and not state.consolidation_ended and state.consolidation_until:
        moments.append(state.consolidation_until)
    return min(moments) if moments else None


def calendar_years(state: CaseState, now: datetime) -> list[int]:
    """The years whose calendar facts the case needs now: from the case year through its furthest
    deadline, proposal deadline or consolidation end, plus one year of headroom."""
    moments = [now] + [m.deadline for m in state.measures] + [p.decide_by for p in state.pending_proposals()]
    if state.consolidation_until:
        moments.append(state.consolidation_until)
    first = min([local(now).year] + ([state.year] if state.year else []))
    last = max(local(m).year for m in moments) + 1
    return list(range(first, last + 1))


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
            s.secretary = event.secretary
            s.history = None if event.history is None else list(event.history)
        case PlanSubmitted():
            s.stage = Stage.PLANNING
            s.plan_status = PlanStatus.SUBMITTED
            s.plan_round = event.round
            s.plan_submitted_by = event.actor
            s.measures = [MeasureState(**m.model_dump(), original_deadline=m.deadline) for m in event.measures]
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
            m.paused_since, m.pause_reason = None, ""
            s.case_paused = s.case_paused and bool(s.paused_measures())
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
                MeasureState(
                    id=m.id,
                    description=m.description,
                    problems=m.problems,
                    responsible=m.responsible,
                    deadline=event.deadline,
                    original_deadline=event.deadline,
                )
                for m in s.measures
            ]
            s.case_paused, s.pause_reason = False, ""
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
        case MeasuresPaused():
            for measure_id in event.measure_ids:
                m = _measure(s, measure_id)
                m.paused_since, m.pause_reason = event.at, event.reason
            if event.whole_case:
                s.case_paused, s.pause_reason = True, event.reason
        case MeasuresResumed():
            for shift in event.shifts:
                m = _measure(s, shift.measure_id)
                _move_deadline(m, shift.new_deadline, event.at)
                m.changes.append(
                    DeadlineChange(
                        kind="pause",
                        old_deadline=shift.old_deadline,
                        new_deadline=shift.new_deadline,
                        working_days=shift.working_days,
                        reason=m.pause_reason,
                        by=event.actor,
                        at=event.at,
                    )
                )
                m.paused_since, m.pause_reason = None, ""
            for p in s.proposals:
                if p.proposal_id in event.decide_by:
                    p.decide_by = event.decide_by[p.proposal_id]
            if not s.paused_measures():
                s.case_paused, s.pause_reason = False, ""
        case DeadlineExtended():
            m = _measure(s, event.measure_id)
            _move_deadline(m, event.new_deadline, event.at)
            m.changes.append(
                DeadlineChange(
                    kind="extension",
                    old_deadline=event.old_deadline,
                    new_deadline=event.new_deadline,
                    reason=event.reason,
                    by=event.actor,
                    at=event.at,
                )
            )
        case SanctionProposed():
            if event.measure_id is not None:
                _measure(s, event.measure_id).escalated.append(event.rung)
            s.proposals.append(
                SanctionProposal(
                    proposal_id=event.proposal_id,
                    measure_id=event.measure_id,
                    rung=event.rung,
                    source=event.source,
                    reason=event.reason,
                    rule=event.rule,
                    years=list(event.years),
                    proposed_at=event.at,
                    decide_by=event.decide_by,
                )
            )
        case SanctionDecided():
            p = _proposal(s, event.proposal_id)
            p.status = ProposalStatus(event.decision.value)
            p.decided_by, p.decided_at, p.comment = event.actor, event.at, event.comment
        case SanctionLapsed():
            p = _proposal(s, event.proposal_id)
            p.status, p.decided_at = ProposalStatus.LAPSED, event.at
    if s.stage != state.stage:
        s.stage_since = event.at
    return s


def _move_deadline(m: MeasureState, deadline: datetime, at: datetime) -> None:
    """A new deadline: reminders re-arm for it; rungs already fired stay fired."""
    m.deadline = deadline
    m.reminded = []
    if deadline > at:
        m.overdue = False


def _proposal(state: CaseState, proposal_id: str) -> SanctionProposal:
    proposal = state.proposal(proposal_id)
    if proposal is None:
        raise ValueError(f"event refers to unknown sanction proposal {proposal_id}")
    return proposal


def _measure(state: CaseState, measure_id: str) -> MeasureState:
    measure = state.measure(measure_id)
    if measure is None:  # an event names a measure the state lacks: the log is corrupt
        raise ValueError(f"event refers to unknown measure {measure_id}")
    return measure


def fold(events: list[Event], state: CaseState = INITIAL_STATE) -> CaseState:
    for event in events:
        state = evolve(state, event)
    return state
