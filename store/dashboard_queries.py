"""The console dashboard's reads: aggregates (``GROUP BY``) over the projections and the audit log, within
a person's scope. A few dozen rows come back whatever the number of cases.

    stage_counts(engine, scope, year=, region=)          cases by township and stage, with their sums
    measure_counts(engine, scope, now, year=, region=)   measures by township: total, done, due, on time, overdue
    most_overdue(engine, scope, now, year=, region=)     the open measures past their deadline, longest first
    sanction_counts(engine, scope, year=, region=)       sanction proposals by status
    event_counts(engine, scope, types, year=, region=)   events of the cases by type (acceptances, reworks, …)
    project_stage_counts(engine, scope, year=, region=)  secretary projects by stage
    filter_choices(engine, scope)                        the years and townships present (the filters' choices)
    open_case_counts(engine)                             open cases by kind, stage, region, with the overdue ones (/metrics)
    campaign_start_counts(engine, campaign_id)           a campaign's row and its organizations by township and start status

``scope`` is the rule of ``store.queries._in_scope``: None or "*" every case; else organization codes or
region names (a case is in scope when either matches). The figures' definitions are reports/figures.py's;
the service (service/dashboard.py) says which rows each figure counts.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any, NamedTuple

from sqlalchemy import and_, case, distinct, false, func, or_, true
from sqlalchemy import select as select_columns
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from store.campaign_models import CampaignCaseRow, CampaignSummary
from store.models import AuditEvent, CaseSummary, MeasureLedger, SanctionLedger
from store.project_models import ProjectSummary
from store.queries import _in_scope


def _cases(statement: Any, scope: Sequence[str] | None, year: int | None, region: str | None) -> Any:
    """Only the cases in ``scope``, of ``year`` and ``region`` (None or empty: all)."""
    statement = _in_scope(statement, scope)
    if year is not None:
        statement = statement.where(CaseSummary.year == year)
    if region:
        statement = statement.where(CaseSummary.region == region)
    return statement


def _count_if(condition: Any) -> Any:
    """SUM(CASE WHEN condition THEN 1 ELSE 0 END): portable (PostgreSQL does not sum booleans)."""
    return func.coalesce(func.sum(case((condition, 1), else_=0)), 0)


def _total(column: Any) -> Any:
    return func.coalesce(func.sum(func.coalesce(column, 0)), 0)


# ----------------------------------------------------------------------------- cases


class StageCount(NamedTuple):
    region: str
    stage: str
    cases: int
    sanctions_pending: int  # summed case_summary.sanctions_pending
    paused_measures: int
    cases_paused: int  # whole case paused
    extensions: int
    plan_returns: int


def stage_counts(engine: Engine, scope: Sequence[str] | None, *, year: int | None = None, region: str | None = None) -> list[StageCount]:
    """Cases by township and stage within ``scope``, with the sums of their summary's counters."""
    statement = select_columns(
        col(CaseSummary.region),
        col(CaseSummary.stage),
        func.count(),
        _total(CaseSummary.sanctions_pending),
        _total(CaseSummary.paused_measures),
        _count_if(col(CaseSummary.case_paused).is_(true())),
        _total(CaseSummary.extensions),
        _total(CaseSummary.plan_returns),
    ).group_by(col(CaseSummary.region), col(CaseSummary.stage))
    statement = _cases(statement, scope, year, region)
    with Session(engine) as session:
        rows = session.execute(statement).all()
    return [StageCount(r or "", s, int(n), int(sp), int(pm), int(cp), int(ex), int(pr)) for r, s, n, sp, pm, cp, ex, pr in rows]


class OpenCaseCount(NamedTuple):
    kind: str
    stage: str
    region: str
    cases: int
    overdue_cases: int  # of them, with at least one overdue measure (case_summary.overdue)
    overdue_measures: int  # the overdue measures of those overdue cases


