"""Reading the project ledger (sync, no Temporal): one page with the total (``list_page``: `pdca project
list`), and a year's projects level by level (``by_level``: `pdca campaign projects`). service/projects.py
re-exports them; they live here so a read imports only what a read needs (as service/case_reads.py)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel

from domain.project.state import Level
from service.bootstrap import Deps
from service.errors import InvalidField
from service.paging import PAGE_SIZE, offset_of, pages_of
from store.db import format_utc
from store.project_models import ProjectSummary
from store.project_queries import LevelFigures, level_figures, project_page


class ProjectList(BaseModel):
    """One page of the project ledger and where it lies: ``pdca project list`` (-o json prints it)."""

    rows: list[ProjectSummary]
    total: int  # every matching project
    page: int
    pages: int
    page_size: int | None  # None: every matching project on one page


def list_page(
    deps: Deps,
    *,
    year: int | None = None,
    region: str | None = None,
    level: str | None = None,
    stage: str | None = None,
    owner: str | None = None,
    org_code: str | None = None,
    page: int = 1,
    page_size: int | None = PAGE_SIZE,
) -> ProjectList:
    """Page ``page`` (from 1) of the project ledger in project-id order, filtered, with the total: a COUNT
    and a LIMIT/OFFSET query, so the first page of a county's 5,000 projects costs what a page costs.
    ``owner``: the projects one person leads. A page past the last is empty (the total still says how many)."""
    offset = offset_of(page, page_size)
    found = deps.reading(
        lambda engine: project_page(
            engine, year=year, region=region, level=level, stage=stage, owner=owner, org_code=org_code, offset=offset, limit=page_size
        )
    )
    pages = pages_of(found.total, page_size)
    return ProjectList(rows=found.rows, total=found.total, page=page if page_size else 1, pages=pages, page_size=page_size)


def by_level(deps: Deps, year: int, *, region: str | None = None, level: str | None = None, limit: int | None = 20) -> dict[str, Any]:
    """A year's projects level by level (书记项目 / 委员项目 / 支部项目) for ``region`` (None: the county):
    each level's figures (``store.project_queries.LevelFigures``) and its first ``limit`` ledger rows
    (None: all; times as UTC text), ``figures`` the total over the levels shown, ``projects`` every row
    shown. ``level``: that level only."""
    if level is not None and level not in {lv.value for lv in Level}:
        raise InvalidField("level", f"{level!r}: one of {', '.join(lv.value for lv in Level)}")
    if limit is not None and limit < 0:
        raise InvalidField("limit", f"{limit}: 0 or more (0 shows figures only)")

    def read(engine: Any) -> dict[str, Any]:
        figures = level_figures(engine, year=year, region=region)
        if level is not None:
            figures = {level: figures.get(level, LevelFigures())}
        levels = []
        for name, counted in figures.items():
            page = project_page(engine, year=year, region=region, level=name, limit=limit) if limit != 0 else None
            rows = [_row(r) for r in page.rows] if page else []
            levels.append({"level": name, "figures": counted.model_dump(), "shown": len(rows), "projects": rows})
        total = LevelFigures()
        for counted in figures.values():
            total = total.add(counted)
        return {"levels": levels, "total": total}

    found = deps.reading(read)
    return {
        "year": year,
        "region": region,
        "levels": found["levels"],
        "figures": found["total"].model_dump(),
        "projects": [row for lv in found["levels"] for row in lv["projects"]],
    }


def _row(summary: ProjectSummary) -> dict[str, Any]:
    return {n: format_utc(v) if isinstance(v, datetime) else v for n, v in ((n, getattr(summary, n)) for n in ProjectSummary.model_fields)}
