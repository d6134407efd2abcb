"""A secretary project's clock: quarterly report due dates, the notices its timers send, when it next
wakes, and the calendar years those timers count on (pure).

Implementation: milestones with deadlines (a reminder ``milestone_reminder_lead`` before, an overdue
notice at the deadline), and quarterly progress reports due ``report_due_after`` (e.g. 10 working
days) after each quarter of the project year ends. A report still missing ``report_reminder_after``
its due date triggers a reminder (提醒), then up to ``urge_count`` 催办 notices, each
``urge_interval`` after the previous notice, and no more. The final deadline makes the evaluation due;
a sanction proposal undecided by its ``decide_by`` lapses.

Every notice is delivered at a working moment (``domain.timing.deliverable``), and a ``Tick`` that
catches up outside working time sends nothing until the next working moment.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from typing import NamedTuple

from domain.decider import Context, Tick
from domain.policy import Policy
from domain.project.events import (
    EvaluationDue,
    Event,
    MilestoneOverdue,
    MilestoneReminderSent,
    ReportReminderSent,
    ReportUrged,
    SanctionLapsed,
)
from domain.project.state import LIVE, MilestoneState, ProjectState, ReportDue, ReportState, SanctionProposal, Stage
from domain.timeutil import SHANGHAI
from domain.timing import catch_up, deliverable, may_notify
from domain.workcal import WorkCalendar

# --------------------------------------------------------------------------- quarterly reports


def _quarter_end(year: int, quarter: int) -> date:
    first_of_next = date(year + (quarter == 4), 1 if quarter == 4 else 3 * quarter + 1, 1)
    return first_of_next - timedelta(days=1)


def quarter_start(year: int, quarter: int) -> datetime:
    """The first moment of ``quarter`` of ``year``, Beijing time: a report for it is refused before."""
    return datetime(year, 3 * quarter - 2, 1, tzinfo=SHANGHAI)


def report_dues(year: int, approved_at: datetime, policy: Policy, calendar: WorkCalendar) -> list[ReportDue]:
    """The quarterly reports a project approved at ``approved_at`` owes, with their due moments."""
    dues = []
    for quarter in policy.projects.report_quarters:
        end = datetime.combine(_quarter_end(year, quarter), policy.deadline_time_of_day, tzinfo=SHANGHAI)
        if end <= approved_at:
            continue  # the quarter ended before the project started
        due = calendar.shift(end, policy.projects.report_due_after).astimezone(UTC)
        dues.append(ReportDue(quarter=quarter, due=due))
    return dues


# --------------------------------------------------------------------------- notices


class Notice(NamedTuple):
    """A pending timer notice: when it may go out, which kind, and what it is about."""

    moment: datetime
    kind: str  # milestone_reminder, milestone_overdue, report_reminder, report_urge, evaluation_due, sanction_lapse
    subject: MilestoneState | ReportState | SanctionProposal | None


def notice_moments(state: ProjectState, policy: Policy, calendar: WorkCalendar) -> list[Notice]:
    """Every pending timer notice, from the state alone."""
    rules = policy.projects
    pending: list[Notice] = []

    def at(moment: datetime, kind: str, subject: MilestoneState | ReportState | SanctionProposal | None) -> None:
        pending.append(Notice(deliverable(moment, policy, calendar), kind, subject))

    if state.stage == Stage.IMPLEMENTING:
        assert state.application is not None
        for m in state.milestones:
            if m.done or m.overdue:
                continue
            if rules.milestone_reminder_lead and not m.reminded:
                before = calendar.shift(m.deadline, "-" + rules.milestone_reminder_lead)
                if deliverable(before, policy, calendar) < m.deadline:
                    at(before, "milestone_reminder", m)
            at(m.deadline, "milestone_overdue", m)
        for r in state.reports:
            if r.submitted_at is not None:
                continue
            if not r.reminded:
                at(calendar.shift(r.due, rules.report_reminder_after), "report_reminder", r)
            elif r.urges < rules.urge_count:
                assert r.last_notice_at is not None
                at(calendar.shift(r.last_notice_at, rules.urge_interval), "report_urge", r)
        if not state.evaluation_due_sent:
            at(state.application.deadline, "evaluation_due", None)
    if state.stage in LIVE:
        for p in state.pending_proposals():
            at(p.decide_by, "sanction_lapse", p)
    return pending


def owner_and_supervisors(state: ProjectState, policy: Policy) -> list[str]:
    """Who hears of a late project or of its result: the owner, then the policy's supervisors."""
    return list(dict.fromkeys([state.owner, *policy.supervisors]))


