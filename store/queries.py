"""The read API of the store: typed reads over an ``Engine`` for everything outside ``store/`` (the CLI,
reports, activities, metrics). Every table is read through its model — no reflection, no SQL text.

    read_stream(engine, "rect-V001-2026")          # one stream's rows, in version order
    fold_stream(rows, DECIDER)                     # a stream's state: its rows folded with the kind's decider
    case_page(engine, stage="implementing", overdue=True, limit=50)  # one page and the total
    project_summaries(engine, year=2026, region="城关镇")
    assessments(engine, years=[2025, 2026], org_codes=codes)
    campaign_rows(engine, "camp-all-2026")         # the campaign's cases and their current measures

A *stream* is any audited stream (a rectification case ``rect-``, a project ``proj-``, a campaign
``camp-``); a *case* is a rectification stream and its ``case_summary`` row.

Lists of ids are read in chunks of ``CHUNK`` (one ``IN (...)`` per chunk), so a county-wide campaign
stays below every database's parameter limit. Rows are returned detached: read their attributes freely.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from typing import Any, NamedTuple, TypeVar

from pydantic import BaseModel
from sqlalchemy import func, or_
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from domain.decider import Decider
from store.campaign_models import CampaignCaseRow
from store.directory_models import AssessmentRow
from store.eventlog import AuditLog
from store.models import AuditEvent, CaseSummary, MeasureLedger, ProblemLedger, SanctionLedger
from store.project_models import ProjectSummary

CHUNK = 500  # ids per IN (...) query

S = TypeVar("S", bound=BaseModel)


def _chunks(items: Sequence[str]) -> Iterator[list[str]]:
    for start in range(0, len(items), CHUNK):
        yield list(items[start : start + CHUNK])


# ----------------------------------------------------------------------------- streams


def read_stream(engine: Engine, stream_id: str) -> list[AuditEvent]:
    """The stream's rows in version order ([] for an unknown stream)."""
    return AuditLog(engine).read_stream(stream_id)


def read_streams(engine: Engine, stream_ids: Sequence[str]) -> dict[str, list[AuditEvent]]:
    """Each stream's rows in version order, keyed in the order of ``stream_ids`` (unknown ones: [])."""
    streams: dict[str, list[AuditEvent]] = {stream_id: [] for stream_id in stream_ids}
    with Session(engine) as session:
        for chunk in _chunks(list(streams)):
            query = (
                select(AuditEvent)
                .where(col(AuditEvent.stream_id).in_(chunk))
                .order_by(col(AuditEvent.stream_id), col(AuditEvent.version))
            )
            for row in session.exec(query).all():
                streams[row.stream_id].append(row)
    return streams


def fold_stream(rows: Iterable[AuditEvent], kind: Decider[S, Any, Any], state: S | None = None) -> S:
    """A stream's state: its rows' payloads parsed with the kind's events and folded with its ``evolve``
    (``fold_stream(rows, domain.rectification.DECIDER)``; [] gives the kind's initial state), from
    ``state`` when given (the state before these rows: store/incremental.py)."""
    return kind.fold((kind.events.validate_json(row.payload) for row in rows), state)


# ----------------------------------------------------------------------------- cases (rect-)


def case_ids(engine: Engine, *, year: int | None = None, region: str | None = None) -> list[str]:
    """The ids of the cases of ``year`` and ``region`` (None or empty: all), sorted."""
    statement = select(CaseSummary.case_id).order_by(col(CaseSummary.case_id))
    if year is not None:
        statement = statement.where(CaseSummary.year == year)
    if region:
        statement = statement.where(CaseSummary.region == region)
    with Session(engine) as session:
        return list(session.exec(statement).all())


def cases_by_id(engine: Engine, case_ids: Sequence[str]) -> list[CaseSummary]:
    """The summaries of the cases among ``case_ids`` that exist (ids without a summary are skipped)."""
    found: list[CaseSummary] = []
    with Session(engine) as session:
        for chunk in _chunks(case_ids):
            found += session.exec(select(CaseSummary).where(col(CaseSummary.case_id).in_(chunk))).all()
    return found


