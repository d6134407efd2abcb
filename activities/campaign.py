"""Activities of the annual campaign: read the figures of its cases (Check), write outcomes back (Act).

All I/O is here; the rules are in domain/campaign.py and the figure definitions in reports/figures.py.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any

import structlog
from pydantic import AwareDatetime, BaseModel
from sqlalchemy import inspect, text
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select
from temporalio import activity

from domain.campaign import CampaignFigures, ProjectCounts
from domain.rectification import CaseState, Verdict
from reports.figures import case_figures, project_figures
from store.campaign_models import CampaignCaseRow
from store.models import CaseSummary, MeasureLedger

log = structlog.get_logger(__name__)
_CHUNK = 500  # ids per IN (...) query


class CheckRequest(BaseModel):
    campaign_id: str
    region: str | None
    year: int
    as_of: AwareDatetime  # workflow time: the figures are "as of" the workflow's clock


class WriteBackRequest(BaseModel):
    campaign_id: str
    year: int


class WriteBackResult(BaseModel):
    organizations: int
    outcomes: dict[str, int]  # acceptance value → organizations


def _chunks(items: Sequence[str]) -> Iterable[Sequence[str]]:
    for start in range(0, len(items), _CHUNK):
        yield items[start : start + _CHUNK]


def campaign_case_ids(session: Session, campaign_id: str) -> list[str]:
    query = select(CampaignCaseRow.case_id).where(CampaignCaseRow.campaign_id == campaign_id).order_by(col(CampaignCaseRow.case_id))
    return list(session.exec(query).all())


def campaign_rows(engine: Engine, campaign_id: str) -> tuple[list[CaseSummary], list[MeasureLedger]]:
    """The case summaries and current measures of the campaign's approved cases that exist."""
    with Session(engine) as session:
        ids = campaign_case_ids(session, campaign_id)
        cases: list[CaseSummary] = []
        measures: list[MeasureLedger] = []
        for chunk in _chunks(ids):
            cases += session.exec(select(CaseSummary).where(col(CaseSummary.case_id).in_(chunk))).all()
            measures += session.exec(select(MeasureLedger).where(col(MeasureLedger.case_id).in_(chunk))).all()
        # The current plan only: measures of earlier PDCA cycles are history, not this year's deadlines.
        cycles = {c.case_id: c.cycle for c in cases}
        measures = [m for m in measures if m.cycle == cycles.get(m.case_id, m.cycle)]
        return cases, measures


def project_rows(engine: Engine, region: str | None, year: int) -> list[dict[str, Any]] | None:
    """Secretary-project summary rows of this region and year, when that projection exists."""
    if not inspect(engine).has_table("project_summary"):
        return None
    columns = {c["name"] for c in inspect(engine).get_columns("project_summary")}
    where, params = [], {}
    if "year" in columns:
        where.append("year = :year")
        params["year"] = year
    if region is not None and "region" in columns:
        where.append("region = :region")
        params["region"] = region
    sql = "SELECT * FROM project_summary" + (" WHERE " + " AND ".join(where) if where else "")
    with engine.connect() as connection:
        return [dict(row._mapping) for row in connection.execute(text(sql), params)]


def assessments_for(engine: Engine, org_codes: Sequence[str], year: int) -> list[tuple[str, int, int | None, Any]] | None:
    """(org_code, year, star, class) for this year and the one before, from the directory when present."""
    if not org_codes or not inspect(engine).has_table("assessment"):
        return None
    columns = {c["name"] for c in inspect(engine).get_columns("assessment")}
    star = "star" if "star" in columns else "NULL"
    klass = next((c for c in ("org_class", "class_", "grade") if c in columns), "NULL")
    if not {"org_code", "year"} <= columns:
        return None
    found = []
    with engine.connect() as connection:
        for chunk in _chunks(list(org_codes)):
            params = {f"o{i}": code for i, code in enumerate(chunk)}
            sql = (
                f"SELECT org_code, year, {star}, {klass} FROM assessment "
                f"WHERE year IN (:y0, :y1) AND org_code IN ({', '.join(':' + k for k in params)})"
            )
            found += [tuple(r) for r in connection.execute(text(sql), {**params, "y0": year - 1, "y1": year})]
    return found  # type: ignore[return-value]


