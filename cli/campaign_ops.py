"""Talking to the annual campaign workflow and reading its projections (used by cli/campaign_cmd.py).

Kept apart from the Typer commands so tests can drive the same code on a test server.
"""

from __future__ import annotations

import json
from datetime import UTC, timedelta
from typing import Any

from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select
from temporalio.client import (
    Client,
    RPCError,
    WorkflowHandle,
    WorkflowUpdateFailedError,
    WorkflowUpdateRPCTimeoutOrCancelledError,
)
from temporalio.common import (
    SearchAttributePair,
    TypedSearchAttributes,
    WorkflowIDConflictPolicy,
    WorkflowIDReusePolicy,
)
from temporalio.exceptions import WorkflowAlreadyStartedError
from temporalio.service import RPCStatusCode

from cli.cases import _no_worker, send_update
from cli.errors import UNAVAILABLE, CliError
from domain.actors import Actor
from domain.campaign import (
    INITIAL_STATE,
    KIND,
    ApproveDesignation,
    CampaignSettings,
    CloseYear,
    OpenCampaign,
    campaign_id_for,
    decide,
)
from domain.errors import DomainError
from domain.policy import Policy
from domain.rectification import OpenCase
from store.campaign_models import CampaignCaseRow, CampaignSummary
from workflows.campaign import (
    CampaignInput,
    CampaignRequest,
    CampaignResult,
    CampaignView,
    CampaignWorkflow,
)
from workflows.search_attributes import CASE_KIND, REGION, STAGE


def _rpc_error(error: RPCError, campaign_id: str, timeout: float, request_id: str | None = None) -> CliError:
    if error.status == RPCStatusCode.NOT_FOUND:
        return CliError(f"no running campaign {campaign_id} (closed, or never started: `pdca campaign approve`)")
    if error.status in (RPCStatusCode.DEADLINE_EXCEEDED, RPCStatusCode.CANCELLED):
        return _no_worker(campaign_id, timeout, request_id)
    if error.status == RPCStatusCode.UNAVAILABLE:
        return CliError(f"cannot reach Temporal: is `pdca up` running? ({error.message})", UNAVAILABLE)
    return CliError(f"Temporal refused the request for {campaign_id}: {error.message}", UNAVAILABLE)


async def ensure_campaign(
    client: Client,
    actor: Actor,
    region: str | None,
    year: int,
    policy: Policy,
    settings: CampaignSettings,
    queue: str,
    timeout: float,
) -> WorkflowHandle:
    """The campaign's workflow: started now, or the one already running (never a second one).

    start_workflow with ``id_conflict_policy=USE_EXISTING`` returns the running workflow's handle;
    ``REJECT_DUPLICATE`` refuses to start a new run when the campaign of that year is already closed.
    """
    campaign_id = campaign_id_for(region, year)
    opening = OpenCampaign(actor=actor, region=region, year=year)
    try:
        from datetime import datetime

        decide(INITIAL_STATE, opening, datetime.now(UTC), policy)
    except DomainError as error:
        raise CliError(error.message, code=error.code) from None
    attributes = [SearchAttributePair(CASE_KIND, KIND), SearchAttributePair(STAGE, "open")]
    if region:
        attributes.append(SearchAttributePair(REGION, region))
    try:
        return await client.start_workflow(
            CampaignWorkflow.run,
            CampaignInput(campaign_id=campaign_id, policy=policy, settings=settings, open=opening),
            id=campaign_id,
            task_queue=queue,
            id_reuse_policy=WorkflowIDReusePolicy.REJECT_DUPLICATE,
            id_conflict_policy=WorkflowIDConflictPolicy.USE_EXISTING,
            search_attributes=TypedSearchAttributes(attributes),
            rpc_timeout=timedelta(seconds=timeout),
        )
    except WorkflowAlreadyStartedError:
        raise CliError(f"campaign {campaign_id} is closed (年度已总结): its year accepts no more approvals") from None
    except RPCError as error:
        raise _rpc_error(error, campaign_id, timeout) from None


async def send(client: Client, campaign_id: str, command: ApproveDesignation | CloseYear, request_id: str, timeout: float) -> CampaignResult:
    request = CampaignRequest(request_id=request_id, command=command)
    result: CampaignResult = await send_update(client, campaign_id, CampaignWorkflow.command, request, request_id, timeout, _rpc_error)
    return result


async def approve(
    client: Client,
    campaign_id: str,
    actor: Actor,
    opens: list[OpenCase],
    request_id: str,
    timeout: float,
    chunk: int,
    note: str = "",
) -> list[CampaignResult]:
    """Send the list in chunks (each an amending approval, request id ``{request_id}-{k}``): a large
    county's list stays far below Temporal's 2 MB payload limit, and a re-run adds only what is new."""
    results = []
    for k, start in enumerate(range(0, len(opens), chunk), start=1):
        part = opens[start : start + chunk]
        command = ApproveDesignation(actor=actor, designees=part, note=note)
        results.append(await send(client, campaign_id, command, f"{request_id}-{k}", timeout))
    return results


async def refresh(client: Client, campaign_id: str, timeout: float) -> CampaignView:
    handle = client.get_workflow_handle(campaign_id)
    try:
        view: CampaignView = await handle.execute_update(CampaignWorkflow.refresh, rpc_timeout=timedelta(seconds=timeout))
        return view
    except WorkflowUpdateFailedError as error:
        cause = error.cause
        raise CliError(getattr(cause, "message", str(cause)), code=getattr(cause, "type", None)) from None
    except WorkflowUpdateRPCTimeoutOrCancelledError:
        raise _no_worker(campaign_id, timeout) from None
    except RPCError as error:
        raise _rpc_error(error, campaign_id, timeout) from None


# ----------------------------------------------------------------------------- reading the projections


def status_data(engine: Engine, campaign_id: str) -> dict[str, Any] | None:
    """The campaign's row and per-case start status, as JSON-ready data (None when unknown)."""
    with Session(engine) as session:
        row = session.get(CampaignSummary, campaign_id)
        if row is None:
            return None
        cases = session.exec(
            select(CampaignCaseRow).where(CampaignCaseRow.campaign_id == campaign_id).order_by(col(CampaignCaseRow.case_id))
        ).all()
    by_township: dict[str, dict[str, int]] = {}
    for case in cases:
        counts = by_township.setdefault(case.region, {"designated": 0, "started": 0, "existing": 0, "pending": 0})
        counts["designated"] += 1
        counts[case.status] += 1
    return {
        "campaign_id": row.campaign_id,
        "region": row.region,
        "year": row.year,
        "stage": row.stage,
        "designated": row.designated,
        "started": row.started,
        "existing": row.existing,
        "pending": row.pending,
        "approvals": row.approvals,
        "batches": row.batches,
        "checks": row.checks,
        "last_check_at": row.last_check_at.isoformat() if row.last_check_at else None,
        "figures": json.loads(row.figures) if row.figures else None,
        "summary": json.loads(row.summary) if row.summary else None,
        "outcomes_recorded": row.outcomes_recorded,
        "opened_at": row.opened_at.isoformat() if row.opened_at else None,
        "closed_at": row.closed_at.isoformat() if row.closed_at else None,
        "starts_by_township": dict(sorted(by_township.items())),
    }
