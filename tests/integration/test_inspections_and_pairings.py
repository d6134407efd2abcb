"""Pairing units in the directory (1+N 结对共建单位、联村领导、驻村工作队: import with line/field errors,
``pairings_of``) and the inspection projection (``inspection_summary``, ``inspection_finding``,
``referred_to_designation``), on SQLite and PostgreSQL, appended through the projected log."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from domain import inspection as insp
from domain.actors import Actor, Role
from domain.decider import Context
from domain.directory import Organization, PairingKind
from domain.policy import Policy
from domain.timeutil import SHANGHAI
from store.directory import Directory, ParsedDirectory
from store.directory_import import ImportFailed, parse_pairing_file, parse_pairing_rows
from store.eventlog import AuditLog, NewEvent
from store.inspection_models import InspectionFinding, InspectionSummary
from store.inspections import next_number, referred_to_designation
from store.pairings import all_pairings, import_pairings, pairings_of
from store.projections import PROJECTORS

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
CODES = ["V1001", "V1002", "V1003", "V3007", "V4005"]
PEOPLE = ["wang.sup", "li.county", "zhao.town", "chen.branch", "liu.first"]


def rows(*lines: str) -> list[tuple[int, list[Any]]]:
    return [(number, line.split(",")) for number, line in enumerate(lines, start=1)]


def directory(engine: Engine) -> Directory:
    d = Directory(engine)
    orgs = [Organization(code=c, name=f"{c}党支部", level="党支部", domain="农村", region="柳林乡") for c in CODES]
    d.import_records(ParsedDirectory(organizations=orgs))
    return d


# ----------------------------------------------------------------------------- pairing units


def test_the_example_file_parses_into_units_with_people_and_organizations() -> None:
    units = parse_pairing_file(EXAMPLES / "pairings.csv", CODES, PEOPLE)
    by_code = {u.unit_code: u for u in units}
    assert by_code["NY01"].kind == PairingKind.PAIRED_UNIT and by_code["NY01"].org_codes == ["V1001", "V1002", "V1003"]
    assert by_code["LC-LI"].kind == PairingKind.LIAISON_LEADER and by_code["LC-LI"].people == ["li.county"]
    assert by_code["ZC-V3007"].kind == PairingKind.WORK_TEAM and by_code["JT01"].people == []


def test_every_bad_row_is_named_by_line_and_field_and_nothing_is_taken() -> None:
    with pytest.raises(ImportFailed) as failed:
        parse_pairing_rows(
            rows(
                "单位编码,单位名称,类型,人员,结对组织",
                "NY01,县农业农村局,结对单位,wang.sup,V1001",
                "NY01,县农业农村局,结对单位,,V1002",  # the same unit twice
                "JT01,县交通局,帮扶单位,,V1001",  # an unknown kind
                "LC1,李县长,联村领导,nobody,V9999",  # an unknown person and organization
                "ZC1,,驻村工作队,liu.first,",  # name and organizations missing
            ),
            CODES,
            PEOPLE,
        )
    found = [(e.line, e.field) for e in failed.value.errors]
    assert found == [(3, "unit_code"), (4, "kind"), (5, "org_codes"), (5, "people"), (6, "unit_name"), (6, "org_codes")]
    messages = {(e.line, e.field): e.message for e in failed.value.errors}
    assert messages[(3, "unit_code")] == "duplicate: NY01 already on line 2"
    assert "'帮扶单位' is not one of 结对单位/paired_unit, 联村领导/liaison_leader, 驻村工作队/work_team" in messages[(4, "kind")]
    assert "unknown organization(s) V9999" in messages[(5, "org_codes")] and "unknown person(s) nobody" in messages[(5, "people")]
    with pytest.raises(ImportFailed) as headers:
        parse_pairing_rows(rows("单位编码,单位名称,备注", "NY01,x,y"), CODES)
    assert [(e.field, e.message.split(" (")[0]) for e in headers.value.errors] == [
        ("备注", "unknown column"),
        ("kind", "missing column"),
        ("org_codes", "missing column"),
    ]


def test_import_and_pairings_of_an_organization(migrated_engine: Engine) -> None:
    directory(migrated_engine)
    units = parse_pairing_file(EXAMPLES / "pairings.csv", CODES, PEOPLE)
    summary = import_pairings(migrated_engine, units)
    assert (summary.units, summary.created, summary.updated, summary.links) == (4, 4, 0, 8)
    paired = pairings_of(migrated_engine, "V3007")
    assert [(p.kind, p.unit_code) for p in paired] == [
        (PairingKind.LIAISON_LEADER, "LC-LI"),
        (PairingKind.PAIRED_UNIT, "JT01"),
        (PairingKind.WORK_TEAM, "ZC-V3007"),
    ]
    assert pairings_of(migrated_engine, "V1001")[0].org_codes == ["V1001", "V3007", "V4005"]  # LC-LI: all its organizations
    assert pairings_of(migrated_engine, "V9999") == []
    # re-importing a unit replaces its people and organizations; the other units stay
    again = parse_pairing_rows(rows("编码,名称,类型,人员,结对组织", "LC-LI,李县长,联村领导,li.county、zhao.town,V4005"), CODES, PEOPLE)
    summary = import_pairings(migrated_engine, again)
    assert (summary.created, summary.updated) == (0, 1)
    assert [p.unit_code for p in pairings_of(migrated_engine, "V3007")] == ["JT01", "ZC-V3007"]
    assert pairings_of(migrated_engine, "V4005")[0].people == ["li.county", "zhao.town"]
    assert len(all_pairings(migrated_engine)) == 4 and len(all_pairings(migrated_engine, "work_team")) == 1


# ----------------------------------------------------------------------------- the inspection projection

NOW = datetime(2027, 4, 16, 15, 0, tzinfo=SHANGHAI).astimezone(UTC)
SUP = Actor(id="sup-wang", roles=[Role.SUPERVISOR])
ORGS = [insp.VisitedOrgInput(code=c, name=f"{c}党支部", region="柳林乡") for c in ("V3007", "V4005")]


class Appending:
    """Decides inspection commands and appends each one's events through the projected log."""

    def __init__(self, engine: Engine, stream_id: str) -> None:
        self.log, self.stream_id, self.state, self.version = AuditLog(engine, PROJECTORS), stream_id, insp.INITIAL_STATE, 0

    def run(self, command: Any, at: datetime = NOW) -> None:
        events = insp.decide(self.state, command, Context(now=at, policy=Policy()))
        batch = [
            NewEvent(f"{self.stream_id}:{self.version + i}", e.type, e.actor, insp.EVENT_ADAPTER.dump_json(e).decode(), e.policy_version)
            for i, e in enumerate(events, start=1)
        ]
        self.log.append(self.stream_id, self.version, batch, now=at)
        for e in events:
            self.state = insp.evolve(self.state, e)
        self.version += len(events)


