"""Incremental projections (store/incremental.py) write exactly the rows a full rebuild writes.

Real case, project and campaign histories, decided by the real deciders, are appended event batch by
event batch (one command's events per append, as the workflow does), and after each append every
projection table is compared row by row with what ``rebuild_projections`` derives from the log. Each
history runs two ways:

- ``log``: through ``AuditLog(engine, PROJECTORS)`` as it is (whatever rows it passes its projectors);
- ``new-rows``: contract 1 of issue 12 emulated: the events are appended by a bare log and the projectors
  then receive only the rows just stored, on a session in a write transaction.

Then the paths the cache must not get wrong: a rolled-back append, another writer (another process's
cache, a projector-less log), another database with the same stream ids, tables reset underneath.
"""

from __future__ import annotations

import copy
import random
from collections.abc import Callable, Iterator, Sequence
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, delete

from domain.actors import Role
from domain.campaign import DECIDER as CAMPAIGN
from domain.campaign import (
    ApproveDesignation,
    CampaignFigures,
    CloseYear,
    OpenCampaign,
    RecordCheck,
    RecordOutcomes,
    RecordStarts,
)
from domain.decider import Context, Decider
from domain.errors import DomainError
from domain.policy import Policy
from domain.project import DECIDER as PROJECT
from domain.project import (
    ApproveApplication,
    CompleteMilestone,
    EvaluateProject,
    Rating,
    RecordProgress,
    ReturnApplication,
    ReviseApplication,
    SubmitQuarterlyReport,
)
from domain.project import CloseProject as CloseProjectCommand
from domain.project import DecideSanction as DecideProjectSanction
from domain.project import SanctionDecision as ProjectSanctionDecision
from domain.rectification import DECIDER as CASE
from domain.rectification import EVENT_ADAPTER, INITIAL_STATE, ProblemInput, Tick
from store.campaign_models import CampaignCaseRow, CampaignSummary
from store.campaign_projection import CAMPAIGNS
from store.db import make_engine
from store.eventlog import AuditLog, NewEvent
from store.incremental import FoldCache, Folded, StreamProjection
from store.models import AuditEvent, CaseSummary, MeasureLedger, ProblemLedger, SanctionLedger
from store.project_models import ProjectMilestone, ProjectSummary
from store.project_projection import PROJECTS
from store.projections import CASES, PROJECTORS, project_rectification
from store.queries import fold_stream
from tests.unit import builders as b
from tests.unit.test_campaign_decider import SUP as CAMPAIGN_SUP
from tests.unit.test_campaign_decider import opening
from tests.unit.test_decider_properties import POLICIES, Chooser, draw_command, draw_step
from tests.unit.test_project_decider import CAL as PROJECT_CALENDAR
from tests.unit.test_project_decider import EVALUATOR, OWNER, REVIEWER, SUP, application, apply_cmd, bj
from tests.unit.test_project_decider import POLICY as PROJECT_POLICY

TABLES = (
    CaseSummary, MeasureLedger, ProblemLedger, SanctionLedger, ProjectSummary, ProjectMilestone, CampaignSummary, CampaignCaseRow
)
Batch = tuple[list[Any], datetime]  # one command's events and their time


def table_rows(engine: Engine) -> dict[str, list[dict[str, Any]]]:
    """Every projection table, every row, in primary-key order."""
    out = {}
    with engine.connect() as conn:
        for model in TABLES:
            table = model.__table__  # type: ignore[union-attr]
            query = select(table).order_by(*table.primary_key.columns)
            out[table.name] = [dict(row) for row in conn.execute(query).mappings()]
    return out


def reset_everything(session: Session) -> None:
    for model in TABLES:
        session.exec(delete(model))


def rebuilt_rows(log: AuditLog) -> dict[str, list[dict[str, Any]]]:
    """The tables as a full rebuild makes them (every stream folded from its first event)."""
    rebuilder = AuditLog(log.engine, PROJECTORS)
    rebuilder.rebuild_projections(reset_everything)
    return table_rows(log.engine)


