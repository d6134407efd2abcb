"""Data gathering for reports: read the audit database (projections and the log), no rules.

Cases are re-folded from their audit events up to ``as_of`` with the domain's own ``evolve``, so a
bulletin "as of 30 June" shows each case as it stood then even when it is printed in November, and
each measure gets the time it was completed (``completed_at``), which the projections do not keep.
The time that counts is the event's own ``at`` (the workflow's clock), not ``recorded_at``.

Secretary projects come from the ``project_summary`` projection and directory assessments from the
directory's ``assessment`` table, read through ``store.queries`` like every other table.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from pydantic import BaseModel, Field
from sqlalchemy.engine import Engine

from store import queries
from store.models import AuditEvent


class CaseRow(BaseModel):
    """A case as it stood at ``as_of``: the attributes of ``store.models.CaseSummary``."""

    case_id: str
    kind: str = "rectification"
    org_code: str
    org_name: str
    region: str
    year: int
    stage: str
    cycle: int = 1
    measures_total: int = 0
    measures_done: int = 0
    overdue_measures: int = 0
    escalations: int = 0
    sanction_proposals: int = 0  # proposals raised (诫勉谈话, 组织调整 …), whatever their status
    sanctions_pending: int = 0  # of which still awaiting a decision at as_of
    overdue: bool = False
    next_due: datetime | None = None
    outcome: str | None = None
    opened_at: datetime | None = None
    closed_at: datetime | None = None
    last_event_at: datetime | None = None


class MeasureRow(BaseModel):
    """A measure of a case's current plan at ``as_of``, with when it was completed."""

    case_id: str
    measure_id: str
    cycle: int
    description: str
    problems: str
    responsible: str
    deadline: datetime
    done: bool
    completed_at: datetime | None = None
    completed_by: str | None = None
    overdue: bool = False  # the overdue notice fired and the measure is still open
    progress_reports: int = 0
    reminders: str = ""
    escalations: str = ""


class ReportData(BaseModel):
    year: int
    region: str | None = None
    as_of: datetime
    cases: list[CaseRow] = Field(default_factory=list)
    measures: list[MeasureRow] = Field(default_factory=list)
    projects: list[dict[str, Any]] = Field(default_factory=list)
    projects_available: bool = False
    assessments: list[tuple[str, int, int | None, Any]] | None = None


def fold_case(case_id: str, rows: Sequence[AuditEvent], as_of: datetime) -> tuple[CaseRow, list[MeasureRow]] | None:
    """Fold a rectification stream's events with ``at <= as_of``; None when the case did not exist yet.

    The measures are those of an approved plan only: a plan still under review (or returned) commits
    nobody to its deadlines yet, so its measures are neither due nor overdue in a report.
    """
    from domain.rectification import EVENT_ADAPTER, INITIAL_STATE, evolve
    from store.projections import summary_fields

    state = INITIAL_STATE
    completed: dict[str, tuple[datetime, Any]] = {}
    # Rungs fired per measure over the whole case: a rework re-plans the measures and clears their
    # state, but what fired before it happened and is counted.
    fired: dict[str, list[str]] = {}
    last_at = None
    for row in rows:
        event = EVENT_ADAPTER.validate_json(row.payload)
        if event.at > as_of:
            break  # streams are in version order and a case's clock only moves forward
        state = evolve(state, event)
        last_at = event.at
        rung = getattr(event, "rung", None)
        measure_id = getattr(event, "measure_id", None)
        if event.type in ("EscalationRaised", "SanctionProposed") and rung is not None and measure_id:
            fired.setdefault(measure_id, []).append(str(getattr(rung, "value", rung)))
        for m in state.measures:
            if m.done and m.id not in completed:
                completed[m.id] = (event.at, m.completed_by)
            elif not m.done:
                completed.pop(m.id, None)
    if state.version == 0:
        return None
    fields = summary_fields(state)
    case = CaseRow(
        case_id=case_id,
        org_code=state.org_code,
        org_name=state.org_name,
        region=state.region,
        year=state.year,
        stage=str(fields["stage"]),
        cycle=state.cycle,
        measures_total=int(fields["measures_total"]),
        measures_done=int(fields["measures_done"]),
        overdue_measures=int(fields["overdue_measures"]),
        escalations=sum(len(rungs) for rungs in fired.values()),
        sanction_proposals=len(getattr(state, "proposals", [])),
        sanctions_pending=len(state.pending_proposals()) if hasattr(state, "pending_proposals") else 0,
        overdue=bool(fields["overdue"]),
        next_due=fields["next_due"],
        outcome=fields["outcome"],
        opened_at=state.opened_at,
        closed_at=state.closed_at,
        last_event_at=last_at,
    )
    measures = [
        MeasureRow(
            case_id=case_id,
            measure_id=m.id,
            cycle=state.cycle,
            description=m.description,
            problems=",".join(m.problems),
            responsible=m.responsible,
            deadline=m.deadline,
            done=m.done,
            completed_at=completed[m.id][0] if m.id in completed else None,
            completed_by=m.completed_by,
            overdue=m.overdue and not m.done,
            progress_reports=m.progress_reports,
            reminders=",".join(m.reminded),
            escalations=",".join(dict.fromkeys(fired.get(m.id, []))),
        )
        for m in state.measures
        if str(state.plan_status) == "approved"
    ]
    return case, measures


