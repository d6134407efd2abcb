"""Designation as counties decide it: pooled quotas, category standards with 一票否决, the 分类 result,
inspection findings as direct criteria. The seed examples reproduce an article's list exactly."""

from __future__ import annotations

import random
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from domain.designation import ReasonCode, ReasonKind, designate, evaluate_standard
from domain.directory import Assessment, Level, Organization, OrgClass, OrgDomain
from domain.memory import MemoryPolicy
from domain.policy import Policy
from domain.policy.designation import CategoryStandard, DesignationPolicy
from settings.directory import load_policy

YEAR = 2027
EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


def zhongyuan() -> tuple[list[Organization], list[Assessment], dict[str, dict[str, float]]]:
    """A district like seed 002's 中原区: 46 villages and 95 communities; the bottom 14 of the pooled
    ranking are 5 villages and 9 communities (the article's list: 5个软弱涣散村党组织和9个“三有一化”薄弱社区党组织)."""
    orgs: list[Organization] = []
    found: list[Assessment] = []
    results: dict[str, dict[str, float]] = {}
    low_villages, low_communities = 5, 9
    for i in range(46):
        code = f"V{i:03d}"
        orgs.append(Organization(code=code, name=f"村{i}", level=Level.BRANCH, domain=OrgDomain.VILLAGE, region="甲街道"))
        score = 50.0 + i if i < low_villages else 80.0 + (i % 15)
        found.append(Assessment(org_code=code, year=YEAR, score=score))
    for i in range(95):
        code = f"C{i:03d}"
        orgs.append(
            Organization(code=code, name=f"社区{i}", level=Level.BRANCH, domain=OrgDomain.COMMUNITY, region="乙街道", secretary=f"s{code}")
        )
        score = 55.0 + i * 0.5 if i < low_communities else 81.0 + (i % 13)
        found.append(Assessment(org_code=code, year=YEAR, score=score))
        points = 15.0 if i < low_communities else (25.0 if i % 3 == 0 else 20.0)
        results[code] = {"people": points, "money": points, "venue": points, "service": points}
    return orgs, found, results


def test_seed_002_pooled_list_is_reproduced_without_mislabelling() -> None:
    policy = load_policy(EXAMPLES / "policy-designation-002.yaml")
    orgs, found, results = zhongyuan()
    result = designate(orgs, found, [], YEAR, policy.designation, policy.memory, standards=results)
    assert [(q.domain, q.pool, q.exact, q.quota) for q in result.quotas] == [(None, 141, "14.1", 14)]
    villages = [d for d in result.designees if d.domain == OrgDomain.VILLAGE]
    communities = [d for d in result.designees if d.domain == OrgDomain.COMMUNITY]
    assert len(villages) == 5 and len(communities) == 9
    assert {d.label for d in villages} == {"软弱涣散村党组织"}
    assert {d.label for d in communities} == {"三有一化薄弱社区党组织"}
    assert all(d.by_ranking and not d.direct for d in result.designees)
    assert "农村、社区合并倒排" in communities[0].reasons[0].zh
    # the 分类 of the 三有一化 communities: 4 × 15 = 60 < 70 → 三类
    assert {d.classification for d in communities} == {OrgClass.THIRD}
    opened = communities[0].open_case(YEAR, _actor(), ["L1"])
    assert opened.basis.detail.startswith("认定为三有一化薄弱社区党组织：")
    # per-domain quotas with the old default rounding would have listed 15 (5 + 10), not the article's 14
    per_domain = DesignationPolicy(shares={OrgDomain.VILLAGE: 0.1, OrgDomain.COMMUNITY: 0.1}, rounding="ceil")
    assert len(designate(orgs, found, [], YEAR, per_domain, MemoryPolicy()).designees) == 15


