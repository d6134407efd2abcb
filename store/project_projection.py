"""Projection of secretary-project streams (``proj-``): the project summary and milestone ledger.

Folded with the project decider (``domain.project.DECIDER``) inside the append transaction, like the
rectification ledgers.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlmodel import Session, col, delete

from domain.project import DECIDER, ProjectState, ProposalStatus, outcome_of
from store.models import AuditEvent
from store.project_models import ProjectMilestone, ProjectSummary
from store.queries import fold_stream

PROJECT_TABLES = (ProjectSummary, ProjectMilestone)


def summary_fields(state: ProjectState, now: datetime | None = None) -> dict[str, object]:
    """The summary row of a project (``now``: the last event's time, for "past due")."""
    reports_missing = sum(
        r.submitted_at is None and (r.reminded or (now is not None and now > r.due)) for r in state.reports
    )
    return {
        "level": state.level.value if state.level else "",
        "org_code": state.org_code,
        "org_name": state.org_name,
        "region": state.region,
        "year": state.year,
        "owner": state.owner,
        "title": state.application.title if state.application else "",
        "stage": state.stage.value,
        "application_status": state.application_status.value,
        "revision_rounds": state.revision_rounds,
        "milestones_total": len(state.milestones),
        "milestones_done": sum(m.done for m in state.milestones),
        "overdue_milestones": sum(m.overdue and not m.done for m in state.milestones),
        "quarterly_reports": sum(r.submitted_at is not None for r in state.reports),
        "reports_due": len(state.reports),
        "reports_missing": reports_missing,
        "urges_sent": state.urges_sent,
        "overdue": state.overdue,
        "next_due": state.next_deadline(),
        "final_deadline": state.application.deadline if state.application else None,
        "rating": state.evaluation.rating.value if state.evaluation else None,
        "satisfaction": state.evaluation.satisfaction if state.evaluation else None,
        "outcome": outcome_of(state),
        "sanction_proposals": len(state.proposals),
        "sanctions_pending": len(state.pending_proposals()),
        "sanctions_approved": sum(p.status == ProposalStatus.APPROVED for p in state.proposals),
        "applied_at": state.applied_at,
        "approved_at": state.approved_at,
        "closed_at": state.closed_at,
        "version": state.version,
        "policy_version": state.policy_version,
    }


def project_projects(session: Session, stream_id: str, rows: Sequence[AuditEvent]) -> None:
    if not rows or not DECIDER.owns(stream_id):
        return
    state = fold_stream(rows, DECIDER)
    last = rows[-1]
    summary = session.get(ProjectSummary, stream_id) or ProjectSummary(project_id=stream_id)  # type: ignore[call-arg]
    for key, value in summary_fields(state, last.recorded_at).items():
        setattr(summary, key, value)
    summary.last_event_at = last.recorded_at
    summary.position = last.position
    session.add(summary)
    session.exec(delete(ProjectMilestone).where(col(ProjectMilestone.project_id) == stream_id))
    for m in state.milestones:
        session.add(
            ProjectMilestone(
                project_id=stream_id,
                milestone_id=m.id,
                description=m.description,
                deadline=m.deadline,
                done=m.done,
                done_at=m.done_at,
                late=m.late,
                overdue=m.overdue and not m.done,
                progress_entries=sum(p.milestone_id == m.id for p in state.progress),
            )
        )


def reset_project_projections(session: Session) -> None:
    for table in PROJECT_TABLES:
        session.exec(delete(table))
