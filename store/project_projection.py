"""Projection of secretary-project streams (``proj-``): the project summary and milestone ledger.

Folded with the project decider (``domain.project.DECIDER``) inside the append transaction, like the
rectification ledgers: incrementally, one append's events at a time (store/incremental.py).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlmodel import Session, delete

from domain.project import DECIDER, ProjectState, ProposalStatus, outcome_of
from store.incremental import Ledger, Rows, StreamProjection
from store.models import AuditEvent
from store.project_models import ProjectMilestone, ProjectSummary

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


def _summary_row(state: ProjectState, last: AuditEvent) -> dict[str, Any]:
    return {**summary_fields(state, last.recorded_at), "last_event_at": last.recorded_at, "position": last.position}


def _milestone_rows(state: ProjectState) -> tuple[Rows]:
    return (
        {
            (m.id,): {
                "description": m.description,
                "deadline": m.deadline,
                "done": m.done,
                "done_at": m.done_at,
                "late": m.late,
                "overdue": m.overdue and not m.done,
                "progress_entries": sum(p.milestone_id == m.id for p in state.progress),
            }
            for m in state.milestones
        },
    )


# The project projector (store/incremental.py: only the new events are folded, only changed rows written).
PROJECTS: StreamProjection[ProjectState] = StreamProjection(
    DECIDER,
    ProjectSummary.__table__,  # type: ignore[attr-defined]
    "project_id",
    [Ledger(ProjectMilestone.__table__, "project_id", ("milestone_id",))],  # type: ignore[attr-defined]
    _summary_row,
    _milestone_rows,
)


def project_projects(session: Session, stream_id: str, rows: Sequence[AuditEvent]) -> None:
    PROJECTS(session, stream_id, rows)


def reset_project_projections(session: Session) -> None:
    for table in PROJECT_TABLES:
        session.exec(delete(table))
