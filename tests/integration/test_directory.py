"""The organization directory: migration, atomic CSV/XLSX import with line+field errors, history, CLI."""

from __future__ import annotations

import csv
import json
import subprocess
import sys
from pathlib import Path

import pytest
from openpyxl import Workbook
from sqlalchemy import inspect
from sqlalchemy.engine import Engine
from typer.testing import CliRunner

from cli.main import app
from domain.designation import ReasonCode, designate
from domain.directory import AcceptanceResult, Level, OrgDomain
from domain.memory import Moment, RuleName, evaluate_memory
from domain.policy import Policy
from store.db import make_engine
from store.directory import Directory
from store.directory_import import ImportFailed, parse_file
from store.migrate import downgrade, upgrade

ROOT = Path(__file__).resolve().parents[2]
SAMPLE = ROOT / "examples" / "orgs.csv"

HEADER_ZH = [
    "编码",
    "名称",
    "层级",
    "领域",
    "上级",
    "乡镇",
    "书记",
    "书记缺职起始",
    "包联领导",
    "部门标记",
    "年度",
    "考核得分",
    "排名",
    "星级",
    "类别",
]
GOOD = [
    ["T1", "城关镇党委", "党委", "机关", "", "城关镇", "赵书记", "", "li.county", "", "", "", "", "", ""],
    ["V001", "东村党支部", "党支部", "农村", "T1", "城关镇", "陈书记", "", "li.county", "", "2025", "81.5", "2", "3", "二类"],
    ["V001", "东村党支部", "党支部", "农村", "T1", "城关镇", "陈书记", "", "li.county", "", "2026", "71", "3", "2", "三类"],
    ["V002", "西村党总支", "党总支", "village", "T1", "城关镇", "", "2026-01-05", "", "信访突出、安全生产", "2026", "88", "1", "4", "一类"],
]
# every kind of bad row the issue names, plus a good row between them
BAD = [
    ["V010", "甲村党支部", "支委会", "农村", "T1", "城关镇", "", "", "", "", "2026", "80", "4", "3", "二类"],  # line 2: level
    ["V011", "乙村党支部", "党支部", "农村", "T1", "城关镇", "", "", "", "", "2026", "80", "5", "7", "二类"],  # line 3: star 7
    ["", "丙村党支部", "党支部", "农村", "T1", "城关镇", "", "", "", "", "2026", "80", "6", "3", "二类"],  # line 4: code
    ["V013", "丁村党支部", "党支部", "农村", "T1", "城关镇", "", "", "", "", "2026", "80", "7", "3", "二类"],  # line 5: fine
    ["V013", "丁村党支部", "党支部", "农村", "T1", "城关镇", "", "", "", "", "2026", "79", "8", "3", "二类"],  # line 6: duplicate
    ["V014", "戊村党支部", "党支部", "农村", "T1", "城关镇", "", "2026-02-30", "", "", "2026", "80", "9", "3", "二类"],  # line 7: date
]
EXPECTED_BAD = [(2, "level"), (3, "star"), (4, "code"), (6, "code"), (7, "secretary_vacant_since")]


