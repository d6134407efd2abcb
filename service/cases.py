"""Rectification cases (整顿案件): one function per thing a door asks.

Changing a case (async; each returns ``service.commands.Done``): ``open_case``, ``submit_plan``,
``approve_plan``, ``return_plan``, ``report_progress``, ``complete_measure``, ``submit_self_check``,
``record_acceptance``, ``record_follow_up``, ``close_case``, ``pause``, ``resume``, ``extend``,
``decide_sanction``. Each builds the command and sends it to the case's workflow, whose validator runs
the rules; the request id is a fresh one unless the door passes one (to retry safely).

Reading a case (sync, from the audit log and its ledgers): ``show``, ``list_cases``, ``history``.
"""

from __future__ import annotations

from datetime import date, datetime

from domain.actors import Actor
from domain.permissions import may_see
from domain.policy import Policy
from domain.proposals import DecideSanction
from domain.rectification import (
    ApprovePlan,
    CaseState,
    CloseCase,
    CompleteMeasure,
    ExtendDeadline,
    OpenCase,
    Outcome,
    PauseMeasures,
    ProblemInput,
    RecordAcceptance,
    RecordFollowUp,
    ReportProgress,
    RequestRelief,
    ResumeMeasures,
    ReturnPlan,
    SubmitPlan,
    SubmitSelfCheck,
)
from domain.rectification.permissions import may_see_case
from domain.rungs import SanctionDecision
from service.bootstrap import Deps
from service.commands import Done, command, expect, folded, open_stream, send, trail
from service.errors import NotFound
from store import queries
from store.models import AuditEvent, CaseSummary

EXAMPLE = "rect-V001-2026"


async def _send(deps: Deps, case_id: str, cmd: object, request_id: str | None) -> Done:
    expect("case", case_id, EXAMPLE)
    return await send(deps, case_id, cmd, request_id)


# ----------------------------------------------------------------------------- changing a case


async def open_case(deps: Deps, opening: OpenCase, policy: Policy) -> Done:
    """立案: start the case's workflow (one case per organization and year)."""
    return await open_stream(deps, opening, policy)


async def submit_plan(deps: Deps, case_id: str, plan: SubmitPlan, request_id: str | None = None) -> Done:
    return await _send(deps, case_id, plan, request_id)


async def approve_plan(deps: Deps, case_id: str, actor: Actor, comments: str = "", request_id: str | None = None) -> Done:
    return await _send(deps, case_id, command(ApprovePlan, actor=actor, comments=comments), request_id)


async def return_plan(deps: Deps, case_id: str, actor: Actor, comments: str, request_id: str | None = None) -> Done:
    return await _send(deps, case_id, command(ReturnPlan, actor=actor, comments=comments), request_id)


async def report_progress(
    deps: Deps, case_id: str, actor: Actor, measure_id: str, note: str, evidence: list[str], request_id: str | None = None
) -> Done:
    cmd = command(ReportProgress, actor=actor, measure_id=measure_id, note=note, evidence=evidence)
    return await _send(deps, case_id, cmd, request_id)


async def complete_measure(
    deps: Deps, case_id: str, actor: Actor, measure_id: str, note: str, evidence: list[str], request_id: str | None = None
) -> Done:
    cmd = command(CompleteMeasure, actor=actor, measure_id=measure_id, note=note, evidence=evidence)
    return await _send(deps, case_id, cmd, request_id)


async def submit_self_check(deps: Deps, case_id: str, actor: Actor, summary: str, request_id: str | None = None) -> Done:
    return await _send(deps, case_id, command(SubmitSelfCheck, actor=actor, summary=summary), request_id)


async def record_acceptance(
    deps: Deps, case_id: str, actor: Actor, score: float, unsatisfied_share: float, comments: str = "", request_id: str | None = None
) -> Done:
    cmd = command(RecordAcceptance, actor=actor, score=score, unsatisfied_share=unsatisfied_share, comments=comments)
    return await _send(deps, case_id, cmd, request_id)


async def record_follow_up(
    deps: Deps,
    case_id: str,
    actor: Actor,
    note: str,
    relapsed: bool = False,
    new_problems: list[ProblemInput] | None = None,
    request_id: str | None = None,
) -> Done:
    cmd = command(RecordFollowUp, actor=actor, relapsed=relapsed, note=note, new_problems=new_problems or [])
    return await _send(deps, case_id, cmd, request_id)


