"""A rectification case as its events leave it (the fold of its stream), and its stages.

A case runs Plan–Do–Check–Act cycles:

    designated 已认定 ──submit plan──▶ planning 方案审核 ──approve──▶ implementing 整改实施
         ▲                               │  ▲ return (修改)                     │ self-check
         │ relapse 反弹                  └──┘                                  ▼
    consolidating 巩固提升 ◀──pass── checking 检查验收 ──fail──▶ implementing (rework 重新整改)
         │ follow-up review 回头看, close
         ▼
    closed 已销号
"""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum
from typing import Literal

from pydantic import AwareDatetime, BaseModel, Field

from domain.directory import AcceptanceResult, HistoryRecord, Pairing
from domain.evidence import EvidenceFile
from domain.proposals import Proposal, pending
from domain.rectification.commands import Basis, Outcome, Problem
from domain.rectification.events import Measure, ProposalSource, Verdict
from domain.rungs import Rung

KIND = "rectification"
PREFIX = "rect-"


def case_id_for(org_code: str, year: int) -> str:
    """One rectification case per organization and year."""
    return f"{PREFIX}{org_code}-{year}"


class Stage(StrEnum):
    NEW = "new"  # 未立案 (before the case is opened)
    DESIGNATED = "designated"  # 已认定
    PLANNING = "planning"  # 方案审核
    IMPLEMENTING = "implementing"  # 整改实施
    CHECKING = "checking"  # 检查验收
    CONSOLIDATING = "consolidating"  # 巩固提升
    CLOSED = "closed"  # 已销号


class PlanStatus(StrEnum):
    NONE = "none"
    SUBMITTED = "submitted"
    RETURNED = "returned"
    APPROVED = "approved"


class DeadlineChange(BaseModel):
    """One move of a measure's deadline: a pause (resumed) or an extension (延期)."""

    kind: Literal["pause", "extension"]
    old_deadline: AwareDatetime
    new_deadline: AwareDatetime
    working_days: int | None = None
    reason: str = ""
    by: str  # who approved
    at: AwareDatetime


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
    files: list[EvidenceFile] = Field(default_factory=list)  # uploaded evidence, in the order reported

    @property
    def paused(self) -> bool:
        return self.paused_since is not None


class Execution(BaseModel):
    """How an approved 组织调整 / 诫勉谈话 was carried out (AdjustmentExecuted)."""

    action: str
    executed_on: date
    by: str
    at: AwareDatetime
    new_secretary: str | None = None
    previous_secretary: str | None = None


class SanctionProposal(Proposal):
    """A case's sanction proposal: a ladder rung of one measure, or a memory rule of the whole case."""

    measure_id: str | None = None
    source: ProposalSource = ProposalSource.LADDER
    rule: str | None = None
    years: list[int] = Field(default_factory=list)
    execution: Execution | None = None  # once carried out (组织调整, 诫勉谈话)

    def concerns(self, measure_id: str | None) -> bool:
        return self.measure_id == measure_id

    def describe(self) -> str:
        return f"{self.proposal_id}({self.measure_id or 'case'}/{self.rung.value})"


class AcceptanceRound(BaseModel):
    cycle: int
    round: int
    score: float
    unsatisfied_share: float
    verdict: Verdict
    by: str
    at: AwareDatetime


class ReliefRequest(BaseModel):
    """A RequestRelief as recorded: its requester is the credential's person who sent it."""

    requested_by: str
    measure_ids: list[str]
    reason: str
    granted_by: str | None = None  # the approver who paused or extended on it


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
    supplement: list[MeasureState] = Field(default_factory=list)  # a supplementary plan's measures awaiting review
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
    relief_requests: dict[str, ReliefRequest] = Field(default_factory=dict)  # Q1, Q2, …: who asked for more time
    secretary: str | None = None
    history: list[HistoryRecord] | None = None  # previous years (memory rules); None: rules off
    pairings: list[Pairing] = Field(default_factory=list)  # the organization's pairing units at opening

    def measure(self, measure_id: str) -> MeasureState | None:
        return next((m for m in self.measures if m.id == measure_id), None)

    @property
    def overdue(self) -> bool:
        return any(m.overdue and not m.done for m in self.measures)

    def unaddressed(self) -> list[Problem]:
        """This cycle's problems no measure (approved or awaiting review) addresses: found since the plan."""
        addressed = {p for m in [*self.measures, *self.supplement] for p in m.problems}
        return [p for p in self.problems if p.cycle == self.cycle and p.id not in addressed]

    def open_measures(self) -> list[MeasureState]:
        return [m for m in self.measures if not m.done]

    def proposal(self, proposal_id: str) -> SanctionProposal | None:
        return next((p for p in self.proposals if p.proposal_id == proposal_id), None)

    def pending_proposals(self) -> list[SanctionProposal]:
        return pending(self.proposals)

    def executions(self) -> list[SanctionProposal]:
        """The proposals carried out, in the order they were proposed."""
        return [p for p in self.proposals if p.execution is not None]

    def paused_measures(self) -> list[MeasureState]:
        return [m for m in self.open_measures() if m.paused]

    def year_outcome(self) -> tuple[AcceptanceResult | None, int]:
        """The year's acceptance as the organization's history records it, with the failed rounds:
        passed once a round passed; failed when rounds failed and none passed; None when the case
        never reached acceptance (it carries over)."""
        if not self.acceptances:
            return None, 0
        failed = sum(1 for a in self.acceptances if a.verdict != Verdict.PASSED)
        passed = any(a.verdict == Verdict.PASSED for a in self.acceptances)
        return (AcceptanceResult.PASSED if passed else AcceptanceResult.FAILED), failed

    def next_deadline(self) -> datetime | None:
        due = [m.deadline for m in self.open_measures()]
        return min(due) if due else None


INITIAL_STATE = CaseState()


def is_terminal(state: CaseState) -> bool:
    """A closed case accepts no more commands (its workflow ends)."""
    return state.stage == Stage.CLOSED
