"""How each event changes a case: ``evolve(state, event)`` is total and never refuses (events are facts);
an event naming a measure or proposal the state lacks means a corrupt log (ValueError)."""

from __future__ import annotations

from domain.proposals import record_decision, record_lapse
from domain.rectification.events import (
    AcceptanceRecorded,
    AdjustmentExecuted,
    CaseClosed,
    CaseOpened,
    ConsolidationEnded,
    ConsolidationStarted,
    DeadlineExtended,
    EscalationRaised,
    Event,
    FindingsRecorded,
    FollowUpReviewed,
    MeasureCompleted,
    MeasureOverdue,
    MeasuresPaused,
    MeasuresResumed,
    PlanApproved,
    PlanReturned,
    PlanSubmitted,
    ProgressReported,
    RelapseRecorded,
    ReliefRequested,
    ReminderSent,
    ReworkOrdered,
    SanctionDecided,
    SanctionLapsed,
    SanctionProposed,
    SelfCheckSubmitted,
)
from domain.rectification.state import (
    AcceptanceRound,
    CaseState,
    DeadlineChange,
    Execution,
    MeasureState,
    PlanStatus,
    ReliefRequest,
    SanctionProposal,
    Stage,
)


def _grant(s: CaseState, request: str | None, approver: str) -> None:
    if request is not None and request in s.relief_requests:
        s.relief_requests[request] = s.relief_requests[request].model_copy(update={"granted_by": approver})


def evolve(state: CaseState, event: Event) -> CaseState:
    """Fold one event into the state. Never refuses: events are facts."""
    s = state.model_copy(deep=True)
    s.version += 1
    if event.policy_version:
        s.policy_version = event.policy_version
    match event:
        case CaseOpened() | PlanSubmitted() | PlanReturned() | PlanApproved() | RelapseRecorded() | CaseClosed() | FindingsRecorded():
            _plan(s, event)
        case ProgressReported() | MeasureCompleted() | SelfCheckSubmitted():
            _do(s, event)
        case AcceptanceRecorded() | ReworkOrdered() | ConsolidationStarted() | ConsolidationEnded() | FollowUpReviewed():
            _check(s, event)
        case ReminderSent() | MeasureOverdue() | EscalationRaised() | MeasuresPaused() | MeasuresResumed() | DeadlineExtended():
            _clock(s, event)
        case ReliefRequested():
            s.relief_requests[event.request_id] = ReliefRequest(
                requested_by=event.actor, measure_ids=list(event.measure_ids), reason=event.reason
            )
        case SanctionProposed():
            if event.measure_id is not None:
                _measure(s, event.measure_id).escalated.append(event.rung)
            s.proposals.append(
                SanctionProposal(
                    proposal_id=event.proposal_id,
                    measure_id=event.measure_id,
                    rung=event.rung,
                    source=event.source,
                    reason=event.reason,
                    rule=event.rule,
                    years=list(event.years),
                    proposed_at=event.at,
                    decide_by=event.decide_by,
                )
            )
        case SanctionDecided():
            record_decision(s.proposals, event)
        case SanctionLapsed():
            record_lapse(s.proposals, event.proposal_id, event.at)
        case AdjustmentExecuted():
            proposal = s.proposal(event.proposal_id)
            if proposal is None:  # the log is corrupt
                raise ValueError(f"event refers to unknown proposal {event.proposal_id}")
            proposal.execution = Execution(
                action=event.action,
                executed_on=event.executed_on,
                by=event.actor,
                at=event.at,
                new_secretary=event.new_secretary,
                previous_secretary=event.previous_secretary,
            )
            if event.new_secretary is not None:
                s.secretary = event.new_secretary
    if s.stage != state.stage:
        s.stage_since = event.at
    return s


def _plan(s: CaseState, event: Event) -> None:
    """Opening, the plan's review rounds, a relapse that re-opens the cycle, closing."""
    match event:
        case CaseOpened():
            s.case_id = event.case_id
            s.stage = Stage.DESIGNATED
            s.org_code, s.org_name, s.region, s.year = event.org_code, event.org_name, event.region, event.year
            s.basis = event.basis
            s.problems = list(event.problems)
            s.leaders = list(event.leaders)
            s.opened_at = event.at
            s.secretary = event.secretary
            s.history = None if event.history is None else list(event.history)
            s.pairings = list(event.pairings or [])
        case PlanSubmitted():
            s.plan_status = PlanStatus.SUBMITTED
            s.plan_round = event.round
            s.plan_submitted_by = event.actor
            measures = [MeasureState(**m.model_dump(), original_deadline=m.deadline) for m in event.measures]
            if event.supplement:  # added to the approved plan once approved; the stage stays
                s.supplement = measures
            else:
                s.stage = Stage.PLANNING
                s.measures = measures
        case PlanReturned():
            s.plan_status = PlanStatus.RETURNED
            s.plan_returns += 1
            s.plan_comments = event.comments
            s.supplement = []
        case PlanApproved():
            s.stage = Stage.IMPLEMENTING
            s.plan_status = PlanStatus.APPROVED
            s.plan_comments = event.comments
            s.measures, s.supplement = s.measures + s.supplement, []
        case FindingsRecorded():
            if event.new_cycle:  # in consolidation: a new PDCA cycle, as a relapse
                _plan(s, RelapseRecorded(at=event.at, actor=event.actor, cycle=event.cycle, new_problems=event.problems))
            else:
                s.problems = s.problems + list(event.problems)
                if s.stage == Stage.CHECKING:  # back to implementing: the new problems need measures first
                    s.stage, s.self_check_by = Stage.IMPLEMENTING, None
        case RelapseRecorded():
            s.stage = Stage.DESIGNATED
            s.cycle = event.cycle
            s.problems = s.problems + list(event.new_problems)
            s.plan_status, s.plan_round, s.plan_returns = PlanStatus.NONE, 0, 0
            s.plan_submitted_by, s.plan_comments, s.self_check_by = None, "", None
            s.measures, s.rework_round, s.reporters = [], 0, []
            s.consolidation_until, s.consolidation_ended, s.follow_ups = None, False, 0
        case CaseClosed():
            s.stage = Stage.CLOSED
            s.outcome = event.outcome
            s.closed_at = event.at