def new_events(stream_id: str, version: int, events: Sequence[Any], adapter: Any) -> list[NewEvent]:
    return [
        NewEvent(f"{stream_id}:{version + i}", e.type, e.actor, adapter.dump_json(e).decode(), e.policy_version)
        for i, e in enumerate(events, start=1)
    ]


class Appender:
    """Appends one command's events to a stream, either through the projected log or per contract 1."""

    def __init__(self, engine: Engine, mode: str) -> None:
        self.engine, self.mode = engine, mode
        self.projected, self.bare = AuditLog(engine, PROJECTORS), AuditLog(engine)

    def __call__(self, stream_id: str, version: int, batch: list[NewEvent], at: datetime) -> None:
        if self.mode == "log":
            self.projected.append(stream_id, version, batch, now=at)
            return
        self.bare.append(stream_id, version, batch, now=at)
        project_new_rows(self.engine, stream_id, version, PROJECTORS)


def project_new_rows(engine: Engine, stream_id: str, after: int, projectors: Sequence[Any]) -> None:
    """Contract 1: the projectors see only the rows after version ``after``, in a write transaction."""
    with Session(engine) as session, session.begin():
        query = select(AuditEvent).where(col(AuditEvent.stream_id) == stream_id, col(AuditEvent.version) > after)
        rows = list(session.scalars(query.order_by(col(AuditEvent.version))))
        session.expunge_all()  # like rows built in memory: not entities of the session
        for project in projectors:
            project(session, stream_id, rows)


def replay(append: Appender, stream_id: str, batches: list[Batch], adapter: Any, check_every: int = 1) -> None:
    """Append every batch; every ``check_every`` appends (and after the last) the tables must equal a rebuild."""
    version = 0
    for n, (events, at) in enumerate(batches, start=1):
        append(stream_id, version, new_events(stream_id, version, events, adapter), at)
        version += len(events)
        if n % check_every == 0 or n == len(batches):
            incremental = table_rows(append.engine)
            assert incremental == rebuilt_rows(append.projected), f"{stream_id}: tables differ after append {n}"


def unchanged_by_evolve(decider: Decider[Any, Any, Any], batches: list[Batch]) -> None:
    """``evolve`` never mutates the state it is given (the cache hands it its cached states)."""
    state = decider.initial
    for events, _ in batches:
        for event in events:
            before = state.model_dump()
            after = decider.evolve(state, event)
            assert state.model_dump() == before, f"evolve mutated its input on {event.type}"
            state = after


# --------------------------------------------------------------------------- histories


def decided(decider: Decider[Any, Any, Any], steps: Iterator[tuple[Any, datetime, Context]]) -> list[Batch]:
    """The batches of a run of commands; refused commands and silent ticks leave no batch."""
    state, batches = decider.initial, []
    for command, at, ctx in steps:
        try:
            events = decider.decide(state, command, ctx)
        except DomainError:
            continue
        state = decider.fold(events, state)
        if events:
            batches.append((events, at))
    return batches


def random_case(seed: int, policy: Policy, steps: int = 150) -> list[Batch]:
    """A random case history (tests/unit/test_decider_properties.py's command generator)."""
    rng = random.Random(seed)

    def commands() -> Iterator[tuple[Any, datetime, Context]]:
        state, now = INITIAL_STATE, b.T0
        for _ in range(steps):
            c = Chooser(rng.getrandbits(32))
            now = now + draw_step(c, state.stage)
            command = draw_command(c, state, now)
            yield command, now, Context(now, policy, b.CALENDAR)
            try:
                state = CASE.fold(CASE.decide(state, command, Context(now, policy, b.CALENDAR)), state)
            except DomainError:
                pass

    return decided(CASE, commands())