def test_veto_item_designates_directly_and_classes_third() -> None:
    policy = load_policy(EXAMPLES / "policy-designation-002.yaml")
    orgs, found, results = zhongyuan()
    results["C050"] = {**results["C050"], "veto_discipline": 1}  # a high scorer with a veto situation
    result = designate(orgs, found, [], YEAR, policy.designation, policy.memory, standards=results)
    vetoed = next(d for d in result.designees if d.org_code == "C050")
    assert [r.code for r in vetoed.reasons] == [ReasonCode.VETO]
    assert vetoed.reasons[0].kind == ReasonKind.DIRECT
    assert vetoed.reasons[0].category == "discipline"
    assert vetoed.reasons[0].zh == "三有一化一票否决：班子成员严重违纪违法"
    assert vetoed.classification == OrgClass.THIRD
    # the ranking quota is still filled (direct designees outside the quota)
    assert sum(1 for d in result.designees if d.by_ranking) == 14


def test_standard_total_below_line_designates_and_classes() -> None:
    standard = CategoryStandard(
        name="三有一化",
        domains=["社区"],  # type: ignore[list-item]
        items=[{"code": "a", "zh": "有人办事", "points": 50}, {"code": "b", "zh": "有钱办事", "points": 50}],  # type: ignore[list-item]
        designate_below=60,
        classes={"first": 90, "second": 70},  # type: ignore[arg-type]
    )
    assert evaluate_standard(standard, {"a": 80, "b": 45}).total == 95  # capped at the item's points
    assert evaluate_standard(standard, {"a": 40}).org_class == OrgClass.THIRD  # missing item scores 0
    assert evaluate_standard(standard, {"a": 40, "b": 35}).org_class == OrgClass.SECOND
    orgs = [Organization(code="C1", name="社区", level=Level.BRANCH, domain=OrgDomain.COMMUNITY, region="甲")]
    policy = DesignationPolicy(standards=[standard])
    result = designate(orgs, [], [], YEAR, policy, MemoryPolicy(), standards={"C1": {"a": 30, "b": 20}})
    (designee,) = result.designees
    assert designee.reasons[0].code == ReasonCode.STANDARD
    assert designee.reasons[0].zh == "三有一化标准得分50（满分100，低于60）"
    assert designee.classification == OrgClass.THIRD and result.classes == {"third": 1}


def test_classification_falls_back_to_the_imported_class() -> None:
    orgs = [Organization(code="V1", name="村", level=Level.BRANCH, domain=OrgDomain.VILLAGE, region="甲", flags=["信访突出"])]
    found = [Assessment(org_code="V1", year=YEAR, score=70, org_class=OrgClass.SECOND)]
    (designee,) = designate(orgs, found, [], YEAR, DesignationPolicy(), MemoryPolicy()).designees
    assert designee.classification == OrgClass.SECOND and designee.label == "软弱涣散党组织"


def test_inspection_findings_are_a_direct_criterion() -> None:
    orgs = [Organization(code=f"V{i}", name=f"村{i}", level=Level.BRANCH, domain=OrgDomain.VILLAGE, region="甲") for i in range(3)]
    referred = {"V2": ["insp-2027-001/F2: 明察暗访发现值班无人", "insp-2027-001/F2: 明察暗访发现值班无人"], "X9": ["unknown org"]}
    policy = DesignationPolicy(categories={"inspection": "organization_life"})  # type: ignore[dict-item]
    result = designate(orgs, [], [], YEAR, policy, MemoryPolicy(), referred=referred)
    (designee,) = result.designees
    assert designee.org_code == "V2" and designee.findings == ["insp-2027-001/F2: 明察暗访发现值班无人"]
    assert designee.reasons[0].code == ReasonCode.INSPECTION and designee.reasons[0].category == "organization_life"
    assert not designate(orgs, [], [], YEAR, DesignationPolicy(inspection=False), MemoryPolicy(), referred=referred).designees


def _actor():  # type: ignore[no-untyped-def]
    from domain.actors import Actor, Role

    return Actor(id="sup", roles=[Role.SUPERVISOR])