def _milestone_reminder(state: ProjectState, notice: Notice, c: Tick, ctx: Context) -> Event:
    m = notice.subject
    assert isinstance(m, MilestoneState)
    lead = ctx.policy.projects.milestone_reminder_lead or ""
    stamp = ctx.stamp(c)
    return MilestoneReminderSent(
        **stamp, policy_version=ctx.policy.version, milestone_id=m.id, deadline=m.deadline, lead=lead, recipients=[state.owner]
    )


def _milestone_overdue(state: ProjectState, notice: Notice, c: Tick, ctx: Context) -> Event:
    m = notice.subject
    assert isinstance(m, MilestoneState)
    recipients = owner_and_supervisors(state, ctx.policy)
    return MilestoneOverdue(
        **ctx.stamp(c), policy_version=ctx.policy.version, milestone_id=m.id, deadline=m.deadline, recipients=recipients
    )


def _report_reminder(state: ProjectState, notice: Notice, c: Tick, ctx: Context) -> Event:
    r = notice.subject
    assert isinstance(r, ReportState)
    version, owner = ctx.policy.version, [state.owner]
    return ReportReminderSent(
        **ctx.stamp(c), policy_version=version, quarter=r.quarter, due=r.due, recipients=owner, scheduled=notice.moment
    )


def _report_urge(state: ProjectState, notice: Notice, c: Tick, ctx: Context) -> Event:
    r = notice.subject
    assert isinstance(r, ReportState)
    return ReportUrged(
        **ctx.stamp(c),
        policy_version=ctx.policy.version,
        quarter=r.quarter,
        due=r.due,
        urge=r.urges + 1,
        of=ctx.policy.projects.urge_count,
        recipients=owner_and_supervisors(state, ctx.policy),
        scheduled=notice.moment,
    )


def _evaluation_due(state: ProjectState, notice: Notice, c: Tick, ctx: Context) -> Event:
    assert state.application is not None
    recipients = list(ctx.policy.supervisors) or [state.owner]
    return EvaluationDue(**ctx.stamp(c), policy_version=ctx.policy.version, deadline=state.application.deadline, recipients=recipients)


def _sanction_lapse(state: ProjectState, notice: Notice, c: Tick, ctx: Context) -> Event:
    p = notice.subject
    assert isinstance(p, SanctionProposal)
    recipients = list(dict.fromkeys([*ctx.policy.supervisors, state.owner]))
    return SanctionLapsed(**ctx.stamp(c), proposal_id=p.proposal_id, rung=p.rung, recipients=recipients)


_NOTICE_EVENT: dict[str, Callable[[ProjectState, Notice, Tick, Context], Event]] = {
    "milestone_reminder": _milestone_reminder,
    "milestone_overdue": _milestone_overdue,
    "report_reminder": _report_reminder,
    "report_urge": _report_urge,
    "evaluation_due": _evaluation_due,
    "sanction_lapse": _sanction_lapse,
}


def _too_late(notice: Notice, moment: datetime) -> bool:
    """A milestone reminder that could only go out at or after the deadline: the overdue notice says it all."""
    return notice.kind == "milestone_reminder" and isinstance(notice.subject, MilestoneState) and moment >= notice.subject.deadline


def tick(state: ProjectState, c: Tick, ctx: Context) -> list[Event]:
    """The clock: every notice due by ``ctx.now`` (nothing outside working time: it waits)."""
    if not may_notify(ctx.now, ctx.policy, ctx.calendar):
        return []  # a Tick catching up at night or on a holiday waits for the next working moment
    due = [n for n in notice_moments(state, ctx.policy, ctx.calendar) if n.moment <= ctx.now and not _too_late(n, ctx.now)]
    return [_NOTICE_EVENT[n.kind](state, n, c, ctx) for n in due]


# --------------------------------------------------------------------------- timers


def next_wakeup(state: ProjectState, ctx: Context) -> datetime | None:
    """The earliest moment at which ``Tick`` could produce an event, or None if no timer is needed.

    A notice that fell due while nobody ticked is due at the next working moment from ``ctx.now``
    (``Tick`` sends nothing outside working time), and a milestone reminder that could then only go out
    after its deadline is dropped — as ``Tick`` decides, so a workflow never wakes to nothing."""
    moments = []
    for notice in notice_moments(state, ctx.policy, ctx.calendar):
        moment = catch_up(notice.moment, ctx.now, ctx.policy, ctx.calendar)
        if _too_late(notice, moment):
            continue
        moments.append(moment)
    return min(moments) if moments else None


def calendar_years(state: ProjectState, now: datetime) -> list[int]:
    """The years of calendar facts a project's timers count on: this year and the next, and the project
    year and the next (its fourth-quarter report falls due in the following year)."""
    years = {now.year, now.year + 1}
    if state.year:
        years |= {state.year, state.year + 1}
    return sorted(years)