def lifecycle_case() -> list[Batch]:
    """Plan returned and resubmitted, progress, ticks, a failed acceptance and rework, a relapse with a new
    cycle, acceptance and close (tests/unit/test_rectification_decider.py's full lifecycle, with the clock)."""
    policy = b.classic_policy()
    sup, leader, ts, bs, fs = b.supervisor(), b.county_leader(), b.township_secretary(), b.branch_secretary(), b.first_secretary()
    day = timedelta(days=1)
    t0 = b.T0
    script: list[tuple[Any, datetime]] = [
        (b.open_case(sup), t0),
        (b.plan(bs), t0 + day),
        (b.return_plan(ts, "请明确责任人和时限"), t0 + 2 * day),
        (
            b.plan(
                ts,
                measures=[
                    b.measure("M1", ["P1"], date(2026, 6, 30), responsible="bs-1"),
                    b.measure("M2", ["P2"], b.at(2026, 5, 31, 16, 0), responsible="fs-1"),
                    b.measure("M3", ["P3"], date(2026, 7, 31), responsible="bs-1"),
                ],
            ),
            t0 + 3 * day,
        ),
        (b.approve(sup, "同意实施"), t0 + 4 * day),
        *[(b.progress("M1", bs), t0 + (10 + i) * day) for i in range(12)],
        *[(Tick(), t0 + d * day) for d in range(30, 200, 3)],  # reminders, overdue notices, escalations
        (b.complete("M1", bs), t0 + 200 * day),
        (b.complete("M2", fs), t0 + 201 * day),
        (b.complete("M3", ts), t0 + 202 * day),
        (b.self_check(fs, "自查报告"), t0 + 203 * day),
        (b.acceptance(62.5, 0.2, sup), t0 + 210 * day),  # failed: rework
        *[(b.complete(m, who), t0 + 240 * day) for m, who in [("M1", bs), ("M2", fs), ("M3", bs)]],
        (b.self_check(bs), t0 + 241 * day),
        (b.acceptance(88, 0.1, leader), t0 + 250 * day),
        (b.follow_up(True, [ProblemInput(category="mass_discontent", description="群众反映强烈")], by=sup), t0 + 450 * day),
        (b.plan(bs, measures=[b.measure("N1", ["P4"], t0 + 510 * day)]), t0 + 451 * day),
        (b.approve(ts), t0 + 452 * day),
        (b.complete("N1", bs), t0 + 480 * day),
        (b.self_check(bs), t0 + 481 * day),
        (b.acceptance(91, 0.05, sup), t0 + 485 * day),
        (b.follow_up(False, by=leader), t0 + 665 * day),
        (b.close(by=sup), t0 + 851 * day),
    ]
    return decided(CASE, ((command, at, Context(at, policy, b.CALENDAR)) for command, at in script))


