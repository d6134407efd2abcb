"""The case's clock: what ``Tick`` finds due, when it is next due, and the commands that move deadlines.

Timers are commands too: ``Tick`` asks "what is due now?" and returns reminder, overdue, escalation
and sanction-lapse events, each of which fires once (the state remembers what fired). Paused measures
(换届 etc.) get none of them; resuming moves their deadlines by the working days paused; an extension
(延期) gives one measure a later deadline. Notices go out only at working moments (domain.timing).
"""

from __future__ import annotations

from datetime import datetime

from domain.decider import Context, Tick
from domain.errors import InvalidCommand, NotAllowedInStage
from domain.policy import EscalationStep, Policy, Recipient
from domain.rectification.commands import ExtendDeadline, PauseMeasures, RequestRelief, ResumeMeasures
from domain.rectification.events import (
    ConsolidationEnded,
    DeadlineExtended,
    DeadlineShift,
    EscalationRaised,
    Event,
    Measure,
    MeasureOverdue,
    MeasuresPaused,
    MeasuresResumed,
    ProposalSource,
    ReliefRequested,
    ReminderSent,
    SanctionLapsed,
    SanctionProposed,
)
from domain.rectification.rules import (
    approver_is_not_requester,
    calendar_source,
    decide_by,
    measures_named,
    open_measure,
    recipients,
)
from domain.rectification.state import CaseState, MeasureState, SanctionProposal, Stage
from domain.rungs import Rung
from domain.timeutil import deadline_instant, local
from domain.timing import catch_up as _catch_up
from domain.timing import deliverable, may_notify
from domain.workcal import WorkCalendar, offset_length

# --------------------------------------------------------------------------- moments


def reminder_moment(m: Measure, lead: str, policy: Policy, calendar: WorkCalendar) -> datetime:
    """When the ``lead`` reminder of measure ``m`` goes out (before the deadline, or never: see callers)."""
    return deliverable(calendar.shift(m.deadline, "-" + lead), policy, calendar)


def overdue_moment(m: Measure, policy: Policy, calendar: WorkCalendar) -> datetime:
    return deliverable(m.deadline, policy, calendar)


def rung_moment(m: Measure, step: EscalationStep, policy: Policy, calendar: WorkCalendar) -> datetime:
    return deliverable(calendar.shift(m.deadline, step.after), policy, calendar)


def _pending_leads(m: MeasureState, policy: Policy) -> list[str]:
    return [lead for lead in policy.sorted_leads() if lead not in m.reminded]


# --------------------------------------------------------------------------- Tick


def tick(state: CaseState, c: Tick, ctx: Context) -> list[Event]:
    now = ctx.now
    events: list[Event] = []
    if state.stage == Stage.CLOSED:
        return events  # a closed case's clock has stopped (its workflow has ended)
    proposals = len(state.proposals)
    for p in state.pending_proposals():
        lapsed = _lapse(state, p, c, ctx, proposals)
        proposals += sum(isinstance(e, SanctionProposed) for e in lapsed)
        events.extend(lapsed)
    fired_early = {(e.measure_id, e.rung) for e in events if isinstance(e, (EscalationRaised, SanctionProposed))}
    if state.stage == Stage.IMPLEMENTING:
        for m in state.open_measures():
            if m.paused:
                continue
            notices = _measure_notices(state, m, c, ctx, proposals, fired_early)
            proposals += sum(isinstance(e, SanctionProposed) for e in notices)
            events.extend(notices)
    if (
        state.stage == Stage.CONSOLIDATING
        and not state.consolidation_ended
        and state.consolidation_until is not None
        and now >= state.consolidation_until
    ):
        told = recipients(state, None, [Recipient.LEADERS, Recipient.SUPERVISORS], ctx.policy)
        events.append(ConsolidationEnded(**ctx.stamp(c), recipients=told))
    return events


