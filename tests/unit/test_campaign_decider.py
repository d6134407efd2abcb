"""The campaign decider: approval amends without duplicating, starts are recorded once, checks only
when figures change, the year closes once; pure and fast."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from domain.actors import Actor, Role
from domain.campaign import (
    INITIAL_STATE,
    ApproveDesignation,
    CampaignFigures,
    CampaignSettings,
    CampaignStage,
    CloseYear,
    OpenCampaign,
    RecordCheck,
    RecordOutcomes,
    RecordStarts,
    StartStatus,
    campaign_id_for,
    decide,
    evolve,
    fold,
    next_check_at,
    region_token,
    year_end_at,
)
from domain.decider import Context
from domain.errors import InvalidCommand, NotAllowedInStage, PermissionDenied
from domain.policy import Policy
from domain.rectification import Basis, BasisKind, OpenCase, ProblemInput, case_id_for
from domain.timeutil import SHANGHAI

NOW = datetime(2026, 3, 2, 1, 0, tzinfo=UTC)
POLICY = Policy()
CTX = Context(now=NOW, policy=POLICY)
SUP = Actor(id="sup", roles=[Role.SUPERVISOR])
TOWN_SUP = Actor(id="sup-town", roles=[Role.SUPERVISOR], scope=["城关镇"])


def opening(code: str, region: str = "城关镇", year: int = 2026, category: str = "weak_leadership") -> OpenCase:
    return OpenCase(
        actor=SUP, org_code=code, org_name=f"{code}党支部", region=region, year=year,
        basis=Basis(kind=BasisKind.DIRECT, detail="星级评定1星"), problems=[ProblemInput(category=category, description="x")],
        leaders=["cl"],
    )


def apply(state, command, now=NOW):  # type: ignore[no-untyped-def]
    for event in decide(state, command, Context(now=now, policy=POLICY)):
        state = evolve(state, event)
    return state


def opened(region: str | None = "城关镇"):  # type: ignore[no-untyped-def]
    return apply(INITIAL_STATE, OpenCampaign(actor=SUP, region=region, year=2026))


def test_region_tokens() -> None:
    assert campaign_id_for("城关镇", 2026) == "camp-城关镇-2026"
    assert campaign_id_for(None, 2026) == "camp-all-2026"
    assert region_token("  东湖  街道 ") == "东湖_街道"


def test_approval_amends_and_never_duplicates() -> None:
    state = apply(opened(), ApproveDesignation(actor=SUP, designees=[opening("V1"), opening("V2")]))
    assert state.stage == CampaignStage.RUNNING and list(state.cases) == ["rect-V1-2026", "rect-V2-2026"]
    events = decide(state, ApproveDesignation(actor=SUP, designees=[opening("V2"), opening("V3")]), CTX)
    assert [e.type for e in events] == ["DesignationApproved"]
    assert [o.org_code for o in events[0].designees] == ["V3"] and events[0].skipped == ["V2"]
    state = evolve(state, events[0])
    assert len(state.cases) == 3 and len(state.pending) == 3 and state.approvals == 2
    assert decide(state, ApproveDesignation(actor=SUP, designees=[opening("V1")]), CTX) == []


@pytest.mark.parametrize(
    "designees, error",
    [
        ([opening("V1"), opening("V1")], InvalidCommand),  # listed twice
        ([opening("V1", region="青山乡")], InvalidCommand),  # another region
        ([opening("V1", year=2025)], InvalidCommand),  # another year
        ([opening("V1", category="no-such-category")], InvalidCommand),  # the case itself would be refused
    ],
)
def test_bad_approvals_are_refused(designees, error) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(error):
        decide(opened(), ApproveDesignation(actor=SUP, designees=designees), CTX)


def test_permissions() -> None:
    clerk = Actor(id="ts", roles=[Role.TOWNSHIP_SECRETARY])
    with pytest.raises(PermissionDenied):
        decide(opened(), ApproveDesignation(actor=clerk, designees=[opening("V1")]), CTX)
    with pytest.raises(PermissionDenied):  # a township supervisor cannot run the county-wide campaign
        decide(INITIAL_STATE, OpenCampaign(actor=TOWN_SUP, region=None, year=2026), CTX)
    assert decide(INITIAL_STATE, OpenCampaign(actor=TOWN_SUP, region="城关镇", year=2026), CTX)
    with pytest.raises(PermissionDenied):  # only the workflow records starts
        running = apply(opened(), ApproveDesignation(actor=SUP, designees=[opening("V1")]))
        decide(running, RecordStarts(actor=SUP, started=["rect-V1-2026"]), CTX)


def test_starts_are_recorded_once() -> None:
    state = apply(opened(), ApproveDesignation(actor=SUP, designees=[opening("V1"), opening("V2")]))
    state = apply(state, RecordStarts(started=["rect-V1-2026"], existing=["rect-V2-2026"]))
    assert state.pending == [] and state.count(StartStatus.STARTED) == 1 and state.count(StartStatus.EXISTING) == 1
    with pytest.raises(InvalidCommand):
        decide(state, RecordStarts(started=["rect-V1-2026"]), CTX)


def test_check_only_when_changed_and_close_once() -> None:
    state = apply(opened(), ApproveDesignation(actor=SUP, designees=[opening("V1")]))
    with pytest.raises(NotAllowedInStage):  # still starting
        decide(state, CloseYear(actor=SUP), CTX)
    state = apply(state, RecordStarts(started=["rect-V1-2026"]))
    f = CampaignFigures(as_of=NOW, cases=1, by_stage={"designated": 1})
    state = apply(state, RecordCheck(figures=f))
    assert state.checks == 1
    assert decide(state, RecordCheck(figures=f.model_copy(update={"as_of": NOW + timedelta(days=30)})), CTX) == []
    final = f.model_copy(update={"closed": 1, "on_time_rate": 0.5, "carried_over_cases": ["rect-V1-2026"]})
    state = apply(state, CloseYear(actor=SUP, figures=final))
    assert state.stage == CampaignStage.CLOSED and state.summary is not None
    assert state.summary.on_time_rate == 0.5 and state.summary.carried_over == ["rect-V1-2026"] and state.summary.started == 1
    with pytest.raises(NotAllowedInStage):
        decide(state, ApproveDesignation(actor=SUP, designees=[opening("V9")]), CTX)
    with pytest.raises(NotAllowedInStage):
        decide(state, CloseYear(actor=SUP), CTX)
    state = apply(state, RecordOutcomes(organizations=1))
    assert state.outcomes_recorded and decide(state, RecordOutcomes(organizations=1), CTX) == []


def test_clock() -> None:
    s = CampaignSettings()
    assert year_end_at(2026, s).astimezone(SHANGHAI).isoformat() == "2026-12-31T18:00:00+08:00"
    first = next_check_at(NOW, s).astimezone(SHANGHAI)
    assert first.isoformat() == "2026-04-01T08:00:00+08:00"
    dec = datetime(2026, 12, 1, 0, 0, tzinfo=SHANGHAI)
    assert next_check_at(dec, s).astimezone(SHANGHAI).isoformat() == "2026-12-01T08:00:00+08:00"
    assert next_check_at(dec.replace(hour=9), s).astimezone(SHANGHAI).isoformat() == "2027-01-01T08:00:00+08:00"


@settings(max_examples=60, deadline=None)
@given(
    rounds=st.lists(st.lists(st.integers(min_value=0, max_value=30), min_size=1, max_size=12, unique=True), min_size=1, max_size=6),
    batch=st.integers(min_value=1, max_value=7),
)
def test_any_approvals_and_batches_start_each_case_once(rounds: list[list[int]], batch: int) -> None:
    """Whatever the approvals (overlapping, repeated) and however the starts are batched, every approved
    organization ends up with exactly one case, started exactly once."""
    state = opened()
    events = []
    for numbers in rounds:
        for event in decide(state, ApproveDesignation(actor=SUP, designees=[opening(f"V{n}") for n in numbers]), CTX):
            events.append(event)
            state = evolve(state, event)
        while state.pending:
            ids = [case_id_for(o.org_code, o.year) for o in state.pending[:batch]]
            half = len(ids) // 2
            for event in decide(state, RecordStarts(started=ids[half:], existing=ids[:half]), CTX):
                events.append(event)
                state = evolve(state, event)
    approved = {f"rect-V{n}-2026" for numbers in rounds for n in numbers}
    assert set(state.cases) == approved
    started = [cid for e in events if e.type == "CasesStarted" for cid in e.started + e.existing]
    assert sorted(started) == sorted(approved)  # once each
    assert fold(events, opened()).model_dump() == state.model_dump()