async def close_case(deps: Deps, case_id: str, actor: Actor, outcome: Outcome, note: str = "", request_id: str | None = None) -> Done:
    return await _send(deps, case_id, command(CloseCase, actor=actor, outcome=outcome, note=note), request_id)


async def request_relief(
    deps: Deps, case_id: str, actor: Actor, reason: str, measure_ids: list[str], request_id: str | None = None
) -> Done:
    """暂停/延期申请: the one who needs more time asks (their credential proves who); ids Q1, Q2, …"""
    return await _send(deps, case_id, command(RequestRelief, actor=actor, measure_ids=measure_ids, reason=reason), request_id)


async def pause(
    deps: Deps,
    case_id: str,
    actor: Actor,
    reason: str,
    requested_by: str | None,
    measure_ids: list[str],
    request_id: str | None = None,
    relief: str | None = None,
) -> Done:
    cmd = command(PauseMeasures, actor=actor, measure_ids=measure_ids, reason=reason, requested_by=requested_by, request=relief)
    return await _send(deps, case_id, cmd, request_id)


async def resume(deps: Deps, case_id: str, actor: Actor, measure_ids: list[str], note: str = "", request_id: str | None = None) -> Done:
    return await _send(deps, case_id, command(ResumeMeasures, actor=actor, measure_ids=measure_ids, note=note), request_id)


async def extend(
    deps: Deps,
    case_id: str,
    actor: Actor,
    measure_id: str,
    reason: str,
    to: str | date | datetime | None = None,
    by: str | None = None,
    requested_by: str | None = None,
    request_id: str | None = None,
    relief: str | None = None,
) -> Done:
    cmd = command(
        ExtendDeadline, actor=actor, measure_id=measure_id, to=to, by=by, reason=reason, requested_by=requested_by, request=relief
    )
    return await _send(deps, case_id, cmd, request_id)


async def decide_sanction(
    deps: Deps,
    case_id: str,
    actor: Actor,
    decision: SanctionDecision,
    proposal_id: str | None = None,
    measure_id: str | None = None,
    rung: str | None = None,
    comment: str = "",
    request_id: str | None = None,
) -> Done:
    """Approve or dismiss a sanction proposal: ``proposal_id``, else ``rung`` (and ``measure_id``), else
    the only pending one (the rules refuse when several are pending or none is)."""
    cmd = command(
        DecideSanction, actor=actor, proposal_id=proposal_id, measure_id=measure_id, rung=rung, decision=decision, comment=comment
    )
    return await _send(deps, case_id, cmd, request_id)


# ----------------------------------------------------------------------------- reading


def history(deps: Deps, case_id: str) -> list[AuditEvent]:
    """The case's audit rows in version order (全程纪实)."""
    expect("case", case_id, EXAMPLE)
    return trail(deps, case_id)


def show(deps: Deps, case_id: str, visible_to: Actor | None = None) -> CaseState:
    """The case as its audit rows fold: stage, problems, measures, acceptance rounds, proposals;
    ``visible_to``: ``NotFound`` unless that person may see it (as if it did not exist)."""
    expect("case", case_id, EXAMPLE)
    state: CaseState = folded(deps, case_id)
    if visible_to is not None and not may_see_case(visible_to, state):
        raise NotFound(f"unknown case {case_id}", case_id)
    return state


def list_cases(
    deps: Deps,
    *,
    stage: str | None = None,
    org_code: str | None = None,
    region: str | None = None,
    overdue: bool | None = None,
    visible_to: Actor | None = None,
) -> list[CaseSummary]:
    """Rows of the case ledger, filtered; ``visible_to``: only the cases that person may see (their
    scope, or a measure they are responsible for — domain.permissions.may_see)."""
    rows = deps.reading(lambda engine: queries.case_summaries(engine, stage=stage, org_code=org_code, region=region, overdue=overdue))
    if visible_to is None:
        return rows
    involved = set(deps.reading(lambda engine: queries.cases_involving(engine, visible_to.id)))
    return [c for c in rows if may_see(visible_to, c.org_code, c.region, involved=c.case_id in involved)]
