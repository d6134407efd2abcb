"""Cadence (月督导、季观摩、半年通报): when the supervision schedules run and what each one names. Pure.

- Monthly supervision digest (月督导): per township, the open cases with overdue measures and the
  measures falling due in the next ``look_ahead_days``, for the supervisors.
- Quarterly review list (季观摩): the organizations worth an on-site visit — the furthest ahead
  (observation models) and the furthest behind (to be supervised on the spot).
- Half-year bulletin (半年通报): the report (reports/), written to files; the digest names them.

The schedules themselves are Temporal Schedules (service/schedules.py); the rows come from the
projections through an activity. These functions only choose; the words are i18n/cadence.py's.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime, timedelta
from typing import Any

from pydantic import BaseModel, Field

from domain.actors import Role

# re-exported: the cadence policy's types, where the cadence rules' callers look for them
from domain.policy.cadence import CadenceEntry as CadenceEntry
from domain.policy.cadence import CadenceKind as CadenceKind
from domain.policy.cadence import CadencePolicy as CadencePolicy
from domain.timeutil import SHANGHAI, require_aware
from domain.workcal import WorkCalendar

# ------------------------------------------------------------------ when a run happens


def is_scheduled_moment(moment: datetime, entry: CadenceEntry) -> bool:
    """Is ``moment`` one of the entry's calendar moments (its month, day, hour and minute, Beijing time)?
    A Schedule's run carries the moment it was scheduled for; a run triggered by hand carries the moment
    of the trigger, which is not one of them (a trigger at exactly 09:00:00 on the day counts as the
    scheduled run, which is due that day anyway)."""
    local = require_aware(moment).astimezone(SHANGHAI)
    return (
        local.month in entry.months
        and (local.day, local.hour, local.minute, local.second, local.microsecond) == (entry.day, entry.hour, entry.minute, 0, 0)
    )


def working_day_run(scheduled: datetime, calendar: WorkCalendar) -> datetime:
    """When a run scheduled for ``scheduled`` happens: that moment if its Beijing day is a working day,
    else the same Beijing time on the next working day (顺延: weekends and public holidays off, make-up
    workdays 调休 on). Returned in ``scheduled``'s time zone."""
    local = require_aware(scheduled).astimezone(SHANGHAI)
    day = calendar.next_workday(local.date())
    if day == local.date():
        return scheduled
    moved = datetime.combine(day, local.timetz().replace(tzinfo=None), tzinfo=SHANGHAI)
    return moved.astimezone(scheduled.tzinfo)


def cadence_recipients(named: Sequence[str], people: Iterable[Any], roles: Sequence[Role]) -> list[str]:
    """Who a cadence run tells: the policy's ``supervisors`` when it names any; else every active person
    of the people directory with one of ``roles`` (policy ``cadence.recipient_roles``), in directory
    order. ``people`` have id, roles and active (``domain.people.Person``). Empty only when the
    directory has nobody active with those roles."""
    if named:
        return list(dict.fromkeys(named))
    wanted = set(roles)
    return [p.id for p in people if p.active and wanted.intersection(p.roles)]


def supervisors_in_scope(people: Iterable[Any], roles: Sequence[Role], org_code: str | None, region: str | None) -> list[str]:
    """The people of the directory a stream's notices to "supervisors" reach when the policy names none:
    every active person with one of ``roles`` whose scope covers the stream's organization or township
    ("*", its code, its township; a county-wide stream without either: "*" only), in directory order."""
    wanted = set(roles)
    covered = {"*"} | {v for v in (org_code, region) if v}
    return [p.id for p in people if p.active and wanted.intersection(p.roles) and covered.intersection(p.scope)]


# ------------------------------------------------------------------ choosing


class DigestLine(BaseModel):
    case_id: str
    org_code: str
    org_name: str
    region: str
    stage: str
    overdue_measures: list[str] = Field(default_factory=list)
    due_soon: list[tuple[str, datetime]] = Field(default_factory=list)  # (measure id, deadline)


class ReviewLine(BaseModel):
    case_id: str
    org_name: str
    region: str
    stage: str
    done: int
    total: int
    overdue: int

    @property
    def share(self) -> float:
        return self.done / self.total if self.total else 0.0


def monthly_digest(cases: Sequence[Any], measures: Sequence[Any], as_of: datetime, look_ahead_days: int) -> list[DigestLine]:
    """Open cases with an overdue measure or a measure due within the look-ahead, by township then org.

    ``cases`` have case_id, org_code, org_name, region, stage; ``measures`` have case_id, measure_id,
    deadline, done, overdue (the projection rows)."""
    horizon = as_of + timedelta(days=look_ahead_days)
    by_case: dict[str, list[Any]] = {}
    for m in measures:
        by_case.setdefault(m.case_id, []).append(m)
    lines = []
    for case in cases:
        if case.stage == "closed":
            continue
        own = sorted(by_case.get(case.case_id, []), key=lambda m: (m.deadline, m.measure_id))
        overdue = [m.measure_id for m in own if not m.done and (m.overdue or m.deadline <= as_of)]
        soon = [(m.measure_id, m.deadline) for m in own if not m.done and as_of < m.deadline <= horizon]
        if overdue or soon:
            lines.append(
                DigestLine(
                    case_id=case.case_id, org_code=case.org_code, org_name=case.org_name, region=case.region,
                    stage=case.stage, overdue_measures=overdue, due_soon=soon,
                )
            )
    return sorted(lines, key=lambda line: (line.region, -len(line.overdue_measures), line.org_code))


def review_list(cases: Sequence[Any], size: int) -> tuple[list[ReviewLine], list[ReviewLine]]:
    """(ahead, behind) among cases in implementation or later, deterministic (ties by case id):
    ahead — nothing overdue and something done, most done first (to learn from, 观摩学习);
    behind — something overdue or nothing done, most overdue then least done first (现场督导).
    The two lists never share a case."""
    lines = [
        ReviewLine(
            case_id=c.case_id, org_name=c.org_name, region=c.region, stage=c.stage,
            done=c.measures_done, total=c.measures_total, overdue=c.overdue_measures,
        )
        for c in cases
        if c.measures_total and c.stage not in {"new", "designated", "planning", "closed"}
    ]
    ahead = sorted((line for line in lines if not line.overdue and line.done), key=lambda line: (-line.share, line.case_id))
    behind = sorted((line for line in lines if line.overdue or not line.done), key=lambda line: (-line.overdue, line.share, line.case_id))
    return ahead[:size], behind[:size]
