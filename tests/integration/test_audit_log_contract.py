"""The audit log's behavioural contract, written once and run against every backend.

Each test receives its backend through the ``audit_log`` / ``projected_log`` / ``backend`` fixtures
(see conftest.py), so a test here states what *any* audit database must do. Backend-specific
code is confined to ``as_dba`` (how a DBA gets around the protection) and to two
PostgreSQL-only checks (TRUNCATE, schema isolation). Known store bugs are strict xfails.
"""

from __future__ import annotations

import threading
from collections import defaultdict
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, date, datetime, timedelta, timezone
from itertools import pairwise

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect, text
from sqlalchemy.engine import Engine
from sqlalchemy.exc import DBAPIError, StatementError
from sqlmodel import Session, SQLModel, select

from domain.actors import Actor, Role
from domain.decider import Context
from domain.policy import Policy
from domain.rectification import (
    EVENT_ADAPTER,
    INITIAL_STATE,
    Basis,
    BasisKind,
    CaseState,
    Command,
    MeasureInput,
    OpenCase,
    ProblemInput,
    SubmitPlan,
    decide,
    evolve,
)
from store.db import UTCDateTime, make_engine
from store.eventlog import (
    GENESIS_HASH,
    AuditLog,
    ConcurrencyError,
    IdempotencyConflict,
    NewEvent,
    row_digest,
)
from store.migrate import downgrade, upgrade
from store.models import AuditEvent, CaseSummary, MeasureLedger, ProblemLedger
from store.projections import PROJECTORS, reset_projections
from store.triggers import append_only_triggers, expected_triggers

from .conftest import Backend, as_dba

T0 = datetime(2026, 3, 1, 1, 30, tzinfo=UTC)


def event(event_id: str, payload: str | None = None, *, event_type: str = "Noted", actor: str = "alice") -> NewEvent:
    return NewEvent(
        event_id=event_id,
        event_type=event_type,
        actor=actor,
        payload=payload if payload is not None else f'{{"id":"{event_id}","note":"整改 ✓"}}',
        policy_version="test-1",
    )


def events(prefix: str, count: int) -> list[NewEvent]:
    return [event(f"{prefix}-{i}") for i in range(1, count + 1)]


def fill(log: AuditLog, rows: int) -> list[AuditEvent]:
    """``rows`` events spread over three streams, one append each; returns the stored rows."""
    versions: dict[str, int] = defaultdict(int)
    for i in range(1, rows + 1):
        stream = f"s{i % 3}"
        log.append(stream, versions[stream], [event(f"e{i}")], now=T0 + timedelta(minutes=i))
        versions[stream] += 1
    return log.read_all()


def count_rows(engine: Engine) -> int:
    with engine.connect() as conn:
        return conn.execute(text("SELECT count(*) FROM audit_event")).scalar_one()


# --------------------------------------------------------------------------- appending and reading


def test_append_returns_the_new_version_and_global_positions(audit_log: AuditLog) -> None:
    first = audit_log.append("s1", 0, events("a", 2))
    other = audit_log.append("s2", 0, events("b", 1))
    second = audit_log.append("s1", 2, events("c", 3))

    assert (first.stream_id, first.version, first.positions, first.duplicate) == ("s1", 2, [1, 2], False)
    assert (other.stream_id, other.version, other.positions, other.duplicate) == ("s2", 1, [3], False)
    assert (second.stream_id, second.version, second.positions, second.duplicate) == ("s1", 5, [4, 5, 6], False)


def test_read_stream_returns_the_stream_in_version_order_as_stored(audit_log: AuditLog) -> None:
    # Keys out of order, non-ASCII and odd spacing: the payload must come back byte for byte.
    payload = '{"z": 1, "a": "软弱涣散",  "n": null}'
    audit_log.append("s1", 0, [event("a-1", payload), event("a-2")], now=T0)
    audit_log.append("s2", 0, [event("b-1")], now=T0)
    audit_log.append("s1", 2, [event("a-3", event_type="Other", actor="bob")], now=T0 + timedelta(seconds=1))

    rows = audit_log.read_stream("s1")

    assert [(r.event_id, r.version, r.position) for r in rows] == [("a-1", 1, 1), ("a-2", 2, 2), ("a-3", 3, 4)]
    assert rows[0].payload == payload
    assert (rows[2].event_type, rows[2].actor, rows[2].policy_version) == ("Other", "bob", "test-1")
    assert rows[2].recorded_at == T0 + timedelta(seconds=1)
    assert audit_log.read_stream("missing") == []