def _lapse(state: CaseState, p: SanctionProposal, c: Tick, ctx: Context, proposals: int) -> list[Event]:
    now, policy, calendar = ctx.now, ctx.policy, ctx.calendar
    m = state.measure(p.measure_id) if p.measure_id else None
    if m is not None and m.paused and not m.done:
        return []  # a paused measure's proposal waits; resuming moves its deadline
    if now < p.decide_by or not may_notify(now, policy, calendar):
        return []
    step = policy.step_after(p.rung)
    live = m is not None and not m.done and state.stage == Stage.IMPLEMENTING
    next_step = step if live and step is not None and m is not None and step.rung not in m.escalated else None
    events: list[Event] = [
        SanctionLapsed(
            **ctx.stamp(c),
            policy_version=policy.version,
            proposal_id=p.proposal_id,
            measure_id=p.measure_id,
            rung=p.rung,
            next_rung=next_step.rung if next_step else None,
            recipients=recipients(state, m, [Recipient.LEADERS, Recipient.SUPERVISORS], policy),
            calendar=calendar_source(calendar, p.proposed_at, now),
        )
    ]
    if next_step is not None and m is not None:
        events.append(_fire_rung(state, m, next_step, c, ctx, proposals, early=True))
    return events


def _fire_rung(
    state: CaseState, m: MeasureState, step: EscalationStep, c: Tick, ctx: Context, proposals: int, early: bool = False
) -> Event:
    now, policy, calendar = ctx.now, ctx.policy, ctx.calendar
    if step.is_proposal:
        due = decide_by(now, step.decide_within, policy, calendar)
        return SanctionProposed(
            **ctx.stamp(c),
            policy_version=policy.version,
            proposal_id=f"S{proposals + 1}",
            measure_id=m.id,
            rung=step.rung,
            source=ProposalSource.LADDER,
            reason=f"overdue {step.after}",
            overdue_for=step.after,
            early=early,
            decide_by=due,
            recipients=recipients(state, m, [Recipient.LEADERS, Recipient.SUPERVISORS], policy),
            calendar=calendar_source(calendar, m.deadline, due),
        )
    return EscalationRaised(
        **ctx.stamp(c),
        policy_version=policy.version,
        measure_id=m.id,
        rung=step.rung,
        overdue_for=step.after,
        recipients=recipients(state, m, step.notify, policy),
        early=early,
        deadline=m.deadline,
        calendar=calendar_source(calendar, m.deadline, now),
    )


def _measure_notices(
    state: CaseState, m: MeasureState, c: Tick, ctx: Context, proposals: int, fired_early: set[tuple[str | None, Rung]]
) -> list[Event]:
    now, policy, calendar = ctx.now, ctx.policy, ctx.calendar
    events: list[Event] = []
    if not may_notify(now, policy, calendar):
        return events
    if not m.overdue and now < m.deadline:
        pending = _pending_leads(m, policy)
        due = [lead for lead in pending if now >= reminder_moment(m, lead, policy, calendar)]
        if due:
            fired = min(due, key=offset_length)  # nearest the deadline; longer leads that were missed are covered
            covers = [lead for lead in pending if offset_length(lead) >= offset_length(fired)]
            events.append(
                ReminderSent(
                    **ctx.stamp(c),
                    policy_version=policy.version,
                    measure_id=m.id,
                    deadline=m.deadline,
                    lead=fired,
                    covers=covers,
                    recipients=recipients(state, m, [Recipient.RESPONSIBLE], policy),
                    calendar=calendar_source(calendar, now, m.deadline),
                )
            )
    if now >= overdue_moment(m, policy, calendar):
        if not m.overdue:
            events.append(
                MeasureOverdue(
                    **ctx.stamp(c),
                    policy_version=policy.version,
                    measure_id=m.id,
                    deadline=m.deadline,
                    recipients=recipients(state, m, [Recipient.RESPONSIBLE, Recipient.LEADERS], policy),
                    calendar=calendar_source(calendar, m.deadline, now),
                )
            )
        for step in policy.escalation_ladder:
            if step.rung in m.escalated or (m.id, step.rung) in fired_early:
                continue
            if now >= rung_moment(m, step, policy, calendar):
                event = _fire_rung(state, m, step, c, ctx, proposals)
                proposals += isinstance(event, SanctionProposed)
                events.append(event)
    return events