def gather(engine: Engine, year: int, as_of: datetime, region: str | None = None) -> ReportData:
    """Everything a bulletin or summary of ``year`` (and ``region``) needs, as of ``as_of``."""
    data = ReportData(year=year, region=region, as_of=as_of)
    ids = queries.case_ids(engine, year=year, region=region)
    for case_id, rows in queries.read_streams(engine, ids).items():
        folded = fold_case(case_id, rows, as_of)
        if folded is None:
            continue
        data.cases.append(folded[0])
        data.measures.extend(folded[1])
    data.projects_available, data.projects = read_projects(engine, year, region)
    data.assessments = read_assessments(engine)
    return data


# ----------------------------------------------------------------------------- other areas' tables


PROJECT_COLUMNS = (
    "project_id", "level", "org_code", "org_name", "region", "year", "owner", "stage", "revision_rounds",
    "milestones_total", "milestones_done", "overdue_milestones", "quarterly_reports", "urges_sent", "rating",
    "satisfaction", "outcome", "last_event_at",
)


def read_projects(engine: Engine, year: int | None = None, region: str | None = None) -> tuple[bool, list[dict[str, Any]]]:
    """Rows of ``project_summary`` (secretary projects) as dicts, by project id; the flag: the projection
    was read (always, since the table comes with the migrations)."""
    return True, [row.model_dump() for row in queries.project_summaries(engine, year=year, region=region)]


def read_assessments(engine: Engine) -> list[tuple[str, int, int | None, Any]] | None:
    """Directory assessments (org_code, year, star, org_class), every organization and year."""
    return list(queries.assessments(engine))


# ----------------------------------------------------------------------------- ledgers


_CASE_COLUMNS = ("org_code", "org_name", "region", "year")
_PROBLEM_COLUMNS = ("problem_id", "cycle", "category", "description")
_MEASURE_COLUMNS = (
    "measure_id", "cycle", "description", "problems", "responsible", "deadline", "done", "overdue",
    "progress_reports", "reminders", "escalations", "completed_by",
)


def _ledger_row(row: Any, case: Any, columns: Sequence[str]) -> dict[str, Any]:
    """The case id, the case's named columns, then the row's named columns."""
    return {"case_id": row.case_id, **{c: getattr(case, c) for c in _CASE_COLUMNS}, **{c: getattr(row, c) for c in columns}}


def problem_ledger(engine: Engine, year: int | None = None, region: str | None = None) -> list[dict[str, Any]]:
    """问题台账: one row per problem of every case (the ``problem_ledger`` projection)."""
    from domain.policy import Policy

    names = Policy().problem_categories  # the default taxonomy's names; unknown codes stay codes
    rows = [_ledger_row(p, case, _PROBLEM_COLUMNS) for p, case in queries.problems_with_cases(engine, year=year, region=region)]
    for row in rows:
        known = names.get(row["category"])
        row["category_name"] = known.zh if known else row["category"]
    return rows


def measure_ledger(engine: Engine, year: int | None = None, region: str | None = None) -> list[dict[str, Any]]:
    """整改措施台账: one row per measure of every case's current plan (the ``measure_ledger`` projection)."""
    return [_ledger_row(m, case, _MEASURE_COLUMNS) for m, case in queries.measures_with_cases(engine, year=year, region=region)]


def project_ledger(engine: Engine, year: int | None = None, region: str | None = None) -> list[dict[str, Any]]:
    """书记项目台账: the named columns of each ``project_summary`` row, by project id."""
    return [{c: getattr(row, c) for c in PROJECT_COLUMNS} for row in queries.project_summaries(engine, year=year, region=region)]