def current_measures(engine: Engine, cases: Sequence[CaseSummary]) -> list[MeasureLedger]:
    """The measures of ``cases`` in each case's current PDCA cycle: earlier cycles' measures are history,
    not this year's deadlines."""
    cycles = {case.case_id: case.cycle for case in cases}
    found: list[MeasureLedger] = []
    with Session(engine) as session:
        for chunk in _chunks(list(cycles)):
            found += session.exec(select(MeasureLedger).where(col(MeasureLedger.case_id).in_(chunk))).all()
    return [m for m in found if m.cycle == cycles.get(m.case_id, m.cycle)]


def case_ledgers(engine: Engine) -> tuple[list[CaseSummary], list[MeasureLedger]]:
    """Every case summary (by case id) and every measure row (by case, measure): what a supervision
    cadence (digest, review list) reads."""
    with Session(engine) as session:
        cases = session.exec(select(CaseSummary).order_by(col(CaseSummary.case_id))).all()
        measures = session.exec(
            select(MeasureLedger).order_by(col(MeasureLedger.case_id), col(MeasureLedger.measure_id))
        ).all()
        return list(cases), list(measures)


def problems_with_cases(
    engine: Engine, *, year: int | None = None, region: str | None = None
) -> list[tuple[ProblemLedger, CaseSummary]]:
    """问题台账: each problem row with its case's summary, by case and problem id."""
    statement = (
        select(ProblemLedger, CaseSummary)
        .join(CaseSummary, col(CaseSummary.case_id) == col(ProblemLedger.case_id))
        .order_by(col(ProblemLedger.case_id), col(ProblemLedger.problem_id))
    )
    if year is not None:
        statement = statement.where(CaseSummary.year == year)
    if region:
        statement = statement.where(CaseSummary.region == region)
    with Session(engine) as session:
        return [(problem, case) for problem, case in session.exec(statement).all()]


def measures_with_cases(
    engine: Engine, *, year: int | None = None, region: str | None = None
) -> list[tuple[MeasureLedger, CaseSummary]]:
    """整改措施台账: each measure row with its case's summary, by case and measure id."""
    statement = (
        select(MeasureLedger, CaseSummary)
        .join(CaseSummary, col(CaseSummary.case_id) == col(MeasureLedger.case_id))
        .order_by(col(MeasureLedger.case_id), col(MeasureLedger.measure_id))
    )
    if year is not None:
        statement = statement.where(CaseSummary.year == year)
    if region:
        statement = statement.where(CaseSummary.region == region)
    with Session(engine) as session:
        return [(measure, case) for measure, case in session.exec(statement).all()]


# ----------------------------------------------------------------------------- projects (proj-)


def project_summaries(
    engine: Engine,
    *,
    year: int | None = None,
    region: str | None = None,
    level: str | None = None,
    stage: str | None = None,
) -> list[ProjectSummary]:
    """Rows of the project ledger (``project_summary``) by project id; a filter left None (or empty) keeps every row."""
    statement = select(ProjectSummary).order_by(col(ProjectSummary.project_id))
    if year is not None:
        statement = statement.where(ProjectSummary.year == year)
    if region:
        statement = statement.where(ProjectSummary.region == region)
    if level:
        statement = statement.where(ProjectSummary.level == level)
    if stage:
        statement = statement.where(ProjectSummary.stage == stage)
    with Session(engine) as session:
        return list(session.exec(statement).all())


# ----------------------------------------------------------------------------- directory assessments


class AssessmentRecord(NamedTuple):
    """An organization-year's assessment as figures read it: ``(org_code, year, star, org_class)``."""

    org_code: str
    year: int
    star: int | None
    org_class: str | None


