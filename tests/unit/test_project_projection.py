"""The project ledger: migration 0003 creates it, appends fold into it, a rebuild re-derives it."""

from __future__ import annotations

import uuid
from pathlib import Path

from sqlmodel import Session, select

from domain.project import EVENT_ADAPTER, ApproveApplication, CompleteMilestone, ReturnApplication, ReviseApplication
from store.eventlog import NewEvent
from store.project_models import ProjectMilestone, ProjectSummary
from store.project_projection import reset_project_projections
from tests.unit.test_project_decider import OWNER, REVIEWER, P, application, apply_cmd, bj
from worker import open_audit_log


def test_projection_follows_the_log_and_rebuilds(tmp_path: Path) -> None:
    log = open_audit_log(f"sqlite:///{tmp_path / 'audit.db'}")  # migrated to head: 0003 included
    p = P()
    version = 0
    for command, at in [
        (apply_cmd(), bj(2027, 1, 4, 10, 0)),
        (ReturnApplication(actor=REVIEWER, comments="再改"), bj(2027, 1, 5, 10, 0)),
        (ReviseApplication(actor=OWNER, application=application()), bj(2027, 1, 6, 10, 0)),
        (ApproveApplication(actor=REVIEWER), bj(2027, 1, 7, 10, 0)),
        (CompleteMilestone(actor=OWNER, milestone_id="M1", note="ok"), bj(2027, 2, 1, 10, 0)),
    ]:
        events = p.do(command, at)
        batch = [NewEvent(uuid.uuid4().hex, e.type, e.actor, EVENT_ADAPTER.dump_json(e).decode(), e.policy_version) for e in events]
        log.append(p.state.project_id, version, batch)
        version += len(events)
    with Session(log.engine) as session:
        summary = session.get(ProjectSummary, "proj-secretary-V001-2027")
        assert summary is not None
        assert (summary.stage, summary.level, summary.owner, summary.revision_rounds) == ("implementing", "secretary", "bs-1", 1)
        assert (summary.milestones_total, summary.milestones_done, summary.reports_due, summary.version) == (2, 1, 4, 5)
        assert summary.next_due == bj(2027, 4, 14, 18, 0)
        milestones = session.exec(select(ProjectMilestone).order_by(ProjectMilestone.milestone_id)).all()
        assert [(m.milestone_id, m.done) for m in milestones] == [("M1", True), ("M2", False)]

    assert log.rebuild_projections(reset_project_projections) == 1
    with Session(log.engine) as session:
        again = session.get(ProjectSummary, "proj-secretary-V001-2027")
        assert again is not None and again.version == 5 and again.milestones_done == 1
