"""The inspection decider (明察暗访、专项抽查、观摩): recording a visit and its findings, disposing of each
finding once (into a case, into a designation, closed), closing; who may, and the refusals' words."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest

from domain import inspection as insp
from domain.actors import Actor, Role
from domain.decider import Context, Tick
from domain.errors import InvalidCommand, NotAllowedInStage, PermissionDenied
from domain.inspection.decide import authorize
from domain.policy import Policy
from domain.timeutil import SHANGHAI

NOW = datetime(2027, 4, 16, 15, 0, tzinfo=SHANGHAI).astimezone(UTC)
POLICY = Policy()
SUP = Actor(id="sup-wang", roles=[Role.SUPERVISOR])
TOWN = Actor(id="ts-zhao", roles=[Role.TOWNSHIP_SECRETARY], scope=["柳林乡"])
BRANCH = Actor(id="bs-chen", roles=[Role.BRANCH_SECRETARY], scope=["V3007"])
LEADER = Actor(id="cl-li", roles=[Role.COUNTY_LEADER], scope=["柳林乡"])  # a county leader of 柳林乡 only
ORGS = [
    insp.VisitedOrgInput(code="V3007", name="柳林乡云桥村党支部", region="柳林乡"),
    insp.VisitedOrgInput(code="V4005", name="青山镇李湾村党支部", region="青山镇"),
]


def finding(org: str = "V3007", category: str = "weak_leadership", text: str = "“四议两公开”未按程序落实") -> insp.FindingInput:
    return insp.FindingInput(org_code=org, category=category, description=text)


def record(actor: Actor = SUP, **changes: Any) -> insp.RecordInspection:
    data: dict[str, Any] = dict(
        actor=actor, year=2027, number=1, kind=insp.VisitKind.UNANNOUNCED, visited_on=date(2027, 4, 16), title="四议两公开暗访",
        orgs=ORGS, companions=["ts-zhao", actor.id], findings=[finding(), finding("V4005", "organization_life", "三会一课台账补记")],
    )  # fmt: skip
    data.update(changes)
    return insp.RecordInspection(**data)


class Run:
    def __init__(self) -> None:
        self.state = insp.INITIAL_STATE
        self.events: list[Any] = []

    def do(self, command: Any, now: datetime = NOW) -> list[Any]:
        events = insp.decide(self.state, command, Context(now=now, policy=POLICY))
        for event in events:
            self.state = insp.evolve(self.state, event)
        self.events += events
        return events


def recorded(**changes: Any) -> Run:
    run = Run()
    run.do(record(**changes))
    return run


def test_record_a_visit_with_findings_numbered_in_order() -> None:
    run = Run()
    events = run.do(record())
    assert [e.type for e in events] == ["InspectionRecorded", "InspectionFindingsRecorded"]
    s = run.state
    assert s.inspection_id == "insp-2027-001" and s.stage == insp.Stage.OPEN and s.inspector == "sup-wang"
    assert s.companions == ["ts-zhao"]  # the inspector is not their own companion
    assert not s.announced and s.kind == insp.VisitKind.UNANNOUNCED
    assert [(f.finding_id, f.org_code, f.status) for f in s.findings] == [
        ("F1", "V3007", insp.FindingStatus.OPEN),
        ("F2", "V4005", insp.FindingStatus.OPEN),
    ]
    assert s.org_code == "" and s.org_name == "2 个党组织" and s.region == ""  # several organizations, two regions
    run.do(insp.RecordFindings(actor=TOWN.model_copy(update={"scope": ["*"]}), findings=[finding(text="阵地挂牌不规范")]))
    assert [f.finding_id for f in run.state.findings] == ["F1", "F2", "F3"]


@pytest.mark.parametrize(
    ("changes", "words"),
    [
        ({"visited_on": date(2027, 4, 17)}, "visited_on: 2027-04-17 is in the future (today is 2027-04-16)"),
        ({"visited_on": date(2026, 12, 30)}, "is not in the inspection year 2027"),
        ({"announced": True}, "announced: a 明察暗访 (unannounced) visit is never announced"),
        ({"orgs": [ORGS[0], ORGS[0]]}, "orgs: V3007 given twice"),
        ({"findings": [finding("V9999")]}, "findings[0].org_code: V9999 was not visited (this inspection visited: V3007, V4005)"),
        ({"findings": [finding(category="bad_words")]}, "findings[0].category: unknown category 'bad_words'"),
    ],
)
def test_a_bad_record_is_refused_naming_the_field(changes: dict[str, Any], words: str) -> None:
    with pytest.raises(InvalidCommand, match=words.replace("(", r"\(").replace(")", r"\)").replace("[", r"\[").replace("]", r"\]")):
        Run().do(record(**changes))


def test_who_may_record_and_dispose() -> None:
    with pytest.raises(PermissionDenied, match="bs-chen has none of the roles"):
        Run().do(record(actor=BRANCH))
    with pytest.raises(PermissionDenied, match="may not act on organization V4005"):
        Run().do(record(actor=TOWN))  # 柳林乡's secretary visits only 柳林乡's organizations
    run = Run()
    run.do(record(actor=TOWN, orgs=[ORGS[0]], findings=[finding()]))
    assert run.state.org_code == "V3007" and run.state.region == "柳林乡"
    with pytest.raises(PermissionDenied, match="none of the roles allowed to ReferToDesignation"):
        run.do(insp.ReferToDesignation(actor=TOWN, finding_ids=["F1"], year=2028))  # the department and county leaders decide
    assert run.do(Tick()) == []  # nothing runs on the clock (the workflow refuses Tick from people)


def test_finding_level_commands_need_scope_over_the_findings_organizations_only() -> None:
    """A visit to 柳林乡 and 青山镇: 柳林乡's county leader records and disposes of 柳林乡's findings (V3007),
    never 青山镇's (V4005), and may not record the visit nor close it (both speak for every organization)."""
    with pytest.raises(PermissionDenied, match="orgs: cl-li 无权处理 V4005 青山镇李湾村党支部"):
        Run().do(record(actor=LEADER))
    run = recorded()
    run.do(insp.RecordFindings(actor=LEADER, findings=[finding(text="阵地挂牌不规范")]))  # F3 at V3007
    with pytest.raises(PermissionDenied, match=r"findings\[1\]\.org_code: cl-li 无权处理 V4005 .*may not act on organization V4005"):
        run.do(insp.RecordFindings(actor=LEADER, findings=[finding(), finding("V4005")]))
    with pytest.raises(InvalidCommand, match=r"findings\[0\]\.org_code: V9999 was not visited"):
        run.do(insp.RecordFindings(actor=LEADER, findings=[finding("V9999")]))  # not visited: the rules name it
    run.do(insp.ReferToCase(actor=LEADER, finding_ids=["F1"], case_id="rect-V3007-2027"))
    run.do(insp.CloseFindings(actor=LEADER, finding_ids=["F3"], note="当场整改到位"))
    for command in (
        insp.ReferToCase(actor=LEADER, finding_ids=["F2"], case_id="rect-V4005-2027"),
        insp.ReferToDesignation(actor=LEADER, finding_ids=["F2"], year=2028),
        insp.CloseFindings(actor=LEADER, finding_ids=["F2"], note="x"),
    ):
        with pytest.raises(PermissionDenied, match="finding_ids: F2: cl-li 无权处理 V4005"):
            run.do(command)
    with pytest.raises(InvalidCommand, match="unknown finding 'F9'"):
        run.do(insp.CloseFindings(actor=LEADER, finding_ids=["F9"], note="x"))
    run.do(insp.ReferToDesignation(actor=SUP, finding_ids=["F2"], year=2028))
    with pytest.raises(PermissionDenied, match="orgs: cl-li 无权处理 V4005"):
        run.do(insp.CloseInspection(actor=LEADER))  # closing speaks for the whole visit
    authorize(run.state, insp.CloseInspection(actor=SUP))
    assert [f.disposed_by for f in run.state.findings] == ["cl-li", "sup-wang", "cl-li"]