def _do(s: CaseState, event: Event) -> None:
    """Progress, completion, the self-check that hands the cycle to acceptance."""
    match event:
        case ProgressReported():
            m = _measure(s, event.measure_id)
            m.progress_reports += 1
            m.files = [*m.files, *event.files]
        case MeasureCompleted():
            m = _measure(s, event.measure_id)
            m.done, m.completed_by = True, event.actor
            m.files = [*m.files, *event.files]
            m.paused_since, m.pause_reason = None, ""
            s.case_paused = s.case_paused and bool(s.paused_measures())
            s.reporters = list(dict.fromkeys(s.reporters + [event.actor]))
        case SelfCheckSubmitted():
            s.stage = Stage.CHECKING
            s.self_check_by = event.actor
            s.reporters = list(dict.fromkeys(s.reporters + [event.actor]))


def _check(s: CaseState, event: Event) -> None:
    """Acceptance rounds, rework, consolidation and its follow-up reviews."""
    match event:
        case AcceptanceRecorded():
            s.acceptances.append(
                AcceptanceRound(
                    cycle=s.cycle,
                    round=event.round,
                    score=event.score,
                    unsatisfied_share=event.unsatisfied_share,
                    verdict=event.verdict,
                    by=event.actor,
                    at=event.at,
                )
            )
        case ReworkOrdered():
            s.stage = Stage.IMPLEMENTING
            s.rework_round = event.rework_round
            s.self_check_by = None
            s.measures = [
                MeasureState(
                    id=m.id,
                    description=m.description,
                    problems=m.problems,
                    responsible=m.responsible,
                    partners=m.partners,
                    deadline=event.deadline,
                    original_deadline=event.deadline,
                )
                for m in s.measures
            ]
            s.case_paused, s.pause_reason = False, ""
        case ConsolidationStarted():
            s.stage = Stage.CONSOLIDATING
            s.consolidation_until = event.until
            s.consolidation_ended = False
        case ConsolidationEnded():
            s.consolidation_ended = True
        case FollowUpReviewed():
            s.follow_ups += 1


def _clock(s: CaseState, event: Event) -> None:
    """What the timers fired, and the deadline moves (pause, resume, extension)."""
    match event:
        case ReminderSent():
            m = _measure(s, event.measure_id)
            m.reminded = list(dict.fromkeys(m.reminded + event.covers))
        case MeasureOverdue():
            _measure(s, event.measure_id).overdue = True
        case EscalationRaised():
            _measure(s, event.measure_id).escalated.append(event.rung)
        case MeasuresPaused():
            _grant(s, event.request, event.actor)
            for measure_id in event.measure_ids:
                m = _measure(s, measure_id)
                m.paused_since, m.pause_reason = event.at, event.reason
            if event.whole_case:
                s.case_paused, s.pause_reason = True, event.reason
        case MeasuresResumed():
            for shift in event.shifts:
                m = _measure(s, shift.measure_id)
                _move_deadline(
                    m,
                    DeadlineChange(
                        kind="pause",
                        old_deadline=shift.old_deadline,
                        new_deadline=shift.new_deadline,
                        working_days=shift.working_days,
                        reason=m.pause_reason,
                        by=event.actor,
                        at=event.at,
                    ),
                )
                m.paused_since, m.pause_reason = None, ""
            for p in s.proposals:
                if p.proposal_id in event.decide_by:
                    p.decide_by = event.decide_by[p.proposal_id]
            if not s.paused_measures():
                s.case_paused, s.pause_reason = False, ""
        case DeadlineExtended():
            _grant(s, event.request, event.actor)
            m = _measure(s, event.measure_id)
            _move_deadline(
                m,
                DeadlineChange(
                    kind="extension",
                    old_deadline=event.old_deadline,
                    new_deadline=event.new_deadline,
                    reason=event.reason,
                    by=event.actor,
                    at=event.at,
                ),
            )


def _move_deadline(m: MeasureState, change: DeadlineChange) -> None:
    """A new deadline (a resumed pause or an extension), recorded among the measure's changes: reminders
    re-arm for it; rungs already fired stay fired."""
    m.deadline = change.new_deadline
    m.reminded = []
    if change.new_deadline > change.at:
        m.overdue = False
    m.changes.append(change)


def _measure(state: CaseState, measure_id: str) -> MeasureState:
    measure = state.measure(measure_id)
    if measure is None:  # an event names a measure the state lacks: the log is corrupt
        raise ValueError(f"event refers to unknown measure {measure_id}")
    return measure

