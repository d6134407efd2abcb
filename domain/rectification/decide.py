"""The case's decider: ``decide(state, command, ctx)`` returns the events a command produces now, or
raises a DomainError saying why not. Plan (open, plan, review), Do (progress, completion), Check
(self-check, acceptance), Act (follow-up, close) and sanction decisions are here; the clock and
the deadline moves are in ``timing``, the cross-year memory proposals in ``memory``."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from domain.decider import Command as _Command
from domain.decider import Context
from domain.errors import InvalidCommand, NotAllowedInStage, SeparationOfDuties
from domain.policy import Recipient
from domain.proposals import DecideSanction, choose_proposal
from domain.rectification.commands import (
    ApprovePlan,
    CloseCase,
    Command,
    CompleteMeasure,
    OpenCase,
    Problem,
    ProblemInput,
    RecordAcceptance,
    RecordExecution,
    RecordFindings,
    RecordFollowUp,
    ReportProgress,
    ReturnPlan,
    SubmitPlan,
    SubmitSelfCheck,
)
from domain.rectification.events import (
    AcceptanceRecorded,
    AdjustmentExecuted,
    CaseClosed,
    CaseOpened,
    ConsolidationStarted,
    Event,
    FindingsRecorded,
    FollowUpReviewed,
    Measure,
    MeasureCompleted,
    PlanApproved,
    PlanReturned,
    PlanSubmitted,
    ProgressReported,
    RelapseRecorded,
    ReworkOrdered,
    SanctionDecided,
    SelfCheckSubmitted,
    Verdict,
)
from domain.rectification.evolve import evolve
from domain.rectification.memory import at_acceptance, at_opening
from domain.rectification.permissions import EXECUTABLE_RUNGS, answers_for, authorize, executable, require_stage
from domain.rectification.rules import calendar_source, check_categories, open_measure, recipients
from domain.rectification.state import CaseState, PlanStatus, Stage, case_id_for
from domain.rectification.timing import extend, pause, request_relief, resume, tick
from domain.rungs import ProposalStatus, Rung, SanctionDecision
from domain.timeutil import SHANGHAI, deadline_instant, local


def decide(state: CaseState, command: Command, ctx: Context) -> list[Event]:
    """The events that ``command`` produces now (``ctx.now``), or a DomainError saying why not."""
    require_stage(state, command.type)
    authorize(state, command, ctx.policy)
    return _HANDLERS[command.type](state, command, ctx)


# --------------------------------------------------------------------------- plan


def open_case(state: CaseState, c: OpenCase, ctx: Context) -> list[Event]:
    check_categories(c.problems, ctx.policy)
    problems = [Problem(id=f"P{i}", **p.model_dump()) for i, p in enumerate(c.problems, start=1)]
    history = None if c.history is None else [r for r in c.history if r.org_code == c.org_code]
    opened = CaseOpened(
        **ctx.stamp(c),
        policy_version=ctx.policy.version,
        case_id=case_id_for(c.org_code, c.year),
        org_code=c.org_code,
        org_name=c.org_name,
        region=c.region,
        year=c.year,
        basis=c.basis,
        problems=problems,
        leaders=list(dict.fromkeys(c.leaders)),
        secretary=c.secretary,
        history=history,
        pairings=[p for p in c.pairings if c.org_code in p.org_codes] if c.pairings else None,
    )
    if history is None:
        return [opened]
    return [opened, *at_opening(evolve(state, opened), history, c, ctx)]


def submit_plan(state: CaseState, c: SubmitPlan, ctx: Context) -> list[Event]:
    if state.plan_status == PlanStatus.SUBMITTED:
        raise NotAllowedInStage("a plan is already awaiting review; wait for approval or return")
    ids = [m.id for m in c.measures]
    duplicates = sorted({i for i in ids if ids.count(i) > 1})
    if duplicates:
        raise InvalidCommand(f"duplicate measure ids: {', '.join(duplicates)}")
    if state.stage == Stage.IMPLEMENTING:
        return _supplement(state, c, ctx)
    this_cycle = {p.id for p in state.problems if p.cycle == state.cycle}
    measures, uses_calendar = _measures(state, c, ctx)
    addressed = {p for m in measures for p in m.problems}
    missing = sorted(this_cycle - addressed, key=_problem_order)
    if missing:
        raise InvalidCommand(f"the plan leaves problems without a measure: {', '.join(missing)}")
    return [_plan_submitted(state, c, ctx, measures, uses_calendar)]


def _measures(state: CaseState, c: SubmitPlan, ctx: Context) -> tuple[list[Measure], bool]:
    """The plan's measures with their deadlines (a budget counted on the calendar), and whether any used it."""
    now, policy = ctx.now, ctx.policy
    known_problems = {p.id for p in state.problems}
    # Partners share a measure's responsibility (and its right to report): only people of the pairing units
    # the organization's record named when the case opened (结对单位, 联村领导, 驻村工作队), never anyone a plan names.
    paired = {person for unit in state.pairings for person in unit.people}
    uses_calendar = False
    measures = []
    for m in c.measures:
        unknown = [p for p in m.problems if p not in known_problems]
        if unknown:
            raise InvalidCommand(f"measure {m.id} addresses unknown problems: {', '.join(unknown)}")
        strangers = [p for p in dict.fromkeys(m.partners) if p not in paired and p != m.responsible]
        if strangers:
            known = ", ".join(sorted(paired)) or "none: the organization had no pairing units when the case opened"
            raise InvalidCommand(
                f"measure {m.id} partners: {', '.join(strangers)} not of this organization's pairing units (known: {known})"
            )
        if m.budget is not None:
            # A budget counts from the submission day, due at the policy's time of day.
            start = datetime.combine(local(now).date(), policy.deadline_time_of_day, tzinfo=SHANGHAI)
            deadline = ctx.calendar.shift(start, m.budget).astimezone(now.tzinfo)
            uses_calendar = True
        else:
            assert m.deadline is not None
            deadline = deadline_instant(m.deadline, policy.deadline_time_of_day)
        if deadline <= now:
            raise InvalidCommand(f"measure {m.id} deadline {deadline.isoformat()} is not in the future")
        measures.append(
            Measure(
                id=m.id,
                description=m.description,
                problems=m.problems,
                responsible=m.responsible,
                deadline=deadline,
                budget=m.budget,
                partners=[p for p in dict.fromkeys(m.partners) if p != m.responsible],
            )
        )
    return measures, uses_calendar


