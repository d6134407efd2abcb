"""The star rating's store (store/ratings.py) on SQLite and PostgreSQL: what a rating opens with (last year's
star, the cases closed 晋位升级 and the rating year's own cases), the projection appended through the log
(``rating_summary``, the decided level written to the directory's star), what the designation reads
(``downgraded``) and what `rating sync` records (``veto_sources``)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy.engine import Engine
from sqlmodel import Session

from domain import rating as r
from domain.actors import Actor, Role
from domain.decider import Context, Tick
from domain.directory import Assessment, Organization
from domain.policy import Policy
from domain.timeutil import SHANGHAI
from store.directory import Directory, ParsedDirectory, YearRecord
from store.eventlog import AuditLog, NewEvent
from store.models import CaseSummary
from store.projections import PROJECTORS
from store.ratings import downgraded, rating_facts, rating_summaries, source_org, veto_sources

NOW = datetime(2027, 11, 1, 10, 0, tzinfo=SHANGHAI).astimezone(UTC)
SUP = Actor(id="sup-wang", roles=[Role.SUPERVISOR])
TOWN = Actor(id="ts-zhao", roles=[Role.TOWNSHIP_SECRETARY], scope=["青山镇"])
BRANCH = Actor(id="bs-chen", roles=[Role.BRANCH_SECRETARY], scope=["V001"])


def seed(engine: Engine) -> None:
    orgs = [Organization(code=c, name=f"{c}党支部", level="党支部", domain="农村", region="青山镇") for c in ("V001", "V002")]
    years = [YearRecord(Assessment(org_code="V001", year=2026, score=81, star=3))]
    Directory(engine).import_records(ParsedDirectory(organizations=orgs, years=years))


def case(
    case_id: str, org: str, year: int, stage: str, outcome: str | None = None, closed: datetime | None = None, opened: datetime = NOW
) -> CaseSummary:
    return CaseSummary(
        case_id=case_id, kind="rectification", org_code=org, org_name=f"{org}党支部", region="青山镇", year=year, stage=stage, cycle=1,
        plan_status="approved", plan_round=1, plan_returns=0, measures_total=1, measures_done=1, overdue_measures=0, escalations=0,
        overdue=False, outcome=outcome, opened_at=opened, closed_at=closed, last_event_at=NOW, version=1, position=1,
    )  # fmt: skip


def add(engine: Engine, *rows: Any) -> None:
    with Session(engine) as session:
        for row in rows:
            session.add(row)
        session.commit()


class Appending:
    """Decides rating commands and appends each one's events through the projected log."""

    def __init__(self, engine: Engine, stream_id: str) -> None:
        self.log, self.stream_id, self.state, self.version = AuditLog(engine, PROJECTORS), stream_id, r.INITIAL_STATE, 0

    def run(self, command: Any, at: datetime = NOW) -> None:
        events = r.decide(self.state, command, Context(now=at, policy=Policy()))
        batch = [
            NewEvent(f"{self.stream_id}:{self.version + i}", e.type, e.actor, r.EVENT_ADAPTER.dump_json(e).decode(), e.policy_version)
            for i, e in enumerate(events, start=1)
        ]
        self.log.append(self.stream_id, self.version, batch, now=at)
        for e in events:
            self.state = r.evolve(self.state, e)
        self.version += len(events)


def test_what_a_rating_opens_with(migrated_engine: Engine) -> None:
    seed(migrated_engine)
    add(
        migrated_engine,
        case("rect-V001-2025", "V001", 2025, "closed", "upgraded", closed=datetime(2026, 9, 1, tzinfo=UTC)),  # 晋位升级
        case("rect-V001-2024", "V001", 2024, "closed", "upgraded", closed=datetime(2025, 3, 1, tzinfo=UTC)),  # too long ago
        case("rect-V002-2027", "V002", 2027, "implementing"),  # the rating year's own case
    )
    facts = rating_facts(migrated_engine, "V001", 2027)
    assert (facts.found, facts.name, facts.region, facts.previous_level) == (True, "V001党支部", "青山镇", 3)
    assert facts.upgrade_cases == ["rect-V001-2025"] and facts.open_cases == []
    other = rating_facts(migrated_engine, "V002", 2027)
    assert other.previous_level is None and other.open_cases == ["rect-V002-2027"]
    assert not rating_facts(migrated_engine, "V999", 2027).found
    assert source_org(migrated_engine, "rect-V002-2027") == "V002"
    assert source_org(migrated_engine, "rect-V009-2027") == "" and source_org(migrated_engine, "insp-2027-001/F1") == ""


def test_the_ledger_the_directory_star_and_what_the_designation_reads(migrated_engine: Engine) -> None:
    seed(migrated_engine)
    stream = Appending(migrated_engine, "star-V001-2027")
    stream.run(r.OpenRating(actor=SUP, org_code="V001", year=2027, org_name="V001党支部", region="青山镇", previous_level=3))
    scores = [r.ItemScoreInput(code=c, points=20) for c in ("political", "team", "members", "rules", "service")]
    stream.run(r.SubmitSelfAssessment(actor=BRANCH, scores=scores))
    stream.run(r.ReviewRating(actor=TOWN, comment="同意"))
    stream.run(r.ApproveRating(actor=SUP, level=4))
    decided_at = NOW + timedelta(days=8)
    stream.run(Tick(), at=decided_at)
    (row,) = rating_summaries(migrated_engine, year=2027)
    assert (row.stage, row.self_level, row.review_level, row.approved_level, row.level, row.previous_level) == ("rated", 5, 5, 4, 4, 3)
    assert Directory(migrated_engine).assessments(year=2027, org_code="V001")[0].star == 4
    # a year holding only the star a rating wrote is no assessment: the designation still refuses to rank on it
    assert Directory(migrated_engine).years() == [2026, 2027] and Directory(migrated_engine).years(assessed=True) == [2026]
    assert downgraded(migrated_engine, [2026, 2027]) == {}

    # a case opened after the decision: what `rating sync` records; once recorded, lowered and read by the designation
    add(migrated_engine, case("rect-V001-2028", "V001", 2028, "designated", opened=decided_at + timedelta(days=30)))
    assert veto_sources(migrated_engine, 2027) == {"star-V001-2027": ["rect-V001-2028"]}
    stream.run(
        r.RecordVetoEvent(actor=SUP, item="designated", source="rect-V001-2028", source_org="V001"), at=decided_at + timedelta(days=31)
    )
    (row,) = rating_summaries(migrated_engine, year=2027)
    assert (row.decided_level, row.level, row.downgrades) == (4, 1, 1)
    assert Directory(migrated_engine).assessments(year=2027, org_code="V001")[0].star == 1
    assert downgraded(migrated_engine, [2026, 2027]) == {"V001": ["star-V001-2027: 降星 4→1（designated）"]}
