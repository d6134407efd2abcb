"""Rectification cases (整顿案件): one function per thing a door asks.

Changing a case (async; each returns ``service.commands.Done``): ``open_case``, ``submit_plan``,
``approve_plan``, ``return_plan``, ``report_progress``, ``complete_measure``, ``submit_self_check``,
``record_acceptance``, ``record_follow_up``, ``close_case``, ``pause``, ``resume``, ``extend``,
``decide_sanction``, ``record_execution``, ``record_findings``. Each builds the command and sends it
to the case's workflow, whose validator runs the rules; the request id is a fresh one unless the door passes one (to retry safely).

Reading a case (sync, from the audit log and its ledgers): ``show``, ``list_cases``, ``list_page``,
``history`` — defined in service/case_reads.py (so a read does not import Temporal), re-exported here.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date, datetime
from typing import Any

from domain.actors import Actor
from domain.policy import Policy
from domain.proposals import DecideSanction
from domain.rectification import (
    ApprovePlan,
    CloseCase,
    CompleteMeasure,
    ExtendDeadline,
    FindingInput,
    OpenCase,
    Outcome,
    PauseMeasures,
    ProblemInput,
    RecordAcceptance,
    RecordExecution,
    RecordFindings,
    RecordFollowUp,
    ReportProgress,
    RequestRelief,
    ResumeMeasures,
    ReturnPlan,
    SubmitPlan,
    SubmitSelfCheck,
)
from domain.rungs import SanctionDecision
from service.bootstrap import Deps
from service.case_reads import EXAMPLE, CaseList, history, list_cases, list_page, show  # noqa: F401 (the reads, re-exported)
from service.commands import Done, command, expect, open_stream, send
from service.errors import InvalidField
from store.models import AuditEvent, CaseSummary  # noqa: F401 (the rows the reads answer; api/ imports them from here)


async def _send(deps: Deps, case_id: str, cmd: object, request_id: str | None) -> Done:
    expect("case", case_id, EXAMPLE)
    return await send(deps, case_id, cmd, request_id)


# ----------------------------------------------------------------------------- changing a case


async def open_case(deps: Deps, opening: OpenCase, policy: Policy) -> Done:
    """立案: start the case's workflow (one case per organization and year). The organization's secretary,
    history and pairing units are read from the directory by the workflow (memory rules on every case),
    never taken from the opening: a case file that gives them is refused, naming the field."""
    for name in ("history", "secretary", "pairings"):
        if getattr(opening, name) is not None:
            raise InvalidField(name, "read from the organization directory when the case opens (pdca org import); leave it out")
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


async def record_execution(
    deps: Deps,
    case_id: str,
    actor: Actor,
    proposal_id: str,
    action: str,
    executed_on: date | str,
    new_secretary: str | None = None,
    request_id: str | None = None,
) -> Done:
    """落实问责: an approved 组织调整 / 诫勉谈话 proposal carried out (once per proposal); with
    ``new_secretary`` (组织调整 only) the case and the directory's organization get the new secretary."""
    cmd = command(
        RecordExecution, actor=actor, proposal_id=proposal_id, action=action, executed_on=executed_on, new_secretary=new_secretary
    )
    return await _send(deps, case_id, cmd, request_id)


async def record_findings(
    deps: Deps,
    case_id: str,
    actor: Actor,
    source: str,
    findings: Sequence[FindingInput | Mapping[str, Any]],
    request_id: str | None = None,
) -> Done:
    """检查发现问题: an inspection's findings (``source``, e.g. insp-2027-001; each {finding_id, category,
    description}) become problems of the case's current cycle (P4, P5, …, marked with the source); the
    plan must then address them — a supplementary plan once it is approved (docs/inspections.md).
    Supervisors and county leaders, while the case is live; each finding of a source once."""
    cmd = command(RecordFindings, actor=actor, source=source, findings=list(findings))
    return await _send(deps, case_id, cmd, request_id)


# ----------------------------------------------------------------------------- reading

# show, history, list_cases and list_page live in service/case_reads.py (a read imports no Temporal client)
