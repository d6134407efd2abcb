"""The county / township dashboard (看板): the half-year bulletin's figures, live, for the signed-in person's scope.

    dashboard(deps, year=2026, region="青山镇")      -> DashboardView (figures, by stage, by township, overdue list)
    ledger_rows(deps, "measures", year=, region=)    -> the ledger's rows (reports.gather), only the cases in scope

Every figure is an aggregate query (store/dashboard_queries.py) over the projections (``case_summary``,
``measure_ledger``, ``sanction_ledger``, ``project_summary``) and the audit log's event counts, so the
page costs a handful of ``GROUP BY``s whatever the number of cases. The definitions are reports/figures.py's
(the bulletin's), applied to the projection rows as of ``now``:

- measures: each case's current plan, once approved; ``due`` = deadline at or before now; ``overdue`` =
  due and not done; ``on_time_rate`` = on time / due (``reports.figures.rate``: None when nothing is due).
  The projection keeps no completion time, so a completed measure counts as on time (the figures'
  rule for rows without ``completed_at``); the bulletin, which folds the events, also catches late ones.
- escalations: rungs fired over the whole case (``EscalationRaised`` events and the ladder's sanction
  proposals), as reports.gather counts them for the bulletin.
- acceptances: ``AcceptanceRecorded`` rounds; a pass starts consolidation (``ConsolidationStarted``), a
  failure orders rework (``ReworkOrdered``: the rework rounds).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from pydantic import BaseModel, Field

from domain.lights import working_days_left
from reports.figures import PROJECT_STAGE_ORDER, STAGE_ORDER, rate
from service.bootstrap import Deps
from service.console import calendar_for
from service.errors import NotFound
from service.reports import LEDGERS
from store import dashboard_queries as q

__all__ = ["LEDGERS", "DashboardView", "OverdueMeasure", "TownshipRow", "dashboard", "in_scope", "ledger_rows"]

OVERDUE_LIST = 20
EVENT_TYPES = ("AcceptanceRecorded", "ConsolidationStarted", "ReworkOrdered", "EscalationRaised", "MeasuresPaused", "DeadlineExtended")


class OverdueMeasure(BaseModel):
    case_id: str
    org_code: str
    org_name: str
    region: str
    measure_id: str
    description: str
    responsible: str
    deadline: datetime
    working_days_over: int  # working days past the deadline (0: due today)
    paused: bool = False  # its clock is paused (暂停计时): past the deadline, not counted against anyone yet


class TownshipRow(BaseModel):
    region: str
    cases: int = 0
    closed: int = 0
    overdue_cases: int = 0
    overdue_measures: int = 0
    measures_due: int = 0
    measures_on_time: int = 0

    @property
    def on_time_rate(self) -> float | None:
        return rate(self.measures_on_time, self.measures_due)


class DashboardView(BaseModel):
    as_of: datetime
    year: int | None = None
    region: str | None = None
    years: list[int] = Field(default_factory=list)  # the filters' choices, within scope
    regions: list[str] = Field(default_factory=list)
    total: int = 0
    by_stage: dict[str, int] = Field(default_factory=dict)  # every stage, in PDCA order
    closed: int = 0
    plan_returns: int = 0
    measures_total: int = 0
    measures_done: int = 0
    measures_due: int = 0
    measures_on_time: int = 0
    on_time_rate: float | None = None
    overdue_measures: int = 0
    overdue_cases: int = 0
    escalations: int = 0
    sanction_proposals: int = 0
    sanctions_pending: int = 0
    paused_measures: int = 0
    cases_paused: int = 0
    extensions: int = 0
    pauses_granted: int = 0
    acceptance_rounds: int = 0
    acceptance_passed: int = 0
    acceptance_failed: int = 0
    rework_rounds: int = 0
    overdue_list: list[OverdueMeasure] = Field(default_factory=list)
    townships: list[TownshipRow] = Field(default_factory=list)
    projects_total: int = 0
    projects_by_stage: dict[str, int] = Field(default_factory=dict)


def _ordered(counts: dict[str, int], order: tuple[str, ...]) -> dict[str, int]:
    """Every stage of ``order`` (0 when none), then any other stage the rows name."""
    return {**{s: counts.get(s, 0) for s in order}, **{s: n for s, n in sorted(counts.items()) if s not in order}}


def dashboard(deps: Deps, year: int | None = None, region: str | None = None, now: datetime | None = None) -> DashboardView:
    """The dashboard of the signed-in person's scope (``deps.caller.actor.scope``), of ``year`` and
    ``region`` (None: all), as of ``now``."""
    now = now or datetime.now(UTC)
    scope = deps.caller.actor.scope
    region = region or None

    def read(engine: Any) -> DashboardView:
        filters: dict[str, Any] = {"year": year, "region": region}
        view = DashboardView(as_of=now, year=year, region=region)
        view.years, view.regions = q.filter_choices(engine, scope)
        townships: dict[str, TownshipRow] = {}
        stages: dict[str, int] = {}
        for row in q.stage_counts(engine, scope, **filters):
            town = townships.setdefault(row.region, TownshipRow(region=row.region))
            town.cases += row.cases
            stages[row.stage] = stages.get(row.stage, 0) + row.cases
            if row.stage == "closed":
                town.closed += row.cases
            view.sanctions_pending += row.sanctions_pending
            view.paused_measures += row.paused_measures
            view.cases_paused += row.cases_paused
            view.extensions += row.extensions
            view.plan_returns += row.plan_returns
        view.total = sum(stages.values())
        view.by_stage = _ordered(stages, STAGE_ORDER[1:])  # "new" is never a case's stage
        view.closed = stages.get("closed", 0)
        for m in q.measure_counts(engine, scope, now, **filters):
            town = townships.setdefault(m.region, TownshipRow(region=m.region))
            town.overdue_cases, town.overdue_measures = m.overdue_cases, m.overdue
            town.measures_due, town.measures_on_time = m.due, m.on_time
            view.measures_total += m.total
            view.measures_done += m.done
            view.measures_due += m.due
            view.measures_on_time += m.on_time
            view.overdue_measures += m.overdue
            view.overdue_cases += m.overdue_cases
        view.on_time_rate = rate(view.measures_on_time, view.measures_due)
        view.townships = [townships[r] for r in sorted(townships)]
        ladder = 0
        for s in q.sanction_counts(engine, scope, **filters):
            view.sanction_proposals += s.proposals
            ladder += s.ladder
        events = q.event_counts(engine, scope, EVENT_TYPES, **filters)
        view.escalations = events["EscalationRaised"] + ladder
        view.acceptance_rounds = events["AcceptanceRecorded"]
        view.acceptance_passed = events["ConsolidationStarted"]
        view.acceptance_failed = view.rework_rounds = events["ReworkOrdered"]
        view.pauses_granted = events["MeasuresPaused"]
        calendar = calendar_for(now)
        view.overdue_list = [
            OverdueMeasure(
                case_id=c.case_id,
                org_code=c.org_code,
                org_name=c.org_name,
                region=c.region,
                measure_id=m.measure_id,
                description=m.description,
                responsible=m.responsible,
                deadline=m.deadline,
                working_days_over=max(-working_days_left(m.deadline, now, calendar), 0),
                paused=bool(m.paused),
            )
            for m, c in q.most_overdue(engine, scope, now, limit=OVERDUE_LIST, **filters)
        ]
        projects = q.project_stage_counts(engine, scope, **filters)
        view.projects_total = sum(projects.values())
        view.projects_by_stage = _ordered(projects, PROJECT_STAGE_ORDER) if projects else {}
        return view

    return deps.reading(read)


# ----------------------------------------------------------------------------- ledgers


def in_scope(row: dict[str, Any], scope: list[str] | None) -> bool:
    """A ledger row's organization or township is in ``scope`` (the rule of store.queries._in_scope)."""
    return scope is None or "*" in scope or row.get("org_code") in scope or row.get("region") in scope


def ledger_rows(deps: Deps, ledger: str, year: int | None = None, region: str | None = None) -> list[dict[str, Any]]:
    """The rows `pdca report ledger` exports (reports.gather's readers), only those of the cases (and
    projects) in the signed-in person's scope."""
    from reports.gather import LEDGER_READERS

    if ledger not in LEDGER_READERS:
        raise NotFound(f"unknown ledger {ledger!r}: {', '.join(LEDGERS)}", ledger)
    scope = deps.caller.actor.scope
    rows = deps.reading(lambda engine: LEDGER_READERS[ledger](engine, year, region or None))
    return [row for row in rows if in_scope(row, scope)]
