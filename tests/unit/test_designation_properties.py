"""Designation rules (认定): quota per domain, deterministic ties, direct criteria always win."""

from __future__ import annotations

import math
import random
from datetime import date, timedelta
from fractions import Fraction

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from domain.actors import Actor, Role
from domain.designation import (
    DesignationPolicy,
    ReasonCode,
    ReasonKind,
    designate,
    ranking_key,
)
from domain.directory import (
    Assessment,
    HistoryRecord,
    Level,
    Organization,
    OrgClass,
    OrgDomain,
)
from domain.memory import MemoryPolicy
from domain.policy import Policy
from domain.rectification import BasisKind, OpenCase

YEAR = 2026
DOMAINS = [OrgDomain.VILLAGE, OrgDomain.COMMUNITY, OrgDomain.SCHOOL]


@st.composite
def directories(draw: st.DrawFn) -> tuple[list[Organization], list[Assessment]]:
    n = draw(st.integers(min_value=0, max_value=60))
    orgs: list[Organization] = []
    assessments: list[Assessment] = []
    scores = st.sampled_from([60.0, 65.5, 70.0, 70.0, 75.0, 80.0, 85.0, 90.0])  # many ties on purpose
    for i in range(n):
        code = f"O{i:03d}"
        domain = draw(st.sampled_from(DOMAINS))
        vacant = draw(st.one_of(st.none(), st.integers(min_value=0, max_value=400)))
        orgs.append(
            Organization(
                code=code,
                name=f"组织{i}",
                level=draw(st.sampled_from(list(Level))),
                domain=domain,
                region=draw(st.sampled_from(["甲镇", "乙镇"])),
                secretary=None if vacant is not None else f"p{i}",
                secretary_vacant_since=date(YEAR, 12, 31) - timedelta(days=vacant) if vacant is not None else None,
                flags=draw(st.lists(st.sampled_from(["信访突出", "安全生产"]), max_size=1)),
            )
        )
        if draw(st.integers(0, 9)) > 0:  # a few organizations have no assessment at all
            assessments.append(
                Assessment(
                    org_code=code,
                    year=YEAR,
                    score=draw(st.one_of(st.none(), scores)) if draw(st.integers(0, 9)) == 0 else draw(scores),
                    rank=draw(st.one_of(st.none(), st.integers(min_value=1, max_value=60))),
                    star=draw(st.one_of(st.none(), st.integers(min_value=1, max_value=5))),
                    org_class=draw(st.one_of(st.none(), st.sampled_from(list(OrgClass)))),
                )
            )
    return orgs, assessments


policies = st.builds(
    DesignationPolicy,
    shares=st.fixed_dictionaries(
        {OrgDomain.VILLAGE: st.sampled_from([0.1, 0.05, 0.07, 0.3]), OrgDomain.COMMUNITY: st.sampled_from([0.05, 0.1])}
    ),
    default_share=st.sampled_from([0.05, 0.1, 0.15]),
    rounding=st.sampled_from(["ceil", "floor", "half_up"]),
    min_pool=st.integers(min_value=1, max_value=12),
    direct_consumes_quota=st.booleans(),
    third_class=st.booleans(),
)


def expected_quota(pool: int, share: float, rounding: str, min_pool: int) -> int:
    if pool < min_pool:
        return 0
    exact = Fraction(pool) * Fraction(str(share))
    if rounding == "ceil":
        value = math.ceil(exact)
    elif rounding == "floor":
        value = math.floor(exact)
    else:
        value = math.floor(exact + Fraction(1, 2))
    return min(pool, value)


def _direct_codes(orgs: list[Organization], assessments: list[Assessment], policy: DesignationPolicy) -> set[str]:
    by = {a.org_code: a for a in assessments}
    as_of = date(YEAR, 12, 31)
    codes = set()
    for o in orgs:
        a = by.get(o.code)
        if a and a.star is not None and policy.star_below is not None and a.star < policy.star_below:
            codes.add(o.code)
        if o.secretary_vacant_since and as_of - o.secretary_vacant_since >= policy.secretary_vacant_for:
            codes.add(o.code)
        if o.flags and policy.flagged:
            codes.add(o.code)
        if policy.third_class and a and a.org_class == OrgClass.THIRD:
            codes.add(o.code)
    return codes