# --------------------------------------------------------------------------- when next


def next_wakeup(state: CaseState, ctx: Context, *, catch_up: bool = True) -> datetime | None:
    """The earliest moment at which ``Tick`` could produce an event, or None if no timer is needed.

    A notice that fell due while nobody ticked (a command at night, a worker that was down) is due at
    the next working moment from ``ctx.now``, and a reminder that could then only go out after its
    deadline is dropped — exactly as ``Tick`` decides, so a workflow never wakes to find nothing due.
    ``catch_up=False`` ignores ``ctx.now``: every timer's moment as computed, past or not."""
    policy, calendar = ctx.policy, ctx.calendar
    now = ctx.now if catch_up else None

    def at(moment: datetime) -> datetime:
        return _catch_up(moment, now, policy, calendar)

    moments: list[datetime] = []
    if state.stage == Stage.CLOSED:
        return None
    for p in state.pending_proposals():
        m = state.measure(p.measure_id) if p.measure_id else None
        if m is None or m.done or not m.paused:
            moments.append(at(p.decide_by))
    if state.stage == Stage.IMPLEMENTING:
        for m in state.open_measures():
            if m.paused:
                continue
            overdue_at = overdue_moment(m, policy, calendar)
            if not m.overdue:
                for lead in _pending_leads(m, policy):
                    when = at(reminder_moment(m, lead, policy, calendar))
                    if when < m.deadline:  # a reminder that could only go out after the deadline never does
                        moments.append(when)
                moments.append(at(overdue_at))
            moments.extend(
                at(max(rung_moment(m, s, policy, calendar), overdue_at)) for s in policy.escalation_ladder if s.rung not in m.escalated
            )
    if state.stage == Stage.CONSOLIDATING and not state.consolidation_ended and state.consolidation_until:
        moments.append(state.consolidation_until)
    return min(moments) if moments else None


def calendar_years(state: CaseState, now: datetime) -> list[int]:
    """The years whose calendar facts the case needs now: from the case year through its furthest
    deadline, proposal deadline or consolidation end, plus one year of headroom."""
    moments = [now] + [m.deadline for m in state.measures] + [p.decide_by for p in state.pending_proposals()]
    if state.consolidation_until:
        moments.append(state.consolidation_until)
    first = min([local(now).year] + ([state.year] if state.year else []))
    last = max(local(m).year for m in moments) + 1
    return list(range(first, last + 1))


# --------------------------------------------------------------------------- pause, resume, extend


def request_relief(state: CaseState, c: RequestRelief, ctx: Context) -> list[Event]:
    """Someone who needs more time asks (their credential proves who); an approver decides on it."""
    if c.measure_ids:
        open_ids = {m.id for m in state.open_measures()}
        unknown = [mid for mid in c.measure_ids if mid not in open_ids]
        if unknown:
            raise InvalidCommand(f"not open measures of this case: {', '.join(unknown)}")
    request_id = f"Q{len(state.relief_requests) + 1}"
    return [ReliefRequested(**ctx.stamp(c), request_id=request_id, measure_ids=list(c.measure_ids), reason=c.reason)]


def requester(state: CaseState, c: PauseMeasures | ExtendDeadline) -> str | None:
    """Who asked: the requester of ``c.request`` (proven by their credential), else ``c.requested_by``
    (a name the approver gives). Never the approver."""
    if c.request is not None:
        request = state.relief_requests.get(c.request)
        if request is None:
            known = ", ".join(state.relief_requests) or "none"
            raise InvalidCommand(f"no relief request {c.request} in this case (requests: {known})")
        if request.granted_by is not None:
            raise InvalidCommand(f"relief request {c.request} was already granted by {request.granted_by}")
        if c.requested_by is not None and c.requested_by != request.requested_by:
            raise InvalidCommand(f"relief request {c.request} was made by {request.requested_by}, not {c.requested_by}")
        approver_is_not_requester(c, request.requested_by)
        return request.requested_by
    approver_is_not_requester(c, c.requested_by)
    return c.requested_by


