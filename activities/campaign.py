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
from temporalio import activity

from domain.campaign import CampaignFigures, ProjectCounts
from domain.rectification import DECIDER as RECTIFICATION
from reports.figures import case_figures, project_figures
from store.db import format_utc
from store.directory import Directory
from store.project_models import ProjectSummary
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
        """Write each designated organization's year into its history (idempotent: a retry rewrites
        the same values), for next year's designation and memory rules."""
        rows = campaign_cases(self.engine, request.campaign_id)
        directory = Directory(self.engine)
        outcomes: dict[str, int] = {}
        for row in rows:
            stream = read_stream(self.engine, row.case_id)
            acceptance, failed = fold_stream(stream, RECTIFICATION).year_outcome() if stream else (None, 0)
            key = acceptance.value if acceptance else "not_accepted"
            try:
                directory.record_outcome(
                    row.org_code, request.year, designated=True, acceptance=acceptance, failed_rounds=failed if acceptance else None
                )
            except KeyError:
                key = "not_in_directory"  # an organization approved without a directory entry
            outcomes[key] = outcomes.get(key, 0) + 1
        log.info("campaign_outcomes_recorded", campaign_id=request.campaign_id, organizations=len(rows), outcomes=outcomes)
        return WriteBackResult(organizations=len(rows), outcomes=outcomes)

    def activities(self) -> list[Callable[..., Any]]:
        """The activity methods to register on a worker."""
        return [self.campaign_figures, self.record_campaign_outcomes]
