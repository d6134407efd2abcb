"""Reading rectification cases (sync, from the audit log and its ledgers): ``show``, ``history``,
``list_cases`` (every matching row) and ``list_page`` (one page and the total: `pdca case list`).

service/cases.py re-exports them; they live here so a read imports only what a read needs — the audit
database, the rectification rules' state — and not Temporal's client, the workflows or the other kinds
(service/commands.py and service/streams.py import those for the commands): `pdca case show` and
`pdca case list` start in a fraction of the time (issue 12).

A case id of another kind and a case the audit log does not hold are ``NotFound``, worded as
service/commands.py's ``expect`` and ``trail`` word them for every kind.
"""

from __future__ import annotations

from dataclasses import dataclass

from domain.actors import Actor
from domain.rectification import DECIDER, CaseState
from domain.rectification.permissions import may_see_case
from service.bootstrap import Deps
from service.errors import NotFound
from service.paging import PAGE_SIZE, offset_of, pages_of
from store import queries
from store.models import AuditEvent, CaseSummary

EXAMPLE = "rect-V001-2026"


def _rows(deps: Deps, case_id: str) -> list[AuditEvent]:
    """The case's audit rows in version order; ``NotFound`` for another kind's id or an unknown case."""
    if not DECIDER.owns(case_id):
        raise NotFound(f"{case_id} is not a case id (they start with {DECIDER.prefix}, e.g. {EXAMPLE})", case_id)
    rows = deps.reading(lambda engine: queries.read_stream(engine, case_id))
    if not rows:
        raise NotFound(f"unknown case {case_id}", case_id)
    return rows


def history(deps: Deps, case_id: str) -> list[AuditEvent]:
    """The case's audit rows in version order (全程纪实)."""
    return _rows(deps, case_id)


def show(deps: Deps, case_id: str, visible_to: Actor | None = None) -> CaseState:
    """The case as its audit rows fold: stage, problems, measures, acceptance rounds, proposals;
    ``visible_to``: ``NotFound`` unless that person may see it (as if it did not exist)."""
    state: CaseState = queries.fold_stream(_rows(deps, case_id), DECIDER)
    if visible_to is not None and not may_see_case(visible_to, state):
        raise NotFound(f"unknown case {case_id}", case_id)
    return state


def list_cases(
    deps: Deps,
    *,
    stage: str | None = None,
    org_code: str | None = None,
    region: str | None = None,
    overdue: bool | None = None,
    visible_to: Actor | None = None,
) -> list[CaseSummary]:
    """Rows of the case ledger, filtered; ``visible_to``: only the cases that person may see (their
    scope, or a measure they are responsible for — domain.permissions.may_see, applied in SQL)."""
    found = list_page(deps, stage=stage, org_code=org_code, region=region, overdue=overdue, page_size=None, visible_to=visible_to)
    return found.rows


@dataclass(frozen=True)
class CaseList:
    """One page of the case list: its rows (by case id), the number of cases matching the filters
    (``total``), which page this is and how many there are (``pages``: at least 1). ``page_size`` None:
    every matching row on one page."""

    rows: list[CaseSummary]
    total: int
    page: int
    pages: int
    page_size: int | None


def list_page(
    deps: Deps,
    *,
    stage: str | None = None,
    org_code: str | None = None,
    region: str | None = None,
    overdue: bool | None = None,
    year: int | None = None,
    page: int = 1,
    page_size: int | None = PAGE_SIZE,
    visible_to: Actor | None = None,
) -> CaseList:
    """Page ``page`` (from 1) of the case ledger in case-id order, ``page_size`` rows a page (None: all
    of them), filtered, with the total: a COUNT and a LIMIT/OFFSET query, so the first page of 10,000
    cases costs what a page costs. ``visible_to``: only the cases that person may see (as ``list_cases``).
    A page past the last is empty (the total still says how many there are)."""
    offset = offset_of(page, page_size)
    found = deps.reading(
        lambda engine: queries.case_page(
            engine,
            stage=stage,
            org_code=org_code,
            region=region,
            overdue=overdue,
            year=year,
            scope=visible_to.scope if visible_to is not None else None,
            involving=visible_to.id if visible_to is not None else None,
            offset=offset,
            limit=page_size,
        )
    )
    pages = pages_of(found.total, page_size)
    return CaseList(rows=found.rows, total=found.total, page=page if page_size else 1, pages=pages, page_size=page_size)