def _plan_submitted(
    state: CaseState, c: SubmitPlan, ctx: Context, measures: list[Measure], uses_calendar: bool, supplement: bool = False
) -> Event:
    source = calendar_source(ctx.calendar, ctx.now, *(m.deadline for m in measures)) if uses_calendar else None
    return PlanSubmitted(
        **ctx.stamp(c),
        policy_version=ctx.policy.version,
        round=state.plan_round + 1,
        measures=measures,
        summary=c.summary,
        calendar=source,
        supplement=supplement,
    )


def _supplement(state: CaseState, c: SubmitPlan, ctx: Context) -> list[Event]:
    """补充整改方案: once the plan is approved, only measures for the problems found since (RecordFindings),
    added to the plan when approved; the approved measures stay as they are."""
    open_problems = state.unaddressed()
    if not open_problems:
        raise NotAllowedInStage("the plan is approved; a supplementary plan is only for problems found since (none is unaddressed)")
    taken = [m.id for m in c.measures if state.measure(m.id) is not None]
    if taken:
        raise InvalidCommand(f"measure ids already in the plan: {', '.join(taken)}; a supplementary plan adds new measures")
    wanted = {p.id for p in open_problems}
    others = sorted({p for m in c.measures for p in m.problems} - wanted, key=_problem_order)
    if others:
        since = ", ".join(sorted(wanted, key=_problem_order))
        raise InvalidCommand(f"a supplementary plan addresses only the problems found since ({since}), not: {', '.join(others)}")
    measures, uses_calendar = _measures(state, c, ctx)
    missing = sorted(wanted - {p for m in measures for p in m.problems}, key=_problem_order)
    if missing:
        raise InvalidCommand(f"the supplementary plan leaves problems without a measure: {', '.join(missing)}")
    return [_plan_submitted(state, c, ctx, measures, uses_calendar, supplement=True)]