def visit(number: int, *findings: tuple[str, str]) -> insp.RecordInspection:
    return insp.RecordInspection(
        actor=SUP, year=2027, number=number, kind=insp.VisitKind.UNANNOUNCED, visited_on=date(2027, 4, 16), title="暗访",
        orgs=ORGS, findings=[insp.FindingInput(org_code=o, category="organization_life", description=d) for o, d in findings],
    )  # fmt: skip


def test_findings_referred_to_a_designation_are_read_by_year(migrated_engine: Engine) -> None:
    assert next_number(migrated_engine, 2027) == 1 and referred_to_designation(migrated_engine, 2028) == {}
    first = Appending(migrated_engine, "insp-2027-001")
    first.run(visit(1, ("V3007", "党员大会半年未开"), ("V4005", "三会一课台账补记"), ("V3007", "阵地挂牌不规范")))
    first.run(insp.ReferToDesignation(actor=SUP, finding_ids=["F3", "F1"], year=2028), NOW + timedelta(days=1))
    first.run(insp.ReferToCase(actor=SUP, finding_ids=["F2"], case_id="rect-V4005-2027"), NOW + timedelta(days=1))
    second = Appending(migrated_engine, "insp-2027-002")
    second.run(visit(2, ("V4005", "村务公开栏半年未更新")))
    second.run(insp.ReferToDesignation(actor=SUP, finding_ids=["F1"], year=2029))
    assert next_number(migrated_engine, 2027) == 3
    assert referred_to_designation(migrated_engine, 2028) == {
        "V3007": ["insp-2027-001/F1: 明察暗访发现党员大会半年未开", "insp-2027-001/F3: 明察暗访发现阵地挂牌不规范"],
    }
    assert referred_to_designation(migrated_engine, 2029) == {"V4005": ["insp-2027-002/F1: 明察暗访发现村务公开栏半年未更新"]}
    first.run(insp.CloseInspection(actor=SUP, note="全部处置"), NOW + timedelta(days=2))
    with Session(migrated_engine) as session:
        summary = session.get(InspectionSummary, "insp-2027-001")
        assert summary is not None and summary.stage == "closed" and json.loads(summary.org_codes) == ["V3007", "V4005"]
        assert (summary.findings_total, summary.findings_open, summary.findings_to_case, summary.findings_to_designation) == (3, 0, 1, 2)
        f2 = session.exec(
            select(InspectionFinding).where(InspectionFinding.finding_id == "F2", InspectionFinding.inspection_id == "insp-2027-001")
        ).one()
        assert f2.status == "case" and f2.case_id == "rect-V4005-2027" and f2.disposed_by == "sup-wang"


