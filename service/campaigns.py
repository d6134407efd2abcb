"""The annual campaign (年度整顿工作) for any door: approve a designation, refresh, close the year, read it.

    campaign_id(region, year)                                   -> "camp-城关镇-2026"
    plan_approval(deps, year, actor, policy, region=, leaders=) -> ApprovalPlan (the list `preview` shows)
    await approve(deps, plan, actor, policy, request_id=, ...)  -> CampaignDone
    await ensure(deps, actor, region, year, policy, settings)   -> Opened (the campaign started, or running)
    await open_campaign(deps, actor, region, year, policy)      -> CampaignDone   (open before the steps)
    await record_step(deps, cid, actor, step, note, org_codes=, request_id=) -> CampaignDone (认定程序 one step)
    await steps(deps, cid, policy=)                             -> (source, [StepStatus]) (the procedure it enforces, recorded or not)
    await approve_in_chunks(deps, campaign_id, actor, opens, request_id=, chunk=) -> [CampaignResult]
    await refresh(deps, campaign_id)                            -> CampaignView   (check the cases now)
    await view(deps, campaign_id)                               -> CampaignView   (the `summary` query)
    await close_year(deps, campaign_id, actor, note=, request_id=) -> CampaignDone
    status(deps, campaign_id)                                   -> dict | None    (the campaign ledger)
    projects(deps, year, region=, level=, limit=)               -> dict           (its projects, level by level)
    history(deps, campaign_id)                                  -> [AuditEvent]   (its audit trail, 全程纪实)

Nothing here decides: the campaign workflow's validator runs the rules on the opening and on every
command (``service.streams``); the ledgers are read through ``store.queries``. Errors are
``service.errors``; the commands that change the campaign answer ``CampaignDone`` (``service.commands.Done``
with the campaign's counts).
"""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from domain.actors import Actor
from domain.campaign import (
    DECIDER,
    ApproveDesignation,
    CampaignSettings,
    CampaignState,
    CloseYear,
    OpenCampaign,
    RecordDesignationStep,
    campaign_id_for,
)
from domain.designation import DesignationList
from domain.directory import Organization
from domain.policy import Policy
from domain.policy.designation import DesignationStep
from domain.rectification import OpenCase
from domain.timeutil import SHANGHAI
from service import streams
from service.bootstrap import Deps
from service.commands import Done, done_of, trail
from service.commands import command as build
from service.directory import designation_preview
from service.errors import Closed, NotFound, Refused, Unavailable
from store.dashboard_queries import campaign_start_counts
from store.directory import Directory
from store.models import AuditEvent
from store.queries import fold_stream, read_stream
from workflows.campaign import CampaignResult, CampaignView

__all__ = [
    "ApprovalPlan",
    "CampaignDone",
    "approve",
    "approve_in_chunks",
    "campaign_id",
    "close_year",
    "ensure",
    "StepStatus",
    "opening_checked",
    "history",
    "open_campaign",
    "plan_approval",
    "record_step",
    "steps",
    "projects",
    "refresh",
    "status",
    "view",
]


def campaign_id(region: str | None, year: int) -> str:
    return campaign_id_for(region, year)


def _not_running(cid: str) -> NotFound:
    return NotFound(f"no running campaign {cid} (closed, or never started: `pdca campaign approve`)", cid)


class CampaignDone(Done):
    """What a campaign command did (``Done``), with the campaign's counts after it."""

    designated: int  # organizations on the approved list
    started: int  # cases the campaign started
    pending: int  # approved, not started yet
    designees: list[str] = []  # approve: the organization codes of the list, in list order
    approvals_recorded: int = 0  # approve: chunks that added someone (0: everyone was approved before)


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

    @property
    def classes(self) -> dict[str, Any]:
        """The 分类 result of each designee that has one (recorded with the approval)."""
        return {d.org_code: d.classification for d in self.designation.designees if d.classification is not None}

    @property
    def labels(self) -> dict[str, str]:
        """What the list calls each designee (e.g. 三有一化薄弱社区党组织)."""
        return {d.org_code: d.label for d in self.designation.designees}