def _problem_order(problem_id: str) -> int:
    return int(problem_id[1:]) if problem_id[1:].isdigit() else 0


def _require_plan_awaiting_review(state: CaseState, c: _Command) -> None:
    if state.plan_status != PlanStatus.SUBMITTED:
        raise NotAllowedInStage("no plan is awaiting review")
    if c.actor.id == state.plan_submitted_by:
        raise SeparationOfDuties(f"{c.actor.id} submitted this plan and cannot review it")


def return_plan(state: CaseState, c: ReturnPlan, ctx: Context) -> list[Event]:
    _require_plan_awaiting_review(state, c)
    return [PlanReturned(**ctx.stamp(c), round=state.plan_round, comments=c.comments)]


def approve_plan(state: CaseState, c: ApprovePlan, ctx: Context) -> list[Event]:
    _require_plan_awaiting_review(state, c)
    missing = state.unaddressed()
    if missing:
        found = ", ".join(f"{p.id}" + (f" ({p.source})" if p.source else "") for p in missing)
        raise NotAllowedInStage(
            f"the plan leaves problems found since it was submitted without a measure: {found}; return it for a new version"
        )
    return [PlanApproved(**ctx.stamp(c), round=state.plan_round, comments=c.comments)]


# --------------------------------------------------------------------------- do


def report_progress(state: CaseState, c: ReportProgress, ctx: Context) -> list[Event]:
    open_measure(state, c.measure_id)
    return [ProgressReported(**ctx.stamp(c), measure_id=c.measure_id, note=c.note, evidence=c.evidence, files=c.files)]


def complete_measure(state: CaseState, c: CompleteMeasure, ctx: Context) -> list[Event]:
    open_measure(state, c.measure_id)
    return [MeasureCompleted(**ctx.stamp(c), measure_id=c.measure_id, note=c.note, evidence=c.evidence, files=c.files)]


# --------------------------------------------------------------------------- check


def self_check(state: CaseState, c: SubmitSelfCheck, ctx: Context) -> list[Event]:
    pending = [m.id for m in state.open_measures()]
    if pending:
        raise NotAllowedInStage(f"measures not yet completed: {', '.join(pending)}")
    if state.plan_status == PlanStatus.SUBMITTED:
        raise NotAllowedInStage("a supplementary plan is awaiting review")
    missing = state.unaddressed()
    if missing:
        found = ", ".join(f"{p.id} ({p.source})" if p.source else p.id for p in missing)
        raise NotAllowedInStage(
            f"problems found since the plan have no measure yet: {found}; submit a supplementary plan (pdca case plan submit)"
        )
    return [SelfCheckSubmitted(**ctx.stamp(c), summary=c.summary)]


def accept(state: CaseState, c: RecordAcceptance, ctx: Context) -> list[Event]:
    if c.actor.id in state.reporters:
        raise SeparationOfDuties(f"{c.actor.id} reported this cycle's completion and cannot accept it")
    policy = ctx.policy
    rules = policy.acceptance
    if c.unsatisfied_share > rules.max_unsatisfied_share:
        verdict = Verdict.FAILED_SATISFACTION
    elif c.score < rules.pass_score:
        verdict = Verdict.FAILED_SCORE
    else:
        verdict = Verdict.PASSED
    events: list[Event] = [
        AcceptanceRecorded(
            **ctx.stamp(c),
            policy_version=policy.version,
            round=len(state.acceptances) + 1,
            score=c.score,
            unsatisfied_share=c.unsatisfied_share,
            verdict=verdict,
            pass_score=rules.pass_score,
            max_unsatisfied_share=rules.max_unsatisfied_share,
            comments=c.comments,
        )
    ]
    events.extend(at_acceptance(state, verdict, c, ctx))
    if verdict == Verdict.PASSED:
        events.append(ConsolidationStarted(**ctx.stamp(c), policy_version=policy.version, until=ctx.now + policy.consolidation_period))
    else:
        events.append(
            ReworkOrdered(
                **ctx.stamp(c),
                policy_version=policy.version,
                rework_round=state.rework_round + 1,
                deadline=ctx.now + policy.rework_period,
            )
        )
    return events


