"""Projector for campaign streams (``camp-``): folds the stream with ``domain.campaign.DECIDER`` and keeps
``campaign_summary`` and ``campaign_case`` in step, inside the append transaction.

``campaign_case`` rows are merged (inserted or updated when they differ), never rewritten wholesale:
a campaign of thousands of organizations appends a batch every few seconds while it starts its cases.
Campaign cases are never removed, so a rebuild (which re-projects every stream) leaves nothing stale.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlmodel import Session, select

from domain.campaign import DECIDER, CampaignState, StartStatus
from store.campaign_models import CampaignCaseRow, CampaignSummary
from store.models import AuditEvent
from store.queries import fold_stream


def project_campaign(session: Session, stream_id: str, rows: Sequence[AuditEvent]) -> None:
    if not rows or not DECIDER.owns(stream_id):
        return
    state: CampaignState = fold_stream(rows, DECIDER)
    last = rows[-1]
    summary = session.get(CampaignSummary, stream_id) or CampaignSummary(
        campaign_id=stream_id, year=state.year, stage=state.stage.value, last_event_at=last.recorded_at, version=0, position=0
    )
    summary.region = state.region
    summary.year = state.year
    summary.stage = state.stage.value
    summary.designated = len(state.cases)
    summary.started = state.count(StartStatus.STARTED)
    summary.existing = state.count(StartStatus.EXISTING)
    summary.pending = state.count(StartStatus.PENDING)
    summary.approvals = state.approvals
    summary.batches = state.batches
    summary.checks = state.checks
    summary.last_check_at = state.last_check.as_of if state.last_check else None
    summary.figures = state.last_check.model_dump_json() if state.last_check else None
    summary.summary = state.summary.model_dump_json() if state.summary else None
    summary.outcomes_recorded = state.outcomes_recorded
    summary.opened_at = state.opened_at
    summary.closed_at = state.closed_at
    summary.last_event_at = last.recorded_at
    summary.version = state.version
    summary.position = last.position
    session.add(summary)
    existing = {
        row.case_id: row
        for row in session.exec(select(CampaignCaseRow).where(CampaignCaseRow.campaign_id == stream_id)).all()
    }
    for case in state.cases.values():
        values: dict[str, Any] = {
            "org_code": case.org_code,
            "org_name": case.org_name,
            "region": case.region,
            "basis": case.basis,
            "round": case.round,
            "status": case.status.value,
        }
        row = existing.get(case.case_id)
        if row is None:
            session.add(CampaignCaseRow(campaign_id=stream_id, case_id=case.case_id, **values))
        elif any(getattr(row, key) != value for key, value in values.items()):
            for key, value in values.items():
                setattr(row, key, value)
            session.add(row)
