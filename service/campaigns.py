"""The annual campaign (年度整顿工作) for any door: approve a designation, refresh, close the year, read it.

    campaign_id(region, year)                                   -> "camp-城关镇-2026"
    plan_approval(engine, year, actor, policy, region=, leaders=) -> ApprovalPlan (the list `preview` shows)
    await approve(client, plan, actor, policy, task_queue=, timeout=, request_id=, ...) -> ApprovalOutcome
    await ensure(client, actor, region, year, policy, settings, task_queue=, timeout=) -> CampaignState
    await approve_in_chunks(client, campaign_id, actor, opens, request_id=, timeout=, chunk=) -> [CampaignResult]
    await refresh(client, campaign_id, timeout=)                -> CampaignView   (check the cases now)
    await view(client, campaign_id, timeout=)                   -> CampaignView   (the `summary` query)
    await close_year(client, campaign_id, actor, note=, request_id=, timeout=) -> CampaignResult
    status(engine, campaign_id)                                 -> dict | None    (the campaign ledger)
    projects(engine, year, region=, now=)                       -> dict           (its secretary projects)
    history(engine, campaign_id)                                -> [AuditEvent]   (its audit trail, 全程纪实)

Nothing here decides: the campaign workflow's validator runs the rules on the opening and on every
command (``service.streams``); the ledgers are read through ``store.queries``. Errors are
``service.errors``.
"""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy.engine import Engine
from temporalio.client import Client, RPCError, WorkflowUpdateFailedError, WorkflowUpdateRPCTimeoutOrCancelledError
from temporalio.exceptions import ApplicationError
from temporalio.service import RPCStatusCode

from domain.actors import Actor
from domain.campaign import ApproveDesignation, CampaignSettings, CampaignState, CloseYear, OpenCampaign, campaign_id_for
from domain.designation import DesignationList
from domain.policy import Policy
from domain.rectification import OpenCase
from reports.figures import project_figures
from service.directory import designation_preview
from service.errors import NotFound, Refused, Unavailable
from service.reports import ready
from service.streams import _no_worker, _rpc_error, open_stream, send
from store.db import format_utc
from store.models import AuditEvent
from store.project_models import ProjectSummary
from store.queries import campaign_status, project_summaries, read_stream
from workflows.campaign import CampaignResult, CampaignView

__all__ = [
    "ApprovalOutcome",
    "ApprovalPlan",
    "approve",
    "approve_in_chunks",
    "campaign_id",
    "close_year",
    "ensure",
    "history",
    "plan_approval",
    "projects",
    "refresh",
    "status",
    "view",
]


def campaign_id(region: str | None, year: int) -> str:
    return campaign_id_for(region, year)


def _not_running(cid: str) -> NotFound:
    return NotFound(f"no running campaign {cid} (closed, or never started: `pdca campaign approve`)", cid)


# ----------------------------------------------------------------------------- approve


@dataclass(frozen=True)
class ApprovalPlan:
    """What an approval sends: the designation list (as `pdca campaign preview` computes it) and one
    OpenCase per designee."""

    campaign_id: str
    region: str | None
    year: int
    designation: DesignationList
    opens: list[OpenCase]


@dataclass(frozen=True)
class ApprovalOutcome:
    campaign_id: str
    request_id: str
    designees: list[str]  # organization codes, in list order
    last: CampaignResult  # the answer to the last chunk: the campaign's counts now
    approvals_recorded: int  # chunks that added someone (0: everyone was approved before)

    def as_data(self) -> dict[str, Any]:
        return {
            "campaign_id": self.campaign_id,
            "request_id": self.request_id,
            "designees": self.designees,
            "designated": self.last.designated,
            "started": self.last.started,
            "pending": self.last.pending,
            "version": self.last.version,
            "approvals_recorded": self.approvals_recorded,
        }


def plan_approval(
    engine: Engine,
    year: int,
    actor: Actor,
    policy: Policy,
    *,
    region: str | None = None,
    leaders: list[str] | None = None,
) -> ApprovalPlan:
    """The designation list of ``year`` (and ``region``) and the case openings it approves. Liaison
    leaders default to ``leaders``, else the policy's supervisors, else the approver. ``Refused`` when
    nobody is designated or a designee cannot be opened."""
    designation = designation_preview(engine, year, policy, region=region)
    if not designation.designees:
        raise Refused(f"nobody is designated for {year}{' in ' + region if region else ''}: nothing to approve")
    defaults = list(leaders or []) or list(policy.supervisors) or [actor.id]
    try:
        opens = [d.open_case(year, actor, defaults) for d in designation.designees]
    except ValueError as error:
        raise Refused(str(error)) from None
    return ApprovalPlan(campaign_id_for(region, year), region, year, designation, opens)


async def ensure(
    client: Client,
    actor: Actor,
    region: str | None,
    year: int,
    policy: Policy,
    settings: CampaignSettings,
    *,
    task_queue: str,
    timeout: float,
) -> CampaignState:
    """The campaign's workflow, started now (the workflow decides the opening) or the one already
    running — never a second one; a closed year is ``Refused``."""
    opening = OpenCampaign(actor=actor, region=region, year=year)
    try:
        state: CampaignState = await open_stream(  # type: ignore[assignment]
            client, opening, policy, task_queue=task_queue, timeout=timeout, if_running="use", settings=settings
        )
    except Refused as refused:
        cid = campaign_id_for(region, year)
        if refused.code is None and refused.message.startswith(f"campaign {cid} is closed"):
            raise Refused(f"campaign {cid} is closed (年度已总结): its year accepts no more approvals") from None
        raise
    return state