# ----------------------------------------------------------------------------- the record file, checked by the service


def record_file(**changes: Any) -> Any:
    from service.inspections import InspectionFile

    data: dict[str, Any] = {"kind": "明察暗访", "visited_on": "2027-04-16", "title": "暗访", "orgs": ["V3007"], "companions": ["zhao.town"]}
    data.update(changes)
    return InspectionFile.model_validate(data)


def test_a_visit_date_outside_the_years_is_refused_naming_visited_on() -> None:
    from pydantic import ValidationError

    with pytest.raises(ValidationError) as refused:
        record_file(visited_on="1900-01-01")
    (error,) = refused.value.errors()
    assert error["loc"] == ("visited_on",) and "检查日期 1900-01-01 不在 2000–2100 年之间" in error["msg"]
    assert record_file(visited_on="2100-12-31").visited_on == date(2100, 12, 31)


def test_companions_must_be_in_the_people_directory(migrated_engine: Engine) -> None:
    from domain.decider import Proof
    from domain.people import EVENT_ADAPTER, DirectoryOpened, PersonAdded, PersonInput
    from service.bootstrap import Deps
    from service.errors import Refused
    from service.inspections import opening
    from settings import get_settings

    directory(migrated_engine)
    proof, at = Proof(credential="jti-admin"), NOW
    people = [DirectoryOpened(at=at, actor="admin", proof=proof, admin=PersonInput(id="admin", name="管理员", roles=[Role.ADMIN]))]
    people += [PersonAdded(at=at, actor="admin", proof=proof, person=PersonInput(id=p, name=p, roles=[Role.SUPERVISOR])) for p in PEOPLE]
    rows = [NewEvent(f"dir-people:{i}", e.type, e.actor, EVENT_ADAPTER.dump_json(e).decode()) for i, e in enumerate(people, start=1)]
    AuditLog(migrated_engine).append("dir-people", 0, rows, now=at)
    url = migrated_engine.url.render_as_string(hide_password=False)
    deps = Deps(settings=get_settings(), database_url=url, _engine=migrated_engine)
    with pytest.raises(Refused, match=r"companions: 同行人员 ghost, nobody 不在人员目录中.*unknown person\(s\) ghost, nobody"):
        opening(deps, record_file(companions=["zhao.town", "ghost", "nobody", "ghost"]), SUP)
    cmd = opening(deps, record_file(companions=["zhao.town", "li.county"]), SUP)
    assert cmd.companions == ["zhao.town", "li.county"] and [o.code for o in cmd.orgs] == ["V3007"]
