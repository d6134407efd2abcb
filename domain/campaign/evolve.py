"""How each campaign event changes the state (total: events are facts, never refused)."""

from __future__ import annotations

from domain.campaign.events import (
    CampaignOpened,
    CasesStarted,
    CheckRecorded,
    DesignationApproved,
    DesignationStepRecorded,
    Event,
    OutcomesRecorded,
    YearClosed,
)
from domain.campaign.state import CampaignCase, CampaignStage, CampaignState, StartStatus, StepRecord
from domain.rectification import case_id_for


def evolve(state: CampaignState, event: Event) -> CampaignState:
    s = state.model_copy(deep=False)
    s.version = state.version + 1
    if isinstance(event, CampaignOpened):
        s.stage = CampaignStage.OPEN
        s.campaign_id, s.region, s.year, s.opened_at = event.campaign_id, event.region, event.year, event.at
        s.procedure = list(event.steps) if event.steps is not None else None
    elif isinstance(event, DesignationApproved):
        s.stage = CampaignStage.RUNNING
        s.approvals = event.round
        s.policy_version = event.policy_version or s.policy_version
        s.cases = dict(state.cases)
        s.pending = [*state.pending, *event.designees]
        for o in event.designees:
            cid = case_id_for(o.org_code, o.year)
            org_class = event.classes.get(o.org_code)
            s.cases[cid] = CampaignCase(
                case_id=cid,
                org_code=o.org_code,
                org_name=o.org_name,
                region=o.region,
                basis=o.basis.kind.value,
                round=event.round,
                org_class=org_class.value if org_class is not None else None,
                label=event.labels.get(o.org_code),
            )
    elif isinstance(event, CasesStarted):
        s.batches = event.batch
        s.cases = dict(state.cases)
        done = set(event.started) | set(event.existing)
        for cid in event.started:
            s.cases[cid] = s.cases[cid].model_copy(update={"status": StartStatus.STARTED})
        for cid in event.existing:
            s.cases[cid] = s.cases[cid].model_copy(update={"status": StartStatus.EXISTING})
        s.pending = [o for o in state.pending if case_id_for(o.org_code, o.year) not in done]
    elif isinstance(event, CheckRecorded):
        s.checks = state.checks + 1
        s.last_check = event.figures
    elif isinstance(event, YearClosed):
        s.stage = CampaignStage.CLOSED
        s.summary = event.summary
        s.last_check = event.summary.figures
        s.closed_at = event.at
    elif isinstance(event, OutcomesRecorded):
        s.outcomes_recorded = True
    elif isinstance(event, DesignationStepRecorded):
        s.steps = {
            **state.steps,
            event.step: StepRecord(
                step=event.step, name=event.name, actor=event.actor, at=event.at, note=event.note, org_codes=list(event.org_codes)
            ),
        }
    return s