def assessments(
    engine: Engine, *, years: Iterable[int] | None = None, org_codes: Sequence[str] | None = None
) -> list[AssessmentRecord]:
    """Directory assessments (``assessment``) by organization and year; ``years`` / ``org_codes`` left None
    keep every row (an empty ``org_codes`` reads none)."""
    columns = (col(AssessmentRow.org_code), col(AssessmentRow.year), col(AssessmentRow.star), col(AssessmentRow.org_class))
    statement = select(*columns).order_by(col(AssessmentRow.org_code), col(AssessmentRow.year))
    if years is not None:
        statement = statement.where(col(AssessmentRow.year).in_(list(years)))
    with Session(engine) as session:
        if org_codes is None:
            rows = list(session.exec(statement).all())
        else:
            rows = []
            for chunk in _chunks(org_codes):
                rows += session.exec(statement.where(col(AssessmentRow.org_code).in_(chunk))).all()
    return [AssessmentRecord(code, int(year), None if star is None else int(star), klass) for code, year, star, klass in rows]


# ----------------------------------------------------------------------------- campaigns (camp-)


def _campaign_cases(session: Session, campaign_id: str) -> list[CampaignCaseRow]:
    statement = select(CampaignCaseRow).where(CampaignCaseRow.campaign_id == campaign_id).order_by(col(CampaignCaseRow.case_id))
    return list(session.exec(statement).all())


def campaign_cases(engine: Engine, campaign_id: str) -> list[CampaignCaseRow]:
    """The campaign's approved organizations and the start status of their cases, by case id."""
    with Session(engine) as session:
        return _campaign_cases(session, campaign_id)


def campaign_case_ids(engine: Engine, campaign_id: str) -> list[str]:
    """The case ids of the campaign's approved organizations, sorted."""
    statement = (
        select(CampaignCaseRow.case_id)
        .where(CampaignCaseRow.campaign_id == campaign_id)
        .order_by(col(CampaignCaseRow.case_id))
    )
    with Session(engine) as session:
        return list(session.exec(statement).all())


def campaign_rows(engine: Engine, campaign_id: str) -> tuple[list[CaseSummary], list[MeasureLedger]]:
    """The summaries of the campaign's cases that exist, and their current-cycle measures."""
    cases = cases_by_id(engine, campaign_case_ids(engine, campaign_id))
    return cases, current_measures(engine, cases)


# ----------------------------------------------------------------------------- the web console's reads


def _in_scope(statement: Any, scope: Sequence[str] | None, involving: str | None = None) -> Any:
    """Only cases of the organizations or regions in ``scope`` (None or "*": every case) and, with
    ``involving``, those where that person is responsible for a measure (domain.permissions.may_see)."""
    if scope is None or "*" in scope:
        return statement
    codes = list(scope)
    visible = [col(CaseSummary.org_code).in_(codes), col(CaseSummary.region).in_(codes)]
    if involving:
        visible.append(col(CaseSummary.case_id).in_(select(MeasureLedger.case_id).where(shares_measure(involving))))
    return statement.where(or_(*visible))


def shares_measure(person: str) -> Any:
    """The measure-ledger rows ``person`` answers for: responsible, or a partner (结对帮扶, issue 14)."""
    pattern = "%," + person.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + ",%"
    return or_(col(MeasureLedger.responsible) == person, col(MeasureLedger.partners).like(pattern, escape="\\"))


def open_measures_of(engine: Engine, responsible: str) -> list[tuple[MeasureLedger, CaseSummary]]:
    """The measures ``responsible`` (as responsible person or partner) still has to finish, in their case's
    current cycle, soonest deadline first."""
    statement = (
        select(MeasureLedger, CaseSummary)
        .join(CaseSummary, col(CaseSummary.case_id) == col(MeasureLedger.case_id))
        .where(shares_measure(responsible), col(MeasureLedger.done).is_(False))
        .where(col(MeasureLedger.cycle) == col(CaseSummary.cycle), CaseSummary.stage != "closed")
        .order_by(col(MeasureLedger.deadline))
    )
    with Session(engine) as session:
        return [(m, c) for m, c in session.exec(statement).all()]


