"""Small rules every handler of a case shares: who is told, which calendar facts a decision used,
which measure a command names, who may not approve what they asked for."""

from __future__ import annotations

from datetime import datetime

from domain.decider import Command
from domain.errors import InvalidCommand, NotAllowedInStage, SeparationOfDuties
from domain.policy import Policy, Recipient
from domain.rectification.commands import ProblemInput
from domain.rectification.state import CaseState, MeasureState
from domain.timeutil import local
from domain.timing import deliverable
from domain.workcal import WorkCalendar


def recipients(state: CaseState, measure: MeasureState | None, targets: list[Recipient], policy: Policy) -> list[str]:
    """The people ``targets`` name for this case (and measure), each once, in order."""
    people: list[str] = []
    for target in targets:
        if target == Recipient.RESPONSIBLE and measure is not None:
            people.append(measure.responsible)
            people.extend(measure.partners)  # 结对帮扶: who shares the measure is told with its responsible person
        elif target == Recipient.LEADERS:
            people.extend(state.leaders)
        elif target == Recipient.SUPERVISORS:
            people.extend(policy.supervisors)
        elif target == Recipient.SUPERIOR:
            people.extend(policy.superiors_of(state.region))
    return list(dict.fromkeys(people))


def calendar_source(calendar: WorkCalendar, *moments: datetime) -> str:
    """The calendar facts behind a computation spanning ``moments`` (recorded on the event)."""
    years = [local(m).year for m in moments]
    return calendar.sources(range(min(years), max(years) + 1))


def decide_by(now: datetime, within: str, policy: Policy, calendar: WorkCalendar) -> datetime:
    """When a sanction proposal made at ``now`` must be decided: ``within`` later, at a working moment."""
    return deliverable(calendar.shift(now, within), policy, calendar)


def check_categories(problems: list[ProblemInput], policy: Policy) -> None:
    for problem in problems:
        if problem.category not in policy.problem_categories:
            known = ", ".join(policy.problem_categories)
            raise InvalidCommand(f"unknown problem category {problem.category!r}; policy knows: {known}")


def open_measure(state: CaseState, measure_id: str) -> MeasureState:
    """The measure a command names, which must exist and not be completed."""
    measure = state.measure(measure_id)
    if measure is None:
        known = ", ".join(m.id for m in state.measures)
        raise InvalidCommand(f"unknown measure {measure_id!r}; this plan has: {known}")
    if measure.done:
        raise NotAllowedInStage(f"measure {measure_id} is already completed")
    return measure


def measures_named(state: CaseState, ids: list[str]) -> list[MeasureState]:
    return [open_measure(state, measure_id) for measure_id in dict.fromkeys(ids)]


def approver_is_not_requester(c: Command, requested_by: str | None) -> None:
    if requested_by is not None and requested_by == c.actor.id:
        raise SeparationOfDuties(f"{c.actor.id} asked for this and cannot approve it; another approver must")