def test_policy_refuses_two_standards_for_one_domain_and_doubled_items() -> None:
    import pytest
    from pydantic import ValidationError

    item = {"code": "a", "zh": "甲", "points": 1}
    with pytest.raises(ValidationError, match="domain community has two standards"):
        Policy.model_validate(
            {
                "designation": {
                    "standards": [
                        {"name": "甲", "domains": ["社区"], "items": [item]},
                        {"name": "乙", "domains": ["community"], "items": [item]},
                    ]
                }
            }
        )
    with pytest.raises(ValidationError, match="item codes listed twice: a"):
        Policy.model_validate({"designation": {"standards": [{"name": "甲", "domains": ["社区"], "items": [item, item]}]}})
    with pytest.raises(ValidationError, match="steps: codes listed twice: visit"):
        Policy.model_validate({"designation": {"steps": [{"code": "visit", "zh": "遍访", "roles": ["county_leader"]}] * 2}})


# ----------------------------------------------------------------------------- properties


@st.composite
def pooled_county(draw: st.DrawFn) -> tuple[list[Organization], list[Assessment], dict[str, dict[str, float]], DesignationPolicy]:
    n = draw(st.integers(min_value=0, max_value=50))
    orgs: list[Organization] = []
    found: list[Assessment] = []
    results: dict[str, dict[str, float]] = {}
    for i in range(n):
        code = f"O{i:03d}"
        domain = draw(st.sampled_from([OrgDomain.VILLAGE, OrgDomain.COMMUNITY, OrgDomain.ENTERPRISE]))
        orgs.append(Organization(code=code, name=code, level=Level.BRANCH, domain=domain, region=draw(st.sampled_from(["甲", "乙"]))))
        if draw(st.booleans()):
            found.append(Assessment(org_code=code, year=YEAR, score=draw(st.sampled_from([60.0, 70.0, 70.0, 80.0]))))
        if domain == OrgDomain.COMMUNITY and draw(st.booleans()):
            results[code] = {"a": draw(st.sampled_from([0.0, 40.0, 50.0])), "v": draw(st.sampled_from([0.0, 0.0, 1.0]))}
    policy = DesignationPolicy(
        pooling="pooled",
        pooled_share=draw(st.sampled_from([0.05, 0.1, 0.3])),
        pooled_domains=draw(st.sampled_from([None, [OrgDomain.VILLAGE, OrgDomain.COMMUNITY]])),
        rounding=draw(st.sampled_from(["ceil", "floor", "half_up"])),
        min_pool=draw(st.integers(1, 5)),
        standards=[
            CategoryStandard(
                name="三有一化",
                domains=[OrgDomain.COMMUNITY],
                items=[{"code": "a", "zh": "有人办事", "points": 50}, {"code": "v", "zh": "否决", "veto": True}],  # type: ignore[list-item]
                classes={"first": 50, "second": 40},  # type: ignore[arg-type]
            )
        ],
    )
    return orgs, found, results, policy


@settings(max_examples=150, deadline=None)
@given(pooled_county(), st.randoms(use_true_random=False))
def test_pooled_quota_is_exact_and_vetoes_always_win(case, rnd: random.Random) -> None:  # type: ignore[no-untyped-def]
    orgs, found, results, policy = case
    result = designate(orgs, found, [], YEAR, policy, MemoryPolicy(), standards=results)
    (quota,) = result.quotas if result.quotas else (None,)
    codes = set(result.codes())
    vetoed = {c for c, r in results.items() if r["v"] > 0}
    assert vetoed <= codes  # 一票否决 always designates
    for d in result.designees:
        if d.org_code in vetoed:
            assert d.classification == OrgClass.THIRD
    if quota is not None:
        ranked = sum(1 for d in result.designees if d.by_ranking)
        in_pool_direct = sum(1 for d in result.designees if d.direct and d.bottom_position is not None)
        assert ranked == min(quota.quota, quota.pool - in_pool_direct)
        assert quota.quota <= quota.pool
    # deterministic whatever the input order
    shuffled = designate(rnd.sample(orgs, len(orgs)), rnd.sample(found, len(found)), [], YEAR, policy, MemoryPolicy(), standards=results)
    assert shuffled.model_dump() == result.model_dump()
    # every organization in scope with a class is counted once
    assert sum(result.classes.values()) <= len(orgs)
