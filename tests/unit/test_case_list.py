"""`pdca case list`, a page at a time (issue 12): filters (year, stage, region, org, overdue), the total, a
stable order (by case id), the scope rule — on a real SQLite audit database whose ledger rows come from
real events (the rectification decider) appended through the audit log with its projectors; through the
service function and through the CLI.

And the lazy CLI: `pdca --help` lists the commands from cli/main.py's tables without importing them
(their help must stay each command's own), and a read does not import Temporal's client.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import typer
import typer.main
from typer.testing import CliRunner

from cli import main as cli_main
from cli.main import app
from domain.actors import Actor, Role
from service import case_reads, cases, paging
from service.bootstrap import bootstrap
from service.errors import InvalidField
from store.db import make_engine
from store.eventlog import AuditLog, NewEvent
from store.migrate import upgrade
from store.projections import PROJECTORS
from tests.unit import builders

ROOT = Path(__file__).resolve().parents[2]

# (org, region, year, how far it goes): 10 cases
CASES = [
    *[(f"V00{i}", "青山镇", 2026, "opened") for i in range(1, 6)],
    ("V006", "城关镇", 2026, "implementing"),
    ("V007", "城关镇", 2026, "implementing"),
    ("V008", "城关镇", 2026, "overdue"),
    ("V009", "青山镇", 2025, "overdue"),
    ("V010", "城关镇", 2025, "opened"),
]
ALL = sorted(f"rect-{org}-{year}" for org, _, year, _ in CASES)


def _events(org: str, region: str, year: int, step: str) -> list[Any]:
    case = builders.Case(policy=builders.classic_policy())
    t0 = builders.T0
    case.run(builders.open_case(org_code=org, region=region, year=year), t0)
    if step in ("implementing", "overdue"):
        case.run(builders.plan(builders.branch_secretary(scope=[org])), t0 + timedelta(days=1))
        case.run(builders.approve(builders.township_secretary(scope=[region])), t0 + timedelta(days=2))
    if step == "overdue":
        case.tick(datetime(2026, 7, 2, 2, 0, tzinfo=UTC))  # past the plan's deadline (2026-06-30)
    return case.events


@pytest.fixture
def env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    """PDCA_HOME with a migrated audit database holding the ten cases; returns its URL."""
    for name in ("PDCA_DATABASE_URL", "PDCA_ACTOR", "PDCA_LANG", "TEMPORAL_PROFILE", "TEMPORAL_CONFIG_FILE", "TEMPORAL_API_KEY"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("PDCA_HOME", str(tmp_path / "home"))
    (tmp_path / "home").mkdir()
    url = f"sqlite:///{tmp_path / 'home' / 'audit.db'}"
    engine = make_engine(url)
    seed(engine)
    engine.dispose()
    return url


def seed(engine: Any) -> None:
    """Migrate the database and append the ten cases' events through the audit log with every projector."""
    upgrade(engine)
    log = AuditLog(engine, PROJECTORS)
    for org, region, year, step in CASES:
        events = _events(org, region, year, step)
        log.append(
            f"rect-{org}-{year}",
            0,
            [NewEvent(event_id=uuid.uuid4().hex, event_type=e.type, actor=e.actor, payload=e.model_dump_json()) for e in events],
        )


def ids(rows: Any) -> list[str]:
    return [r.case_id if hasattr(r, "case_id") else r["case_id"] for r in rows]


# ----------------------------------------------------------------------------- the service


def test_pages_in_case_id_order_with_the_total(env: str) -> None:
    deps = bootstrap(database_url=env)
    seen: list[str] = []
    for page in (1, 2, 3, 4):
        found = case_reads.list_page(deps, page=page, page_size=3)
        assert (found.total, found.pages, found.page, found.page_size) == (10, 4, page, 3)
        assert len(found.rows) == (3 if page < 4 else 1)
        seen += ids(found.rows)
    assert seen == ALL  # every case once, in a stable order
    past = case_reads.list_page(deps, page=5, page_size=3)
    assert past.rows == [] and past.total == 10 and past.pages == 4
    every = case_reads.list_page(deps, page_size=None)
    assert ids(every.rows) == ALL and (every.total, every.pages, every.page) == (10, 1, 1)
    assert cases.list_page is case_reads.list_page  # service/cases.py re-exports the reads