async def approve_in_chunks(
    client: Client,
    cid: str,
    actor: Actor,
    opens: list[OpenCase],
    *,
    request_id: str,
    timeout: float,
    chunk: int,
    note: str = "",
) -> list[CampaignResult]:
    """Send the list in chunks (each an amending approval, request id ``{request_id}-{k}``): a large
    county's list stays far below Temporal's 2 MB payload limit, and a re-run adds only what is new."""
    results: list[CampaignResult] = []
    for k, start in enumerate(range(0, len(opens), chunk), start=1):
        command = ApproveDesignation(actor=actor, designees=opens[start : start + chunk], note=note)
        try:
            results.append(await send(client, cid, command, request_id=f"{request_id}-{k}", timeout=timeout))
        except NotFound:
            raise _not_running(cid) from None
    return results


async def approve(
    client: Client,
    plan: ApprovalPlan,
    actor: Actor,
    policy: Policy,
    *,
    task_queue: str,
    timeout: float,
    request_id: str | None = None,
    note: str = "",
    batch_size: int = 50,
    batch_pause: float = 2.0,
) -> ApprovalOutcome:
    """Approve ``plan``: start the campaign if it is not running (starting ``batch_size`` cases every
    ``batch_pause`` seconds), then send the list. The campaign starts one case per designee; a case
    that already exists is counted, never duplicated; approving again adds only what is new."""
    settings = CampaignSettings(start_batch_size=batch_size, batch_pause=timedelta(seconds=batch_pause))
    rid = request_id or uuid.uuid4().hex
    await ensure(client, actor, plan.region, plan.year, policy, settings, task_queue=task_queue, timeout=timeout)
    results = await approve_in_chunks(
        client, plan.campaign_id, actor, plan.opens, request_id=rid, timeout=timeout, chunk=settings.approval_chunk, note=note
    )
    return ApprovalOutcome(
        campaign_id=plan.campaign_id,
        request_id=rid,
        designees=[o.org_code for o in plan.opens],
        last=results[-1],
        approvals_recorded=sum(1 for r in results if r.events),
    )


# ----------------------------------------------------------------------------- refresh, view, close the year


async def refresh(client: Client, cid: str, *, timeout: float) -> CampaignView:
    """Ask the campaign to check its cases now (a CheckRecorded event when the figures changed)."""
    handle = client.get_workflow_handle(cid)
    try:
        result: CampaignView = await handle.execute_update("refresh", result_type=CampaignView, rpc_timeout=timedelta(seconds=timeout))
        return result
    except WorkflowUpdateFailedError as error:
        cause = error.cause
        if isinstance(cause, ApplicationError):
            raise Refused(cause.message, code=cause.type) from None
        raise Refused(str(cause)) from None
    except WorkflowUpdateRPCTimeoutOrCancelledError:
        raise _no_worker(cid, timeout) from None
    except RPCError as error:
        raise _campaign_rpc_error(error, cid, timeout) from None


async def view(client: Client, cid: str, *, timeout: float) -> CampaignView:
    """The running campaign as its ``summary`` query answers (counts, last check, next check)."""
    try:
        result: CampaignView = await client.get_workflow_handle(cid).query(
            "summary", result_type=CampaignView, rpc_timeout=timedelta(seconds=timeout)
        )
        return result
    except RPCError as error:
        raise _campaign_rpc_error(error, cid, timeout) from None


def _campaign_rpc_error(error: RPCError, cid: str, timeout: float) -> NotFound | Refused | Unavailable:
    if error.status == RPCStatusCode.NOT_FOUND:
        return _not_running(cid)
    mapped = _rpc_error(error, cid, timeout)
    return _not_running(cid) if isinstance(mapped, NotFound) else mapped  # type: ignore[return-value]


async def close_year(
    client: Client, cid: str, actor: Actor, *, note: str = "", request_id: str | None = None, timeout: float
) -> CampaignResult:
    """Close the campaign's year now (it closes itself on 31 December at 18:00 otherwise): the
    year-end summary, then each designated organization's outcome written back to the directory."""
    try:
        result: CampaignResult = await send(
            client, cid, CloseYear(actor=actor, note=note), request_id=request_id or uuid.uuid4().hex, timeout=timeout
        )
        return result
    except NotFound:
        raise _not_running(cid) from None


# ----------------------------------------------------------------------------- reading the ledgers


def status(engine: Engine, cid: str) -> dict[str, Any] | None:
    """The campaign's ledger row and per-township start counts, as JSON-ready data (None when unknown)."""
    with ready(engine):
        found = campaign_status(engine, cid)
    if found is None:
        return None
    row, cases = found
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


def projects(engine: Engine, year: int, *, region: str | None = None, now: datetime | None = None) -> dict[str, Any]:
    """The secretary / committee-member / branch projects of ``region`` (None: the county) and ``year``:
    their ledger rows (times as stored, UTC text) and the figures over them as of ``now``."""
    with ready(engine):
        summaries = project_summaries(engine, year=year, region=region)
    rows = [
        {name: format_utc(v) if isinstance(v, datetime) else v for name, v in ((n, getattr(s, n)) for n in ProjectSummary.model_fields)}
        for s in summaries
    ]
    figures = project_figures(rows, now or datetime.now(UTC), year=year, region=region)
    return {"year": year, "region": region, "projects": rows, "figures": figures.model_dump(mode="json")}


def history(engine: Engine, cid: str) -> list[AuditEvent]:
    """The campaign's audit rows in version order (全程纪实); ``NotFound`` when it has none."""
    with ready(engine):
        rows = read_stream(engine, cid)
    if not rows:
        raise NotFound(f"no campaign {cid} in the audit log (never approved: `pdca campaign approve`)", cid)
    return rows