def open_case_counts(engine: Engine) -> list[OpenCaseCount]:
    """Cases not closed, by kind, stage and region, with how many are overdue and their overdue measures:
    what a metrics scrape reads (observability.metrics), one ``GROUP BY`` over ``case_summary``, every scope."""
    overdue = col(CaseSummary.overdue).is_(true())
    statement = (
        select_columns(
            col(CaseSummary.kind),
            col(CaseSummary.stage),
            col(CaseSummary.region),
            func.count(),
            _count_if(overdue),
            func.coalesce(func.sum(case((overdue, col(CaseSummary.overdue_measures)), else_=0)), 0),
        )
        .where(col(CaseSummary.stage) != "closed")
        .group_by(col(CaseSummary.kind), col(CaseSummary.stage), col(CaseSummary.region))
    )
    return [OpenCaseCount(k, s, r or "", int(n), int(o), int(m)) for k, s, r, n, o, m in _snapshot_rows(engine, statement)]


def _snapshot_rows(engine: Engine, statement: Any) -> list[Any]:
    """The rows of one ``SELECT``, on the driver's connection without SQLAlchemy's transaction: on SQLite
    every transaction this project's engine begins is ``BEGIN IMMEDIATE`` (the write lock, store/db.py),
    which a scrape every few seconds must not take from the appends; a lone ``SELECT`` reads a
    consistent snapshot of the WAL file without it. The statement has no user input (literal binds)."""
    sql = str(statement.compile(dialect=engine.dialect, compile_kwargs={"literal_binds": True}))
    connection = engine.raw_connection()
    try:
        cursor = connection.cursor()
        try:
            cursor.execute(sql)
            return list(cursor.fetchall())
        finally:
            cursor.close()
    finally:
        connection.close()  # back to the pool (rolled back there: PostgreSQL's implicit read transaction ends)


class StartCount(NamedTuple):
    region: str
    status: str  # started, existing, pending
    organizations: int


def campaign_start_counts(engine: Engine, campaign_id: str) -> tuple[CampaignSummary | None, list[StartCount]]:
    """A campaign's summary row and its approved organizations by township and start status (one
    ``GROUP BY`` over ``campaign_case``); (None, []) for an unknown campaign."""
    statement = (
        select_columns(col(CampaignCaseRow.region), col(CampaignCaseRow.status), func.count())
        .where(col(CampaignCaseRow.campaign_id) == campaign_id)
        .group_by(col(CampaignCaseRow.region), col(CampaignCaseRow.status))
    )
    with Session(engine) as session:
        summary = session.get(CampaignSummary, campaign_id)
        if summary is None:
            return None, []
        rows = session.execute(statement).all()
    return summary, [StartCount(r, s, int(n)) for r, s, n in rows]


# ----------------------------------------------------------------------------- measures


def _current_plan(statement: Any) -> Any:
    """Measures of each case's current cycle, under an approved plan (a plan under review commits nobody
    to its deadlines: reports.gather.fold_case counts the same measures)."""
    return statement.join(
        CaseSummary, and_(col(CaseSummary.case_id) == col(MeasureLedger.case_id), col(CaseSummary.cycle) == col(MeasureLedger.cycle))
    ).where(CaseSummary.plan_status == "approved")


class MeasureCount(NamedTuple):
    region: str
    total: int
    done: int
    due: int  # deadline at or before now
    on_time: int  # due and done (the projection keeps no completion time: done counts as on time)
    overdue: int  # due and not done
    overdue_cases: int  # cases with at least one overdue measure
    paused: int  # open measures whose clock is paused


def measure_counts(
    engine: Engine, scope: Sequence[str] | None, now: datetime, *, year: int | None = None, region: str | None = None
) -> list[MeasureCount]:
    """Measures of the cases in ``scope`` (current plan, approved) by township, counted as of ``now``."""
    due = col(MeasureLedger.deadline) <= now
    done = col(MeasureLedger.done).is_(true())
    not_done = col(MeasureLedger.done).is_(false())
    statement = select_columns(
        col(CaseSummary.region),
        func.count(),
        _count_if(done),
        _count_if(due),
        _count_if(and_(due, done)),
        _count_if(and_(due, not_done)),
        func.count(distinct(case((and_(due, not_done), col(MeasureLedger.case_id)), else_=None))),
        _count_if(and_(col(MeasureLedger.paused).is_(true()), not_done)),
    ).select_from(MeasureLedger)
    statement = _cases(_current_plan(statement), scope, year, region).group_by(col(CaseSummary.region))
    with Session(engine) as session:
        rows = session.execute(statement).all()
    return [MeasureCount(r or "", *(int(v) for v in values)) for r, *values in rows]


