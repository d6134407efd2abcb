"""The case list's page query (store.queries.case_page: a COUNT and a LIMIT/OFFSET, filters, the scope
rule) on SQLite and PostgreSQL alike, over ledger rows projected from real events (tests/unit/test_case_list.py
seeds them and covers the service and the CLI on SQLite)."""

from __future__ import annotations

from store import queries
from tests.integration.conftest import Backend
from tests.unit.test_case_list import ALL, seed


def test_pages_filters_and_scope_on_each_database(backend: Backend) -> None:
    seed(backend.engine)
    engine = backend.engine
    seen: list[str] = []
    for offset in (0, 4, 8):
        page = queries.case_page(engine, offset=offset, limit=4)
        assert page.total == 10
        seen += [row.case_id for row in page.rows]
    assert seen == ALL
    assert queries.case_page(engine, offset=12, limit=4) == queries.CasePage(rows=[], total=10)
    filtered = queries.case_page(engine, year=2026, region="城关镇", overdue=False, stage="implementing")
    assert [row.case_id for row in filtered.rows] == ["rect-V006-2026", "rect-V007-2026"] and filtered.total == 2
    # a branch secretary of V002 who is responsible for M1 of every planned case (bs-1)
    visible = queries.case_page(engine, scope=["V002"], involving="bs-1", limit=None)
    expected = ["rect-V002-2026", "rect-V006-2026", "rect-V007-2026", "rect-V008-2026", "rect-V009-2025"]
    assert [row.case_id for row in visible.rows] == expected and visible.total == 5
    assert queries.case_page(engine, scope=["城关镇"], limit=2).total == 4
    assert queries.case_page(engine, scope=["*"], involving="nobody").total == 10