def test_stream_ids_lists_each_stream_once_in_order_of_first_appearance(audit_log: AuditLog) -> None:
    assert audit_log.stream_ids() == []
    audit_log.append("zeta", 0, events("z", 1))
    audit_log.append("alpha", 0, events("a", 2))
    audit_log.append("zeta", 1, [event("z-2")])
    audit_log.append("mid", 0, events("m", 1))

    assert audit_log.stream_ids() == ["zeta", "alpha", "mid"]


def test_read_all_returns_rows_after_a_position_in_position_order(audit_log: AuditLog) -> None:
    fill(audit_log, 7)

    assert [r.position for r in audit_log.read_all()] == [1, 2, 3, 4, 5, 6, 7]
    assert [r.position for r in audit_log.read_all(after_position=4)] == [5, 6, 7]
    assert [r.position for r in audit_log.read_all(after_position=2, limit=3)] == [3, 4, 5]
    assert audit_log.read_all(after_position=7) == []


def test_every_row_links_to_the_previous_rows_hash(audit_log: AuditLog) -> None:
    rows = fill(audit_log, 5)

    assert rows[0].prev_hash == GENESIS_HASH
    for previous, row in pairwise(rows):
        assert row.prev_hash == previous.hash
    for row in rows:
        assert row.hash == row_digest(row.prev_hash, row)


def test_an_empty_append_is_refused(audit_log: AuditLog) -> None:
    with pytest.raises(ValueError, match="nothing to append"):
        audit_log.append("s1", 0, [])


OVERLONG = {
    "event_id": lambda: ("s1", event("e" * 65)),
    "stream_id": lambda: ("s" * 129, event("a-1")),
    "event_type": lambda: ("s1", event("a-1", event_type="T" * 65)),
    "actor": lambda: ("s1", event("a-1", actor="a" * 129)),
}


@pytest.mark.parametrize("column", list(OVERLONG))
def test_values_longer_than_their_column_are_refused(
    audit_log: AuditLog, column: str, request: pytest.FixtureRequest
) -> None:
    stream, new = OVERLONG[column]()

    with pytest.raises((ValueError, DBAPIError)):
        audit_log.append(stream, 0, [new])

    assert count_rows(audit_log.engine) == 0


# --------------------------------------------------------------------------- idempotency


def test_a_redelivered_batch_is_stored_once_and_reported_as_duplicate(audit_log: AuditLog) -> None:
    batch = events("a", 3)
    audit_log.append("other", 0, events("o", 1))
    first = audit_log.append("s1", 0, batch, now=T0)

    again = audit_log.append("s1", 0, batch, now=T0 + timedelta(hours=1))

    assert again.duplicate is True
    assert (again.stream_id, again.version, again.positions) == ("s1", 3, first.positions) == ("s1", 3, [2, 3, 4])
    assert count_rows(audit_log.engine) == 4
    assert [r.recorded_at for r in audit_log.read_stream("s1")] == [T0] * 3


def test_a_redelivered_batch_is_recognised_after_the_stream_moved_on(audit_log: AuditLog) -> None:
    batch = events("a", 2)
    first = audit_log.append("s1", 0, batch)
    audit_log.append("s1", 2, events("b", 2))

    again = audit_log.append("s1", 0, batch)

    assert (again.duplicate, again.version, again.positions) == (True, 2, first.positions)
    assert len(audit_log.read_stream("s1")) == 4