@settings(max_examples=40, deadline=None)
@given(directories(), policies)
def test_quota_per_domain_holds_exactly(directory, policy: DesignationPolicy) -> None:
    orgs, assessments = directory
    result = designate(orgs, assessments, [], YEAR, policy, MemoryPolicy())
    direct = _direct_codes(orgs, assessments, policy)
    scored = {a.org_code for a in assessments if a.score is not None}
    for domain in DOMAINS:
        pool = [o.code for o in orgs if o.domain == domain and o.code in scored]
        quota = expected_quota(len(pool), policy.share_for(domain), policy.rounding, policy.min_pool)
        by_ranking = [d for d in result.designees if d.domain == domain and d.by_ranking]
        if policy.direct_consumes_quota:
            assert len(by_ranking) == min(quota, len(pool))
        else:
            assert len(by_ranking) == min(quota, len([c for c in pool if c not in direct]))
            assert not any(d.direct for d in by_ranking)  # direct designees never take a ranking place
        reported = next((q for q in result.quotas if q.domain == domain), None)
        if pool:
            assert reported is not None and reported.quota == quota and reported.pool == len(pool)
        # the ranking designees are the worst of the eligible ones: nobody eligible left out is worse
        eligible = [a for a in assessments if a.org_code in pool and (policy.direct_consumes_quota or a.org_code not in direct)]
        chosen = {d.org_code for d in by_ranking}
        if chosen:
            worst_left_out = [ranking_key(a) for a in eligible if a.org_code not in chosen]
            best_chosen = max(ranking_key(a) for a in eligible if a.org_code in chosen)
            assert all(key > best_chosen for key in worst_left_out)


@settings(max_examples=40, deadline=None)
@given(directories(), policies)
def test_direct_criteria_always_win(directory, policy: DesignationPolicy) -> None:
    orgs, assessments = directory
    result = designate(orgs, assessments, [], YEAR, policy, MemoryPolicy())
    designated = {d.org_code: d for d in result.designees}
    for code in _direct_codes(orgs, assessments, policy):
        assert code in designated
        assert designated[code].direct


@settings(max_examples=40, deadline=None)
@given(directories(), policies, st.randoms(use_true_random=False))
def test_input_order_never_changes_the_result(directory, policy: DesignationPolicy, rnd: random.Random) -> None:
    orgs, assessments = directory
    first = designate(orgs, assessments, [], YEAR, policy, MemoryPolicy())
    orgs2, assessments2 = list(orgs), list(assessments)
    rnd.shuffle(orgs2)
    rnd.shuffle(assessments2)
    second = designate(orgs2, assessments2, [], YEAR, policy, MemoryPolicy())
    assert first.model_dump() == second.model_dump()


@settings(max_examples=25, deadline=None)
@given(directories(), policies)
def test_region_lists_partition_the_county_list(directory, policy: DesignationPolicy) -> None:
    orgs, assessments = directory
    county = designate(orgs, assessments, [], YEAR, policy, MemoryPolicy())
    parts = [designate(orgs, assessments, [], YEAR, policy, MemoryPolicy(), region=r).codes() for r in ("甲镇", "乙镇")]
    assert sorted(parts[0] + parts[1]) == sorted(county.codes())


# --------------------------------------------------------------------------- worked examples


def _village(code: str, score: float, rank: int | None = None, **org: object) -> tuple[Organization, Assessment]:
    star = org.pop("star", 3)
    return (
        Organization(code=code, name=f"{code}村党支部", level=Level.BRANCH, domain=OrgDomain.VILLAGE, region="城关镇", **org),
        Assessment(org_code=code, year=YEAR, score=score, rank=rank, star=star),
    )


def _run(pairs, policy: DesignationPolicy | None = None, history: list[HistoryRecord] | None = None):
    orgs = [p[0] for p in pairs]
    assessments = [p[1] for p in pairs]
    return designate(orgs, assessments, history or [], YEAR, policy or DesignationPolicy(), MemoryPolicy())


@pytest.mark.parametrize(("pool", "share", "rounding", "quota"), [
    (30, 0.1, "ceil", 3),  # exact decimal arithmetic: 0.1 × 30 is 3, never 4
    (31, 0.1, "ceil", 4),
    (31, 0.1, "floor", 3),
    (35, 0.1, "half_up", 4),
    (34, 0.1, "half_up", 3),
    (9, 0.1, "ceil", 0),  # fewer than min_pool (10): no ranking quota
    (10, 0.05, "ceil", 1),
])
def test_quota_rounding_rule(pool: int, share: float, rounding: str, quota: int) -> None:
    policy = DesignationPolicy(shares={"village": share}, rounding=rounding)
    assert policy.quota(pool, OrgDomain.VILLAGE) == quota
    result = _run([_village(f"V{i:03d}", 80.0 + i / 10) for i in range(pool)], policy)
    assert len(result.designees) == quota


