"""What happened to a rectification case: the facts its decider emits (``decider.Event``: when, who,
under which policy version). Field names and order are part of every recorded history: never change them."""

from __future__ import annotations

from datetime import date
from enum import StrEnum
from typing import Annotated, Literal

from pydantic import AwareDatetime, BaseModel, Field, TypeAdapter

from domain.decider import Event as _Event
from domain.directory import HistoryRecord, Pairing
from domain.evidence import EvidenceFile
from domain.rectification.commands import Basis, Command, Outcome, Problem
from domain.rungs import Rung, SanctionDecision


class Verdict(StrEnum):
    PASSED = "passed"  # 验收通过
    FAILED_SCORE = "failed_score"  # 得分不达标
    FAILED_SATISFACTION = "failed_satisfaction"  # 群众满意度否决


class ProposalSource(StrEnum):
    LADDER = "ladder"  # a sanction rung of the escalation ladder
    MEMORY = "memory"  # a cross-year memory rule (case level)


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
    pairings: list[Pairing] | None = None  # the organization's pairing units at opening (issue 14)


class Measure(BaseModel):
    id: str
    description: str
    problems: list[str]
    responsible: str
    deadline: AwareDatetime
    budget: str | None = None  # the working-day budget the deadline was derived from, if any
    partners: list[str] = Field(default_factory=list)  # 结对帮扶: people sharing the measure (issue 14)


class PlanSubmitted(_Event):
    type: Literal["PlanSubmitted"] = "PlanSubmitted"
    round: int
    measures: list[Measure]
    summary: str = ""
    calendar: str | None = None  # calendar facts used for budgets
    supplement: bool = False  # 补充整改方案: measures added to an approved plan for problems found since (issue 14)


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
    files: list[EvidenceFile] = Field(default_factory=list)  # uploaded evidence: the chain proves each file's hash


class MeasureCompleted(_Event):
    type: Literal["MeasureCompleted"] = "MeasureCompleted"
    measure_id: str
    note: str
    evidence: list[str]
    files: list[EvidenceFile] = Field(default_factory=list)


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


class ReliefRequested(_Event):
    """暂停/延期申请: ``actor`` asked for more time (request ``request_id``)."""

    type: Literal["ReliefRequested"] = "ReliefRequested"
    request_id: str
    measure_ids: list[str]
    reason: str


class MeasuresPaused(_Event):
    """暂停计时. ``actor`` approved it; ``requested_by`` asked (proven when ``request`` names their request)."""

    type: Literal["MeasuresPaused"] = "MeasuresPaused"
    measure_ids: list[str]
    whole_case: bool
    reason: str
    requested_by: str
    recipients: list[str]
    request: str | None = None


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
    request: str | None = None  # the RequestRelief it granted (its requester proven)


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


class FindingsRecorded(_Event):
    """Findings of an inspection (``source``) recorded as problems of the case (``Problem.source``). In
    consolidation they open a new cycle, as a relapse does (``cycle``)."""

    type: Literal["FindingsRecorded"] = "FindingsRecorded"
    source: str
    problems: list[Problem]
    cycle: int
    new_cycle: bool = False


class AdjustmentExecuted(_Event):
    """An approved 组织调整 / 诫勉谈话 carried out (``actor``: who recorded it). With ``new_secretary`` the
    organization's secretary changed from ``previous_secretary`` (the directory follows)."""

    type: Literal["AdjustmentExecuted"] = "AdjustmentExecuted"
    proposal_id: str
    rung: Rung
    action: str
    executed_on: date
    new_secretary: str | None = None
    previous_secretary: str | None = None


Event = Annotated[
    CaseOpened
    | PlanSubmitted
    | PlanReturned
    | PlanApproved
    | ProgressReported
    | MeasureCompleted
    | SelfCheckSubmitted
    | AcceptanceRecorded
    | ReworkOrdered
    | ConsolidationStarted
    | ConsolidationEnded
    | FollowUpReviewed
    | RelapseRecorded
    | CaseClosed
    | ReminderSent
    | MeasureOverdue
    | EscalationRaised
    | ReliefRequested
    | MeasuresPaused
    | MeasuresResumed
    | DeadlineExtended
    | SanctionProposed
    | SanctionDecided
    | SanctionLapsed
    | AdjustmentExecuted
    | FindingsRecorded,
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
