"""The star rating decider (评星定级): self-assessment, township review and return, county approval
within the gates (进关), 公示 with objections, the decided level, veto events lowering it (出关), and
who may do what."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from domain import rating as r
from domain.actors import Actor, Role
from domain.decider import Context, Tick
from domain.directory import OrgDomain
from domain.errors import InvalidCommand, NotAllowedInStage, PermissionDenied, SeparationOfDuties
from domain.policy import Policy
from domain.timeutil import SHANGHAI
from domain.workcal import WorkCalendar

NOW = datetime(2027, 11, 1, 10, 0, tzinfo=SHANGHAI).astimezone(UTC)  # a Monday
POLICY = Policy()
SUP = Actor(id="sup-wang", roles=[Role.SUPERVISOR])
LEADER = Actor(id="cl-li", roles=[Role.COUNTY_LEADER], scope=["青山镇"])
TOWN = Actor(id="ts-zhao", roles=[Role.TOWNSHIP_SECRETARY], scope=["青山镇"])
OTHER_TOWN = Actor(id="ts-sun", roles=[Role.TOWNSHIP_SECRETARY], scope=["柳林乡"])
BRANCH = Actor(id="bs-chen", roles=[Role.BRANCH_SECRETARY], scope=["V001"])

FULL = {"political": 20, "team": 20, "members": 20, "rules": 20, "service": 20}


def scores(**points: float) -> list[r.ItemScoreInput]:
    merged = {**FULL, **points}
    return [r.ItemScoreInput(code=c, points=p, evidence=[f"{c}.pdf"]) for c, p in merged.items()]


class Run:
    def __init__(self, policy: Policy = POLICY) -> None:
        self.state = r.INITIAL_STATE
        self.policy = policy
        self.now = NOW

    def do(self, command: Any, now: datetime | None = None) -> list[Any]:
        ctx = Context(now=now or self.now, policy=self.policy, calendar=WorkCalendar())
        events = r.decide(self.state, command, ctx)
        for event in events:
            self.state = r.evolve(self.state, event)
        return events


def opened(previous: int | None = 3, upgrade: list[str] | None = None, open_cases: list[str] | None = None, **kw: Any) -> Run:
    run = Run(**kw)
    run.do(
        r.OpenRating(
            actor=SUP, org_code="V001", year=2027, org_name="青山镇东村党支部", region="青山镇", domain=OrgDomain.VILLAGE,
            previous_level=previous, upgrade_cases=upgrade or [], open_cases=open_cases or [],
        )
    )  # fmt: skip
    return run


def reviewed(**points: float) -> Run:
    run = opened()
    run.do(r.SubmitSelfAssessment(actor=BRANCH, scores=scores(**points)))
    run.do(r.ReviewRating(actor=TOWN, comment="同意上报"))
    return run


def test_a_rating_runs_from_self_assessment_to_the_decided_level() -> None:
    run = opened(previous=3, upgrade=["rect-V001-2026"])
    assert run.state.stage == r.Stage.SELF_ASSESSMENT and run.state.standard == "五星级党组织标准"
    assert run.state.upgrade_level == 4  # 晋位升级: last year's 3 stars and a closed case
    run.do(r.SubmitSelfAssessment(actor=BRANCH, scores=scores(service=15)))
    assert run.state.self_assessment is not None and run.state.self_assessment.total == 95
    assert run.state.self_assessment.level == 5
    run.do(r.ReviewRating(actor=TOWN, scores=[r.ItemScoreInput(code="team", points=16)], comment="班子建设扣 4 分"))
    assert run.state.review is not None and run.state.review.total == 91 and run.state.review_level == 4  # 5★ needs team in full
    (approved,) = run.do(r.ApproveRating(actor=SUP))
    assert approved.level == 4 and approved.gate_level == 4
    assert run.state.stage == r.Stage.PUBLICITY
    assert run.state.publicity_ends == datetime(2027, 11, 8, 10, 0, tzinfo=SHANGHAI)  # five working days
    assert r.next_wakeup(run.state, Context(now=NOW, policy=POLICY)) == run.state.publicity_ends
    assert run.do(Tick(), now=NOW + timedelta(days=3)) == []
    (decided,) = run.do(Tick(), now=NOW + timedelta(days=7))
    assert isinstance(decided, r.RatingDecided) and decided.level == 4 and decided.previous_level == 3
    assert run.state.stage == r.Stage.RATED and run.state.level == 4
    (archived,) = run.do(Tick(), now=NOW + timedelta(days=7 + 366))
    assert isinstance(archived, r.RatingArchived) and r.is_terminal(run.state)


def test_the_gates_refuse_a_level_whose_conditions_are_not_met() -> None:
    run = reviewed(rules=10)  # total 90 but 三会一课 not in full: 4★ and 5★ are closed
    assert run.state.review_level == 3
    with pytest.raises(InvalidCommand, match=r"4 星未达进关条件（最高可评 3 星）.*制度落实好"):
        run.do(r.ApproveRating(actor=SUP, level=4))
    (approved,) = run.do(r.ApproveRating(actor=SUP, level=2, comment="从严"))  # lower than the gates is the county's call
    assert approved.level == 2 and approved.gate_level == 3


def test_a_veto_item_caps_the_level_at_approval_and_lowers_a_decided_level() -> None:
    run = opened(open_cases=["rect-V001-2027"])  # designated this year: 被列为软弱涣散党组织
    assert [e.item for e in run.state.veto_events] == ["designated"]
    run.do(r.SubmitSelfAssessment(actor=BRANCH, scores=scores()))
    assert run.state.self_assessment is not None and run.state.self_assessment.level == 1
    run = reviewed()
    run.do(r.ApproveRating(actor=SUP))
    run.do(Tick(), now=NOW + timedelta(days=8))
    assert run.state.level == 5
    (event,) = run.do(
        r.RecordVetoEvent(actor=SUP, item="incident", source="manual", note="发生群体性上访事件"), now=NOW + timedelta(days=40)
    )
    assert event.veto.level_before == 5 and event.veto.level_after == 1 and run.state.level == 1
    with pytest.raises(InvalidCommand, match="says why"):
        run.do(r.RecordVetoEvent(actor=SUP, item="incident", source="manual"))
    with pytest.raises(InvalidCommand, match="not a veto item"):
        run.do(r.RecordVetoEvent(actor=SUP, item="rules", source="manual", note="x"))


def test_a_veto_source_must_concern_the_organization() -> None:
    run = reviewed()
    with pytest.raises(InvalidCommand, match="concerns V002, not V001"):
        run.do(r.RecordVetoEvent(actor=SUP, item="designated", source="rect-V002-2027", source_org="V002"))
    with pytest.raises(InvalidCommand, match="is not in the audit log"):
        run.do(r.RecordVetoEvent(actor=SUP, item="designated", source="rect-V001-2099", source_org=""))
    with pytest.raises(InvalidCommand, match="is not a case"):
        run.do(r.RecordVetoEvent(actor=SUP, item="designated", source="whatever"))
    run.do(r.RecordVetoEvent(actor=SUP, item="designated", source="rect-V001-2027", source_org="V001"))
    with pytest.raises(NotAllowedInStage, match="already recorded"):
        run.do(r.RecordVetoEvent(actor=SUP, item="designated", source="rect-V001-2027", source_org="V001"))


def test_returns_go_back_one_step_and_are_counted() -> None:
    run = opened()
    run.do(r.SubmitSelfAssessment(actor=BRANCH, scores=scores()))
    run.do(r.ReturnRating(actor=TOWN, comment="佐证材料不全"))
    assert run.state.stage == r.Stage.SELF_ASSESSMENT
    run.do(r.SubmitSelfAssessment(actor=BRANCH, scores=scores(members=18)))
    run.do(r.ReviewRating(actor=TOWN, comment="同意"))
    with pytest.raises(PermissionDenied):  # the township returns only the organization's assessment
        run.do(r.ReturnRating(actor=TOWN, comment="再看看"))
    run.do(r.ReturnRating(actor=SUP, comment="请复核党员作用项"))
    assert run.state.stage == r.Stage.TOWNSHIP_REVIEW and run.state.returns == 2
    assert run.state.comments == ["佐证材料不全", "同意", "请复核党员作用项"]


def test_an_objection_holds_the_decision_until_resolved_and_an_upheld_one_lowers_the_level() -> None:
    run = reviewed()
    run.do(r.ApproveRating(actor=SUP))
    run.do(r.RecordObjection(actor=TOWN, text="党员大会记录不实", source="群众来信"))
    assert r.next_wakeup(run.state, Context(now=NOW, policy=POLICY)) is None
    assert run.do(Tick(), now=NOW + timedelta(days=10)) == []  # window over, objection open: no decision
    with pytest.raises(InvalidCommand, match="below the approved 5 stars"):
        run.do(r.ResolveObjection(actor=SUP, objection_id="O1", upheld=True, level=5, note="x"))
    with pytest.raises(InvalidCommand, match="unknown objection"):
        run.do(r.ResolveObjection(actor=SUP, objection_id="O9", upheld=False, note="x"))
    run.do(r.ResolveObjection(actor=LEADER, objection_id="O1", upheld=True, level=3, note="核实属实"), now=NOW + timedelta(days=10))
    (decided,) = run.do(Tick(), now=NOW + timedelta(days=10))
    assert decided.level == 3


def test_separation_of_duties_and_scope() -> None:
    run = opened()
    who = Actor(id="bs-chen", roles=[Role.BRANCH_SECRETARY, Role.TOWNSHIP_SECRETARY], scope=["青山镇"])
    run.do(r.SubmitSelfAssessment(actor=who, scores=scores()))
    with pytest.raises(SeparationOfDuties):
        run.do(r.ReviewRating(actor=who, comment="自己审自己"))
    with pytest.raises(PermissionDenied):
        run.do(r.ReviewRating(actor=OTHER_TOWN, comment="外乡镇"))
    run.do(r.ReviewRating(actor=TOWN, comment="同意"))
    both = Actor(id="ts-zhao", roles=[Role.TOWNSHIP_SECRETARY, Role.SUPERVISOR])
    with pytest.raises(SeparationOfDuties):
        run.do(r.ApproveRating(actor=both))
    with pytest.raises(PermissionDenied):
        run.do(r.ApproveRating(actor=BRANCH))
    with pytest.raises(PermissionDenied):
        Run().do(r.OpenRating(actor=TOWN, org_code="V001", year=2027, org_name="x", region="青山镇"))


def test_scores_are_checked_against_the_standard() -> None:
    run = opened()
    with pytest.raises(InvalidCommand, match=r"more than 班子队伍强 allows \(20\)"):
        run.do(r.SubmitSelfAssessment(actor=BRANCH, scores=scores(team=25)))
    with pytest.raises(InvalidCommand, match="missing: service"):
        run.do(r.SubmitSelfAssessment(actor=BRANCH, scores=scores()[:4]))
    with pytest.raises(InvalidCommand, match="not a point item"):
        run.do(r.SubmitSelfAssessment(actor=BRANCH, scores=[*scores(), r.ItemScoreInput(code="nope", points=1)]))
    with pytest.raises(InvalidCommand, match="not a veto item"):
        run.do(r.SubmitSelfAssessment(actor=BRANCH, scores=scores(), vetoes=["team"]))
    with pytest.raises(NotAllowedInStage):
        run.do(r.ApproveRating(actor=SUP))


def test_a_standard_per_category() -> None:
    policy = Policy.model_validate(
        {
            "rating": {
                "standards": [
                    {"name": "社区五星", "domains": ["社区"],
                     "items": [{"code": "a", "zh": "阵地", "points": 50}, {"code": "b", "zh": "服务", "points": 50},
                               {"code": "designated", "zh": "软弱涣散", "veto": True}],
                     "lines": [{"stars": 1}, {"stars": 3, "min_total": 60}, {"stars": 5, "min_total": 95, "required": ["b"]}]},
                    {"name": "通用",
                     "items": [{"code": "x", "zh": "综合", "points": 100}, {"code": "designated", "zh": "软弱涣散", "veto": True}],
                     "lines": [{"stars": 1}, {"stars": 2, "min_total": 50}]},
                ]
            }
        }
    )  # fmt: skip
    assert policy.rating.standard_for(OrgDomain.COMMUNITY).name == "社区五星"
    assert policy.rating.standard_for(OrgDomain.VILLAGE).name == "通用"
    standard = policy.rating.standard_for(OrgDomain.COMMUNITY)
    assert r.gate(standard, {"a": 50, "b": 45}, [], 1).level == 3  # 95 but b not in full
    assert r.gate(standard, {"a": 50, "b": 50}, [], 1).level == 5
    assert r.gate(standard, {"a": 50, "b": 50}, ["designated"], 1).level == 1
    with pytest.raises(ValueError, match="lines must start at 1 star"):
        Policy.model_validate(
            {"rating": {"standards": [{"name": "x", "items": [{"code": "a", "zh": "a", "points": 1}], "lines": [{"stars": 2}]}]}}
        )
    with pytest.raises(ValueError, match="case_veto_item"):
        Policy.model_validate(
            {"rating": {"standards": [{"name": "x", "items": [{"code": "a", "zh": "a", "points": 1}], "lines": [{"stars": 1}]}]}}
        )