def figures_for(engine: Engine, campaign_id: str, region: str | None, year: int, as_of: datetime) -> CampaignFigures:
    cases, measures = campaign_rows(engine, campaign_id)
    assessments = assessments_for(engine, [c.org_code for c in cases], year)
    f = case_figures(cases, as_of, measures, assessments, year=year, region=region)
    projects = project_rows(engine, region, year)
    counts = None
    if projects is not None:
        p = project_figures(projects, as_of, year=year, region=region)
        counts = ProjectCounts(
            total=p.total,
            by_stage=p.by_stage,
            ratings={k: v for k, v in p.ratings.items() if v},
            overdue_milestones=p.overdue_milestones,
            models_promoted=p.models_promoted,
        )
    return CampaignFigures(
        as_of=as_of,
        cases=f.total,
        by_stage=f.by_stage,
        by_region=f.by_region,
        overdue_cases=f.overdue_cases,
        overdue_measures=f.overdue_measures,
        escalations=f.escalations,
        sanction_proposals=f.sanction_proposals,
        closed=f.closed,
        upgraded=f.upgraded,
        carried_over=f.carried_over,
        measures_total=f.measures_total,
        measures_done=f.measures_done,
        measures_due=f.measures_due,
        measures_on_time=f.measures_on_time,
        on_time_rate=f.on_time_rate,
        carried_over_cases=sorted(c.case_id for c in f.carried_over_cases),
        upgraded_cases=sorted(c.case_id for c in f.upgraded_cases),
        org_upgrades=sorted({u.org_code for u in f.org_upgrades}),
        projects=counts,
    )


def acceptance_of(state: CaseState | None) -> tuple[str | None, int]:
    """(acceptance, failed rounds) of a year of rectification, in the directory history's words:
    ``passed`` once a round passed, ``failed`` when rounds failed and none passed, None when the case
    never reached acceptance (it carries over)."""
    if state is None or not state.acceptances:
        return None, 0
    failed = sum(1 for a in state.acceptances if a.verdict != Verdict.PASSED)
    passed = any(a.verdict == Verdict.PASSED for a in state.acceptances)
    return ("passed" if passed else "failed"), failed


class CampaignActivities:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    @activity.defn(name="campaign_figures")
    def campaign_figures(self, request: CheckRequest) -> CampaignFigures:
        figures = figures_for(self.engine, request.campaign_id, request.region, request.year, request.as_of)
        log.info("campaign_checked", campaign_id=request.campaign_id, cases=figures.cases, overdue_cases=figures.overdue_cases)
        return figures

    @activity.defn(name="record_campaign_outcomes")
    def record_campaign_outcomes(self, request: WriteBackRequest) -> WriteBackResult:
        """Write each designated organization's year into its history (idempotent: a retry rewrites
        the same values), for next year's designation and memory rules."""
        from store.directory import Directory
        from store.eventlog import AuditLog
        from store.projections import state_from_rows

        with Session(self.engine) as session:
            rows = session.exec(select(CampaignCaseRow).where(CampaignCaseRow.campaign_id == request.campaign_id)).all()
        directory = Directory(self.engine)
        audit = AuditLog(self.engine)
        outcomes: dict[str, int] = {}
        for row in rows:
            stream = audit.read_stream(row.case_id)
            acceptance, failed = acceptance_of(state_from_rows(stream) if stream else None)
            try:
                directory.record_outcome(row.org_code, request.year, designated=True, acceptance=acceptance, failed_rounds=failed if acceptance else None)
            except KeyError:
                acceptance = "not_in_directory"  # an organization approved without a directory entry
            key = acceptance or "not_accepted"
            outcomes[key] = outcomes.get(key, 0) + 1
        log.info("campaign_outcomes_recorded", campaign_id=request.campaign_id, organizations=len(rows), outcomes=outcomes)
        return WriteBackResult(organizations=len(rows), outcomes=outcomes)

    def activities(self) -> list:  # type: ignore[type-arg]
        """The activity methods to register on a worker."""
        return [self.campaign_figures, self.record_campaign_outcomes]
