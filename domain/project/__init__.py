"""Secretary projects (书记项目、委员项目、支部项目) as a decider. Pure: no I/O, no clock, no Temporal.

Each year a Party secretary (or a committee member, or a branch) takes on one hard governance
problem: "年初领题、年中解题、年末结题". The kind is one value, ``DECIDER``:

    decide(state, command, ctx) -> list[Event]   refuses with a DomainError        (decide.py)
    evolve(state, event) -> state                total, never refuses               (evolve.py)
    next_wakeup(state, ctx) -> datetime | None   when the clock next matters        (timing.py)

with its commands (commands.py), events (events.py), state (state.py), who may do what
(permissions.py) and its clock (timing.py). What it shares with rectification cases — the decider
protocol, sanction proposals, permissions, notice timing — lives once in ``domain.decider``,
``domain.proposals``, ``domain.permissions`` and ``domain.timing``; its policy section in
``domain.policy.projects``. Everything importable from ``domain.project`` before the split still is.
"""

from __future__ import annotations

from domain.decider import Decider, Tick
from domain.policy.projects import ProjectPolicy
from domain.project.commands import (
    ApplicationInput,
    ApplyProject,
    ApproveApplication,
    CloseProject,
    Command,
    CompleteMilestone,
    DeadlineInput,
    EvaluateProject,
    MilestoneInput,
    PromoteProject,
    RecordProgress,
    RejectApplication,
    ReturnApplication,
    ReviseApplication,
    SubmitQuarterlyReport,
)
from domain.project.decide import decide
from domain.project.events import (
    COMMAND_ADAPTER,
    EVENT_ADAPTER,
    NOTICE_EVENTS,
    ApplicationApproved,
    ApplicationRejected,
    ApplicationReturned,
    ApplicationRevised,
    DutyReviewRecorded,
    EvaluationDue,
    Event,
    MilestoneCompleted,
    MilestoneOverdue,
    MilestoneReminderSent,
    ProgressRecorded,
    ProjectApplied,
    ProjectClosed,
    ProjectEvaluated,
    ProjectPromoted,
    QuarterlyReportSubmitted,
    ReportReminderSent,
    ReportUrged,
    SanctionDecided,
    SanctionLapsed,
    SanctionProposed,
)
from domain.project.evolve import evolve, outcome_of
from domain.project.permissions import ALLOWED_STAGES, roles_allowed
from domain.project.state import (
    INITIAL_STATE,
    KIND,
    PREFIX,
    TERMINAL,
    Application,
    ApplicationStatus,
    Evaluation,
    Level,
    Milestone,
    MilestoneState,
    ProgressEntry,
    ProjectState,
    Rating,
    ReportDue,
    ReportState,
    ReviewEntry,
    SanctionProposal,
    Stage,
    is_terminal,
    project_id_for,
)
from domain.project.timing import calendar_years, next_wakeup, report_dues
from domain.proposals import DecideSanction
from domain.rungs import ProposalStatus, Rung, SanctionDecision

DECIDER: Decider[ProjectState, Command, Event] = Decider(
    KIND, PREFIX, INITIAL_STATE, COMMAND_ADAPTER, EVENT_ADAPTER, NOTICE_EVENTS,
    decide=decide, evolve=evolve, is_terminal=is_terminal, next_wakeup=next_wakeup, calendar_years=calendar_years,
    # decisions that judge a person, signed by who decides (docs/security.md)
    signed_commands=frozenset({"ApproveApplication", "RejectApplication", "EvaluateProject", "CloseProject", "DecideSanction"}),
)  # fmt: skip

# ``fold(events, state=INITIAL_STATE)``: the state after ``events`` (stores and the CLI rebuild with it).
fold = DECIDER.fold

__all__ = [
    # the kind as a value, and its parts
    "DECIDER", "KIND", "PREFIX", "INITIAL_STATE", "TERMINAL", "is_terminal", "decide", "evolve", "fold", "next_wakeup",
    "calendar_years", "report_dues", "outcome_of", "project_id_for", "roles_allowed", "ALLOWED_STAGES", "ProjectPolicy",
    # commands (commands.py; DecideSanction and Tick shared by every kind)
    "COMMAND_ADAPTER", "Command", "DeadlineInput", "MilestoneInput", "ApplicationInput", "ApplyProject", "ReviseApplication",
    "ReturnApplication", "ApproveApplication", "RejectApplication", "RecordProgress", "CompleteMilestone",
    "SubmitQuarterlyReport", "EvaluateProject", "PromoteProject", "CloseProject", "DecideSanction", "Tick",
    # events (events.py)
    "EVENT_ADAPTER", "NOTICE_EVENTS", "Event", "ProjectApplied", "ApplicationRevised", "ApplicationReturned",
    "ApplicationApproved", "ApplicationRejected", "ProgressRecorded", "MilestoneCompleted", "MilestoneReminderSent",
    "MilestoneOverdue", "QuarterlyReportSubmitted", "ReportReminderSent", "ReportUrged", "EvaluationDue", "ProjectEvaluated",
    "DutyReviewRecorded", "SanctionProposed", "SanctionDecided", "SanctionLapsed", "ProjectPromoted", "ProjectClosed",
    # state (state.py) and the vocabulary it shares with cases (domain.rungs)
    "ProjectState", "Stage", "Level", "ApplicationStatus", "Rating", "Application", "Milestone", "ReportDue",
    "MilestoneState", "ReportState", "ProgressEntry", "ReviewEntry", "SanctionProposal", "Evaluation",
    "ProposalStatus", "Rung", "SanctionDecision",
]  # fmt: skip
