"""Projector for campaign streams (``camp-``): folds the stream with ``domain.campaign.DECIDER`` and keeps
``campaign_summary`` and ``campaign_case`` in step, inside the append transaction.

Incremental like every projection (store/incremental.py): an append folds only its own events and writes
only the ``campaign_case`` rows that changed (a campaign of thousands of organizations appends a batch
every few seconds while it starts its cases). Campaign cases are never removed, so a rebuild (which
re-projects every stream) leaves nothing stale; rows no longer in the state would be kept.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlmodel import Session

from domain.campaign import DECIDER, CampaignState, StartStatus
from store.campaign_models import CampaignCaseRow, CampaignSummary
from store.incremental import Ledger, Rows, StreamProjection
from store.models import AuditEvent


def _summary_row(state: CampaignState, last: AuditEvent) -> dict[str, Any]:
    return {
        "region": state.region,
        "year": state.year,
        "stage": state.stage.value,
        "designated": len(state.cases),
        "started": state.count(StartStatus.STARTED),
        "existing": state.count(StartStatus.EXISTING),
        "pending": state.count(StartStatus.PENDING),
        "approvals": state.approvals,
        "batches": state.batches,
        "checks": state.checks,
        "last_check_at": state.last_check.as_of if state.last_check else None,
        "figures": state.last_check.model_dump_json() if state.last_check else None,
        "summary": state.summary.model_dump_json() if state.summary else None,
        "outcomes_recorded": state.outcomes_recorded,
        "opened_at": state.opened_at,
        "closed_at": state.closed_at,
        "last_event_at": last.recorded_at,
        "version": state.version,
        "position": last.position,
    }


def _case_rows(state: CampaignState) -> tuple[Rows]:
    return (
        {
            (case.case_id,): {
                "org_code": case.org_code,
                "org_name": case.org_name,
                "region": case.region,
                "basis": case.basis,
                "round": case.round,
                "status": case.status.value,
            }
            for case in state.cases.values()
        },
    )


CAMPAIGNS: StreamProjection[CampaignState] = StreamProjection(
    DECIDER,
    CampaignSummary.__table__,  # type: ignore[attr-defined]
    "campaign_id",
    [Ledger(CampaignCaseRow.__table__, "campaign_id", ("case_id",), deletes=False)],  # type: ignore[attr-defined]
    _summary_row,
    _case_rows,
)


def project_campaign(session: Session, stream_id: str, rows: Sequence[AuditEvent]) -> None:
    CAMPAIGNS(session, stream_id, rows)
