"""Projections: ledgers and case summaries, derived from the log with the domain's own ``evolve``.

There is one way to compute a case's state — fold its events — so the ledgers can never
disagree with the workflow or with a rebuild.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import TypedDict

from sqlmodel import Session, col, delete

from domain.rectification import DECIDER, KIND, CaseState
from store.campaign_projection import project_campaign
from store.eventlog import Projector
from store.models import AuditEvent, CaseSummary, MeasureLedger, ProblemLedger, SanctionLedger
from store.project_projection import project_projects
from store.queries import fold_stream

PROJECTION_TABLES = (CaseSummary, MeasureLedger, ProblemLedger, SanctionLedger)


class SummaryFields(TypedDict):
    """A case_summary row's columns computed from the case's state."""

    org_code: str
    org_name: str
    region: str
    year: int
    stage: str
    cycle: int
    plan_status: str
    plan_round: int
    plan_returns: int
    measures_total: int
    measures_done: int
    overdue_measures: int
    escalations: int
    overdue: bool
    next_due: datetime | None
    consolidation_until: datetime | None
    outcome: str | None
    opened_at: datetime | None
    closed_at: datetime | None
    version: int
    policy_version: str | None
    paused_measures: int
    case_paused: bool
    extensions: int
    sanctions_pending: int


def project_rectification(session: Session, stream_id: str, rows: Sequence[AuditEvent]) -> None:
    if not rows or not DECIDER.owns(stream_id):
        return
    state = fold_stream(rows, DECIDER)
    last = rows[-1]
    for table in (MeasureLedger, ProblemLedger, SanctionLedger):
        session.exec(delete(table).where(col(table.case_id) == stream_id))
    # a row filled in column by column below: the table model's required fields are not passed here
    summary = session.get(CaseSummary, stream_id) or CaseSummary(case_id=stream_id)  # type: ignore[call-arg]
    for key, value in summary_fields(state).items():
        setattr(summary, key, value)
    summary.kind = KIND
    summary.last_event_at = last.recorded_at
    summary.position = last.position
    session.add(summary)
    for p in state.problems:
        session.add(
            ProblemLedger(case_id=stream_id, problem_id=p.id, cycle=p.cycle, category=p.category, description=p.description)
        )
    for m in state.measures:
        session.add(
            MeasureLedger(
                case_id=stream_id,
                measure_id=m.id,
                cycle=state.cycle,
                description=m.description,
                problems=",".join(m.problems),
                responsible=m.responsible,
                deadline=m.deadline,
                done=m.done,
                overdue=m.overdue and not m.done,
                progress_reports=m.progress_reports,
                reminders=",".join(m.reminded),
                escalations=",".join(m.escalated),
                completed_by=m.completed_by,
                budget=m.budget,
                original_deadline=m.original_deadline,
                paused=m.paused and not m.done,
                paused_since=m.paused_since,
                paused_working_days=sum(c.working_days or 0 for c in m.changes if c.kind == "pause"),
                extensions=sum(c.kind == "extension" for c in m.changes),
                proposals_pending=sum(p.measure_id == m.id for p in state.pending_proposals()),
            )
        )
    for proposal in state.proposals:
        session.add(
            SanctionLedger(
                case_id=stream_id,
                proposal_id=proposal.proposal_id,
                measure_id=proposal.measure_id,
                rung=proposal.rung.value,
                source=proposal.source.value,
                status=proposal.status.value,
                reason=proposal.reason,
                proposed_at=proposal.proposed_at,
                decide_by=proposal.decide_by,
                decided_by=proposal.decided_by,
                decided_at=proposal.decided_at,
                comment=proposal.comment,
            )
        )


def summary_fields(state: CaseState) -> SummaryFields:
    return {
        "org_code": state.org_code,
        "org_name": state.org_name,
        "region": state.region,
        "year": state.year,
        "stage": state.stage.value,
        "cycle": state.cycle,
        "plan_status": state.plan_status.value,
        "plan_round": state.plan_round,
        "plan_returns": state.plan_returns,
        "measures_total": len(state.measures),
        "measures_done": sum(m.done for m in state.measures),
        "overdue_measures": sum(m.overdue and not m.done for m in state.measures),
        "escalations": sum(len(m.escalated) for m in state.measures),
        "overdue": state.overdue,
        "next_due": state.next_deadline(),
        "consolidation_until": state.consolidation_until,
        "outcome": state.outcome.value if state.outcome else None,
        "opened_at": state.opened_at,
        "closed_at": state.closed_at,
        "version": state.version,
        "policy_version": state.policy_version,
        "paused_measures": len(state.paused_measures()),
        "case_paused": state.case_paused,
        "extensions": sum(c.kind == "extension" for m in state.measures for c in m.changes),
        "sanctions_pending": len(state.pending_proposals()),
    }


def reset_projections(session: Session) -> None:
    for table in PROJECTION_TABLES:
        session.exec(delete(table))


# Every projector, run with each appended stream's rows (each one skips the streams of other kinds).
PROJECTORS: tuple[Projector, ...] = (
    project_rectification,  # cases: rect-
    project_campaign,  # campaigns: camp-
    project_projects,  # secretary projects: proj-
)
