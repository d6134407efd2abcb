"""How a secretary project's events fold into its state: ``evolve(state, event)`` never refuses (pure)."""

from __future__ import annotations

from typing import Literal

from domain.project.events import (
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
from domain.project.state import (
    TERMINAL,
    Application,
    ApplicationStatus,
    Evaluation,
    MilestoneState,
    ProgressEntry,
    ProjectState,
    ReportState,
    ReviewEntry,
    SanctionProposal,
    Stage,
)
from domain.proposals import record_decision, record_lapse


def evolve(state: ProjectState, event: Event) -> ProjectState:
    """Fold one event into the state. Never refuses: events are facts."""
    counted = {"version": state.version + 1, "policy_version": event.policy_version or state.policy_version}
    s = state.model_copy(deep=True, update=counted)
    match event:
        case ProjectApplied():
            s.project_id = event.project_id
            s.stage = Stage.REVIEWING
            s.level = event.level
            s.org_code, s.org_name, s.region, s.year = event.org_code, event.org_name, event.region, event.year
            s.owner = event.owner
            s.applied_at = event.at
            _submitted(s, event.application, event.round)
        case ApplicationRevised():
            _submitted(s, event.application, event.round)
        case ApplicationReturned():
            s.application_status = ApplicationStatus.RETURNED
            s.revision_rounds = event.returns
            _reviewed(s, event, "returned")
        case ApplicationApproved():
            s.stage = Stage.IMPLEMENTING
            s.application_status = ApplicationStatus.APPROVED
            s.approved_at = event.at
            s.reports = [ReportState(**r.model_dump()) for r in event.reports_due]
            _reviewed(s, event, "approved")
        case ApplicationRejected():
            s.stage = Stage.REJECTED
            s.application_status = ApplicationStatus.REJECTED
            s.closed_at = event.at
            _reviewed(s, event, "rejected")
        case ProgressRecorded():
            s.progress.append(
                ProgressEntry(at=event.at, by=event.actor, note=event.note, milestone_id=event.milestone_id, evidence=event.evidence)
            )
        case MilestoneCompleted():
            m = _milestone(s, event.milestone_id)
            m.done, m.done_at, m.late = True, event.at, event.late
            s.progress.append(
                ProgressEntry(at=event.at, by=event.actor, note=event.note or "完成", milestone_id=m.id, evidence=event.evidence)
            )
        case MilestoneReminderSent():
            _milestone(s, event.milestone_id).reminded = True
        case MilestoneOverdue():
            _milestone(s, event.milestone_id).overdue = True
        case QuarterlyReportSubmitted():
            r = _report_of(s, event.quarter)
            r.submitted_at, r.late, r.note = event.at, event.late, event.note
        case ReportReminderSent():
            r = _report_of(s, event.quarter)
            r.reminded, r.last_notice_at = True, event.scheduled or event.at
        case ReportUrged():
            r = _report_of(s, event.quarter)
            r.urges, r.last_notice_at = event.urge, event.scheduled or event.at
        case EvaluationDue():
            s.evaluation_due_sent = True
        case ProjectEvaluated():
            s.stage = Stage.EVALUATED
            s.evaluation = Evaluation(
                rating=event.rating,
                given_rating=event.given_rating,
                satisfaction=event.satisfaction,
                by=event.actor,
                at=event.at,
                comments=event.comments,
            )
        case DutyReviewRecorded():
            pass  # a record for the 述职评议; the evaluation above already holds its facts
        case SanctionProposed():
            s.proposals.append(
                SanctionProposal(
                    proposal_id=event.proposal_id, rung=event.rung, reason=event.reason, proposed_at=event.at, decide_by=event.decide_by
                )
            )
        case SanctionDecided():
            record_decision(s.proposals, event)
        case SanctionLapsed():
            record_lapse(s.proposals, event.proposal_id, None)  # a project's lapse leaves decided_at unset
        case ProjectPromoted():
            s.stage = Stage.PROMOTED
            s.closed_at, s.note = event.at, event.note
        case ProjectClosed():
            s.stage = Stage.CLOSED
            s.closed_at, s.note = event.at, event.note
    if s.stage != state.stage:
        s.stage_since = event.at
    return s


def _submitted(state: ProjectState, application: Application, round_: int) -> None:
    """An application (first or revised) awaits review; its milestones replace the previous ones."""
    state.application = application
    state.application_status = ApplicationStatus.SUBMITTED
    state.round = round_
    state.milestones = [MilestoneState(**m.model_dump()) for m in application.milestones]


def _reviewed(
    state: ProjectState,
    event: ApplicationReturned | ApplicationApproved | ApplicationRejected,
    decision: Literal["returned", "approved", "rejected"],
) -> None:
    state.reviews.append(ReviewEntry(round=event.round, decision=decision, by=event.actor, at=event.at, comments=event.comments))


def _milestone(state: ProjectState, milestone_id: str) -> MilestoneState:
    m = state.milestone(milestone_id)
    if m is None:
        raise ValueError(f"event refers to unknown milestone {milestone_id}")
    return m


def _report_of(state: ProjectState, quarter: int) -> ReportState:
    r = state.report(quarter)
    if r is None:
        raise ValueError(f"event refers to a report not owed: Q{quarter}")
    return r


def outcome_of(state: ProjectState) -> str | None:
    """The project's outcome code for ledgers: promoted / closed / rejected, or None while open."""
    return state.stage.value if state.stage in TERMINAL else None