@pytest.mark.parametrize(
    ("stream", "expected_version", "replay"),
    [
        pytest.param("s1", 0, event("a-1", '{"changed":true}'), id="payload"),
        pytest.param("s1", 0, event("a-1", event_type="Changed"), id="event_type"),
        pytest.param("s2", 0, event("a-1"), id="stream"),
        pytest.param("s1", 1, event("a-1"), id="version"),
    ],
)
def test_reusing_an_event_id_for_different_content_is_refused(
    audit_log: AuditLog, stream: str, expected_version: int, replay: NewEvent
) -> None:
    audit_log.append("s1", 0, [event("a-1")])

    with pytest.raises(IdempotencyConflict, match="a-1"):
        audit_log.append(stream, expected_version, [replay])

    assert [r.payload for r in audit_log.read_all()] == [event("a-1").payload]


@pytest.mark.parametrize(
    "replay",
    [
        pytest.param(event("a-1", actor="mallory"), id="actor"),
        pytest.param(NewEvent("a-1", "Noted", "alice", event("a-1").payload, policy_version="other"), id="policy"),
    ],
)
def test_reusing_an_event_id_with_another_actor_or_policy_is_refused(audit_log: AuditLog, replay: NewEvent) -> None:
    audit_log.append("s1", 0, [event("a-1")])

    with pytest.raises(IdempotencyConflict):
        audit_log.append("s1", 0, [replay])


def test_a_batch_mixing_a_stored_event_id_with_new_ones_is_refused_whole(audit_log: AuditLog) -> None:
    audit_log.append("s1", 0, [event("a-1")])

    with pytest.raises(IdempotencyConflict):
        audit_log.append("s1", 0, [event("a-1"), event("a-2")])

    assert [r.event_id for r in audit_log.read_all()] == ["a-1"]


# --------------------------------------------------------------------------- optimistic concurrency


def test_a_second_append_at_the_same_expected_version_is_refused_and_stores_nothing(audit_log: AuditLog) -> None:
    audit_log.append("s1", 0, events("a", 1))

    with pytest.raises(ConcurrencyError, match="s1"):
        audit_log.append("s1", 0, events("b", 2))

    assert [r.event_id for r in audit_log.read_stream("s1")] == ["a-1"]
    assert count_rows(audit_log.engine) == 1
    assert audit_log.verify().ok


@pytest.mark.parametrize(("existing", "expected_version"), [(0, 1), (0, 5), (3, 2), (3, 4)])
def test_a_wrong_expected_version_is_refused(audit_log: AuditLog, existing: int, expected_version: int) -> None:
    if existing:
        audit_log.append("s1", 0, events("a", existing))

    with pytest.raises(ConcurrencyError):
        audit_log.append("s1", expected_version, events("b", 1))

    assert len(audit_log.read_stream("s1")) == existing


def test_racing_appends_at_the_same_version_let_exactly_one_through(audit_log: AuditLog) -> None:
    rounds, racers = 8, 4
    for r in range(rounds):
        barrier = threading.Barrier(racers)

        def race(i: int, stream: str = f"race-{r}", barrier: threading.Barrier = barrier) -> bool:
            barrier.wait()
            try:
                audit_log.append(stream, 0, [event(f"{stream}-{i}")])
            except ConcurrencyError:
                return False
            return True

        with ThreadPoolExecutor(racers) as pool:
            outcomes = list(pool.map(race, range(racers)))

        assert outcomes.count(True) == 1, outcomes
        assert len(audit_log.read_stream(f"race-{r}")) == 1
    assert audit_log.verify().checked == rounds