def write_csv(path: Path, rows: list[list[str]], header: list[str] = HEADER_ZH) -> Path:
    with path.open("w", encoding="utf-8", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(header)
        writer.writerows(rows)
    return path


def write_xlsx(path: Path, rows: list[list[str]], header: list[str] = HEADER_ZH) -> Path:
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(header)
    for row in rows:
        # numbers as numbers, as a spreadsheet would hold them
        sheet.append([int(c) if c.isdigit() else c for c in row])
    workbook.save(path)
    return path


@pytest.fixture
def directory(migrated_engine: Engine) -> Directory:
    return Directory(migrated_engine)


def test_migration_creates_the_tables_and_downgrades(backend) -> None:  # type: ignore[no-untyped-def]
    upgrade(backend.engine)
    tables = set(inspect(backend.engine).get_table_names())
    assert {"organization", "assessment"} <= tables
    columns = {c["name"] for c in inspect(backend.engine).get_columns("assessment")}
    assert {"org_code", "year", "score", "rank", "star", "org_class", "person", "designated", "acceptance",
            "failed_acceptances", "project_rating"} <= columns
    downgrade(backend.engine, "0001")
    assert not {"organization", "assessment"} & set(inspect(backend.engine).get_table_names())


@pytest.mark.parametrize("writer", [write_csv, write_xlsx], ids=["csv", "xlsx"])
def test_bad_rows_are_all_reported_and_nothing_is_imported(directory: Directory, tmp_path: Path, writer) -> None:  # type: ignore[no-untyped-def]
    directory.import_records(parse_file(write_csv(tmp_path / "base.csv", GOOD[:1])))
    path = writer(tmp_path / f"bad.{'csv' if writer is write_csv else 'xlsx'}", BAD)
    with pytest.raises(ImportFailed) as failed:
        parse_file(path, [o.code for o in directory.organizations()])
    assert [(e.line, e.field) for e in failed.value.errors] == EXPECTED_BAD
    messages = {e.field: e.message for e in failed.value.errors}
    assert "7 is not a star rating" in messages["star"]
    assert "党支部/branch" in messages["level"]
    assert "already on line 5" in failed.value.errors[3].message
    assert directory.count() == 1 and directory.assessments() == []


def test_import_csv_and_xlsx_with_chinese_or_english_headers(directory: Directory, tmp_path: Path) -> None:
    summary = directory.import_records(parse_file(write_csv(tmp_path / "orgs.csv", GOOD)))
    assert (summary.organizations, summary.created, summary.assessments, summary.years) == (3, 3, 3, [2025, 2026])
    v2 = directory.organization("V002")
    assert v2 is not None and v2.level == Level.GENERAL_BRANCH and v2.domain == OrgDomain.VILLAGE
    assert v2.flags == ["信访突出", "安全生产"] and str(v2.secretary_vacant_since) == "2026-01-05"
    english = ["code", "name", "level", "domain", "parent", "region", "secretary", "secretary_vacant_since", "leader",
               "flags", "year", "score", "rank", "star", "class"]
    rows = [[*GOOD[2][:11], "72.5", "3", "3", "second"]]
    summary = directory.import_records(parse_file(write_xlsx(tmp_path / "update.xlsx", rows, english), ["T1"]))
    assert (summary.created, summary.updated) == (0, 1)
    [a] = directory.assessments(year=2026, org_code="V001")
    assert (a.score, a.star, a.org_class.value) == (72.5, 3, "second")


def test_unknown_columns_and_parents_are_refused(tmp_path: Path) -> None:
    with pytest.raises(ImportFailed) as failed:
        parse_file(write_csv(tmp_path / "x.csv", [], ["编码", "名称", "层级", "领域", "乡镇", "备注"]))
    assert [(e.line, e.field) for e in failed.value.errors] == [(1, "备注")]
    with pytest.raises(ImportFailed) as failed:
        parse_file(write_csv(tmp_path / "y.csv", [GOOD[1]]))
    assert [(e.line, e.field) for e in failed.value.errors] == [(2, "parent")]


def test_record_outcome_feeds_next_years_rules(directory: Directory, tmp_path: Path) -> None:
    directory.import_records(parse_file(write_csv(tmp_path / "orgs.csv", GOOD)))
    directory.record_outcome("V001", 2025, designated=True, acceptance="failed")
    record = directory.record_outcome("V001", 2026, designated=True)
    assert record.designated and record.rank_of == 2 and record.person == "陈书记"
    history = directory.history(org_code="V001")
    assert [(h.year, h.designated, h.acceptance, h.failed_acceptances) for h in history] == [
        (2025, True, AcceptanceResult.FAILED, 1), (2026, True, None, 0)]
    found = evaluate_memory("V001", history, 2026, Moment.ACCEPTANCE, Policy().memory, current_acceptance="failed", person="陈书记")
    assert [f.rule for f in found] == [RuleName.FAILED_ACCEPTANCE]
    # re-importing the assessment file keeps what the campaign recorded
    directory.import_records(parse_file(write_csv(tmp_path / "orgs.csv", GOOD)))
    assert directory.history(org_code="V001")[0].acceptance == AcceptanceResult.FAILED
    with pytest.raises(KeyError):
        directory.record_outcome("NOPE", 2026, designated=True)


def test_sample_county_triggers_every_rule_and_criterion(directory: Directory) -> None:
    summary = directory.import_records(parse_file(SAMPLE))
    assert summary.organizations >= 280 and summary.years == [2024, 2025, 2026]
    assert {o.level for o in directory.organizations()} == set(Level)
    assert {o.domain for o in directory.organizations()} == set(OrgDomain)
    policy = Policy()
    result = designate(*directory.designation_inputs(2026), 2026, policy.designation, policy.memory)
    by_code = {d.org_code: d for d in result.designees}
    fired = {f.rule for d in result.designees for f in d.memory} | {f.rule for o in result.other_findings for f in o.findings}
    assert fired == set(RuleName)
    assert RuleName.DESIGNATED_REPEATEDLY in {f.rule for f in by_code["V3007"].memory}
    assert RuleName.FAILED_ACCEPTANCE in {f.rule for f in by_code["V4005"].memory}
    assert RuleName.LAST_PLACE in {f.rule for f in by_code["V2011"].memory}
    assert "C5003" in {o.org_code for o in result.other_findings}
    reasons = {r.code for d in result.designees for r in d.reasons}
    assert {ReasonCode.RANKING, ReasonCode.STAR_BELOW, ReasonCode.SECRETARY_VACANT, ReasonCode.FLAGGED} <= reasons
    assert "V1012" in by_code and "V2020" not in by_code  # vacant 305 days vs 107 days
    assert "N5002" in by_code and "N1001" not in by_code  # equal scores: the worse imported rank goes first


def test_generator_is_deterministic_and_committed() -> None:
    done = subprocess.run(
        [sys.executable, str(ROOT / "examples" / "generate_orgs.py"), "--check"], check=False, capture_output=True, text=True, cwd=ROOT
    )
    assert done.returncode == 0, done.stdout + done.stderr


# --------------------------------------------------------------------------- CLI


@pytest.fixture
def cli_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    url = f"sqlite:///{tmp_path / 'audit.db'}"
    monkeypatch.setenv("PDCA_DATABASE_URL", url)
    monkeypatch.setenv("PDCA_HOME", str(tmp_path))
    monkeypatch.delenv("PDCA_POLICY", raising=False)
    monkeypatch.delenv("PDCA_LANG", raising=False)
    return {"url": url}


def invoke(*args: str):  # type: ignore[no-untyped-def]
    return CliRunner().invoke(app, list(args))


def seed(url: str, path: Path) -> None:
    """What an accepted `pdca org import` writes (the audited import itself runs against a real stack in
    tests/e2e: it is a command of a signed-in supervisor or administrator)."""
    engine = make_engine(url)
    upgrade(engine)
    directory = Directory(engine)
    directory.import_records(parse_file(path, [o.code for o in directory.organizations()]))


def test_cli_import_list_show_preview(cli_env: dict[str, str], tmp_path: Path) -> None:
    before = invoke("campaign", "preview", "--year", "2026")
    assert before.exit_code == 1 and "not ready" in before.stderr
    unsigned = invoke("org", "import", str(SAMPLE))  # an import is an audited command: who imports is proven
    assert unsigned.exit_code == 1 and "pdca login" in unsigned.stderr, unsigned.output
    assert invoke("org", "list", "--json").stdout.strip() in ("[]", "")
    seed(cli_env["url"], SAMPLE)
    listing = invoke("org", "list", "--region", "柳林乡", "--domain", "农村", "--json")
    rows = json.loads(listing.stdout)
    assert rows and all(r["region"] == "柳林乡" and r["domain"] == "village" for r in rows)
    assert rows[0]["assessment"]["year"] == 2026
    assert invoke("org", "list", "--domain", "farm").exit_code == 2
    shown = invoke("org", "show", "V4005")
    assert shown.exit_code == 0 and "三年内两次整顿验收不合格" in shown.stdout and "验收不合格" in shown.stdout
    shown_en = invoke("org", "show", "V4005", "--lang", "en", "--json")
    found = [f["rule"] for f in json.loads(shown_en.stdout)["memory"]["findings"]]
    assert found == ["designated_repeatedly", "failed_acceptance"]  # were it designated again in 2026
    missing = invoke("org", "show", "NOPE")
    assert missing.exit_code == 1 and "unknown organization NOPE" in missing.stderr

    preview = invoke("campaign", "preview", "--year", "2026")
    assert preview.exit_code == 0, preview.output
    assert "170×10%=17 → 17（向上取整）" in preview.stdout
    assert "【书记长期缺职】书记缺职305天" in preview.stdout
    assert "连续两年被认定为软弱涣散党组织（2025、2026）→ 建议诫勉谈话" in preview.stdout
    english = invoke("campaign", "preview", "--year", "2026", "--region", "柳林乡", "--lang", "en")
    assert "bottom 2 of 170" in english.stdout and "designated weak and lax 2 years running" in english.stdout
    data = json.loads(invoke("campaign", "preview", "--year", "2026", "--json").stdout)
    assert data["policy_version"] == "default-2026.1" and len(data["designees"]) >= 25
    assert invoke("campaign", "preview", "--year", "2030").stderr.count("no assessments for 2030") == 1
    assert "unknown region" in invoke("campaign", "preview", "--year", "2026", "--region", "火星").stderr


def test_cli_import_reports_every_bad_row(cli_env: dict[str, str], tmp_path: Path) -> None:
    seed(cli_env["url"], write_csv(tmp_path / "base.csv", GOOD[:1]))
    path = write_xlsx(tmp_path / "bad.xlsx", BAD)
    done = invoke("org", "import", str(path))
    assert done.exit_code == 1
    lines = done.stderr.strip().splitlines()
    assert lines[0].startswith(f"错误：{path}:2: level（层级）: ")
    assert f"{path}:3: star（星级）: 7 is not a star rating 1–5" in done.stderr
    assert lines[-1] == "错误：5 处错误，未导入任何数据"
    listing = json.loads(invoke("org", "list", "--json").stdout)
    assert [r["code"] for r in listing] == ["T1"]