def pause(state: CaseState, c: PauseMeasures, ctx: Context) -> list[Event]:
    asked_by = requester(state, c)
    if asked_by is None:
        raise InvalidCommand("who asked for the pause? name their relief request (request=Q1) or requested_by")
    whole = not c.measure_ids
    chosen = state.open_measures() if whole else measures_named(state, c.measure_ids)
    already = [m.id for m in chosen if m.paused]
    if not whole and already:
        raise NotAllowedInStage(f"already paused: {', '.join(already)}")
    chosen = [m for m in chosen if not m.paused]
    if not chosen:
        raise NotAllowedInStage("no open measure to pause" if not state.paused_measures() else "every open measure is already paused")
    told = list(dict.fromkeys([p for m in chosen for p in (m.responsible, *m.partners)] + state.leaders))
    return [
        MeasuresPaused(
            **ctx.stamp(c),
            policy_version=ctx.policy.version,
            measure_ids=[m.id for m in chosen],
            whole_case=whole,
            reason=c.reason,
            requested_by=asked_by,
            recipients=told,
            request=c.request,
        )
    ]


def resume(state: CaseState, c: ResumeMeasures, ctx: Context) -> list[Event]:
    now, calendar = ctx.now, ctx.calendar
    whole = not c.measure_ids
    if whole:
        chosen = state.paused_measures()
        if not chosen:
            raise NotAllowedInStage("no measure is paused")
    else:
        chosen = measures_named(state, c.measure_ids)
        running = [m.id for m in chosen if not m.paused]
        if running:
            raise NotAllowedInStage(f"not paused: {', '.join(running)}")
    shifts: list[DeadlineShift] = []
    new_decide_by: dict[str, datetime] = {}
    moments = [now]
    for m in chosen:
        assert m.paused_since is not None
        days = calendar.working_days_between(local(m.paused_since).date(), local(now).date())
        new_deadline = calendar.shift(m.deadline, f"{days}wd") if days else m.deadline
        shifts.append(
            DeadlineShift(
                measure_id=m.id, old_deadline=m.deadline, new_deadline=new_deadline, working_days=days, paused_since=m.paused_since
            )
        )
        moments += [m.paused_since, new_deadline]
        for p in state.pending_proposals():
            if p.measure_id == m.id and days:
                new_decide_by[p.proposal_id] = calendar.shift(p.decide_by, f"{days}wd")
    told = list(dict.fromkeys([p for m in chosen for p in (m.responsible, *m.partners)] + state.leaders))
    return [
        MeasuresResumed(
            **ctx.stamp(c),
            policy_version=ctx.policy.version,
            shifts=shifts,
            whole_case=whole and len(chosen) == len(state.paused_measures()),
            note=c.note,
            decide_by=new_decide_by,
            recipients=told,
            calendar=calendar_source(calendar, *moments),
        )
    ]


def extend(state: CaseState, c: ExtendDeadline, ctx: Context) -> list[Event]:
    asked_by = requester(state, c)
    m = open_measure(state, c.measure_id)
    if c.by is not None:
        new_deadline = ctx.calendar.shift(m.deadline, c.by)
    else:
        assert c.to is not None
        new_deadline = deadline_instant(c.to, ctx.policy.deadline_time_of_day)
    if new_deadline <= m.deadline:
        raise InvalidCommand(f"the new deadline {new_deadline.isoformat()} is not later than the current {m.deadline.isoformat()}")
    if new_deadline <= ctx.now:
        raise InvalidCommand(f"the new deadline {new_deadline.isoformat()} is not in the future")
    return [
        DeadlineExtended(
            **ctx.stamp(c),
            policy_version=ctx.policy.version,
            measure_id=m.id,
            old_deadline=m.deadline,
            new_deadline=new_deadline,
            by=c.by,
            reason=c.reason,
            requested_by=asked_by,
            recipients=list(dict.fromkeys([m.responsible, *m.partners] + state.leaders)),
            calendar=calendar_source(ctx.calendar, m.deadline, new_deadline),
            request=c.request,
        )
    ]