def project_history(lapse: bool) -> list[Batch]:
    """Applied, returned, revised, approved; progress, milestones (one late), the clock's reminders, overdue
    notices and urges (ticked at every wake-up, as the workflow does), a report, a poor evaluation whose
    sanction proposal is decided (or lapses), closed."""
    policy = Policy(supervisors=["sup-1"], sanction_approvers=[Role.SUPERVISOR, Role.BRANCH_SECRETARY]) if lapse else PROJECT_POLICY
    script: list[tuple[Any, datetime]] = [
        (apply_cmd(), bj(2027, 1, 4, 10, 0)),
        (ReturnApplication(actor=REVIEWER, comments="再改"), bj(2027, 1, 5, 10, 0)),
        (ReviseApplication(actor=OWNER, application=application()), bj(2027, 1, 6, 10, 0)),
        (ApproveApplication(actor=REVIEWER, comments="同意"), bj(2027, 1, 7, 10, 0)),
        (RecordProgress(actor=OWNER, note="召开村民代表大会", milestone_id="M1", evidence=["会议纪要"]), bj(2027, 2, 1, 10, 0)),
        (RecordProgress(actor=OWNER, note="外出考察"), bj(2027, 2, 2, 10, 0)),
        (CompleteMilestone(actor=OWNER, milestone_id="M1", note="ok"), bj(2027, 4, 2, 10, 0)),  # late
        (SubmitQuarterlyReport(actor=OWNER, quarter=1, note="补报"), bj(2027, 5, 20, 9, 0)),
        (CompleteMilestone(actor=OWNER, milestone_id="M2", note="ok"), bj(2027, 11, 1, 10, 0)),
        (EvaluateProject(actor=EVALUATOR, rating=Rating.POOR, satisfaction=0.7, comments="推进不力"), bj(2027, 11, 2, 10, 0)),
    ]
    if lapse:
        script += [(CloseProjectCommand(actor=SUP), bj(2027, 11, 17, 10, 0))]
    else:
        script += [
            (DecideProjectSanction(actor=SUP, decision=ProjectSanctionDecision.APPROVED, comment="谈话"), bj(2027, 11, 3, 10, 0)),
            (CloseProjectCommand(actor=SUP, note="结项"), bj(2027, 11, 4, 10, 0)),
        ]

    def ctx(at: datetime) -> Context:
        return Context(at.astimezone(UTC), policy, PROJECT_CALENDAR)

    state, batches = PROJECT.initial, []
    for command, at in script:
        while (wake := PROJECT.next_wakeup(state, ctx(at))) is not None and wake <= at:
            events = PROJECT.decide(state, Tick(), ctx(wake))
            assert events, f"woke at {wake} for nothing"
            state = PROJECT.fold(events, state)
            batches.append((events, wake))
        events = PROJECT.decide(state, command, ctx(at))
        state = PROJECT.fold(events, state)
        batches.append((events, at))
    return batches


def campaign_history() -> list[Batch]:
    """Opened, two designation rounds, starts in batches (started, already running), checks, year closed,
    outcomes recorded."""
    now = datetime(2026, 3, 2, 1, 0, tzinfo=UTC)
    codes = [f"V{i:03d}" for i in range(1, 13)]
    ids = [f"rect-{code}-2026" for code in codes]

    def figures(day: int, cases: int, closed: int = 0) -> CampaignFigures:
        return CampaignFigures(as_of=now + timedelta(days=day), cases=cases, by_stage={"designated": cases - closed}, closed=closed)

    script: list[tuple[Any, datetime]] = [
        (OpenCampaign(actor=CAMPAIGN_SUP, region="城关镇", year=2026), now),
        (ApproveDesignation(actor=CAMPAIGN_SUP, designees=[opening(code) for code in codes[:8]]), now + timedelta(hours=1)),
        (RecordStarts(started=ids[:3]), now + timedelta(hours=2)),
        (RecordStarts(started=ids[3:5], existing=ids[5:6]), now + timedelta(hours=3)),
        (RecordStarts(started=ids[6:8]), now + timedelta(hours=4)),
        (RecordCheck(figures=figures(30, 8)), now + timedelta(days=30)),
        (ApproveDesignation(actor=CAMPAIGN_SUP, designees=[opening(code) for code in codes[6:]]), now + timedelta(days=31)),
        (RecordStarts(started=ids[8:11], existing=ids[11:]), now + timedelta(days=31, hours=1)),
        (RecordCheck(figures=figures(60, 12, closed=2)), now + timedelta(days=60)),
        (CloseYear(actor=CAMPAIGN_SUP, figures=figures(300, 12, closed=9)), now + timedelta(days=300)),
        (RecordOutcomes(organizations=12), now + timedelta(days=301)),
    ]
    policy = Policy()
    return decided(CAMPAIGN, ((command, at, Context(at, policy)) for command, at in script))


