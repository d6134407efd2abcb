"""Report figures on hand-built rows: every definition, and the edge cases (no cases, no deadline passed)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from types import SimpleNamespace

import pytest

from reports.figures import (
    case_figures,
    class_rank,
    org_upgrades,
    project_figures,
    year_end,
)
from store.models import CaseSummary, MeasureLedger

AS_OF = datetime(2026, 6, 30, 16, 0, tzinfo=UTC)  # 2026-07-01 00:00 Beijing: the end of 30 June


def case(case_id: str, region: str = "城关镇", stage: str = "implementing", year: int = 2026, **extra) -> SimpleNamespace:
    fields = {
        "case_id": case_id, "org_code": case_id.split("-")[1], "org_name": f"{case_id}党支部", "region": region, "year": year,
        "stage": stage, "overdue": False, "overdue_measures": 0, "escalations": 0, "outcome": None, "closed_at": None, "next_due": None,
    }
    fields.update(extra)
    return SimpleNamespace(**fields)


def measure(
    case_id: str, measure_id: str, deadline: datetime, done: bool = False, completed_at: datetime | None = None, escalations: str = ""
) -> SimpleNamespace:
    return SimpleNamespace(
        case_id=case_id, measure_id=measure_id, deadline=deadline, done=done, completed_at=completed_at, escalations=escalations
    )


def test_no_cases_gives_zeros_and_no_on_time_rate() -> None:
    figures = case_figures([], AS_OF, [])
    assert figures.total == 0 and figures.by_stage == {} and figures.by_region == {}
    assert figures.measures_due == 0 and figures.on_time_rate is None  # not 0 %, not 100 %
    assert figures.overdue_cases == figures.overdue_measures == figures.closed == figures.carried_over == 0


def test_no_deadline_passed_leaves_the_rate_undefined() -> None:
    cases = [case("rect-A-2026")]
    measures = [measure("rect-A-2026", "M1", AS_OF + timedelta(days=30))]
    figures = case_figures(cases, AS_OF, measures)
    assert figures.measures_total == 1 and figures.measures_due == 0
    assert figures.on_time_rate is None and figures.overdue_measures == 0 and figures.overdue_cases == 0


def test_counts_by_stage_and_by_region_in_stage_order() -> None:
    cases = [
        case("rect-A-2026", "城关镇", "closed", outcome="upgraded", closed_at=AS_OF - timedelta(days=1)),
        case("rect-B-2026", "城关镇", "implementing"),
        case("rect-C-2026", "青山镇", "planning"),
        case("rect-D-2026", "青山镇", "implementing"),
    ]
    figures = case_figures(cases, AS_OF)
    assert figures.total == 4
    assert list(figures.by_stage.items()) == [("planning", 1), ("implementing", 2), ("closed", 1)]
    assert figures.by_region == {"城关镇": {"implementing": 1, "closed": 1}, "青山镇": {"planning": 1, "implementing": 1}}
    assert figures.closed == 1 and figures.upgraded == 1
    assert [c.case_id for c in figures.upgraded_cases] == ["rect-A-2026"]


def test_on_time_rate_counts_completion_against_each_deadline() -> None:
    due1 = AS_OF - timedelta(days=60)
    due2 = AS_OF - timedelta(days=10)
    cases = [case("rect-A-2026", "城关镇"), case("rect-B-2026", "青山镇")]
    measures = [
        measure("rect-A-2026", "M1", due1, done=True, completed_at=due1 - timedelta(days=1)),  # on time
        measure("rect-A-2026", "M2", due1, done=True, completed_at=due1),  # exactly at the deadline: on time
        measure("rect-A-2026", "M3", due2, done=True, completed_at=due2 + timedelta(hours=1)),  # late
        measure("rect-B-2026", "M1", due2, escalations="reminder_talk"),  # open and overdue
        measure("rect-B-2026", "M2", AS_OF + timedelta(days=5)),  # not due yet: not counted
        measure("rect-B-2026", "M3", due2, done=True, completed_at=AS_OF + timedelta(days=1)),  # done after as_of: overdue then
    ]
    figures = case_figures(cases, AS_OF, measures)
    assert figures.measures_total == 6 and figures.measures_due == 5 and figures.measures_on_time == 2
    assert figures.on_time_rate == pytest.approx(2 / 5)
    assert figures.on_time_by_region["城关镇"].due == 3 and figures.on_time_by_region["城关镇"].on_time == 2
    assert figures.on_time_by_region["青山镇"].rate == 0
    assert figures.measures_done == 3  # completed by as_of
    assert figures.overdue_measures == 2 and figures.overdue_cases == 1
    [named] = figures.overdue_orgs
    assert (named.case_id, named.org_name, named.overdue_measures, named.earliest_deadline) == ("rect-B-2026", "rect-B-2026党支部", 2, due2)
    assert named.escalations == ["reminder_talk"]


def test_a_done_measure_without_completion_time_counts_as_on_time() -> None:
    due = AS_OF - timedelta(days=3)
    rows = [SimpleNamespace(case_id="rect-A-2026", measure_id="M1", deadline=due, done=True)]
    figures = case_figures([case("rect-A-2026")], AS_OF, rows)
    assert figures.on_time_rate == 1.0 and figures.overdue_measures == 0


def test_without_measure_rows_overdue_comes_from_the_case_rows() -> None:
    cases = [case("rect-A-2026", overdue=True, overdue_measures=2, escalations=3), case("rect-B-2026")]
    figures = case_figures(cases, AS_OF)
    assert figures.overdue_cases == 1 and figures.overdue_measures == 2 and figures.escalations == 3
    assert figures.on_time_rate is None and [o.case_id for o in figures.overdue_orgs] == ["rect-A-2026"]


def test_escalations_by_rung_and_sanction_proposals() -> None:
    due = AS_OF - timedelta(days=40)
    measures = [
        measure("rect-A-2026", "M1", due, escalations="reminder_talk,supervision_notice,admonishment_talk"),
        measure("rect-A-2026", "M2", due, escalations="reminder_talk"),
    ]
    figures = case_figures([case("rect-A-2026", escalations=4)], AS_OF, measures)
    assert figures.escalations == 4
    assert figures.escalations_by_rung == {"reminder_talk": 2, "supervision_notice": 1, "admonishment_talk": 1}
    assert figures.sanction_proposals == 1  # from the rungs: the rows carry no proposal count
    with_counts = case_figures([case("rect-A-2026", sanction_proposals=2, sanctions_pending=1)], AS_OF, measures)
    assert with_counts.sanction_proposals == 2 and with_counts.sanctions_pending == 1


def test_carried_over_only_once_the_year_has_ended() -> None:
    end = year_end(2026)
    assert end == datetime(2026, 12, 31, 16, 0, tzinfo=UTC)
    cases = [
        case("rect-A-2026", stage="consolidating"),
        case("rect-B-2026", stage="closed", closed_at=end - timedelta(days=1), outcome="stable"),
        case("rect-C-2026", stage="closed", closed_at=end + timedelta(days=10), outcome="upgraded"),
    ]
    assert case_figures(cases, AS_OF).carried_over == 0  # mid-year: nothing carried over yet
    at_year_end = case_figures(cases, end)
    # C was closed only after the year's end: carried over too, and not yet closed as of the end
    assert at_year_end.carried_over == 2 and [c.case_id for c in at_year_end.carried_over_cases] == ["rect-A-2026", "rect-C-2026"]
    assert at_year_end.closed == 1 and at_year_end.upgraded == 0
    later = case_figures(cases, end + timedelta(days=30))
    assert later.carried_over == 2 and later.closed == 2 and later.upgraded == 1


def test_accepts_the_store_rows() -> None:
    now = AS_OF - timedelta(days=1)
    summary = CaseSummary(
        case_id="rect-V1-2026", kind="rectification", org_code="V1", org_name="东村党支部", region="城关镇", year=2026,
        stage="implementing", cycle=1, plan_status="approved", plan_round=1, plan_returns=0, measures_total=1, measures_done=0,
        overdue_measures=1, escalations=1, overdue=True, last_event_at=now, version=9, position=9,
    )
    ledger = MeasureLedger(
        case_id="rect-V1-2026", measure_id="M1", cycle=1, description="补选支委", problems="P1", responsible="chen",
        deadline=now - timedelta(days=10), done=False, overdue=True, progress_reports=0, reminders="7d,1d", escalations="reminder_talk",
    )
    figures = case_figures([summary], AS_OF, [ledger])
    assert figures.overdue_cases == 1 and figures.on_time_rate == 0.0 and figures.escalations_by_rung == {"reminder_talk": 1}


def test_naive_times_are_refused() -> None:
    with pytest.raises(ValueError, match="naive"):
        case_figures([], datetime(2026, 6, 30))


def test_organization_upgrades_from_assessments() -> None:
    records = [
        ("V1", 2025, 2, "三类"), ("V1", 2026, 3, "三类"),  # star up
        ("V2", 2025, 3, "三类"), ("V2", 2026, 3, "二类"),  # class up
        ("V3", 2025, 4, "一类"), ("V3", 2026, 3, "二类"),  # down: not an upgrade
        ("V4", 2026, 5, "一类"),  # no previous year
        {"org_code": "V5", "year": 2025, "star": 1, "org_class": 3}, {"org_code": "V5", "year": 2026, "star": 2, "org_class": 3},
    ]
    found = org_upgrades(records, 2026)
    assert [(u.org_code, u.star_before, u.star_after, u.class_before, u.class_after) for u in found] == [
        ("V1", 2, 3, 3, 3), ("V2", 3, 3, 3, 2), ("V5", 1, 2, 3, 3),
    ]
    assert org_upgrades(records, 2025) == []
    figures = case_figures([], AS_OF, [], records, year=2026)
    assert len(figures.org_upgrades) == 3
    assert class_rank("一类") == 1 and class_rank("lagging") == 3 and class_rank(None) is None


def test_project_figures() -> None:
    rows = [
        SimpleNamespace(
            project_id="P1",
            level="secretary",
            org_code="V1",
            org_name="东村",
            region="城关镇",
            stage="evaluated",
            rating="good",
            outcome="promoted",
            overdue_milestones=0,
            urges_sent=1,
            milestones_total=4,
            milestones_done=4,
            revision_rounds=2,
            quarterly_reports=4,
        ),
        {
            "project_id": "P2",
            "level": "committee",
            "region": "城关镇",
            "stage": "implementing",
            "rating": None,
            "overdue_milestones": 2,
            "urges_sent": 3,
        },
        SimpleNamespace(
            project_id="P3",
            level="secretary",
            org_code="V3",
            org_name="西村",
            region="青山镇",
            stage="evaluated",
            rating="poor",
            outcome="closed",
        ),
    ]
    figures = project_figures(rows, AS_OF)
    assert figures.total == 3 and figures.by_level == {"committee": 1, "secretary": 2}
    assert figures.ratings == {"good": 1, "medium": 0, "poor": 1} and figures.rated == 2
    assert figures.overdue_milestones == 2 and figures.projects_with_overdue == 1 and figures.urges_sent == 4
    assert figures.models_promoted == 1 and figures.promoted_projects[0]["project_id"] == "P1"
    assert [p["project_id"] for p in figures.poor_projects] == ["P3"]
    assert figures.by_region == {"城关镇": {"implementing": 1, "evaluated": 1}, "青山镇": {"evaluated": 1}}
    empty = project_figures([], AS_OF)
    assert empty.total == 0 and empty.ratings == {"good": 0, "medium": 0, "poor": 0}


def test_acceptance_rounds_failures_by_reason_and_reworks_per_region() -> None:
    cases = [
        case("rect-A-2026", "城关镇", acceptance_rounds=3, acceptances_passed=1, failed_score=1, failed_satisfaction=1, reworks=2),
        case("rect-B-2026", "城关镇", acceptance_rounds=1, acceptances_passed=1),
        case("rect-C-2026", "青山镇", acceptance_rounds=2, acceptances_passed=0, failed_score=2, reworks=2, executions=1, findings=3),
        case("rect-D-2026", "青山镇"),  # rows without the attributes count 0
    ]
    f = case_figures(cases, AS_OF)
    assert (f.acceptance_rounds, f.acceptances_passed, f.reworks, f.cases_reworked) == (6, 2, 4, 2)
    assert f.failures_by_reason == {"failed_score": 3, "failed_satisfaction": 1}
    assert f.acceptance_by_region["城关镇"].model_dump() == {
        "rounds": 4, "passed": 2, "failed_score": 1, "failed_satisfaction": 1, "reworks": 2, "cases_reworked": 1,
    }
    assert f.acceptance_by_region["青山镇"].failed == 2 and (f.executions, f.findings) == (1, 3)
    empty = case_figures([], AS_OF)
    assert empty.failures_by_reason == {"failed_score": 0, "failed_satisfaction": 0} and empty.acceptance_by_region == {}