def cases_at(
    engine: Engine, stage: str, scope: Sequence[str] | None, *, plan_status: str | None = None, limit: int = 200
) -> list[CaseSummary]:
    """Cases in ``stage`` (and ``plan_status``) within ``scope``, the longest waiting first."""
    statement = select(CaseSummary).where(CaseSummary.stage == stage)
    if plan_status:
        statement = statement.where(CaseSummary.plan_status == plan_status)
    statement = _in_scope(statement, scope).order_by(col(CaseSummary.last_event_at)).limit(limit)
    with Session(engine) as session:
        return list(session.exec(statement).all())


def pending_sanctions(engine: Engine, scope: Sequence[str] | None, limit: int = 200) -> list[tuple[SanctionLedger, CaseSummary]]:
    """Sanction proposals still to decide, within ``scope``, the nearest decide-by first."""
    statement = (
        select(SanctionLedger, CaseSummary)
        .join(CaseSummary, col(CaseSummary.case_id) == col(SanctionLedger.case_id))
        .where(SanctionLedger.status == "pending", CaseSummary.stage != "closed")
    )
    statement = _in_scope(statement, scope).order_by(col(SanctionLedger.decide_by)).limit(limit)
    with Session(engine) as session:
        return [(p, c) for p, c in session.exec(statement).all()]


def cases_with_event(engine: Engine, event_type: str, stage: str, scope: Sequence[str] | None, limit: int = 200) -> list[str]:
    """The ids of cases in ``stage`` (within ``scope``) whose stream holds an event of ``event_type``."""
    statement = (
        select(CaseSummary.case_id)
        .where(CaseSummary.stage == stage)
        .where(col(CaseSummary.case_id).in_(select(AuditEvent.stream_id).where(AuditEvent.event_type == event_type)))
    )
    statement = _in_scope(statement, scope).order_by(col(CaseSummary.case_id)).limit(limit)
    with Session(engine) as session:
        return list(session.exec(statement).all())


class CasePage(NamedTuple):
    rows: list[CaseSummary]
    total: int


def case_page(
    engine: Engine,
    *,
    stage: str | None = None,
    org_code: str | None = None,
    region: str | None = None,
    overdue: bool | None = None,
    year: int | None = None,
    scope: Sequence[str] | None = None,
    involving: str | None = None,
    offset: int = 0,
    limit: int | None = 50,
    urgent_first: bool = False,
) -> CasePage:
    """One page of the case ledger, filtered, with the total of every matching row: one COUNT and one
    LIMIT/OFFSET query. In case-id order (`pdca case list`), or ``urgent_first``: overdue cases, then the
    nearest deadlines (the console's case list). A filter left None (or empty) keeps every row;
    ``scope`` keeps the cases of those organizations or regions (None or "*": every case) and, with
    ``involving``, also those where that person is responsible for a measure (domain.permissions.may_see);
    ``limit`` None: every row from ``offset``."""
    conditions: list[Any] = []
    for column, value in (
        (CaseSummary.stage, stage or None),
        (CaseSummary.org_code, org_code or None),
        (CaseSummary.region, region or None),
        (CaseSummary.year, year),
        (CaseSummary.overdue, overdue),
    ):
        if value is not None:
            conditions.append(column == value)
    counting = _in_scope(select(func.count()).select_from(CaseSummary).where(*conditions), scope, involving)
    order = (col(CaseSummary.overdue).desc(), col(CaseSummary.next_due)) if urgent_first else ()
    statement = _in_scope(select(CaseSummary).where(*conditions), scope, involving)
    statement = statement.order_by(*order, col(CaseSummary.case_id)).offset(max(offset, 0))
    if limit is not None:
        statement = statement.limit(limit)
    with Session(engine) as session:
        total = int(session.exec(counting).one())
        rows = list(session.exec(statement).all()) if total > offset else []
    return CasePage(rows=rows, total=total)