# Rectification histories: the scripted lifecycle and random ones chosen for what they exercise (pauses,
# extensions, sanction proposals decided and lapsed, rework, returned plans).
CASE_HISTORIES: dict[str, Callable[[], list[Batch]]] = {
    "lifecycle": lifecycle_case,
    "random-7-timed": lambda: random_case(7, POLICIES[3]),
    "random-7-short": lambda: random_case(7, POLICIES[4]),
    "random-4-ladder": lambda: random_case(4, POLICIES[1]),
    "random-1-ladder": lambda: random_case(1, POLICIES[1]),
}


@pytest.fixture
def engine(migrated_engine: Engine) -> Iterator[Engine]:
    for projection in (CASES, PROJECTS, CAMPAIGNS):  # earlier tests' databases may share stream ids
        projection.cache.clear()
    yield migrated_engine


MODES = ["log", "new-rows"]


def test_the_case_histories_cover_every_kind_of_ledger_change() -> None:
    types = {e.type for make in CASE_HISTORIES.values() for events, _ in make() for e in events}
    wanted = {
        "PlanReturned", "ProgressReported", "ReminderSent", "MeasureOverdue", "EscalationRaised", "MeasuresPaused",
        "MeasuresResumed", "DeadlineExtended", "SanctionProposed", "SanctionDecided", "SanctionLapsed", "ReworkOrdered",
        "RelapseRecorded", "CaseClosed",
    }
    assert wanted <= types, wanted - types


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("history", list(CASE_HISTORIES))
def test_a_case_appended_event_by_event_matches_a_rebuild(engine: Engine, mode: str, history: str) -> None:
    batches = CASE_HISTORIES[history]()
    unchanged_by_evolve(CASE, batches)
    stream_id = batches[0][0][0].case_id
    replay(Appender(engine, mode), stream_id, batches, EVENT_ADAPTER, check_every=1 if history == "lifecycle" else 3)
    cached = CASES.cache.get(stream_id)
    assert cached is not None and cached.state == fold_stream(AuditLog(engine).read_stream(stream_id), CASE)


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("lapse", [False, True], ids=["decided", "lapsed"])
def test_a_project_appended_event_by_event_matches_a_rebuild(engine: Engine, mode: str, lapse: bool) -> None:
    batches = project_history(lapse)
    types = {e.type for events, _ in batches for e in events}
    assert {"ApplicationReturned", "MilestoneOverdue", "ReportUrged", "SanctionProposed", "ProjectClosed"} <= types, types
    assert ("SanctionLapsed" if lapse else "SanctionDecided") in types
    unchanged_by_evolve(PROJECT, batches)
    replay(Appender(engine, mode), "proj-secretary-V001-2027", batches, PROJECT.events, check_every=2)
    summary = table_rows(engine)["project_summary"]
    assert [row["stage"] for row in summary] == ["closed"]
    assert summary[0]["sanction_proposals"] == 1 and summary[0]["urges_sent"] > 0


@pytest.mark.parametrize("mode", MODES)
def test_a_campaign_appended_event_by_event_matches_a_rebuild(engine: Engine, mode: str) -> None:
    batches = campaign_history()
    assert len(batches) == 11
    unchanged_by_evolve(CAMPAIGN, batches)
    replay(Appender(engine, mode), "camp-城关镇-2026", batches, CAMPAIGN.events)
    rows = table_rows(engine)
    assert [(r["designated"], r["started"], r["existing"], r["stage"]) for r in rows["campaign_summary"]] == [(12, 10, 2, "closed")]
    assert len(rows["campaign_case"]) == 12


# --------------------------------------------------------------------------- what the cache must not get wrong


