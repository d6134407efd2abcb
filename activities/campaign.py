"""Activities of the annual campaign: read the figures of its cases (Check), write outcomes back (Act).

All I/O is here; the rules are in domain/campaign/ and the figure definitions in reports/figures.py.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

import structlog
from pydantic import AwareDatetime, BaseModel
from sqlalchemy.engine import Engine
from sqlmodel import Session
from temporalio import activity

from domain.campaign import CampaignFigures, ProjectCounts
from domain.rectification import DECIDER as RECTIFICATION
from domain.rectification import CaseState
from reports.figures import case_figures, project_figures
from store.db import format_utc
from store.directory import outcome_recorded, write_outcome
from store.project_models import ProjectSummary
from store.projections import write_back
from store.queries import assessments, campaign_cases, campaign_rows, fold_stream, project_summaries, read_stream

log = structlog.get_logger(__name__)


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


def project_rows(engine: Engine, region: str | None, year: int) -> list[dict[str, Any]]:
    """Secretary-project summary rows of this region and year as dicts in column order, times as stored
    (`pdca campaign projects`)."""
    rows = [
        {name: getattr(row, name) for name in ProjectSummary.model_fields} for row in project_summaries(engine, year=year, region=region)
    ]
    return [{name: format_utc(v) if isinstance(v, datetime) else v for name, v in row.items()} for row in rows]


def figures_for(engine: Engine, campaign_id: str, region: str | None, year: int, as_of: datetime) -> CampaignFigures:
    cases, measures = campaign_rows(engine, campaign_id)
    # This year's and last year's assessments: org_upgrades compares the two.
    found = assessments(engine, years=[year - 1, year], org_codes=[c.org_code for c in cases])
    f = case_figures(cases, as_of, measures, found, year=year, region=region)
    p = project_figures(project_summaries(engine, year=year, region=region), as_of, year=year, region=region)
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
        """The year end's count of the campaign's outcomes, and the write-back of the cases whose year
        the case projection never wrote (idempotent: a retry writes the same values).

        Every case writes its own outcomes back as its events are appended (store/projections.py,
        ``write_back``), so for most cases there is nothing left to write. What remains is the cases
        whose organization-year has no outcome recorded yet: cases opened and projected before that
        write-back existed (an upgraded database; no migration replays the log) — typically cases
        that carried over without a new acceptance since. They are written by the same function, in
        one transaction, from the same fold of the case's events."""
        rows = campaign_cases(self.engine, request.campaign_id)
        states: dict[str, CaseState | None] = {}
        for row in rows:
            stream = read_stream(self.engine, row.case_id)
            states[row.case_id] = fold_stream(stream, RECTIFICATION) if stream else None
        outcomes: dict[str, int] = {}
        written = 0
        with Session(self.engine) as session, session.begin():
            conn = session.connection()
            for row in rows:
                state = states[row.case_id]
                acceptance = state.year_outcome()[0] if state is not None else None
                key = acceptance.value if acceptance else "not_accepted"
                recorded = outcome_recorded(conn, row.org_code, request.year)
                if recorded is None:
                    key = "not_in_directory"  # an organization approved without a directory entry
                elif not recorded:
                    written += 1
                    if state is not None and state.year == request.year:
                        write_back(session, state)
                    else:  # a case without events: the designation itself is the year's outcome
                        write_outcome(conn, row.org_code, request.year, designated=True)
                outcomes[key] = outcomes.get(key, 0) + 1
        log.info(
            "campaign_outcomes_recorded", campaign_id=request.campaign_id, organizations=len(rows), outcomes=outcomes, written=written
        )
        return WriteBackResult(organizations=len(rows), outcomes=outcomes)

    def activities(self) -> list[Callable[..., Any]]:
        """The activity methods to register on a worker."""
        return [self.campaign_figures, self.record_campaign_outcomes]