def test_filters_narrow_the_rows_and_the_total(env: str) -> None:
    deps = bootstrap(database_url=env)

    def listed(**filters: Any) -> tuple[list[str], int]:
        found = case_reads.list_page(deps, page_size=2, **filters)
        return ids(found.rows), found.total

    assert listed(year=2025) == (["rect-V009-2025", "rect-V010-2025"], 2)
    assert listed(region="城关镇") == (["rect-V006-2026", "rect-V007-2026"], 4)
    assert listed(region="城关镇", year=2026) == (["rect-V006-2026", "rect-V007-2026"], 3)
    assert listed(overdue=True) == (["rect-V008-2026", "rect-V009-2025"], 2)
    assert listed(overdue=False, year=2025) == (["rect-V010-2025"], 1)
    assert listed(stage="implementing", overdue=False) == (["rect-V006-2026", "rect-V007-2026"], 2)
    assert listed(stage="implementing")[1] == 4
    assert listed(org_code="V003") == (["rect-V003-2026"], 1)
    assert listed(region="nowhere") == ([], 0)
    # the same rows as the whole list, filtered (list_cases)
    assert ids(case_reads.list_page(deps, page_size=None, region="青山镇").rows) == ids(cases.list_cases(deps, region="青山镇"))


def test_scope_keeps_what_a_person_may_see(env: str) -> None:
    deps = bootstrap(database_url=env)
    township = Actor(id="ts-2", roles=[Role.TOWNSHIP_SECRETARY], scope=["城关镇"])
    assert case_reads.list_page(deps, page_size=None, visible_to=township).total == 4
    # bs-1 is responsible for M1 of every planned case (builders.plan): they see those, and their own village's
    branch = Actor(id="bs-1", roles=[Role.BRANCH_SECRETARY], scope=["V002"])
    found = case_reads.list_page(deps, page_size=None, visible_to=branch)
    expected = ["rect-V002-2026", "rect-V006-2026", "rect-V007-2026", "rect-V008-2026", "rect-V009-2025"]
    assert ids(found.rows) == expected and found.total == 5
    assert ids(found.rows) == ids(cases.list_cases(deps, visible_to=branch))  # the rule list_cases applies in Python
    county = Actor(id="sup-9", roles=[Role.SUPERVISOR], scope=["*"])
    assert case_reads.list_page(deps, visible_to=county).total == 10


def test_pages_and_sizes_out_of_range_are_refused(env: str) -> None:
    deps = bootstrap(database_url=env)
    for kwargs in ({"page": 0}, {"page_size": 0}, {"page_size": paging.MAX_PAGE_SIZE + 1}):
        with pytest.raises(InvalidField):
            case_reads.list_page(deps, **kwargs)


# ----------------------------------------------------------------------------- the CLI