def opened_case(org: str = b.ORG, name: str = "青山村党支部") -> list[Batch]:
    """Open, plan, approve, then progress reports: a stream of a dozen one-event appends."""
    policy = b.classic_policy()
    case = b.Case(policy=policy)
    batches = [(case.run(b.open_case(org_code=org).model_copy(update={"org_name": name}), b.T0), b.T0)]
    batches.append((case.run(b.plan(), b.T0 + timedelta(days=1)), b.T0 + timedelta(days=1)))
    batches.append((case.run(b.approve(), b.T0 + timedelta(days=2)), b.T0 + timedelta(days=2)))
    for i in range(10):
        at = b.T0 + timedelta(days=3, hours=i)
        batches.append((case.run(b.progress("M1" if i % 2 else "M2"), at), at))
    return batches


def append_batches(append: Callable[..., Any], stream_id: str, batches: list[Batch], start: int = 0) -> int:
    version = start
    for events, at in batches:
        append(stream_id, version, new_events(stream_id, version, events, EVENT_ADAPTER), at)
        version += len(events)
    return version


def test_a_rolled_back_append_leaves_no_state_in_the_cache(engine: Engine) -> None:
    """The failed append's state was cached inside its transaction; another writer then stores different
    events at that version: the next append must not continue from the rolled-back state."""
    batches = opened_case()
    stream_id = "rect-V001-2026"
    refusing = {"on": False}

    def refuse(session: Session, stream: str, rows: object) -> None:
        if refusing["on"]:
            raise RuntimeError("projection failed")

    log = AuditLog(engine, [*PROJECTORS, refuse])
    version = append_batches(log.append, stream_id, batches[:6])
    refusing["on"] = True
    events, at = batches[6]
    with pytest.raises(RuntimeError, match="projection failed"):
        log.append(stream_id, version, new_events(stream_id, version, events, EVENT_ADAPTER), at)
    cached = CASES.cache.get(stream_id)
    assert cached is not None and cached.version == version + 1  # the tentative entry is there …
    refusing["on"] = False
    # … and a different event is stored at that version by a log without projectors (another process)
    other_events, other_at = batches[7]
    AuditLog(engine).append(stream_id, version, new_events(stream_id, version, other_events, EVENT_ADAPTER), other_at)
    version += 1
    append_batches(log.append, stream_id, batches[8:], start=version)
    assert table_rows(engine) == rebuilt_rows(log)
    assert CASES.cache.get(stream_id).state == fold_stream(AuditLog(engine).read_stream(stream_id), CASE)  # type: ignore[union-attr]


def test_a_retried_append_after_a_rollback_is_projected_once(engine: Engine) -> None:
    batches = opened_case()
    stream_id = "rect-V001-2026"
    fail = {"on": False}

    def refuse(session: Session, stream: str, rows: object) -> None:
        if fail["on"]:
            raise RuntimeError("projection failed")

    log = AuditLog(engine, [*PROJECTORS, refuse])
    version = append_batches(log.append, stream_id, batches[:5])
    fail["on"] = True
    with pytest.raises(RuntimeError):
        append_batches(log.append, stream_id, batches[5:6], start=version)
    fail["on"] = False
    append_batches(log.append, stream_id, batches[5:], start=version)  # the same events again, then more
    assert table_rows(engine) == rebuilt_rows(log)


@pytest.mark.parametrize("mode", MODES)
def test_appends_by_another_process_and_by_a_log_without_projectors(engine: Engine, mode: str) -> None:
    """Two workers (each its own cache) and a projector-less log take turns on one stream."""
    batches = opened_case()
    stream_id = "rect-V001-2026"
    mine = Appender(engine, mode)
    other_cases = copy.copy(CASES)
    other_cases.cache = FoldCache()
    other = [other_cases, *PROJECTORS[1:]]

    def theirs(stream: str, version: int, batch: list[NewEvent], at: datetime) -> None:
        AuditLog(engine).append(stream, version, batch, now=at)
        project_new_rows(engine, stream, version, other)

    def unprojected(stream: str, version: int, batch: list[NewEvent], at: datetime) -> None:
        AuditLog(engine).append(stream, version, batch, now=at)  # the tables lag until the next projected append

    turns: list[Callable[..., Any]] = [mine, mine, theirs, mine, theirs, theirs, mine, unprojected, mine, theirs, mine, mine, mine]
    version = 0
    for append, (events, at) in zip(turns, batches, strict=True):
        append(stream_id, version, new_events(stream_id, version, events, EVENT_ADAPTER), at)
        version += len(events)
        if append is not unprojected:
            assert table_rows(engine) == rebuilt_rows(mine.projected)
    assert CASES.slow_paths >= 1