def test_ties_broken_by_rank_then_code() -> None:
    pairs = [_village(f"V{i:03d}", 90.0) for i in range(8)]
    pairs += [_village("V100", 60.0, rank=11), _village("V101", 60.0, rank=12), _village("V102", 60.0), _village("V099", 60.0)]
    # pool 12, 10 % → ceil(1.2) = 2: lowest score first; equal → the larger (worse) rank; no rank after any rank; then code
    result = _run(pairs)
    assert result.codes() == ["V101", "V100"]
    policy = DesignationPolicy(shares={"village": 0.3})  # ceil(3.6) = 4
    assert _run(pairs, policy).codes() == ["V101", "V100", "V099", "V102"]


def test_direct_designees_do_not_consume_the_quota_by_default() -> None:
    pairs = [_village(f"V{i:03d}", 70.0 + i) for i in range(20)]  # quota ceil(2.0) = 2
    pairs[0] = _village("V000", 50.0, star=2)  # the worst, and below three stars
    pairs.append(_village("V900", 95.0, secretary_vacant_since=date(2026, 3, 1)))  # vacant 305 days
    pairs.append(_village("V901", 95.0, secretary_vacant_since=date(2026, 9, 1)))  # 121 days: not yet
    pairs.append(_village("V902", 95.0, flags=["信访突出"]))
    result = _run(pairs)
    assert sorted(result.codes()) == ["V000", "V001", "V002", "V003", "V900", "V902"]
    by_code = {d.org_code: d for d in result.designees}
    assert [r.code for r in by_code["V000"].reasons] == [ReasonCode.STAR_BELOW]
    assert by_code["V900"].reasons[0].zh.startswith("书记缺职305天")
    assert [q.quota for q in result.quotas] == [3]  # pool 23 → ceil(2.3)
    # with direct_consumes_quota the bottom three are V000 (both reasons), V001, V002
    consumed = _run(pairs, DesignationPolicy(direct_consumes_quota=True))
    assert sorted(consumed.codes()) == ["V000", "V001", "V002", "V900", "V902"]
    assert {r.kind for r in {d.org_code: d for d in consumed.designees}["V000"].reasons} == {ReasonKind.RANKING, ReasonKind.DIRECT}


def test_third_class_criterion_is_optional() -> None:
    org = Organization(code="S1", name="学校党支部", level=Level.BRANCH, domain=OrgDomain.SCHOOL, region="甲镇")
    a = Assessment(org_code="S1", year=YEAR, score=95, star=4, org_class="三类")
    assert designate([org], [a], [], YEAR, DesignationPolicy(), MemoryPolicy()).codes() == []
    assert designate([org], [a], [], YEAR, DesignationPolicy(third_class=True), MemoryPolicy()).codes() == ["S1"]


def test_open_case_from_a_designee() -> None:
    pairs = [_village(f"V{i:03d}", 80.0 + i, rank=20 - i) for i in range(20)]
    pairs.append(_village("V900", 95.0, rank=1, secretary_vacant_since=date(2026, 1, 1), leader="li.county", flags=["信访突出"]))
    result = _run(pairs)
    actor = Actor(id="wang.sup", roles=[Role.SUPERVISOR])
    ranking = next(d for d in result.designees if d.org_code == "V000")
    command = ranking.open_case(YEAR, actor, ["zhou.county"])
    assert isinstance(command, OpenCase)
    assert command.basis.kind == BasisKind.RANKING and command.basis.rank == 20
    assert "倒排第1名" in command.basis.detail
    assert command.leaders == ["zhou.county"]
    assert [p.category for p in command.problems] == ["weak_leadership"]
    direct = next(d for d in result.designees if d.org_code == "V900")
    command = direct.open_case(YEAR, actor, ["zhou.county"])
    assert command.basis.kind == BasisKind.DIRECT
    assert command.leaders == ["li.county"]
    assert [p.category for p in command.problems] == ["secretary_unfit", "governance"]
    assert {p.category for p in command.problems} <= set(Policy().problem_categories)
    with pytest.raises(ValueError, match="no liaison leader"):
        ranking.open_case(YEAR, actor, [])


def test_policy_file_spellings() -> None:
    policy = Policy.model_validate(
        {"designation": {"shares": {"农村": 0.08, "community": 0.05}, "secretary_vacant_for": "90d", "star_below": None}}
    )
    assert policy.designation.shares[OrgDomain.VILLAGE] == 0.08
    assert policy.designation.secretary_vacant_for == timedelta(days=90)
    dumped = Policy.model_validate_json(policy.model_dump_json())
    assert dumped.designation == policy.designation
    with pytest.raises(ValueError):
        DesignationPolicy(shares={"village": 1.5})