def test_each_finding_is_disposed_of_once() -> None:
    run = recorded()
    run.do(insp.ReferToCase(actor=SUP, finding_ids=["F1"], case_id="rect-V3007-2027"))
    f1 = run.state.finding("F1")
    assert f1 is not None and f1.status == insp.FindingStatus.CASE and f1.case_id == "rect-V3007-2027" and f1.disposed_by == "sup-wang"
    with pytest.raises(NotAllowedInStage, match="finding F1 was already disposed of \\(into case rect-V3007-2027\\)"):
        run.do(insp.CloseFindings(actor=SUP, finding_ids=["F1"], note="已整改"))
    with pytest.raises(InvalidCommand, match="F2 concern another organization than case rect-V3007-2027"):
        run.do(insp.ReferToCase(actor=SUP, finding_ids=["F2"], case_id="rect-V3007-2027"))
    with pytest.raises(InvalidCommand, match="case_id: 'camp-all-2027' is not a case id"):
        run.do(insp.ReferToCase(actor=SUP, finding_ids=["F2"], case_id="camp-all-2027"))
    with pytest.raises(InvalidCommand, match="unknown finding 'F9'; this inspection has: F1, F2"):
        run.do(insp.CloseFindings(actor=SUP, finding_ids=["F9"], note="x"))
    with pytest.raises(InvalidCommand, match="year: 2026 is before the inspection's year 2027"):
        run.do(insp.ReferToDesignation(actor=SUP, finding_ids=["F2"], year=2026))
    with pytest.raises(NotAllowedInStage, match="findings still open: F2"):
        run.do(insp.CloseInspection(actor=SUP))
    run.do(insp.ReferToDesignation(actor=SUP, finding_ids=["F2"], year=2028, note="暗访发现组织生活长期不正常"))
    f2 = run.state.finding("F2")
    assert f2 is not None and f2.status == insp.FindingStatus.DESIGNATION and f2.designation_year == 2028
    run.do(insp.CloseInspection(actor=SUP, note="全部处置"), NOW + timedelta(days=3))
    assert run.state.stage == insp.Stage.CLOSED and insp.is_terminal(run.state)
    with pytest.raises(NotAllowedInStage, match="RecordFindings is not allowed in stage closed"):
        run.do(insp.RecordFindings(actor=SUP, findings=[finding()]))


def test_close_findings_needs_a_note_and_unknown_keys_are_refused() -> None:
    with pytest.raises(ValueError, match="note"):
        insp.CloseFindings(actor=SUP, finding_ids=["F1"], note="")
    with pytest.raises(ValueError, match="extra"):
        insp.COMMAND_ADAPTER.validate_python({"type": "CloseInspection", "actor": SUP.model_dump(), "notes": "typo"})


def test_events_round_trip_and_fold_again() -> None:
    run = recorded()
    run.do(insp.CloseFindings(actor=SUP, finding_ids=["F1", "F2"], note="当场整改到位"))
    stored = [insp.EVENT_ADAPTER.validate_json(insp.EVENT_ADAPTER.dump_json(e)) for e in run.events]
    assert insp.fold(stored) == run.state
    assert insp.DECIDER.signed_commands == frozenset({"ReferToDesignation"})
