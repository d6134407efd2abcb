"""Projections: ledgers and case summaries, derived from the log with the domain's own ``evolve``.

There is one way to compute a case's state — fold its events — so the ledgers can never
disagree with the workflow or with a rebuild. Each append folds only its own events into the state
the projector keeps for the stream and writes only the rows that changed (store/incremental.py); a
rebuild folds every stream from its first event, and both give the same rows.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any, TypedDict

from sqlmodel import Session, delete

from domain.rectification import DECIDER, KIND, CaseState, ProposalSource
from store.campaign_projection import project_campaign
from store.directory import record_evidence, replace_secretary, write_outcome
from store.eventlog import AuditLog, Projector
from store.incremental import Ledger, Rows, StreamProjection
from store.inspections import project_inspections
from store.models import AuditEvent, CaseSummary, MeasureLedger, ProblemLedger, SanctionLedger
from store.project_projection import project_projects
from store.queries import fold_stream
from store.ratings import project_ratings

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


def _summary_row(state: CaseState, last: AuditEvent) -> dict[str, Any]:
    return {**summary_fields(state), "kind": KIND, "last_event_at": last.recorded_at, "position": last.position}


def _ledger_rows(state: CaseState) -> tuple[Rows, Rows, Rows]:
    """The case's problem, measure and sanction ledger rows (keyed as in ``LEDGERS``)."""
    problems: Rows = {
        (p.id,): {"cycle": p.cycle, "category": p.category, "description": p.description, "source": p.source} for p in state.problems
    }
    pending = state.pending_proposals()
    measures: Rows = {
        (m.id,): {
            "cycle": state.cycle,
            "description": m.description,
            "problems": ",".join(m.problems),
            "responsible": m.responsible,
            "deadline": m.deadline,
            "done": m.done,
            "overdue": m.overdue and not m.done,
            "progress_reports": m.progress_reports,
            "reminders": ",".join(m.reminded),
            "escalations": ",".join(m.escalated),
            "completed_by": m.completed_by,
            "budget": m.budget,
            "original_deadline": m.original_deadline,
            "paused": m.paused and not m.done,
            "paused_since": m.paused_since,
            "paused_working_days": sum(c.working_days or 0 for c in m.changes if c.kind == "pause"),
            "extensions": sum(c.kind == "extension" for c in m.changes),
            "proposals_pending": sum(p.measure_id == m.id for p in pending),
            "partners": f",{','.join(m.partners)}," if m.partners else None,
        }
        for m in state.measures
    }
    sanctions: Rows = {
        (proposal.proposal_id,): {
            "measure_id": proposal.measure_id,
            "rung": proposal.rung.value,
            "source": proposal.source.value,
            "status": proposal.status.value,
            "reason": proposal.reason,
            "proposed_at": proposal.proposed_at,
            "decide_by": proposal.decide_by,
            "decided_by": proposal.decided_by,
            "decided_at": proposal.decided_at,
            "comment": proposal.comment,
        }
        for proposal in state.proposals
    }
    return problems, measures, sanctions


LEDGERS = (
    Ledger(ProblemLedger.__table__, "case_id", ("problem_id",)),  # type: ignore[attr-defined]
    Ledger(MeasureLedger.__table__, "case_id", ("measure_id",)),  # type: ignore[attr-defined]
    Ledger(SanctionLedger.__table__, "case_id", ("proposal_id",)),  # type: ignore[attr-defined]
)

# The case projector: case_summary and the problem, measure and sanction ledgers of every rect- stream,
# folded incrementally (store/incremental.py).
CASES: StreamProjection[CaseState] = StreamProjection(
    DECIDER, CaseSummary.__table__, "case_id", LEDGERS, _summary_row, _ledger_rows  # type: ignore[attr-defined]
)


def project_rectification(session: Session, stream_id: str, rows: Sequence[AuditEvent]) -> None:
    CASES(session, stream_id, rows)
    if DECIDER.owns(stream_id) and any(row.event_type in WRITE_BACK_EVENTS for row in rows):
        entry = CASES.cache.get(stream_id)
        if entry is not None and entry.version == rows[-1].version:
            state = entry.state
        else:
            state = fold_stream(AuditLog._stream(session, stream_id), DECIDER)
        write_back(session, state)


# The events after which a case's year is written back to its organization's history (assessment row).
WRITE_BACK_EVENTS = frozenset({"CaseOpened", "AcceptanceRecorded", "SanctionProposed", "AdjustmentExecuted"})


def write_back(session: Session, state: CaseState) -> bool:
    """The case's own outcomes into its organization's history, whoever opened the case (issue 14): its
    year designated, the acceptance so far and the failed rounds (``CaseState.year_outcome``), the
    memory rules each cited year served as evidence for, and a secretary replaced by an execution
    (组织调整). Idempotent (values computed from the whole state); in the caller's transaction (the
    append's, for the projection) through the directory's writers (store/directory.py); False and
    nothing written for an organization the directory does not hold.

    The case year's person stays the secretary the case opened with: a secretary appointed by an
    execution does not answer for the predecessor's year (same_secretary, docs/memory.md). Only the
    organization's current secretary changes, and only while the directory still names the one it
    replaced (or none): a directory import that has named someone else since is newer and wins, also
    on a rebuild."""
    if not state.year:
        return False
    conn = session.connection()
    now = datetime.now(UTC)
    changes = [p.execution for p in state.executions() if p.execution is not None and p.execution.new_secretary]
    acceptance, failed = state.year_outcome()
    opened_with = changes[0].previous_secretary if changes else state.secretary
    if not write_outcome(
        conn, state.org_code, state.year, designated=True, acceptance=acceptance,
        failed_rounds=failed if acceptance is not None else None, person=opened_with, now=now,
    ):
        return False
    if changes and changes[-1].new_secretary:
        replace_secretary(conn, state.org_code, changes[-1].new_secretary, {c.previous_secretary for c in changes}, now)
    spent: dict[int, set[str]] = {}
    for proposal in state.proposals:
        if proposal.source == ProposalSource.MEMORY and proposal.rule:
            for year in proposal.years:
                spent.setdefault(year, set()).add(proposal.rule)
    record_evidence(conn, state.org_code, spent, now)
    return True


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
    project_inspections,  # inspections: insp-
    project_ratings,  # star ratings: star-
)
