"""The scrape-time gauges (observability.metrics.ProjectionCollector) are one aggregate query and say
what the case rows say: counted here row by row from ``case_summary``, they must agree.

The cases are real streams: decided by the rectification decider (tests/unit/builders.py) and
appended through the audit log with every projector, in a migrated SQLite file."""

from __future__ import annotations

import uuid
from collections import Counter
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import event
from sqlmodel import Session, select

from domain.policy import Policy
from observability.metrics import ProjectionCollector
from store.db import make_engine
from store.eventlog import AuditLog, NewEvent
from store.migrate import upgrade
from store.models import CaseSummary
from store.projections import PROJECTORS
from tests.unit import builders as b


def _append(engine: Any, stream_id: str, events: list[Any]) -> None:
    rows = [NewEvent(uuid.uuid4().hex, e.type, e.actor, e.model_dump_json()) for e in events]
    AuditLog(engine, PROJECTORS).append(stream_id, 0, rows)


def _seed(engine: Any) -> None:
    """Opened cases in three townships, two in implementation of which one has overdue measures, and a closed one."""
    for k, region in enumerate(["青山镇", "白云镇", "青山镇", "河西街道"]):
        case = b.Case(policy=Policy())
        case.run(b.open_case(org_code=f"V1{k:02d}", region=region), b.T0)
        _append(engine, f"rect-V1{k:02d}-2026", case.events)
    day = lambda n: b.T0 + timedelta(days=n)  # noqa: E731
    late = b.Case(policy=Policy())
    bs = b.branch_secretary("bs-2", scope=["V200"])
    late.run(b.open_case(org_code="V200", region="白云镇"), b.T0)
    measures = [b.measure("M1", ["P1"], date(2026, 3, 31), "bs-2"), b.measure("M2", ["P2", "P3"], date(2026, 4, 30), "bs-2")]
    late.run(b.plan(bs, measures=measures), day(1))
    late.run(b.approve(b.township_secretary("ts-2", scope=["白云镇"])), day(2))
    for n in range(60, 125, 3):
        late.tick(day(n))
    _append(engine, "rect-V200-2026", late.events)
    _append(engine, "rect-V001-2026", b.implementing().events)  # 青山镇, implementing, nothing due yet
    closed = b.consolidating()
    for n in (200, 400):
        closed.tick(closed.now + timedelta(days=n))
    closed.run(b.follow_up(), closed.now + timedelta(days=1))
    closed.run(b.close(), closed.now + timedelta(days=1))
    assert closed.state.stage == "closed"
    _append(engine, "rect-V001-2025", closed.events)  # a closed case: in no gauge


def _families(engine: Any) -> dict[str, dict[tuple[str, ...], float]]:
    found: dict[str, dict[tuple[str, ...], float]] = {}
    for family in ProjectionCollector(engine).collect():
        for sample in family.samples:
            found.setdefault(sample.name, {})[tuple(sample.labels[k] for k in sorted(sample.labels))] = sample.value
    return found


def test_the_gauges_agree_with_the_rows_in_one_query(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'audit.db'}")
    upgrade(engine)
    _seed(engine)
    with Session(engine) as session:
        rows = session.exec(select(CaseSummary)).all()
    open_rows = [r for r in rows if r.stage != "closed"]
    assert any(r.overdue for r in open_rows) and len({r.region for r in open_rows}) >= 3
    by_stage = Counter((r.kind, r.region, r.stage) for r in open_rows)  # labels sorted by name: kind, region, stage
    overdue_cases = Counter((r.kind, r.region) for r in open_rows if r.overdue)
    overdue_measures: Counter[tuple[str, str]] = Counter()
    for r in open_rows:
        if r.overdue:
            overdue_measures[(r.kind, r.region)] += r.overdue_measures

    # what the driver is asked, on a fresh engine (as the worker's): its connection set-up, then the scrape
    scraping = make_engine(f"sqlite:///{tmp_path / 'audit.db'}")
    statements: list[str] = []
    event.listen(scraping, "connect", lambda connection, _: connection.set_trace_callback(statements.append))
    scraping.dispose()
    with scraping.connect():
        pass
    set_up = len(statements)
    found = _families(scraping)
    scrape = statements[set_up:]
    # one aggregate query per scrape, outside any transaction: no BEGIN IMMEDIATE (the SQLite write lock)
    assert len(scrape) == 1 and "GROUP BY" in scrape[0], scrape

    assert found["pdca_open_cases"] == {k: float(n) for k, n in by_stage.items()}
    assert found["pdca_overdue_cases"] == {k: float(n) for k, n in overdue_cases.items()}
    assert found["pdca_overdue_measures"] == {k: float(n) for k, n in overdue_measures.items()}
    assert found["pdca_projection_scrape_success"] == {(): 1.0}


def test_a_scrape_without_the_tables_reports_failure(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'empty.db'}")  # never migrated
    assert _families(engine) == {"pdca_projection_scrape_success": {(): 0.0}}