def test_concurrent_appenders_get_gapless_positions_and_contiguous_versions(audit_log: AuditLog) -> None:
    writers, appends_each, shared_every = 4, 25, 5
    start = threading.Barrier(writers + 1)
    writers_done = threading.Event()

    def write(w: int) -> tuple[list[list[int]], int]:
        start.wait()
        own, version, batches, conflicts = f"own-{w}", 0, [], 0
        for i in range(appends_each):
            size = 1 + i % 2  # batches of one and two: a batch's positions must not interleave
            result = audit_log.append(own, version, [event(f"{own}-{i}-{j}") for j in range(size)])
            version = result.version
            batches.append(result.positions)
            if i % shared_every == 0:
                shared = event(f"shared-{w}-{i}")
                for _ in range(200):
                    try:
                        current = len(audit_log.read_stream("shared"))
                        batches.append(audit_log.append("shared", current, [shared]).positions)
                        break
                    except ConcurrencyError:
                        conflicts += 1
                else:
                    raise AssertionError("shared append never got through")
        return batches, conflicts

    def tail() -> list[str]:
        """A reader following by position must never see a later position before an earlier one."""
        start.wait()
        seen, problems = 0, []
        while True:
            last_round = writers_done.is_set()
            rows = audit_log.read_all(after_position=seen)
            got = [r.position for r in rows]
            if got != list(range(seen + 1, seen + 1 + len(got))):
                problems.append(f"after {seen} read {got}")
            seen = got[-1] if got else seen
            if last_round and not rows:
                return problems

    with ThreadPoolExecutor(writers + 1) as pool:
        tailer = pool.submit(tail)
        results = [f.result() for f in [pool.submit(write, w) for w in range(writers)]]
        writers_done.set()
        tail_problems = tailer.result()

    batches = [positions for batch_list, _ in results for positions in batch_list]
    total = sum(len(b) for b in batches)
    expected_total = writers * (appends_each + appends_each // 2) + writers * (appends_each // shared_every)
    assert total == expected_total
    assert sorted(p for b in batches for p in b) == list(range(1, total + 1))
    assert all(b == list(range(b[0], b[0] + len(b))) for b in batches)
    rows = audit_log.read_all(limit=total + 10)
    assert [r.position for r in rows] == list(range(1, total + 1))
    by_stream: dict[str, list[int]] = defaultdict(list)
    for row in rows:
        by_stream[row.stream_id].append(row.version)
    assert set(by_stream) == {f"own-{w}" for w in range(writers)} | {"shared"}
    for stream, versions in by_stream.items():
        assert versions == list(range(1, len(versions) + 1)), stream
    assert len(by_stream["shared"]) == writers * (appends_each // shared_every)
    assert tail_problems == []
    report = audit_log.verify()
    assert (report.ok, report.checked, report.head_hash) == (True, total, rows[-1].hash)


# --------------------------------------------------------------------------- append-only enforcement


@pytest.mark.parametrize(
    "statement",
    [
        pytest.param("UPDATE audit_event SET payload = '{}' WHERE position = 2", id="update"),
        pytest.param("UPDATE audit_event SET actor = 'mallory'", id="update-all"),
        pytest.param("DELETE FROM audit_event WHERE position = 2", id="delete"),
        pytest.param("DELETE FROM audit_event", id="delete-all"),
    ],
)
def test_the_database_refuses_to_update_or_delete_audit_events(audit_log: AuditLog, statement: str) -> None:
    before = fill(audit_log, 3)

    with pytest.raises(DBAPIError, match="append-only"):
        with audit_log.engine.begin() as conn:
            conn.exec_driver_sql(statement)

    after = audit_log.read_all()
    assert [(r.position, r.actor, r.payload) for r in after] == [(r.position, r.actor, r.payload) for r in before]
    assert audit_log.verify().ok


@pytest.mark.postgres
def test_postgres_refuses_to_truncate_audit_events(postgres_log: AuditLog) -> None:
    fill(postgres_log, 3)

    with pytest.raises(DBAPIError, match="append-only: TRUNCATE refused"):
        with postgres_log.engine.begin() as conn:
            conn.exec_driver_sql("TRUNCATE audit_event")

    assert count_rows(postgres_log.engine) == 3
    assert postgres_log.verify().ok


# --------------------------------------------------------------------------- tamper evidence


def test_an_empty_log_verifies(audit_log: AuditLog) -> None:
    report = audit_log.verify()

    assert (report.ok, report.checked, report.head_position, report.head_hash) == (True, 0, 0, GENESIS_HASH)
    assert (report.bad_position, report.reason) == (None, None)


@pytest.mark.parametrize("batch", [1000, 2])
def test_an_untampered_log_verifies_every_row(audit_log: AuditLog, batch: int) -> None:
    rows = fill(audit_log, 7)

    report = audit_log.verify(batch=batch)

    assert (report.ok, report.checked, report.head_position) == (True, 7, 7)
    assert report.head_hash == rows[-1].hash
    assert (report.bad_position, report.reason) == (None, None)


TAMPERINGS = {
    "payload": "payload = '{\"id\":\"forged\"}'",
    "actor": "actor = 'mallory'",
    "event_type": "event_type = 'Forged'",
    "policy_version": "policy_version = NULL",
    "recorded_at": "recorded_at = '2020-01-01T00:00:00.000000Z'",
    "version": "version = 99",
    "event_id": "event_id = 'forged-id'",
    "stream_id": "stream_id = 'forged-stream'",
    "hash": "hash = '" + "f" * 64 + "'",
}


@pytest.mark.parametrize("k", [1, 3, 5])
@pytest.mark.parametrize("assignment", list(TAMPERINGS.values()), ids=list(TAMPERINGS))
def test_editing_any_column_of_row_k_fails_verification_at_k(audit_log: AuditLog, assignment: str, k: int) -> None:
    rows = fill(audit_log, 5)
    with as_dba(audit_log.engine) as conn:
        assert conn.execute(text(f"UPDATE audit_event SET {assignment} WHERE position = :k"), {"k": k}).rowcount == 1

    report = audit_log.verify(batch=2)

    assert (report.ok, report.bad_position, report.checked, report.head_position) == (False, k, k - 1, k - 1)
    assert report.head_hash == (rows[k - 2].hash if k > 1 else GENESIS_HASH)
    assert report.reason


def test_editing_a_row_and_rehashing_it_fails_verification_at_the_next_row(audit_log: AuditLog) -> None:
    rows = fill(audit_log, 5)
    forged = rows[2].model_copy(update={"payload": '{"id":"forged"}'})
    forged_hash = row_digest(forged.prev_hash, forged)
    with as_dba(audit_log.engine) as conn:
        conn.execute(
            text("UPDATE audit_event SET payload = :p, hash = :h WHERE position = 3"),
            {"p": forged.payload, "h": forged_hash},
        )

    report = audit_log.verify()

    assert (report.ok, report.bad_position, report.checked) == (False, 4, 3)
    assert "prev_hash" in (report.reason or "")


def test_deleting_a_middle_row_fails_verification_at_the_next_row(audit_log: AuditLog) -> None:
    rows = fill(audit_log, 5)
    with as_dba(audit_log.engine) as conn:
        conn.execute(text("DELETE FROM audit_event WHERE position = 3"))

    report = audit_log.verify()

    assert (report.ok, report.bad_position, report.checked, report.head_position) == (False, 4, 2, 2)
    assert report.head_hash == rows[1].hash
    assert "position 3 is missing" in (report.reason or "")


def test_deleting_the_last_row_shows_only_as_a_moved_head(audit_log: AuditLog) -> None:
    """The chain cannot see a truncated tail by itself: the head hash must be anchored elsewhere."""
    rows = fill(audit_log, 5)
    with as_dba(audit_log.engine) as conn:
        conn.execute(text("DELETE FROM audit_event WHERE position = 5"))

    report = audit_log.verify()

    assert (report.ok, report.checked, report.head_hash) == (True, 4, rows[3].hash)
    assert report.head_hash != rows[4].hash


def test_the_protection_is_back_after_the_dba_transaction(audit_log: AuditLog) -> None:
    fill(audit_log, 2)
    with as_dba(audit_log.engine) as conn:
        conn.execute(text("UPDATE audit_event SET actor = 'dba' WHERE position = 1"))

    with audit_log.engine.connect() as conn:
        assert append_only_triggers(conn) == expected_triggers(conn)
    with pytest.raises(DBAPIError, match="append-only"):
        with audit_log.engine.begin() as conn:
            conn.exec_driver_sql("UPDATE audit_event SET actor = 'again'")


# --------------------------------------------------------------------------- UTC instants


def test_naive_datetimes_are_refused_and_nothing_is_stored(audit_log: AuditLog) -> None:
    with pytest.raises((ValueError, StatementError), match="naive datetime"):
        audit_log.append("s1", 0, events("a", 1), now=datetime(2026, 3, 1, 9, 30))

    assert count_rows(audit_log.engine) == 0


def test_the_type_refuses_naive_datetimes_on_every_dialect(audit_log: AuditLog) -> None:
    with pytest.raises(ValueError, match="naive datetime"):
        UTCDateTime().process_bind_param(datetime(2026, 3, 1), audit_log.engine.dialect)


def test_recorded_at_comes_back_as_the_same_aware_utc_instant(audit_log: AuditLog) -> None:
    beijing = timezone(timedelta(hours=8))
    now = datetime(2026, 3, 1, 9, 30, 15, 123456, tzinfo=beijing)
    audit_log.append("s1", 0, events("a", 1), now=now)

    [row] = audit_log.read_stream("s1")
    with audit_log.engine.connect() as conn:
        stored = conn.exec_driver_sql("SELECT recorded_at FROM audit_event").scalar_one()

    assert row.recorded_at == now
    assert row.recorded_at.tzinfo == UTC
    assert row.recorded_at.utcoffset() == timedelta(0)
    assert stored == "2026-03-01T01:30:15.123456Z"
    assert audit_log.verify().ok


def test_recorded_at_defaults_to_the_current_utc_instant(audit_log: AuditLog) -> None:
    before = datetime.now(UTC)
    audit_log.append("s1", 0, events("a", 1))
    after = datetime.now(UTC)

    [row] = audit_log.read_stream("s1")
    assert before <= row.recorded_at <= after


# --------------------------------------------------------------------------- migrations


def tables(engine: Engine) -> set[str]:
    return set(inspect(engine).get_table_names()) - {"alembic_version"}


# Every table a model declares (the store's modules are imported by the migration environment):
# the migrations must create exactly these, so a model without a migration (or the reverse) fails.
import store.migrations.env_models  # noqa: E402,F401

PROJECT_TABLES = set(SQLModel.metadata.tables)


@pytest.mark.postgres
def test_the_postgres_engine_lives_in_its_own_schema(postgres_backend: Backend) -> None:
    upgrade(postgres_backend.engine)

    with postgres_backend.engine.connect() as conn:
        assert conn.dialect.driver == "psycopg"
        assert conn.execute(text("SELECT current_schema()")).scalar_one() == postgres_backend.schema
        placed = conn.execute(
            text("SELECT DISTINCT table_schema FROM information_schema.tables WHERE table_name = 'audit_event'")
        ).scalars()
        assert postgres_backend.schema in set(placed)


def test_upgrade_creates_the_tables_and_the_append_only_triggers(backend: Backend) -> None:
    upgrade(backend.engine)

    assert tables(backend.engine) == PROJECT_TABLES
    with backend.engine.connect() as conn:
        assert append_only_triggers(conn) == expected_triggers(conn) != set()


def test_upgrade_twice_is_harmless(backend: Backend) -> None:
    upgrade(backend.engine)
    upgrade(backend.engine)

    with backend.engine.connect() as conn:
        assert append_only_triggers(conn) == expected_triggers(conn)


def test_downgrade_to_base_removes_everything_and_upgrade_again_works(backend: Backend) -> None:
    upgrade(backend.engine)
    AuditLog(backend.engine).append("s1", 0, events("a", 2))

    downgrade(backend.engine, "base")

    assert tables(backend.engine) == set()
    if backend.name == "postgres":
        with backend.engine.connect() as conn:
            leftover = conn.execute(
                text(
                    "SELECT proname FROM pg_proc WHERE proname = 'audit_event_append_only' "
                    "AND pronamespace = current_schema()::regnamespace"
                )
            ).all()
        assert leftover == []

    upgrade(backend.engine)

    assert tables(backend.engine) == PROJECT_TABLES
    with backend.engine.connect() as conn:
        assert append_only_triggers(conn) == expected_triggers(conn)
    log = AuditLog(backend.engine)
    assert log.append("s1", 0, events("b", 1)).positions == [1]
    assert log.verify().ok


def test_the_migrated_schema_matches_the_models(backend: Backend) -> None:
    upgrade(backend.engine)

    with backend.engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": True, "compare_server_default": True})
        differences = compare_metadata(context, SQLModel.metadata)

    assert differences == []


# --------------------------------------------------------------------------- projections

SUPERVISOR = Actor(id="sup-1", roles=[Role.SUPERVISOR])
SECRETARY = Actor(id="sec-1", roles=[Role.BRANCH_SECRETARY])
POLICY = Policy()


def open_case(org_code: str) -> OpenCase:
    return OpenCase(
        actor=SUPERVISOR,
        org_code=org_code,
        org_name="东风村党支部",
        region="河西镇",
        year=2026,
        basis=Basis(kind=BasisKind.RANKING, detail="2025年度综合考评倒排第3名", rank=3),
        problems=[
            ProblemInput(category="weak_leadership", description="班子不团结"),
            ProblemInput(category="collective_economy", description="集体经济空壳"),
        ],
        leaders=["lead-1", "lead-2"],
    )


def submit_plan() -> SubmitPlan:
    return SubmitPlan(
        actor=SECRETARY,
        measures=[
            MeasureInput(
                id="M1", description="调整班子分工", problems=["P1"], responsible="sec-1", deadline=date(2026, 5, 31)
            ),
            MeasureInput(
                id="M2", description="发展合作社", problems=["P2"], responsible="fs-1", deadline=date(2026, 6, 30)
            ),
        ],
        summary="整改方案",
    )


def record(log: AuditLog, state: CaseState, command: Command, at: datetime) -> CaseState:
    """Decide ``command`` and append its events to the case's stream, exactly as the workflow does."""
    produced = decide(state, command, Context(now=at, policy=POLICY))
    new_state = state
    for e in produced:
        new_state = evolve(new_state, e)
    stream = new_state.case_id
    batch = [
        NewEvent(
            event_id=f"{stream}:{state.version + i}",
            event_type=e.type,
            actor=e.actor,
            payload=EVENT_ADAPTER.dump_json(e).decode(),
            policy_version=e.policy_version,
        )
        for i, e in enumerate(produced, start=1)
    ]
    log.append(stream, state.version, batch, now=at)
    return new_state


def projection_rows(engine: Engine) -> dict[str, list[dict]]:
    with Session(engine) as session:
        return {
            table.__tablename__: sorted(
                (row.model_dump() for row in session.exec(select(table)).all()), key=lambda r: sorted(r.items())
            )
            for table in (CaseSummary, MeasureLedger, ProblemLedger)
        }


def test_appending_rectification_events_updates_the_projections(projected_log: AuditLog) -> None:
    opened_at, planned_at = T0, T0 + timedelta(days=3)
    state = record(projected_log, INITIAL_STATE, open_case("ORG-7"), opened_at)
    case_id = state.case_id

    with Session(projected_log.engine) as session:
        summary = session.get(CaseSummary, case_id)
        assert summary is not None
        assert (summary.stage, summary.plan_status, summary.measures_total, summary.version) == (
            "designated", "none", 0, 1
        )
        assert [(p.problem_id, p.category) for p in session.exec(select(ProblemLedger)).all()] == [
            ("P1", "weak_leadership"), ("P2", "collective_economy")
        ]

    state = record(projected_log, state, submit_plan(), planned_at)

    with Session(projected_log.engine) as session:
        summary = session.get(CaseSummary, case_id)
        assert summary is not None
        assert (summary.kind, summary.org_code, summary.region, summary.year) == ("rectification", "ORG-7", "河西镇", 2026)
        assert (summary.stage, summary.plan_status, summary.plan_round) == ("planning", "submitted", 1)
        assert (summary.measures_total, summary.measures_done, summary.overdue) == (2, 0, False)
        assert (summary.version, summary.position, summary.policy_version) == (2, 2, POLICY.version)
        assert summary.opened_at == opened_at
        assert summary.last_event_at == planned_at
        assert summary.next_due == state.next_deadline() == datetime(2026, 5, 31, 10, tzinfo=UTC)
        measures = session.exec(select(MeasureLedger).order_by(MeasureLedger.measure_id)).all()
        assert [(m.measure_id, m.responsible, m.problems, m.done, m.cycle) for m in measures] == [
            ("M1", "sec-1", "P1", False, 1), ("M2", "fs-1", "P2", False, 1)
        ]
        assert [m.deadline for m in measures] == [m.deadline for m in state.measures]


def test_a_failing_projection_rolls_the_append_back(projected_log: AuditLog) -> None:
    def refuse(session: Session, stream_id: str, rows: object) -> None:
        raise RuntimeError("projection failed")

    failing = AuditLog(projected_log.engine, [*PROJECTORS, refuse])

    with pytest.raises(RuntimeError, match="projection failed"):
        record(failing, INITIAL_STATE, open_case("ORG-7"), T0)

    assert count_rows(projected_log.engine) == 0
    assert projection_rows(projected_log.engine) == {"case_summary": [], "measure_ledger": [], "problem_ledger": []}


def test_rebuilding_the_projections_reproduces_identical_rows(projected_log: AuditLog) -> None:
    a = record(projected_log, INITIAL_STATE, open_case("ORG-A"), T0)
    record(projected_log, a, submit_plan(), T0 + timedelta(days=1))
    record(projected_log, INITIAL_STATE, open_case("ORG-B"), T0 + timedelta(days=2))
    projected_log.append("not-a-case", 0, events("x", 1))  # streams the projector does not own are skipped
    expected = projection_rows(projected_log.engine)
    assert [len(rows) for rows in expected.values()] == [2, 2, 4]

    assert projected_log.rebuild_projections(reset_projections) == 3
    assert projection_rows(projected_log.engine) == expected

    with Session(projected_log.engine) as session, session.begin():  # projections are not append-only
        session.exec(text("DELETE FROM measure_ledger"))
        session.exec(text("UPDATE case_summary SET stage = 'closed', measures_total = 99"))
        session.add(ProblemLedger(case_id="rect-ghost-2026", problem_id="P9", cycle=1, category="x", description="x"))

    projected_log.rebuild_projections(reset_projections)

    assert projection_rows(projected_log.engine) == expected


def test_a_rebuild_keeps_the_projection_of_a_stream_appended_while_it_runs(projected_log: AuditLog) -> None:
    """A worker appending during a rebuild waits for it, so its projection is not reset and lost."""
    record(projected_log, INITIAL_STATE, open_case("ORG-A"), T0)
    worker = AuditLog(make_engine(str(projected_log.engine.url.render_as_string(hide_password=False))), PROJECTORS)
    appended = threading.Event()

    def append_from_another_process() -> None:
        record(worker, INITIAL_STATE, open_case("ORG-B"), T0 + timedelta(hours=1))
        appended.set()

    def reset_while_a_worker_appends(session: Session) -> None:
        thread.start()
        # Without the rebuild holding the append lock, the worker would finish now and the
        # reset below would delete its fresh projection row.
        assert not appended.wait(0.5), "the concurrent append did not wait for the rebuild"
        reset_projections(session)

    thread = threading.Thread(target=append_from_another_process)
    projected_log.rebuild_projections(reset_while_a_worker_appends)
    thread.join(timeout=30)

    assert appended.is_set()
    with Session(projected_log.engine) as session:
        assert session.get(CaseSummary, "rect-ORG-A-2026") is not None
        assert session.get(CaseSummary, "rect-ORG-B-2026") is not None


def test_workers_migrating_a_fresh_database_at_once_all_succeed(backend: Backend) -> None:
    """Several workers start together on an empty database: one migrates, the others wait and find it done."""
    engines = [make_engine(backend.url) for _ in range(4)]
    barrier = threading.Barrier(len(engines))

    def migrate(engine: Engine) -> None:
        barrier.wait()
        upgrade(engine)

    with ThreadPoolExecutor(max_workers=len(engines)) as pool:
        for future in [pool.submit(migrate, engine) for engine in engines]:
            future.result(timeout=60)

    with backend.engine.connect() as connection:
        assert append_only_triggers(connection) == expected_triggers(connection)
    AuditLog(backend.engine).append("s1", 0, events("a", 1))
    for engine in engines:
        engine.dispose()