def test_the_same_stream_in_another_database_is_not_taken_from_the_cache(engine: Engine, tmp_path: Any) -> None:
    """Stream ids repeat across databases (tests, benchmarks): the cached fold of one is not the other's."""
    from store.migrate import upgrade

    stream_id = "rect-V001-2026"
    first = opened_case()
    append_batches(AuditLog(engine, PROJECTORS).append, stream_id, first[:5])  # cached at version 5
    second_engine = make_engine(f"sqlite:///{tmp_path / 'second.db'}")
    upgrade(second_engine)
    second = opened_case(name="另一个村党支部")  # same stream id and versions, other content
    version = append_batches(AuditLog(second_engine).append, stream_id, second[:5])  # no projectors
    append_batches(Appender(second_engine, "new-rows"), stream_id, second[5:6], start=version)
    rows = table_rows(second_engine)
    assert [r["org_name"] for r in rows["case_summary"]] == ["另一个村党支部"]
    assert rows == rebuilt_rows(AuditLog(second_engine, PROJECTORS))
    second_engine.dispose()


def test_tables_reset_underneath_are_filled_again_by_the_next_append(engine: Engine) -> None:
    batches = opened_case()
    stream_id = "rect-V001-2026"
    log = AuditLog(engine, PROJECTORS)
    version = append_batches(log.append, stream_id, batches[:6])
    with Session(engine) as session, session.begin():
        reset_everything(session)
    append_batches(log.append, stream_id, batches[6:7], start=version)
    assert table_rows(engine) == rebuilt_rows(log)
    assert len(table_rows(engine)["measure_ledger"]) == 2


def test_a_whole_stream_passed_again_continues_from_the_cache_or_folds_from_the_start(engine: Engine) -> None:
    """What the log before issue 12 passed (the whole stream each time), and what a rebuild passes."""
    batches = opened_case()
    stream_id = "rect-V001-2026"
    bare = AuditLog(engine)
    version = append_batches(bare.append, stream_id, batches[:4])
    project_new_rows(engine, stream_id, 0, PROJECTORS)  # the whole stream, from version 1
    version = append_batches(bare.append, stream_id, batches[4:6], start=version)
    project_new_rows(engine, stream_id, 0, PROJECTORS)  # whole again: the cache at 4 covers 1..4
    assert table_rows(engine) == rebuilt_rows(AuditLog(engine, PROJECTORS))
    project_new_rows(engine, stream_id, 0, [project_rectification])  # nothing new: a full fold, same rows
    assert table_rows(engine) == rebuilt_rows(AuditLog(engine, PROJECTORS))


def test_the_fold_cache_is_a_bounded_lru() -> None:
    cache: FoldCache[Any] = FoldCache(size=2)
    for name in ("a", "b"):
        cache.put(name, Folded(1, name, INITIAL_STATE, ()))
    assert cache.get("a") is not None  # a is now the most recent
    cache.put("c", Folded(1, "c", INITIAL_STATE, ()))
    assert (cache.get("a") is not None, cache.get("b"), cache.get("c") is not None) == (True, None, True)
    assert len(cache) == 2


def test_every_projection_is_a_stream_projection() -> None:
    assert all(isinstance(p, StreamProjection) for p in (CASES, PROJECTS, CAMPAIGNS))
    assert {p.summary.name for p in (CASES, PROJECTS, CAMPAIGNS)} == {"case_summary", "project_summary", "campaign_summary"}