# --------------------------------------------------------------------------- act


def follow_up(state: CaseState, c: RecordFollowUp, ctx: Context) -> list[Event]:
    if c.new_problems and not c.relapsed:
        raise InvalidCommand("new problems can only be recorded with a relapse")
    if c.relapsed and not c.new_problems:
        raise InvalidCommand("a relapse must name at least one problem found")
    events: list[Event] = [FollowUpReviewed(**ctx.stamp(c), relapsed=c.relapsed, note=c.note)]
    if c.relapsed:
        check_categories(c.new_problems, ctx.policy)
        start = len(state.problems) + 1
        problems = [
            Problem(id=f"P{start + i}", cycle=state.cycle + 1, **p.model_dump()) for i, p in enumerate(c.new_problems)
        ]
        events.append(RelapseRecorded(**ctx.stamp(c), cycle=state.cycle + 1, new_problems=problems))
    return events


def record_findings(state: CaseState, c: RecordFindings, ctx: Context) -> list[Event]:
    """检查发现问题: an inspection's findings become problems of the current cycle (in consolidation: of a
    new cycle, as a relapse); each finding of a source once."""
    ids = [f.finding_id for f in c.findings]
    duplicates = sorted({i for i in ids if ids.count(i) > 1})
    if duplicates:
        raise InvalidCommand(f"findings: duplicate finding ids: {', '.join(duplicates)}")
    known = [f"{c.source}/{p.finding_id}" for p in state.problems if p.source == c.source and p.finding_id in ids]
    if known:
        raise InvalidCommand(f"findings: already recorded in this case: {', '.join(known)}")
    check_categories([ProblemInput(category=f.category, description=f.description) for f in c.findings], ctx.policy)
    new_cycle = state.stage == Stage.CONSOLIDATING
    cycle = state.cycle + 1 if new_cycle else state.cycle
    start = len(state.problems) + 1
    problems = [
        Problem(id=f"P{start + i}", cycle=cycle, category=f.category, description=f.description, source=c.source, finding_id=f.finding_id)
        for i, f in enumerate(c.findings)
    ]
    return [FindingsRecorded(**ctx.stamp(c), source=c.source, problems=problems, cycle=cycle, new_cycle=new_cycle)]


def close_case(state: CaseState, c: CloseCase, ctx: Context) -> list[Event]:
    assert state.consolidation_until is not None
    if ctx.now < state.consolidation_until:
        until = state.consolidation_until.isoformat()
        raise NotAllowedInStage(f"the consolidation period runs until {until}; a case closes after it")
    if state.follow_ups == 0:
        raise NotAllowedInStage("a follow-up review (回头看) is required before closing")
    pending = state.pending_proposals()
    if pending:
        # 销号 with a proposal undecided would leave it undecidable for good (a closed case takes no commands)
        named = ", ".join(p.describe() for p in pending)
        raise NotAllowedInStage(f"sanction proposals are pending: {named}; approve or dismiss them before closing")
    unexecuted = executable(state) if ctx.policy.close_requires_execution else []
    if unexecuted:
        # an approved 组织调整 / 诫勉谈话 is carried out in the record before 销号 (a closed case takes no commands)
        named = ", ".join(p.describe() for p in unexecuted)
        raise NotAllowedInStage(
            f"approved sanctions not yet recorded as carried out: {named}; record them (`pdca case sanction execute`) before closing"
        )
    return [CaseClosed(**ctx.stamp(c), outcome=c.outcome, note=c.note)]


# --------------------------------------------------------------------------- sanctions


