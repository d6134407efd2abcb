"""A secretary project's state: its stages, the values its events carry, and the fold's result (pure)."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Literal

from pydantic import AwareDatetime, BaseModel, Field

from domain.proposals import Proposal, pending

KIND = "project"
PREFIX = "proj-"


class Level(StrEnum):
    SECRETARY = "secretary"  # 书记项目
    COMMITTEE_MEMBER = "committee_member"  # 委员项目
    BRANCH = "branch"  # 支部项目


class Stage(StrEnum):
    NEW = "new"  # 未立项
    REVIEWING = "reviewing"  # 立项审核
    IMPLEMENTING = "implementing"  # 实施中
    EVALUATED = "evaluated"  # 已评价
    PROMOTED = "promoted"  # 典型推广
    CLOSED = "closed"  # 已结项
    REJECTED = "rejected"  # 不予立项


TERMINAL = frozenset({Stage.PROMOTED, Stage.CLOSED, Stage.REJECTED})
# While a sanction proposal may be pending and lapse: implementation and after the evaluation.
LIVE = frozenset({Stage.IMPLEMENTING, Stage.EVALUATED})


class ApplicationStatus(StrEnum):
    NONE = "none"
    SUBMITTED = "submitted"  # 待审核
    RETURNED = "returned"  # 退回修改
    APPROVED = "approved"  # 已批准
    REJECTED = "rejected"  # 不予立项


class Rating(StrEnum):
    GOOD = "good"  # 好
    MEDIUM = "medium"  # 较好/一般
    POOR = "poor"  # 差


# The levels with one project per leading person (several per organization and year); the 书记项目
# stays one per organization and year.
PER_PERSON = frozenset({Level.COMMITTEE_MEMBER, Level.BRANCH})
MAX_PROJECT_ID = 128  # the audit log's stream id column


def project_id_for(level: Level | str, org_code: str, year: int, leader: str | None = None) -> str:
    """The project's id. 书记项目: one per organization and year, ``proj-secretary-V001-2027``.
    委员项目 and 支部项目: one per leading person (``leader``, an actor id), organization and year,
    ``proj-committee_member-V001-2027-wy-01``. Without a leader the id is the old one per level,
    organization and year (projects applied for before issue 14 keep it)."""
    level = Level(level)
    base = f"{PREFIX}{level.value}-{org_code}-{year}"
    return f"{base}-{leader}" if leader and level in PER_PERSON else base


# --------------------------------------------------------------------------- values events carry


class Milestone(BaseModel):
    id: str
    description: str
    deadline: AwareDatetime


class Application(BaseModel):
    title: str
    problem: str
    goals: list[str]
    measures: list[str]
    milestones: list[Milestone]
    deadline: AwareDatetime


class ReportDue(BaseModel):
    quarter: int
    due: AwareDatetime


# --------------------------------------------------------------------------- state


class MilestoneState(Milestone):
    done: bool = False
    done_at: AwareDatetime | None = None
    late: bool = False
    reminded: bool = False
    overdue: bool = False


class ReportState(ReportDue):
    submitted_at: AwareDatetime | None = None
    late: bool = False
    note: str = ""
    reminded: bool = False
    urges: int = 0
    # When the reminder or the latest 催办 was due (its scheduled working moment, not the timer's
    # actual firing a few milliseconds later, so the series never drifts past the end of a working day).
    last_notice_at: AwareDatetime | None = None


class ProgressEntry(BaseModel):
    at: AwareDatetime
    by: str
    note: str
    milestone_id: str | None = None
    evidence: list[str] = Field(default_factory=list)


class ReviewEntry(BaseModel):
    round: int
    decision: Literal["returned", "approved", "rejected"]
    by: str
    at: AwareDatetime
    comments: str = ""


class SanctionProposal(Proposal):
    """A poor result's sanction proposal: the shared proposal record, nothing of its own."""


class Evaluation(BaseModel):
    rating: Rating
    given_rating: Rating
    satisfaction: float
    by: str
    at: AwareDatetime
    comments: str = ""


class ProjectState(BaseModel):
    project_id: str = ""
    version: int = 0
    stage: Stage = Stage.NEW
    stage_since: AwareDatetime | None = None
    level: Level | None = None
    org_code: str = ""
    org_name: str = ""
    region: str = ""
    year: int = 0
    owner: str = ""
    application: Application | None = None
    application_status: ApplicationStatus = ApplicationStatus.NONE
    round: int = 0
    revision_rounds: int = 0  # returns so far
    reviews: list[ReviewEntry] = Field(default_factory=list)
    applied_at: AwareDatetime | None = None
    approved_at: AwareDatetime | None = None
    milestones: list[MilestoneState] = Field(default_factory=list)
    progress: list[ProgressEntry] = Field(default_factory=list)
    reports: list[ReportState] = Field(default_factory=list)
    evaluation_due_sent: bool = False
    evaluation: Evaluation | None = None
    proposals: list[SanctionProposal] = Field(default_factory=list)
    closed_at: AwareDatetime | None = None
    note: str = ""
    policy_version: str | None = None

    def milestone(self, milestone_id: str) -> MilestoneState | None:
        return next((m for m in self.milestones if m.id == milestone_id), None)

    def report(self, quarter: int) -> ReportState | None:
        return next((r for r in self.reports if r.quarter == quarter), None)

    def pending_proposals(self) -> list[SanctionProposal]:
        return pending(self.proposals)

    @property
    def reviewers(self) -> list[str]:
        return list(dict.fromkeys(r.by for r in self.reviews))

    @property
    def urges_sent(self) -> int:
        return sum(r.urges for r in self.reports)

    @property
    def overdue(self) -> bool:
        """An overdue milestone, or a quarterly report that was chased and is still missing."""
        return any(m.overdue and not m.done for m in self.milestones) or any(
            r.reminded and r.submitted_at is None for r in self.reports
        )

    def next_deadline(self) -> datetime | None:
        """The earliest open milestone deadline or unsubmitted report due date (while implementing)."""
        if self.stage != Stage.IMPLEMENTING:
            return None
        moments = [m.deadline for m in self.milestones if not m.done] + [r.due for r in self.reports if r.submitted_at is None]
        return min(moments) if moments else None


INITIAL_STATE = ProjectState()


def is_terminal(state: ProjectState) -> bool:
    """A promoted, closed or rejected project accepts no more commands."""
    return state.stage in TERMINAL
