"""Memory across years (历史记录规则): each rule over three years of history, at designation and acceptance."""

from __future__ import annotations

import pytest

from domain.directory import AcceptanceResult, HistoryRecord
from domain.memory import (
    LastPlaceRule,
    MemoryPolicy,
    MemoryRule,
    Moment,
    RuleName,
    evaluate_memory,
)
from domain.rungs import Rung

P = MemoryPolicy()


def rec(year: int, **kw: object) -> HistoryRecord:
    kw.setdefault("person", "张三")
    return HistoryRecord(org_code="V1", year=year, **kw)


def rules(findings) -> list[RuleName]:  # type: ignore[no-untyped-def]
    return [f.rule for f in findings]


def test_designated_two_years_running_at_designation() -> None:
    history = [rec(2024), rec(2025, designated=True), rec(2026)]
    [finding] = evaluate_memory("V1", history, 2026, Moment.DESIGNATION, P, person="张三")
    assert finding.rule == RuleName.DESIGNATED_REPEATEDLY
    assert finding.rung == Rung.ADMONISHMENT_TALK
    assert finding.years == [2025, 2026]
    assert finding.zh == "连续两年被认定为软弱涣散党组织"
    assert finding.person == "张三"
    # a gap year breaks the run; an organization not designated now does not fire
    assert evaluate_memory("V1", [rec(2024, designated=True), rec(2025)], 2026, "designation", P) == []
    assert evaluate_memory("V1", history, 2026, "designation", P, designated_now=False) == []


def test_other_organizations_records_are_ignored() -> None:
    other = HistoryRecord(org_code="V2", year=2025, designated=True)
    assert evaluate_memory("V1", [other], 2026, "designation", P) == []


def test_failed_acceptance_twice_across_years_and_rounds() -> None:
    across_years = [rec(2024, designated=True, acceptance="failed"), rec(2025, designated=True, acceptance="failed")]
    found = evaluate_memory("V1", across_years, 2026, "designation", P, designated_now=False)
    assert rules(found) == [RuleName.FAILED_ACCEPTANCE]
    assert found[0].years == [2024, 2025] and found[0].rung == Rung.PERSONNEL_ADJUSTMENT
    rounds = [rec(2025, designated=True, acceptance="passed", failed_acceptances=2)]
    found = evaluate_memory("V1", rounds, 2026, "designation", P, designated_now=False)
    assert found[0].years == [2025, 2025]
    # outside the three-year window
    old = [rec(2022, acceptance="failed"), rec(2023, acceptance="failed")]
    assert evaluate_memory("V1", old, 2026, "designation", P, designated_now=False) == []


def test_failed_acceptance_at_acceptance_counts_the_current_verdict() -> None:
    history = [rec(2024, designated=True, acceptance="failed"), rec(2026, designated=True)]
    found = evaluate_memory("V1", history, 2026, Moment.ACCEPTANCE, P, current_acceptance="failed")
    assert rules(found) == [RuleName.FAILED_ACCEPTANCE] and found[0].years == [2024, 2026]
    assert evaluate_memory("V1", history, 2026, Moment.ACCEPTANCE, P, current_acceptance=AcceptanceResult.PASSED) == []
    # a second failed round in the same year: the first is already recorded in the history
    same_year = [rec(2026, designated=True, failed_acceptances=1)]
    found = evaluate_memory("V1", same_year, 2026, Moment.ACCEPTANCE, P, current_acceptance="failed")
    assert found[0].years == [2026, 2026]
    # rules not switched on for acceptance stay quiet there
    running = [rec(2025, designated=True), rec(2026, designated=True)]
    assert evaluate_memory("V1", running, 2026, Moment.ACCEPTANCE, P, current_acceptance="passed") == []


def test_last_place_twice_within_three_years() -> None:
    history = [rec(2024, rank=170, rank_of=170), rec(2025, rank=100, rank_of=170), rec(2026, rank=170, rank_of=170)]
    found = evaluate_memory("V1", history, 2026, "designation", P, designated_now=False)
    assert rules(found) == [RuleName.LAST_PLACE]
    assert found[0].years == [2024, 2026]
    assert found[0].zh == "三年内两次综合考评排名末位" and found[0].rung == Rung.REMINDER_TALK
    # 2023 and 2026 are four years apart: outside the window
    spread = [rec(2023, rank=9, rank_of=9), rec(2026, rank=170, rank_of=170)]
    assert evaluate_memory("V1", spread, 2026, "designation", P, designated_now=False) == []


def test_last_place_as_a_bottom_share() -> None:
    policy = MemoryPolicy(last_place=LastPlaceRule(rung=Rung.REMINDER_TALK, bottom_share=0.1))
    history = [rec(2025, rank=154, rank_of=170), rec(2026, rank=160, rank_of=170)]  # 154 > 153 = 170 × 0.9
    found = evaluate_memory("V1", history, 2026, "designation", policy, designated_now=False)
    assert rules(found) == [RuleName.LAST_PLACE] and "后10%" in found[0].zh
    edge = [rec(2025, rank=153, rank_of=170), rec(2026, rank=160, rank_of=170)]
    assert evaluate_memory("V1", edge, 2026, "designation", policy, designated_now=False) == []


def test_same_secretary_only_counts_the_current_secretarys_years() -> None:
    history = [rec(2025, designated=True, person="李四"), rec(2026, person="张三")]
    assert evaluate_memory("V1", history, 2026, "designation", P, person="张三") == []
    lenient = MemoryPolicy(designated_repeatedly=MemoryRule(rung=Rung.ADMONISHMENT_TALK, times=2, within_years=2, same_secretary=False))
    assert rules(evaluate_memory("V1", history, 2026, "designation", lenient, person="张三")) == [RuleName.DESIGNATED_REPEATEDLY]
    unknown = [rec(2025, designated=True, person=None)]
    assert rules(evaluate_memory("V1", unknown, 2026, "designation", P, person="张三")) == [RuleName.DESIGNATED_REPEATEDLY]


def test_rules_switch_off_and_change_their_numbers() -> None:
    history = [rec(2024, designated=True), rec(2025, designated=True), rec(2026, designated=True)]
    off = MemoryPolicy(designated_repeatedly=MemoryRule(rung=Rung.ADMONISHMENT_TALK, enabled=False))
    assert evaluate_memory("V1", history, 2026, "designation", off) == []
    three = MemoryPolicy(designated_repeatedly=MemoryRule(rung=Rung.PERSONNEL_ADJUSTMENT, times=3, within_years=3))
    [finding] = evaluate_memory("V1", history, 2026, "designation", three)
    assert finding.years == [2024, 2025, 2026] and finding.zh.startswith("连续三年")
    assert finding.rung == Rung.PERSONNEL_ADJUSTMENT
    with pytest.raises(ValueError):
        MemoryRule(rung=Rung.REMINDER, moments=[])


def test_three_years_every_rule_at_once() -> None:
    history = [
        rec(2024, rank=50, rank_of=50, designated=True, acceptance="failed"),
        rec(2025, rank=48, rank_of=50, designated=True, acceptance="failed"),
        rec(2026, rank=50, rank_of=50),
    ]
    found = evaluate_memory("V1", history, 2026, "designation", P)
    assert rules(found) == [RuleName.DESIGNATED_REPEATEDLY, RuleName.FAILED_ACCEPTANCE, RuleName.LAST_PLACE]
    assert [f.years for f in found] == [[2025, 2026], [2024, 2025], [2024, 2026]]  # the running rule looks back two years