def invoke(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(app, list(args))
    return result.exit_code, result.stdout, result.stderr


def test_cli_json_has_the_rows_and_the_total(env: str) -> None:
    code, out, _ = invoke("case", "list", "--page-size", "4", "--page", "2", "--json")
    assert code == 0
    data = json.loads(out)
    assert (data["total"], data["page"], data["pages"], data["page_size"]) == (10, 2, 3, 4)
    assert ids(data["rows"]) == ALL[4:8]
    code, out, _ = invoke("case", "list", "--year", "2025", "--overdue", "--json")
    assert code == 0 and ids(json.loads(out)["rows"]) == ["rect-V009-2025"] and json.loads(out)["total"] == 1
    code, out, _ = invoke("case", "list", "--all", "--region", "城关镇", "-o", "json")
    data = json.loads(out)
    assert code == 0 and data["total"] == 4 and len(data["rows"]) == 4 and data["page_size"] is None


def test_cli_table_ends_with_the_total_and_the_page(env: str) -> None:
    code, out, _ = invoke("case", "list", "--page-size", "3", "--page", "2", "--lang", "en")
    assert code == 0
    assert out.rstrip().splitlines()[-1] == "10 case(s), page 2/4"
    assert [case_id for case_id in ALL if case_id in out] == ALL[3:6]  # whole ids, not cut (not a terminal)
    code, out, _ = invoke("case", "list", "--stage", "implementing", "--page-size", "3")
    assert code == 0 and out.rstrip().splitlines()[-1] == "共 4 件，第 1/2 页"
    code, out, _ = invoke("case", "list", "--all", "--lang", "en")
    assert code == 0 and out.rstrip().splitlines()[-1] == "10 case(s)" and all(case_id in out for case_id in ALL)
    # a page past the last is empty and says which page is the last
    code, out, _ = invoke("case", "list", "--page", "9", "--page-size", "4")
    assert code == 0 and out.rstrip().splitlines()[-1] == "共 10 件，第 9/3 页（没有第 9 页，最后一页是第 3 页）"


def test_cli_refuses_a_page_out_of_range(env: str) -> None:
    for args in (("--page", "0"), ("--page-size", "0"), ("--page-size", "1001"), ("--year", "soon"), ("--year", "1999")):
        code, _, err = invoke("case", "list", *args)
        assert code == 2, (args, err)
    code, _, err = invoke("case", "list", "--all", "--page", "2")  # --all is one page: a page number is a mistake
    assert code != 0 and "--all" in err, err


def test_case_ids_stay_whole_in_a_narrow_pipe(env: str) -> None:
    run_env = {**os.environ, "COLUMNS": "40"}
    line = [sys.executable, "-m", "cli.main", "case", "list", "--lang", "en"]
    done = subprocess.run(line, capture_output=True, text=True, env=run_env, cwd=ROOT, timeout=120)
    assert done.returncode == 0, done.stderr
    assert all(case_id in done.stdout for case_id in ALL)


# ----------------------------------------------------------------------------- the lazy root


def _eager() -> typer.Typer:
    """The root as cli/main.py built it before it was lazy: every noun and command registered up front."""
    import importlib

    eager = typer.Typer(
        help=cli_main.HELP,
        no_args_is_help=True,
        add_completion=False,
        rich_markup_mode=None,
        cls=cli_main.GlobalFirst,
        callback=cli_main.root,
    )
    for name, target, _ in cli_main.COMMANDS:
        module, _, attribute = target.partition(":")
        eager.command(name)(getattr(importlib.import_module(module), attribute))
    for name, target, _ in cli_main.NOUNS:
        module, _, attribute = target.partition(":")
        eager.add_typer(getattr(importlib.import_module(module), attribute), name=name)
    return eager


def test_the_lazy_root_helps_and_answers_as_the_eager_one() -> None:
    eager = _eager()
    runner = CliRunner()
    for args in (["--help"], [], ["cse"], ["nosuch"], ["case", "--help"], ["up", "--help"], ["key", "--help"], ["case", "show"]):
        lazy_result, eager_result = runner.invoke(app, args), runner.invoke(eager, args)
        assert (lazy_result.exit_code, lazy_result.output) == (eager_result.exit_code, eager_result.output), args
    # each table entry's help is the command's own first paragraph
    root = typer.main.get_command(eager)
    for name, _, summary in [*cli_main.COMMANDS, *cli_main.NOUNS]:
        command = root.get_command(None, name)  # type: ignore[attr-defined]
        assert (command.help or "").split("\n\n")[0] == summary, name
    assert root.list_commands(None) == [name for name, _, _ in [*cli_main.COMMANDS, *cli_main.NOUNS]]  # type: ignore[attr-defined]


_MODULES = """
import sys
from cli.main import app
try:
    app(sys.argv[1:], prog_name="pdca", standalone_mode=False)
except BaseException:
    pass
heavy = ("sqlalchemy", "sqlmodel", "temporalio", "rich", "pydantic", "domain", "store", "workflows", "activities", "settings")
print("MODULES:", *sorted({name.split(".")[0] for name in sys.modules if name.split(".")[0] in heavy}))
"""


def _imported(*args: str) -> set[str]:
    done = subprocess.run([sys.executable, "-c", _MODULES, *args], capture_output=True, text=True, cwd=ROOT, timeout=120)
    assert done.returncode == 0, done.stderr
    return set(done.stdout.splitlines()[-1].split()[1:])


def test_help_imports_none_of_the_project(env: str) -> None:
    assert _imported("--help") == set()
    assert "temporalio" not in _imported("case", "show", "rect-V001-2026")  # a read: the audit database only
    assert "temporalio" not in _imported("case", "list")
