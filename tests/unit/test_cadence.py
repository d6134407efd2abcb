"""Choosing and wording of the cadence digests (pure)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from types import SimpleNamespace as Row

import pytest
from pydantic import ValidationError

from domain.cadence import CadenceEntry, CadencePolicy, monthly_digest, review_list
from i18n.cadence import render_digest, render_review

AS_OF = datetime(2026, 11, 5, 1, 0, tzinfo=UTC)


def case(cid: str, region: str, stage: str = "implementing", done: int = 0, total: int = 2, overdue: int = 0) -> Row:
    return Row(case_id=cid, org_code=cid.split("-")[1], org_name=f"{cid}党支部", region=region, stage=stage,
               measures_done=done, measures_total=total, overdue_measures=overdue)


def measure(cid: str, mid: str, days: float, done: bool = False, overdue: bool = False) -> Row:
    return Row(case_id=cid, measure_id=mid, deadline=AS_OF + timedelta(days=days), done=done, overdue=overdue)


def test_digest_names_overdue_and_upcoming_measures_of_open_cases_only() -> None:
    cases = [
        case("rect-B-2026", "乙镇"),
        case("rect-A-2026", "甲镇"),
        case("rect-C-2026", "甲镇", stage="closed"),
        case("rect-D-2026", "甲镇"),
    ]
    measures = [
        measure("rect-A-2026", "M1", -1, overdue=True),
        measure("rect-A-2026", "M2", 40),  # beyond the look-ahead
        measure("rect-B-2026", "M1", 29),
        measure("rect-C-2026", "M1", -5, overdue=True),  # closed case: not listed
        measure("rect-D-2026", "M1", 3, done=True),  # done: not listed
        measure("rect-D-2026", "M2", -0.5),  # past its deadline, not yet marked overdue by a timer: listed as overdue
    ]
    lines = monthly_digest(cases, measures, AS_OF, look_ahead_days=30)
    assert [(line.case_id, line.overdue_measures, [m for m, _ in line.due_soon]) for line in lines] == [
        ("rect-B-2026", [], ["M1"]),  # 乙镇 sorts before 甲镇 (by code point): a stable, documented order
        ("rect-A-2026", ["M1"], []),
        ("rect-D-2026", ["M2"], []),
    ]
    zh, en = render_digest(lines, AS_OF, "zh"), render_digest(lines, AS_OF, "en")
    assert "## 甲镇" in zh and "逾期措施 2 项，临期措施 1 项" in zh
    assert "overdue: M1" in en and "due soon: M1 (2026-12-04)" in en
    assert "本期无逾期" in render_digest([], AS_OF)


def test_review_list_is_deterministic_and_lists_a_case_once() -> None:
    cases = [
        case("rect-A-2026", "甲镇", done=2, total=2),
        case("rect-B-2026", "甲镇", done=1, total=2, overdue=1),
        case("rect-C-2026", "乙镇", done=1, total=2),
        case("rect-D-2026", "乙镇", stage="planning", done=0, total=2),  # not yet implementing: not ranked
        case("rect-E-2026", "乙镇", done=0, total=3, overdue=3),
    ]
    ahead, behind = review_list(cases, size=2)
    assert [line.case_id for line in ahead] == ["rect-A-2026", "rect-C-2026"]
    assert [line.case_id for line in behind] == ["rect-E-2026", "rect-B-2026"]
    assert review_list(list(reversed(cases)), size=2) == (ahead, behind)
    text = render_review(ahead, behind, AS_OF)
    assert text.index("rect-A-2026") < text.index("现场督导") < text.index("rect-E-2026")


def test_cadence_policy_defaults_and_validation() -> None:
    policy = CadencePolicy()
    assert policy.monthly_digest.months == list(range(1, 13)) and policy.monthly_digest.day == 5
    assert policy.quarterly_review.months == [1, 4, 7, 10]
    assert policy.half_year_bulletin.months == [1, 7]
    assert CadenceEntry(months=[7, 1], day=15).months == [1, 7]
    for bad in ({"months": [13], "day": 1}, {"months": [1, 1], "day": 1}, {"months": [1], "day": 31}, {"months": [], "day": 1}):
        with pytest.raises(ValidationError):
            CadenceEntry(**bad)


def test_a_run_due_on_a_day_off_moves_to_the_same_time_on_the_next_working_day() -> None:
    from datetime import date

    from domain.cadence import working_day_run
    from domain.timeutil import SHANGHAI
    from domain.workcal import CalendarFacts, FactSource, WorkCalendar, YearFacts

    facts = YearFacts(
        year=2027, source=FactSource.OVERRIDE,
        holidays=[date(2027, 10, d) for d in (1, 4, 5, 6, 7)], workdays=[date(2027, 9, 26), date(2027, 10, 9)],
    )
    calendar = WorkCalendar(CalendarFacts(years={2027: facts}))
    at = lambda *day: datetime(*day, 9, 0, tzinfo=SHANGHAI)  # noqa: E731
    assert working_day_run(at(2027, 6, 5), calendar) == at(2027, 6, 7)  # Saturday → Monday
    assert working_day_run(at(2027, 10, 5), calendar) == at(2027, 10, 8)  # 国庆 → the first day back
    assert working_day_run(at(2027, 10, 9), calendar) == at(2027, 10, 9)  # a make-up Saturday (调休) is worked
    assert working_day_run(at(2027, 7, 5), calendar) == at(2027, 7, 5)  # a working day: unchanged
    utc = at(2027, 6, 5).astimezone(UTC)
    assert working_day_run(utc, calendar) == at(2027, 6, 7) and working_day_run(utc, calendar).tzinfo == UTC
    late = datetime(2027, 12, 31, 23, 30, tzinfo=SHANGHAI)  # a Friday; 2028 counts weekends only
    assert working_day_run(late, calendar) == late


def test_a_scheduled_moment_is_one_of_the_entrys_and_a_trigger_is_not() -> None:
    from domain.cadence import is_scheduled_moment
    from domain.timeutil import SHANGHAI

    entry = CadenceEntry(months=[1, 7], day=15, hour=9)
    assert is_scheduled_moment(datetime(2027, 7, 15, 9, 0, tzinfo=SHANGHAI), entry)
    assert is_scheduled_moment(datetime(2027, 7, 15, 1, 0, tzinfo=UTC), entry)  # the same moment in UTC
    assert not is_scheduled_moment(datetime(2027, 11, 20, 9, 0, tzinfo=SHANGHAI), entry)  # November: by hand
    assert not is_scheduled_moment(datetime(2027, 7, 15, 9, 0, 7, tzinfo=SHANGHAI), entry)  # triggered at 09:00:07
    assert not is_scheduled_moment(datetime(2027, 7, 16, 9, 0, tzinfo=SHANGHAI), entry)


def test_recipients_are_the_policys_supervisors_else_the_directorys_people_with_the_roles() -> None:
    from domain.actors import Role
    from domain.cadence import cadence_recipients

    people = [
        Row(id="admin", roles=[Role.ADMIN], active=True),
        Row(id="wang.sup", roles=[Role.SUPERVISOR], active=True),
        Row(id="gone.sup", roles=[Role.SUPERVISOR], active=False),
        Row(id="li.county", roles=[Role.COUNTY_LEADER, Role.SUPERVISOR], active=True),
        Row(id="chen.branch", roles=[Role.BRANCH_SECRETARY], active=True),
    ]
    assert cadence_recipients(["zhou.sup", "zhou.sup"], people, [Role.SUPERVISOR]) == ["zhou.sup"]
    assert cadence_recipients([], people, [Role.SUPERVISOR]) == ["wang.sup", "li.county"]
    assert cadence_recipients([], people, [Role.COUNTY_LEADER]) == ["li.county"]
    assert cadence_recipients([], people[:1], [Role.SUPERVISOR]) == []
    policy = CadencePolicy()
    assert policy.working_days_only is True and policy.recipient_roles == [Role.SUPERVISOR]
    with pytest.raises(ValidationError):
        CadencePolicy(recipient_roles=[])
    with pytest.raises(ValidationError):
        CadencePolicy(recipient_roles=["nobody"])


def test_a_streams_supervisors_default_to_the_directorys_people_in_its_scope() -> None:
    """A fresh stack's policy names no supervisors: a case's escalations and proposals go to the directory's
    supervisors whose scope covers the organization or its township (a county-wide one always)."""
    from domain.actors import Role
    from domain.cadence import supervisors_in_scope

    people = [
        Row(id="wang.sup", roles=[Role.SUPERVISOR], active=True, scope=["*"]),
        Row(id="town.sup", roles=[Role.SUPERVISOR], active=True, scope=["城关镇"]),
        Row(id="v.sup", roles=[Role.SUPERVISOR], active=True, scope=["V001"]),
        Row(id="other.sup", roles=[Role.SUPERVISOR], active=True, scope=["柳林乡"]),
        Row(id="gone.sup", roles=[Role.SUPERVISOR], active=False, scope=["*"]),
        Row(id="chen.branch", roles=[Role.BRANCH_SECRETARY], active=True, scope=["V001"]),
    ]
    assert supervisors_in_scope(people, [Role.SUPERVISOR], "V001", "城关镇") == ["wang.sup", "town.sup", "v.sup"]
    assert supervisors_in_scope(people, [Role.SUPERVISOR], None, "柳林乡") == ["wang.sup", "other.sup"]
    assert supervisors_in_scope(people, [Role.SUPERVISOR], None, None) == ["wang.sup"]  # a county-wide campaign