def decide_sanction(state: CaseState, c: DecideSanction, ctx: Context) -> list[Event]:
    proposal = choose_proposal(state.proposals, c.proposal_id, c.rung, c.measure_id)
    m = state.measure(proposal.measure_id) if proposal.measure_id else None
    if m is not None and answers_for(m, c.actor.id):
        raise SeparationOfDuties(f"{c.actor.id} is responsible for measure {m.id} and cannot decide its sanction")
    policy = ctx.policy
    targets = [Recipient.LEADERS, Recipient.SUPERVISORS]
    if c.decision == SanctionDecision.APPROVED:
        step = next((s for s in policy.escalation_ladder if s.rung == proposal.rung), None)
        targets = (step.notify if step else [Recipient.RESPONSIBLE]) + targets
    return [
        SanctionDecided(
            **ctx.stamp(c),
            policy_version=policy.version,
            proposal_id=proposal.proposal_id,
            measure_id=proposal.measure_id,
            rung=proposal.rung,
            decision=c.decision,
            comment=c.comment,
            recipients=recipients(state, m, targets, policy),
        )
    ]


def record_execution(state: CaseState, c: RecordExecution, ctx: Context) -> list[Event]:
    """落实: an approved 组织调整 / 诫勉谈话 carried out, once per proposal."""
    proposal = state.proposal(c.proposal_id)
    if proposal is None:
        known = ", ".join(p.proposal_id for p in state.proposals) or "none"
        raise InvalidCommand(f"proposal_id: unknown proposal {c.proposal_id!r}; this case has: {known}")
    if proposal.rung not in EXECUTABLE_RUNGS:
        raise InvalidCommand(
            f"proposal_id: {proposal.describe()} is a {proposal.rung.value}; only personnel_adjustment (组织调整) "
            "and admonishment_talk (诫勉谈话) are recorded as carried out"
        )
    if proposal.execution is not None:
        raise NotAllowedInStage(f"{proposal.describe()} was already recorded as carried out on {proposal.execution.executed_on}")
    if proposal.status != ProposalStatus.APPROVED:
        raise NotAllowedInStage(f"{proposal.describe()} is {proposal.status.value}; only an approved proposal is carried out")
    m = state.measure(proposal.measure_id) if proposal.measure_id else None
    if m is not None and answers_for(m, c.actor.id):
        raise SeparationOfDuties(f"{c.actor.id} answers for measure {m.id} and cannot record its sanction as carried out")
    if c.new_secretary is not None and proposal.rung != Rung.PERSONNEL_ADJUSTMENT:
        raise InvalidCommand("new_secretary: only a personnel_adjustment (组织调整) changes the secretary")
    if c.new_secretary is not None and c.new_secretary == state.secretary:
        raise InvalidCommand(f"new_secretary: {c.new_secretary} is already the secretary")
    today = local(ctx.now).date()
    if c.executed_on > today:
        raise InvalidCommand(f"executed_on: {c.executed_on} is in the future (today is {today})")
    decided = local(proposal.decided_at).date() if proposal.decided_at else None
    if decided is not None and c.executed_on < decided:
        raise InvalidCommand(f"executed_on: {c.executed_on} is before the proposal was approved ({decided})")
    return [
        AdjustmentExecuted(
            **ctx.stamp(c),
            policy_version=ctx.policy.version,
            proposal_id=proposal.proposal_id,
            rung=proposal.rung,
            action=c.action,
            executed_on=c.executed_on,
            new_secretary=c.new_secretary,
            previous_secretary=state.secretary if c.new_secretary is not None else None,
        )
    ]


_HANDLERS: dict[str, Callable[[CaseState, Any, Context], list[Event]]] = {
    "OpenCase": open_case,
    "SubmitPlan": submit_plan,
    "ReturnPlan": return_plan,
    "ApprovePlan": approve_plan,
    "ReportProgress": report_progress,
    "CompleteMeasure": complete_measure,
    "SubmitSelfCheck": self_check,
    "RecordAcceptance": accept,
    "RecordFollowUp": follow_up,
    "CloseCase": close_case,
    "RequestRelief": request_relief,
    "PauseMeasures": pause,
    "ResumeMeasures": resume,
    "ExtendDeadline": extend,
    "DecideSanction": decide_sanction,
    "RecordExecution": record_execution,
    "RecordFindings": record_findings,
    "Tick": tick,
}