def most_overdue(
    engine: Engine,
    scope: Sequence[str] | None,
    now: datetime,
    *,
    year: int | None = None,
    region: str | None = None,
    limit: int = 20,
) -> list[tuple[MeasureLedger, CaseSummary]]:
    """The open measures (current plan, approved) whose deadline passed by ``now``, the earliest deadline first."""
    statement = select(MeasureLedger, CaseSummary).select_from(MeasureLedger)
    statement = _current_plan(statement).where(col(MeasureLedger.done).is_(false()), col(MeasureLedger.deadline) <= now)
    statement = _cases(statement, scope, year, region)
    statement = statement.order_by(col(MeasureLedger.deadline), col(MeasureLedger.case_id), col(MeasureLedger.measure_id)).limit(limit)
    with Session(engine) as session:
        return [(m, c) for m, c in session.exec(statement).all()]


# ----------------------------------------------------------------------------- sanctions and events


class SanctionCount(NamedTuple):
    status: str
    proposals: int
    ladder: int  # of a measure (the escalation ladder's sanction rungs), not case-level memory rules


def sanction_counts(
    engine: Engine, scope: Sequence[str] | None, *, year: int | None = None, region: str | None = None
) -> list[SanctionCount]:
    """Sanction proposals (问责提议) of the cases in ``scope`` by status."""
    statement = (
        select(SanctionLedger.status, func.count(), func.count(col(SanctionLedger.measure_id)))
        .select_from(SanctionLedger)
        .join(CaseSummary, col(CaseSummary.case_id) == col(SanctionLedger.case_id))
        .group_by(col(SanctionLedger.status))
    )
    statement = _cases(statement, scope, year, region)
    with Session(engine) as session:
        rows = session.exec(statement).all()
    return [SanctionCount(status, int(n), int(ladder)) for status, n, ladder in rows]


def event_counts(
    engine: Engine,
    scope: Sequence[str] | None,
    types: Sequence[str],
    *,
    year: int | None = None,
    region: str | None = None,
) -> dict[str, int]:
    """How many events of each of ``types`` the streams of the cases in ``scope`` hold (0 for none)."""
    statement = (
        select(AuditEvent.event_type, func.count())
        .select_from(AuditEvent)
        .join(CaseSummary, col(CaseSummary.case_id) == col(AuditEvent.stream_id))
        .where(col(AuditEvent.event_type).in_(list(types)))
        .group_by(col(AuditEvent.event_type))
    )
    statement = _cases(statement, scope, year, region)
    with Session(engine) as session:
        found = {kind: int(n) for kind, n in session.exec(statement).all()}
    return {kind: found.get(kind, 0) for kind in types}


# ----------------------------------------------------------------------------- projects and filters


def _projects_in_scope(statement: Any, scope: Sequence[str] | None, year: int | None, region: str | None) -> Any:
    """The scope rule of the cases, for secretary projects (their organization or region)."""
    if scope is not None and "*" not in scope:
        codes = list(scope)
        statement = statement.where(or_(col(ProjectSummary.org_code).in_(codes), col(ProjectSummary.region).in_(codes)))
    if year is not None:
        statement = statement.where(ProjectSummary.year == year)
    if region:
        statement = statement.where(ProjectSummary.region == region)
    return statement


def project_stage_counts(
    engine: Engine, scope: Sequence[str] | None, *, year: int | None = None, region: str | None = None
) -> dict[str, int]:
    """Secretary projects (书记项目) in ``scope`` by stage."""
    statement = select(ProjectSummary.stage, func.count()).group_by(col(ProjectSummary.stage))
    statement = _projects_in_scope(statement, scope, year, region)
    with Session(engine) as session:
        return {stage: int(n) for stage, n in session.exec(statement).all()}


class FilterChoices(NamedTuple):
    years: list[int]  # newest first
    regions: list[str]


def filter_choices(engine: Engine, scope: Sequence[str] | None) -> FilterChoices:
    """The years and townships of the cases in ``scope``."""
    years = _in_scope(select(CaseSummary.year).distinct(), scope).order_by(col(CaseSummary.year).desc())
    regions = _in_scope(select(CaseSummary.region).distinct(), scope).order_by(col(CaseSummary.region))
    with Session(engine) as session:
        return FilterChoices([int(y) for y in session.exec(years).all()], [r for r in session.exec(regions).all() if r])