def plan_approval(
    deps: Deps,
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
    designation = designation_preview(deps, year, policy, region=region)
    if not designation.designees:
        raise Refused(f"nobody is designated for {year}{' in ' + region if region else ''}: nothing to approve")
    defaults = list(leaders or []) or list(policy.supervisors) or [actor.id]
    try:
        opens = [d.open_case(year, actor, defaults) for d in designation.designees]
    except ValueError as error:
        raise Refused(str(error)) from None
    return ApprovalPlan(campaign_id_for(region, year), region, year, designation, opens)


async def ensure(deps: Deps, actor: Actor, region: str | None, year: int, policy: Policy, settings: CampaignSettings) -> streams.Opened:
    """The campaign's workflow, started now (the workflow decides the opening) or the one already
    running — never a second one; a closed year is ``Closed``."""
    opening = OpenCampaign(actor=actor, region=region, year=year)
    try:
        return await streams.open_stream(deps, opening, policy, if_running="use", settings=settings)
    except Closed:
        cid = campaign_id_for(region, year)
        raise Closed(f"campaign {cid} is closed (年度已总结): its year accepts no more approvals") from None


async def approve_in_chunks(
    deps: Deps,
    cid: str,
    actor: Actor,
    opens: list[OpenCase],
    *,
    request_id: str,
    chunk: int,
    note: str = "",
    classes: dict[str, Any] | None = None,
    labels: dict[str, str] | None = None,
) -> list[CampaignResult]:
    """Send the list in chunks (each an amending approval, request id ``{request_id}-{k}``): a large
    county's list stays far below Temporal's 2 MB payload limit, and a re-run adds only what is new.
    ``classes`` / ``labels``: each designee's 分类 result and name on the list, recorded with it."""
    results: list[CampaignResult] = []
    for k, start in enumerate(range(0, len(opens), chunk), start=1):
        part = opens[start : start + chunk]
        codes = {o.org_code for o in part}
        command = ApproveDesignation(
            actor=actor,
            designees=part,
            note=note,
            classes={c: v for c, v in (classes or {}).items() if c in codes},
            labels={c: v for c, v in (labels or {}).items() if c in codes},
        )
        try:
            results.append(await streams.send(deps, cid, command, request_id=f"{request_id}-{k}"))
        except NotFound:
            raise _not_running(cid) from None
    return results


async def approve(
    deps: Deps,
    plan: ApprovalPlan,
    actor: Actor,
    policy: Policy,
    *,
    request_id: str | None = None,
    note: str = "",
    batch_size: int | None = None,
    batch_pause: float | None = None,
) -> CampaignDone:
    """Approve ``plan``: start the campaign if it is not running (starting ``batch_size`` cases every
    ``batch_pause`` seconds; None: ``CampaignSettings``' defaults, 50 every 2 s), then send the list.
    The campaign starts one case per designee; a case that already exists is counted, never duplicated;
    approving again adds only what is new. ``events``: the campaign's opening (when this started it)
    and the approvals recorded."""
    pacing: dict[str, Any] = {}
    if batch_size is not None:
        pacing["start_batch_size"] = batch_size
    if batch_pause is not None:
        pacing["batch_pause"] = timedelta(seconds=batch_pause)
    settings = CampaignSettings(**pacing)
    rid = request_id or uuid.uuid4().hex
    opened = await ensure(deps, actor, plan.region, plan.year, policy, settings)
    results = await approve_in_chunks(
        deps,
        plan.campaign_id,
        actor,
        plan.opens,
        request_id=rid,
        chunk=settings.approval_chunk,
        note=note,
        classes=plan.classes,
        labels=plan.labels,
    )
    last = results[-1]
    return CampaignDone(
        stream_id=plan.campaign_id,
        version=last.version,
        stage=last.stage.value,
        events=[*opened.events, *(event for result in results for event in result.events)],
        duplicate=all(result.duplicate for result in results),
        request_id=rid,
        designated=last.designated,
        started=last.started,
        pending=last.pending,
        designees=[o.org_code for o in plan.opens],
        approvals_recorded=sum(1 for result in results if result.events),
    )


# ----------------------------------------------------------------------------- the designation steps (认定程序)


async def open_campaign(deps: Deps, actor: Actor, region: str | None, year: int, policy: Policy) -> CampaignDone:
    """Open the campaign of ``region`` and ``year`` without approving anything (before its designation
    steps are recorded), with ``policy`` (its ``designation.steps`` are the procedure, recorded on the
    opening event); a running one is taken as it is. ``Refused`` for a region the directory does not
    know (naming the known ones) and a year after next year (``opening_checked``)."""
    opening_checked(deps, region, year)
    opened = await ensure(deps, actor, region, year, policy, CampaignSettings())
    state = opened.state
    return CampaignDone(
        stream_id=opened.stream_id,
        version=state.version,
        stage=state.stage.value,
        events=list(opened.events),
        duplicate=not opened.events,
        designated=len(state.cases),
        started=state.started,
        pending=len(state.pending),
    )


async def record_step(
    deps: Deps, cid: str, actor: Actor, step: str, note: str, *, org_codes: list[str] | None = None, request_id: str | None = None
) -> CampaignDone:
    """Record one step of the designation procedure on the running campaign (the campaign's policy
    names the steps, their order and roles; the workflow verifies the actor). The organizations the
    step names must be in the directory and, for a township's campaign, of that township: else
    ``Refused`` naming the codes, before anything is sent (the approval would refuse them later)."""
    codes = list(org_codes or [])
    if codes:
        state = _campaign_state(deps, cid)
        if state is None:
            raise _not_running(cid)
        _check_step_orgs(deps, state.region, codes)
    command = build(RecordDesignationStep, actor=actor, step=step, note=note, org_codes=codes)
    try:
        result: CampaignResult = await streams.send(deps, cid, command, request_id=request_id or uuid.uuid4().hex)
    except NotFound:
        raise _not_running(cid) from None
    return done_of(CampaignDone, cid, result, designated=result.designated, started=result.started, pending=result.pending)


@dataclass(frozen=True)
class StepStatus:
    """One step of the procedure and its latest record (None: not recorded yet)."""

    index: int
    code: str
    zh: str
    en: str
    roles: list[str]
    actor: str | None = None
    at: datetime | None = None
    note: str | None = None
    org_codes: tuple[str, ...] = ()


async def steps(deps: Deps, cid: str, policy: Policy | None = None) -> tuple[str, list[StepStatus]]:
    """The designation procedure the campaign enforces and what its audit log recorded of it, with where
    the procedure was read (``source``):

    * ``opening``: the campaign's opening event (``CampaignOpened.steps``, the policy it was opened
      with) — the audit log alone answers, without Temporal;
    * ``workflow``: a campaign opened before the opening recorded it: the running workflow's own
      policy (its ``policy`` query);
    * ``policy``: such a campaign whose workflow no longer runs: ``policy`` (the --policy file), the
      best left to show.

    ``NotFound`` when the audit log has no such campaign (never opened)."""
    state = _campaign_state(deps, cid)
    if state is None:
        raise NotFound(
            f"没有年度整顿工作 {cid}（从未启动：pdca campaign open）/ no campaign {cid} in the audit log "
            "(never opened: `pdca campaign open`)",
            cid,
        )
    procedure: list[DesignationStep]
    if state.procedure is not None:
        source, procedure = "opening", state.procedure
    else:
        try:
            running = await streams.query(deps, cid, "policy", Policy)
            source, procedure = "workflow", list(running.designation.steps)
        except (NotFound, Closed, Unavailable):
            source, procedure = "policy", list((policy or Policy()).designation.steps)
    out: list[StepStatus] = []
    for i, spec in enumerate(procedure, start=1):
        done = state.steps.get(spec.code)
        out.append(
            StepStatus(
                index=i,
                code=spec.code,
                zh=spec.zh,
                en=spec.en,
                roles=[r.value for r in spec.roles],
                actor=done.actor if done else None,
                at=done.at if done else None,
                note=done.note if done else None,
                org_codes=tuple(done.org_codes) if done else (),
            )
        )
    return source, out


def _campaign_state(deps: Deps, cid: str) -> CampaignState | None:
    """The campaign as its audit log folds (None: no events, never opened)."""
    rows = deps.reading(lambda engine: read_stream(engine, cid))
    return fold_stream(rows, DECIDER) if rows else None


def _check_step_orgs(deps: Deps, region: str | None, codes: list[str]) -> None:
    """Every code names an organization of the directory, of ``region`` when the campaign has one."""

    wanted = set(codes)
    found: dict[str, Organization] = {
        o.code: o for o in deps.reading(lambda engine: Directory(engine).organizations()) if o.code in wanted
    }
    unknown = [code for code in dict.fromkeys(codes) if code not in found]
    if unknown:
        listed = ", ".join(unknown[:20])
        raise Refused(f"--org：名录中没有这些党组织：{listed} / --org: not in the organization directory: {listed}")
    if region is not None:
        outside = [f"{code}（{found[code].region}）" for code in dict.fromkeys(codes) if found[code].region != region]
        if outside:
            listed = ", ".join(outside[:20])
            raise Refused(f"--org：不属于本次整顿的乡镇 {region}：{listed} / --org: not of the campaign's region {region}: {listed}")


def opening_checked(deps: Deps, region: str | None, year: int, *, today: date | None = None) -> None:
    """A campaign may be opened for a region the directory knows (None: the county) and a year up to
    next year (Beijing time); else ``Refused`` naming the option and what is accepted."""
    this_year = (today or datetime.now(SHANGHAI).date()).year
    if year > this_year + 1:
        raise Refused(
            f"--year {year}：最多可启动明年（{this_year + 1}）的年度整顿工作 / --year {year}: a campaign may be opened "
            f"up to next year ({this_year + 1})"
        )
    if region is None:
        return
    known = deps.reading(lambda engine: Directory(engine).regions())
    if region not in known:
        names = "、".join(known) if known else "无（先导入名录：pdca org import FILE）"
        names_en = ", ".join(known) if known else "none (import the directory first: pdca org import FILE)"
        raise Refused(f"--region：名录中没有乡镇 {region!r}，已有：{names} / --region: unknown region {region!r}; known: {names_en}")


# ----------------------------------------------------------------------------- refresh, view, close the year


async def refresh(deps: Deps, cid: str) -> CampaignView:
    """Ask the campaign to check its cases now (a CheckRecorded event when the figures changed)."""
    try:
        return await streams.update(await deps.client(), cid, "refresh", None, CampaignView, deps.timeout)
    except NotFound:
        raise _not_running(cid) from None


async def view(deps: Deps, cid: str) -> CampaignView:
    """The running campaign as its ``summary`` query answers (counts, last check, next check)."""
    try:
        return await streams.query(deps, cid, "summary", CampaignView)
    except NotFound:
        raise _not_running(cid) from None


async def close_year(deps: Deps, cid: str, actor: Actor, *, note: str = "", request_id: str | None = None) -> CampaignDone:
    """Close the campaign's year now (it closes itself on 31 December at 18:00 otherwise): the
    year-end summary, then each designated organization's outcome written back to the directory."""
    try:
        result: CampaignResult = await streams.send(deps, cid, CloseYear(actor=actor, note=note), request_id=request_id or uuid.uuid4().hex)
    except NotFound:
        raise _not_running(cid) from None
    return done_of(CampaignDone, cid, result, designated=result.designated, started=result.started, pending=result.pending)


# ----------------------------------------------------------------------------- reading the ledgers


def status(deps: Deps, cid: str) -> dict[str, Any] | None:
    """The campaign's ledger row and per-township start counts, as JSON-ready data (None when unknown)."""
    row, starts = deps.reading(lambda engine: campaign_start_counts(engine, cid))  # a GROUP BY, whatever the list's length
    if row is None:
        return None
    by_township: dict[str, dict[str, int]] = {}
    for start in starts:
        counts = by_township.setdefault(start.region, {"designated": 0, "started": 0, "existing": 0, "pending": 0})
        counts["designated"] += start.organizations
        counts[start.status] += start.organizations
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


def projects(
    deps: Deps, year: int, *, region: str | None = None, level: str | None = None, limit: int | None = 20, now: datetime | None = None
) -> dict[str, Any]:
    """The secretary / committee-member / branch projects (书记项目 / 委员项目 / 支部项目) of ``region``
    (None: the county) and ``year``, level by level: each level's figures (applied, approved, completed,
    rated, overdue …) and its first ``limit`` ledger rows (None: all); ``figures`` the total over the
    levels. ``now`` is unused (the figures are the ledger's as it stands); kept for callers."""
    from service.projects import by_level

    return by_level(deps, year, region=region, level=level, limit=limit)


def history(deps: Deps, cid: str) -> list[AuditEvent]:
    """The campaign's audit rows in version order (全程纪实); ``NotFound`` when it has none."""
    return trail(deps, cid, f"no campaign {cid} in the audit log (never approved: `pdca campaign approve`)")
