"""`pdca campaign status` counts the starts by township with one GROUP BY (store.dashboard_queries);
the answer is what counting the campaign's ``campaign_case`` rows one by one gives.

The campaign is a real stream: decided by the campaign decider, appended through the audit log with
every projector, in a migrated SQLite file."""

from __future__ import annotations

import uuid
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlmodel import Session, select

from domain.actors import Actor, Role
from domain.campaign import DECIDER, ApproveDesignation, OpenCampaign, RecordStarts, campaign_id_for
from domain.decider import Context
from domain.policy import Policy
from domain.rectification import Basis, BasisKind, OpenCase, ProblemInput, case_id_for
from service import campaigns
from service.bootstrap import bootstrap
from store.campaign_models import CampaignCaseRow
from store.db import make_engine
from store.eventlog import AuditLog, NewEvent
from store.migrate import upgrade
from store.projections import PROJECTORS

NOW = datetime(2026, 3, 2, 1, 0, tzinfo=UTC)
SUP = Actor(id="sup", roles=[Role.SUPERVISOR])
TOWNS = ["城关镇", "青山乡", "河西街道"]


def _opening(k: int) -> OpenCase:
    return OpenCase(
        actor=SUP, org_code=f"C{k:03d}", org_name=f"C{k:03d}党支部", region=TOWNS[k % len(TOWNS)], year=2026,
        basis=Basis(kind=BasisKind.DIRECT, detail="星级评定1星"), problems=[ProblemInput(category="weak_leadership", description="x")],
        leaders=["cl"],
    )


def _run(engine: Any, stream_id: str, commands: list[Any]) -> None:
    log = AuditLog(engine, PROJECTORS)
    state, version = DECIDER.initial, 0
    ctx = Context(now=NOW, policy=Policy())
    for command in commands:
        events = DECIDER.decide(state, command, ctx)
        rows = [NewEvent(uuid.uuid4().hex, e.type, e.actor, e.model_dump_json()) for e in events]
        version = log.append(stream_id, version, rows).version
        state = DECIDER.fold(events, state)


def test_starts_by_township_are_the_rows_counted(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'audit.db'}"
    engine = make_engine(url)
    upgrade(engine)
    cid = campaign_id_for(None, 2026)
    opens = [_opening(k) for k in range(11)]
    ids = [case_id_for(o.org_code, 2026) for o in opens]
    _run(
        engine,
        cid,
        [
            OpenCampaign(actor=SUP, region=None, year=2026),
            ApproveDesignation(actor=SUP, designees=opens),
            RecordStarts(started=ids[:5], existing=ids[5:7]),  # four still pending
        ],
    )
    with Session(engine) as session:
        rows = session.exec(select(CampaignCaseRow).where(CampaignCaseRow.campaign_id == cid)).all()
    expected: dict[str, Counter[str]] = {}
    for row in rows:
        expected.setdefault(row.region, Counter({"designated": 0, "started": 0, "existing": 0, "pending": 0}))
        expected[row.region]["designated"] += 1
        expected[row.region][row.status] += 1
    assert {row.status for row in rows} == {"started", "existing", "pending"}

    data = campaigns.status(bootstrap(database_url=url), cid)
    assert data is not None
    assert data["starts_by_township"] == {r: dict(expected[r]) for r in sorted(expected)}
    assert list(data["starts_by_township"]) == sorted(TOWNS)
    assert (data["designated"], data["started"], data["existing"], data["pending"]) == (11, 5, 2, 4)
    assert campaigns.status(bootstrap(database_url=url), campaign_id_for("无此镇", 2026)) is None
