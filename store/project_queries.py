"""Reading the project ledger at a county's scale (issue 14: 155 书记项目, 930 委员项目, ~4,500 支部项目 a
year): one page of rows with the total, and each level's figures counted by the database.

    project_page(engine, year=2027, level="branch", offset=0, limit=50)   -> ProjectPage(rows, total)
    level_figures(engine, year=2027, region="城关镇")                       -> {level: LevelFigures}

Both cost what a page (or one GROUP BY) costs, not what the year's thousands of rows cost.
"""

from __future__ import annotations

from typing import Any, NamedTuple

from pydantic import BaseModel
from sqlalchemy import Engine, case, func
from sqlmodel import Session, col, select

from store.project_models import ProjectSummary

# The order levels are shown in: 书记项目, 委员项目, 支部项目.
LEVELS = ("secretary", "committee_member", "branch")
_COMPLETED = ("evaluated", "promoted", "closed")  # 结题: evaluated, then promoted or closed


class ProjectPage(NamedTuple):
    rows: list[ProjectSummary]
    total: int  # every matching row


class LevelFigures(BaseModel):
    """One level's projects in figures (申报, 立项, 结题, 评价, 逾期 …)."""

    applied: int = 0  # 申报: every project of the level
    reviewing: int = 0  # 立项审核中
    approved: int = 0  # 已立项 (approved, whatever happened after)
    rejected: int = 0  # 不予立项
    implementing: int = 0  # 实施中
    completed: int = 0  # 已结题: evaluated, promoted or closed
    rated: int = 0  # with a year-end rating
    good: int = 0
    medium: int = 0
    poor: int = 0
    overdue: int = 0  # projects with an overdue milestone or a chased, missing report
    overdue_milestones: int = 0
    reports_missing: int = 0
    urges_sent: int = 0  # 催办 notices
    promoted: int = 0  # 典型推广
    sanctions_pending: int = 0

    def add(self, other: LevelFigures) -> LevelFigures:
        return LevelFigures(**{k: v + getattr(other, k) for k, v in self.model_dump().items()})


def _conditions(
    *, year: int | None, region: str | None, level: str | None, stage: str | None, owner: str | None, org_code: str | None
) -> list[Any]:
    conditions: list[Any] = []
    for column, value in (
        (ProjectSummary.year, year),
        (ProjectSummary.region, region or None),
        (ProjectSummary.level, level or None),
        (ProjectSummary.stage, stage or None),
        (ProjectSummary.owner, owner or None),
        (ProjectSummary.org_code, org_code or None),
    ):
        if value is not None:
            conditions.append(column == value)
    return conditions


def project_page(
    engine: Engine,
    *,
    year: int | None = None,
    region: str | None = None,
    level: str | None = None,
    stage: str | None = None,
    owner: str | None = None,
    org_code: str | None = None,
    offset: int = 0,
    limit: int | None = 50,
) -> ProjectPage:
    """One page of the project ledger in project-id order, filtered (a filter left None or empty keeps
    every row), with the total: one COUNT and one LIMIT/OFFSET query; ``limit`` None: every row."""
    conditions = _conditions(year=year, region=region, level=level, stage=stage, owner=owner, org_code=org_code)
    counting = select(func.count()).select_from(ProjectSummary).where(*conditions)
    statement = select(ProjectSummary).where(*conditions).order_by(col(ProjectSummary.project_id)).offset(max(offset, 0))
    if limit is not None:
        statement = statement.limit(limit)
    with Session(engine) as session:
        total = int(session.exec(counting).one())
        rows = list(session.exec(statement).all()) if total > offset else []
    return ProjectPage(rows=rows, total=total)


def level_figures(engine: Engine, *, year: int, region: str | None = None) -> dict[str, LevelFigures]:
    """Each level's figures for ``year`` (and ``region``; None: the county), counted in one GROUP BY.
    Levels without projects are left out; the order is 书记项目, 委员项目, 支部项目 (others after)."""
    p = ProjectSummary

    def count_if(condition: Any) -> Any:
        return func.sum(case((condition, 1), else_=0))

    columns = {
        "applied": func.count(),
        "reviewing": count_if(col(p.stage) == "reviewing"),
        "approved": count_if(col(p.approved_at).is_not(None)),
        "rejected": count_if(col(p.stage) == "rejected"),
        "implementing": count_if(col(p.stage) == "implementing"),
        "completed": count_if(col(p.stage).in_(_COMPLETED)),
        "rated": count_if(col(p.rating).is_not(None)),
        "good": count_if(col(p.rating) == "good"),
        "medium": count_if(col(p.rating) == "medium"),
        "poor": count_if(col(p.rating) == "poor"),
        "overdue": count_if(col(p.overdue).is_(True)),
        "overdue_milestones": func.sum(p.overdue_milestones),
        "reports_missing": func.sum(p.reports_missing),
        "urges_sent": func.sum(p.urges_sent),
        "promoted": count_if(col(p.stage) == "promoted"),
        "sanctions_pending": func.sum(p.sanctions_pending),
    }
    statement = select(col(p.level), *columns.values()).where(*_conditions(
        year=year, region=region, level=None, stage=None, owner=None, org_code=None
    )).group_by(col(p.level))  # fmt: skip
    with Session(engine) as session:
        found = {
            str(row[0]): LevelFigures(**{name: int(value or 0) for name, value in zip(columns, row[1:], strict=True)})
            for row in session.exec(statement).all()
        }
    order = {level: i for i, level in enumerate(LEVELS)}
    return dict(sorted(found.items(), key=lambda item: (order.get(item[0], len(order)), item[0])))
