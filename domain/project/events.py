"""What happened to a secretary project: its events, and the adapters that read them back.

Field names and order are stored: recorded Temporal histories and the audit log depend on them."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import AwareDatetime, Field, TypeAdapter

from domain.decider import Event as _Event
from domain.project.commands import Command
from domain.project.state import Application, Level, Rating, ReportDue
from domain.rungs import Rung, SanctionDecision


class ProjectApplied(_Event):
    type: Literal["ProjectApplied"] = "ProjectApplied"
    project_id: str
    level: Level
    org_code: str
    org_name: str
    region: str
    year: int
    owner: str
    round: int = 1
    application: Application


class ApplicationRevised(_Event):
    type: Literal["ApplicationRevised"] = "ApplicationRevised"
    round: int
    application: Application
    note: str = ""


class ApplicationReturned(_Event):
    type: Literal["ApplicationReturned"] = "ApplicationReturned"
    round: int
    returns: int  # returns so far, this one included
    limit: int  # the policy's max_revision_rounds
    comments: str
    recipients: list[str]


class ApplicationApproved(_Event):
    type: Literal["ApplicationApproved"] = "ApplicationApproved"
    round: int
    comments: str = ""
    reports_due: list[ReportDue]
    recipients: list[str]
    calendar: str | None = None  # the calendar facts the due dates were counted on


class ApplicationRejected(_Event):
    type: Literal["ApplicationRejected"] = "ApplicationRejected"
    round: int
    comments: str
    recipients: list[str]


class ProgressRecorded(_Event):
    type: Literal["ProgressRecorded"] = "ProgressRecorded"
    note: str
    milestone_id: str | None = None
    evidence: list[str] = Field(default_factory=list)


class MilestoneCompleted(_Event):
    type: Literal["MilestoneCompleted"] = "MilestoneCompleted"
    milestone_id: str
    note: str = ""
    evidence: list[str] = Field(default_factory=list)
    late: bool = False


class MilestoneReminderSent(_Event):
    type: Literal["MilestoneReminderSent"] = "MilestoneReminderSent"
    milestone_id: str
    deadline: AwareDatetime
    lead: str
    recipients: list[str]


class MilestoneOverdue(_Event):
    type: Literal["MilestoneOverdue"] = "MilestoneOverdue"
    milestone_id: str
    deadline: AwareDatetime
    recipients: list[str]


class QuarterlyReportSubmitted(_Event):
    type: Literal["QuarterlyReportSubmitted"] = "QuarterlyReportSubmitted"
    quarter: int
    note: str
    due: AwareDatetime
    late: bool


class ReportReminderSent(_Event):
    """A quarterly report is missing after its due date: the first notice (提醒)."""

    type: Literal["ReportReminderSent"] = "ReportReminderSent"
    quarter: int
    due: AwareDatetime
    recipients: list[str]
    scheduled: AwareDatetime | None = None  # the working moment it was due; the next 催办 counts from it


class ReportUrged(_Event):
    """催办: the ``urge``-th of at most ``of`` urging notices for a missing quarterly report."""

    type: Literal["ReportUrged"] = "ReportUrged"
    quarter: int
    due: AwareDatetime
    urge: int
    of: int
    recipients: list[str]
    scheduled: AwareDatetime | None = None  # the working moment it was due; the next 催办 counts from it


class EvaluationDue(_Event):
    """The final deadline passed: the year-end evaluation (结题评价) is due."""

    type: Literal["EvaluationDue"] = "EvaluationDue"
    deadline: AwareDatetime
    recipients: list[str]


class ProjectEvaluated(_Event):
    type: Literal["ProjectEvaluated"] = "ProjectEvaluated"
    rating: Rating  # the result (after the satisfaction floor)
    given_rating: Rating  # what the evaluator gave
    satisfaction: float
    min_satisfaction: float
    comments: str = ""
    milestones_done: int
    milestones_total: int


class DutyReviewRecorded(_Event):
    """述职评议 record: the project's result as it enters the secretary's annual duty-report review."""

    type: Literal["DutyReviewRecorded"] = "DutyReviewRecorded"
    secretary: str  # the owner's actor id
    project_id: str
    level: Level
    org_code: str
    org_name: str
    region: str
    year: int
    title: str
    rating: Rating
    satisfaction: float
    evaluator: str
    milestones_done: int
    milestones_total: int
    milestones_overdue: int
    reports_on_time: int
    reports_late: int
    reports_missing: int
    urges: int  # 催办 notices received
    revision_rounds: int
    comments: str = ""


class SanctionProposed(_Event):
    type: Literal["SanctionProposed"] = "SanctionProposed"
    proposal_id: str
    rung: Rung
    reason: str
    decide_by: AwareDatetime
    subject: str  # whom the sanction concerns (the owner)
    recipients: list[str]  # who must decide


class SanctionLapsed(_Event):
    """Nobody decided by ``decide_by``: the proposal lapses (a project's ladder has no next rung)."""

    type: Literal["SanctionLapsed"] = "SanctionLapsed"
    proposal_id: str
    rung: Rung
    recipients: list[str]


class SanctionDecided(_Event):
    """Someone with a ``sanction_approvers`` role approved or dismissed the poor result's proposal."""

    type: Literal["SanctionDecided"] = "SanctionDecided"
    proposal_id: str
    rung: Rung
    decision: SanctionDecision
    comment: str = ""
    recipients: list[str]


class ProjectPromoted(_Event):
    type: Literal["ProjectPromoted"] = "ProjectPromoted"
    note: str = ""
    recipients: list[str]


class ProjectClosed(_Event):
    type: Literal["ProjectClosed"] = "ProjectClosed"
    note: str = ""


Event = Annotated[
    ProjectApplied
    | ApplicationRevised
    | ApplicationReturned
    | ApplicationApproved
    | ApplicationRejected
    | ProgressRecorded
    | MilestoneCompleted
    | MilestoneReminderSent
    | MilestoneOverdue
    | QuarterlyReportSubmitted
    | ReportReminderSent
    | ReportUrged
    | EvaluationDue
    | ProjectEvaluated
    | DutyReviewRecorded
    | SanctionProposed
    | SanctionDecided
    | SanctionLapsed
    | ProjectPromoted
    | ProjectClosed,
    Field(discriminator="type"),
]

# The events that tell people something: the workflow delivers a notice for each.
NOTICE_EVENTS = frozenset(
    {
        "ApplicationReturned",
        "ApplicationApproved",
        "ApplicationRejected",
        "MilestoneReminderSent",
        "MilestoneOverdue",
        "ReportReminderSent",
        "ReportUrged",
        "EvaluationDue",
        "SanctionProposed",
        "SanctionDecided",
        "SanctionLapsed",
        "ProjectPromoted",
    }
)
EVENT_ADAPTER: TypeAdapter[Event] = TypeAdapter(Event)
COMMAND_ADAPTER: TypeAdapter[Command] = TypeAdapter(Command)
