"""Server render time of the console's pages over a county-sized audit database (10,000 cases).

    .venv/bin/python -m benchmarks.bench_web [--cases 10000] [--requests 20] [--events 20] [--index]

A temporary SQLite database gets, by bulk insert straight into the tables (seconds, not hours):
- ``--cases`` cases over 20 townships (two years, every stage) in ``case_summary``, ~4 measures each in
  ``measure_ledger`` (some done, some overdue, a few paused), a sanction proposal for ~1 % of them;
- an audit stream of ``--events`` rows per case (the event types a case of that stage has; payloads of a
  realistic size, the hash chain not kept: nothing here verifies it), so queries that read the log
  (event counts, "cases with a relief request") scan a log of realistic size;
- five cases written through the real decider and ``AuditLog`` with the projections (~40 events each: a
  plan, progress reports, reminders, escalations, a relief request): the ones the case page opens;
- a people directory (the audit stream and passwords, as tests/web/conftest.py seeds it).

Then the real application (api.create_app, web console included) answers in process through
httpx.ASGITransport, signed in through the login form, as a county supervisor (scope "*") and as a
township secretary (one township, ~500 cases): each page is requested twice to warm up, then
``--requests`` times. Prints median and p95 per page, the goal (200 ms) met or not, and as the last line
one JSON object of the medians in ms. ``--index`` adds a candidate index on
``audit_event (event_type, stream_id)`` first (an experiment: no migration makes it yet).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import re
import sqlite3
import statistics
import tempfile
import time
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx

TOWNSHIPS = (
    "城关镇", "青山镇", "白云镇", "河口镇", "石桥镇", "龙泉镇", "新安乡", "永丰乡", "太平镇", "长岭乡",
    "双河镇", "柳林镇", "清水乡", "红旗乡", "东坝镇", "西湖乡", "南山镇", "北岗乡", "金沙镇", "马鞍乡",
)  # fmt: skip
STAGES = (("designated", 5), ("planning", 10), ("implementing", 50), ("checking", 10), ("consolidating", 10), ("closed", 15))
PASSWORD = "correct horse battery"
BASE = "http://localhost:8470"
GOAL_MS = 200.0
OPENED = 5  # cases with a real stream (the case page folds it)
PAD = "召开支部委员会专题研究整改事项，逐项对照问题清单明确责任人和完成时限，形成会议纪要并存档备查。"


def _utc(moment: datetime) -> str:
    from store.db import format_utc

    return format_utc(moment)


# ----------------------------------------------------------------------------- the directory and real streams


def seed_directory(engine: Any) -> None:
    from domain.actors import Role
    from domain.decider import Proof
    from domain.people import DIRECTORY_ID, DirectoryOpened, PersonAdded, PersonInput
    from service import signin
    from store.eventlog import AuditLog, NewEvent
    from store.projections import PROJECTORS

    people = [
        PersonInput(id="admin", name="管理员", roles=[Role.ADMIN]),
        PersonInput(id="sup-1", name="督导员甲", roles=[Role.SUPERVISOR]),
        PersonInput(id="ts-1", name="镇党委书记", roles=[Role.TOWNSHIP_SECRETARY], scope=[TOWNSHIPS[0]]),
        PersonInput(id="bs-1", name="村支书", roles=[Role.BRANCH_SECRETARY], scope=["V00001"]),
    ]
    at, proof = datetime(2026, 1, 5, 1, 0, tzinfo=UTC), Proof(credential="jti-admin")
    events: list[Any] = [DirectoryOpened(at=at, actor="admin", proof=proof, admin=people[0])]
    events += [PersonAdded(at=at, actor="admin", proof=proof, person=p) for p in people[1:]]
    rows = [NewEvent(uuid.uuid4().hex, e.type, e.actor, e.model_dump_json()) for e in events]
    AuditLog(engine, PROJECTORS).append(DIRECTORY_ID, 0, rows)
    for person in people:
        signin.set_password(engine, person.id, PASSWORD)


def real_stream(org_code: str, region: str, now: datetime) -> list[Any]:
    """A case in implementation for four months, through the real decider: ~40 events."""
    from domain.actors import SYSTEM_ACTOR, Actor, Role
    from domain.decider import Context, Tick
    from domain.policy import Policy
    from domain.rectification import (
        INITIAL_STATE,
        ApprovePlan,
        Basis,
        BasisKind,
        CompleteMeasure,
        MeasureInput,
        OpenCase,
        ProblemInput,
        ReportProgress,
        RequestRelief,
        SubmitPlan,
        decide,
        evolve,
    )
    from domain.workcal import WorkCalendar

    policy, calendar = Policy(), WorkCalendar()
    sup = Actor(id="sup-1", name="督导员甲", roles=[Role.SUPERVISOR])
    town = Actor(id="ts-1", name="镇党委书记", roles=[Role.TOWNSHIP_SECRETARY], scope=[region])
    secretary = Actor(id="bs-1", name="村支书", roles=[Role.BRANCH_SECRETARY], scope=[org_code])
    start = now - timedelta(days=120)
    state, events = INITIAL_STATE, []

    def run(command: Any, at: datetime) -> None:
        nonlocal state
        for event in decide(state, command, Context(now=at, policy=policy, calendar=calendar)):
            state = evolve(state, event)
            events.append(event)

    categories = ("weak_leadership", "organization_life", "collective_economy", "weak_leadership")
    run(
        OpenCase(
            actor=sup, org_code=org_code, org_name=f"{org_code}村党支部", region=region, year=now.year,
            basis=Basis(kind=BasisKind.RANKING, detail="上年度综合考评倒排", rank=3),
            problems=[ProblemInput(category=c, description=f"问题{i + 1}：{PAD[:30]}") for i, c in enumerate(categories)],
            leaders=["cl-1"],
        ),
        start,
    )  # fmt: skip
    measures = [
        MeasureInput(
            id=f"M{i + 1}", description=f"措施{i + 1}：{PAD[:40]}", problems=[f"P{i + 1}"], responsible="bs-1",
            deadline=start + timedelta(days=d),
        )  # fmt: skip
        for i, d in enumerate((60, 90, 150, 200))
    ]
    run(SubmitPlan(actor=secretary, measures=measures, summary="一村一策：" + PAD), start + timedelta(days=1))
    run(ApprovePlan(actor=town, comments="同意"), start + timedelta(days=3))
    day = 5
    while len(events) < 38 and day < 118:
        at = start + timedelta(days=day)
        run(ReportProgress(actor=secretary, measure_id="M3", note=f"第{day}天进展：{PAD}", evidence=["会议纪要.pdf"]), at)
        if day == 50:
            run(CompleteMeasure(actor=secretary, measure_id="M1", note="已完成：" + PAD, evidence=["验收材料.pdf"]), at)
        run(Tick(actor=SYSTEM_ACTOR), at + timedelta(hours=10))
        day += 4
    while day < 118:
        run(Tick(actor=SYSTEM_ACTOR), start + timedelta(days=day))
        day += 4
    run(RequestRelief(actor=secretary, measure_ids=["M4"], reason="村两委换届，申请暂停计时"), now - timedelta(days=1))
    return events


def seed_real_cases(engine: Any, now: datetime, streams: list[int]) -> list[str]:
    from store.eventlog import AuditLog, NewEvent
    from store.projections import PROJECTORS

    log = AuditLog(engine, PROJECTORS)
    ids: list[str] = []
    for i in range(1, OPENED + 1):
        org = f"V{i:05d}"
        events = real_stream(org, TOWNSHIPS[0], now)
        case_id = f"rect-{org}-{now.year}"
        rows = [NewEvent(uuid.uuid4().hex, e.type, e.actor, e.model_dump_json(), getattr(e, "policy_version", None)) for e in events]
        log.append(case_id, 0, rows)
        ids.append(case_id)
        streams.append(len(rows))
    return ids


# ----------------------------------------------------------------------------- the bulk


def _stage(rng: random.Random) -> str:
    return rng.choices([s for s, _ in STAGES], weights=[w for _, w in STAGES])[0]


def _stream_types(stage: str, count: int, overdue: int, sanctioned: bool) -> list[str]:
    """The event types of a case at ``stage``, filled with progress reports and reminders to ``count``."""
    types = ["CaseOpened"]
    if stage != "designated":
        types += ["PlanSubmitted"]
    if stage not in ("designated", "planning"):
        types += ["PlanApproved"]
        types += ["MeasureOverdue", "EscalationRaised"] * overdue + (["SanctionProposed"] if sanctioned else [])
    checked = ["SelfCheckSubmitted", "AcceptanceRecorded", "ConsolidationStarted"]
    tail = {
        "checking": checked[:1],
        "consolidating": checked,
        "closed": checked + ["ConsolidationEnded", "FollowUpReviewed", "CaseClosed"],
    }.get(stage, [])
    if stage in ("implementing", "checking", "consolidating", "closed"):
        fill = ["ProgressReported", "ProgressReported", "ReminderSent", "MeasureCompleted"]
        while len(types) + len(tail) < count:
            types.append(fill[len(types) % len(fill)])
    return types + tail


def bulk(db_path: Path, cases: int, events_per_case: int, now: datetime, seed: int = 7) -> dict[str, int]:
    """Cases V{OPENED+1}… straight into the projections and the audit log (one transaction)."""
    rng = random.Random(seed)
    db = sqlite3.connect(db_path, isolation_level=None)
    db.execute("BEGIN IMMEDIATE")
    position = db.execute("SELECT COALESCE(MAX(position), 0) FROM audit_event").fetchone()[0]
    summaries, measures, sanctions, audit = [], [], [], []
    counts = {"cases": 0, "measures": 0, "sanctions": 0, "events": 0}
    for n in range(OPENED + 1, cases + 1):
        org, region = f"V{n:05d}", TOWNSHIPS[n % len(TOWNSHIPS)]
        year = now.year if rng.random() < 0.7 else now.year - 1
        case_id, stage = f"rect-{org}-{year}", _stage(rng)
        opened = now - timedelta(days=rng.randint(30, 400))
        plan_status = {"designated": "none", "planning": "submitted"}.get(stage, "approved")
        rows = []
        if stage != "designated":
            for m in range(1, rng.choice((3, 4, 4, 5)) + 1):
                deadline = now + timedelta(days=rng.randint(-120, 150), hours=rng.randint(0, 23))
                done = stage in ("checking", "consolidating", "closed") or (stage == "implementing" and rng.random() < 0.4)
                paused = stage == "implementing" and not done and rng.random() < 0.02
                overdue = not done and not paused and deadline <= now and stage == "implementing"
                escalations = "reminder_talk" if overdue and rng.random() < 0.5 else ""
                rows.append(
                    (case_id, f"M{m}", 1, f"措施{m}：{PAD[: rng.randint(20, 45)]}", f"P{m}", f"bs-{org}", _utc(deadline), done, overdue,
                     rng.randint(0, 6), "7d,1d" if deadline <= now else "", escalations, f"bs-{org}" if done else None,
                     None, None, paused, _utc(now - timedelta(days=3)) if paused else None, 0, 0, 0)
                )  # fmt: skip
        measures += rows
        open_rows = [r for r in rows if not r[7]]
        overdue_n = sum(1 for r in rows if r[8])
        sanctioned = stage == "implementing" and overdue_n > 0 and rng.random() < 0.08
        if sanctioned:
            pending = rng.random() < 0.5
            sanctions.append(
                (case_id, "S1", open_rows[0][1] if open_rows else None, "admonishment_talk", "ladder", "pending" if pending else "approved",
                 "逾期20wd", _utc(now - timedelta(days=5)), _utc(now + timedelta(days=5)), None if pending else "sup-1",
                 None if pending else _utc(now - timedelta(days=1)), None)
            )  # fmt: skip
        next_due = min((r[6] for r in open_rows), default=None)
        closed_at = _utc(opened + timedelta(days=300)) if stage == "closed" else None
        summaries.append(
            (case_id, "rectification", org, f"{org}村党支部", region, year, stage, 1, plan_status, 1 if plan_status != "none" else 0,
             1 if rng.random() < 0.1 else 0, len(rows), sum(1 for r in rows if r[7]), overdue_n, sum(1 for r in rows if r[11]),
             overdue_n > 0, next_due, None, "upgraded" if stage == "closed" else None, _utc(opened), closed_at,
             _utc(now - timedelta(days=rng.randint(0, 30))), events_per_case, 0, None,
             sum(1 for r in rows if r[15]), False, 0, 1 if sanctioned and sanctions[-1][5] == "pending" else 0)
        )  # fmt: skip
        for version, kind in enumerate(_stream_types(stage, events_per_case, overdue_n, sanctioned), start=1):
            position += 1
            at, actor = _utc(opened + timedelta(days=version)), f"bs-{org}"
            payload = json.dumps({"type": kind, "at": at, "actor": actor, "note": PAD}, ensure_ascii=False)
            audit.append((position, uuid.uuid4().hex, case_id, version, kind, actor, None, at, payload, "0" * 64, "0" * 64))
    for table, columns, values in (
        ("case_summary", SUMMARY_COLUMNS, summaries),
        ("measure_ledger", MEASURE_COLUMNS, measures),
        ("sanction_ledger", SANCTION_COLUMNS, sanctions),
        ("audit_event", AUDIT_COLUMNS, audit),
    ):
        db.executemany(f"INSERT INTO {table} ({columns}) VALUES ({', '.join('?' * len(columns.split(',')))})", values)
    db.execute("COMMIT")
    db.execute("ANALYZE")
    db.close()
    counts.update(cases=len(summaries), measures=len(measures), sanctions=len(sanctions), events=len(audit))
    return counts


SUMMARY_COLUMNS = (
    "case_id, kind, org_code, org_name, region, year, stage, cycle, plan_status, plan_round, plan_returns, measures_total, "
    "measures_done, overdue_measures, escalations, overdue, next_due, consolidation_until, outcome, opened_at, closed_at, "
    "last_event_at, version, position, policy_version, paused_measures, case_paused, extensions, sanctions_pending"
)
MEASURE_COLUMNS = (
    "case_id, measure_id, cycle, description, problems, responsible, deadline, done, overdue, progress_reports, reminders, "
    "escalations, completed_by, budget, original_deadline, paused, paused_since, paused_working_days, extensions, proposals_pending"
)
SANCTION_COLUMNS = "case_id, proposal_id, measure_id, rung, source, status, reason, proposed_at, decide_by, decided_by, decided_at, comment"
AUDIT_COLUMNS = "position, event_id, stream_id, version, event_type, actor, policy_version, recorded_at, payload, prev_hash, hash"


# ----------------------------------------------------------------------------- timing


async def signed_in(app: Any, person_id: str) -> httpx.AsyncClient:
    http = httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url=BASE, follow_redirects=False)
    page = await http.get("/login")
    token = re.search(r'name="login_csrf" value="([^"]+)"', page.text)
    assert token, page.text[:300]
    answer = await http.post("/login", data={"id": person_id, "password": PASSWORD, "login_csrf": token.group(1), "next": "/tasks"})
    assert answer.status_code == 303, answer.text[:300]
    return http


async def timed(http: httpx.AsyncClient, path: str, requests: int, warmup: int = 2) -> list[float]:
    samples = []
    for i in range(warmup + requests):
        started = time.perf_counter()
        answer = await http.get(path)
        elapsed = time.perf_counter() - started
        assert answer.status_code == 200, f"{path}: {answer.status_code} {answer.text[:300]}"
        if i >= warmup:
            samples.append(elapsed * 1000)
    return samples


def p95(samples: list[float]) -> float:
    return statistics.quantiles(samples, n=20)[-1] if len(samples) > 1 else samples[0]


def pages(case_id: str) -> Iterator[tuple[str, str, int]]:
    """(label, path, requests divisor): the downloads are timed too, with fewer requests (they are files)."""
    yield "/tasks", "/tasks", 1
    yield "/cases", "/cases", 1
    yield "/cases?page=100", "/cases?page=100", 1
    yield "/cases/{id}", f"/cases/{case_id}", 1
    yield "/dashboard", "/dashboard", 1
    yield "measures.csv", "/dashboard/ledgers/measures.csv", 4


async def run(args: argparse.Namespace) -> None:
    with tempfile.TemporaryDirectory(prefix="pdca-bench-web-") as tmp:
        home = Path(tmp)
        db_path = home / "audit.db"
        os.environ.update(
            PDCA_HOME=str(home), PDCA_DATABASE_URL=f"sqlite:///{db_path}", PDCA_AUTHORITY_DIR=str(home / "authority"),
            PDCA_CREDENTIALS_DIR=str(home / "credentials"), PDCA_EVIDENCE_DIR=str(home / "evidence"),
        )  # fmt: skip
        for name in ("PDCA_POLICY", "PDCA_PUBLIC_URL", "PDCA_API_PORT"):
            os.environ.pop(name, None)
        from api import create_app
        from settings import get_settings
        from store.db import make_engine
        from store.keys import KeyStore
        from store.migrate import upgrade

        settings = get_settings()
        KeyStore(settings.authority_path).ensure("ed25519")
        engine = make_engine(settings.audit_database_url)
        upgrade(engine)
        now = datetime.now(UTC)
        started = time.perf_counter()
        seed_directory(engine)
        streams: list[int] = []
        opened = seed_real_cases(engine, now, streams)
        counts = bulk(db_path, args.cases, args.events, now)
        if args.index:
            with sqlite3.connect(db_path) as db:
                db.execute("CREATE INDEX IF NOT EXISTS ix_bench_audit_event_type_stream ON audit_event (event_type, stream_id)")
                db.execute("ANALYZE")
        seeded = time.perf_counter() - started
        total_cases = counts["cases"] + len(opened)
        index = "; candidate index on audit_event (event_type, stream_id)" if args.index else ""
        print(
            f"seeded in {seeded:.1f}s: {total_cases} cases, {counts['measures']} measures, {counts['sanctions']} sanction proposals, "
            f"{counts['events']} audit events (+{len(opened)} real streams of {min(streams)}-{max(streams)} events); "
            f"database {db_path.stat().st_size / 1e6:.0f} MB{index}"
        )
        app = create_app(settings)
        if not any(getattr(route, "path", "") == "/dashboard" for route in app.routes):  # until web.pages.install includes it
            from web import dashboard

            app.include_router(dashboard.router)
        medians: dict[str, float] = {}
        print(f"\n{'who':<24} {'page':<18} {'median ms':>10} {'p95 ms':>9}  goal {GOAL_MS:.0f} ms")
        for person, label in (("sup-1", "county supervisor (*)"), ("ts-1", "township secretary")):
            http = await signed_in(app, person)
            try:
                for name, path, fewer in pages(opened[0]):
                    samples = await timed(http, path, max(args.requests // fewer, 3))
                    median = statistics.median(samples)
                    medians[f"{person} {name}"] = round(median, 1)
                    verdict = "ok" if median <= GOAL_MS else "MISSED"
                    if name == "measures.csv":
                        verdict = "(a file: no goal)"
                    print(f"{label:<24} {name:<18} {median:>10.1f} {p95(samples):>9.1f}  {verdict}")
            finally:
                await http.aclose()
        engine.dispose()
        print(json.dumps(medians, ensure_ascii=False))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--cases", type=int, default=10_000)
    parser.add_argument("--requests", type=int, default=20)
    parser.add_argument("--events", type=int, default=20, help="audit events per bulk case (default 20)")
    parser.add_argument("--index", action="store_true", help="add a candidate index on audit_event (event_type, stream_id) first")
    asyncio.run(run(parser.parse_args()))


if __name__ == "__main__":
    main()
