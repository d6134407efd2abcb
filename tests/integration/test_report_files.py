"""Report files from a real SQLite audit database filled with real rectification events.

Events are decided by the domain and appended through ``store.eventlog.AuditLog`` with the real
PROJECTORS, exactly as the workflow's activity does; then the bulletin, the summary and the ledgers
are produced (through the Python API and the real ``pdca report`` CLI) and read back: the Markdown
carries the figures, the HTML parses and points at PNGs that exist and open, the CSV and XLSX equal
the ledger rows.
"""

from __future__ import annotations

import csv
import json
import os
import subprocess
import sys
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from html.parser import HTMLParser
from pathlib import Path

import pytest
from sqlalchemy.engine import Engine

from domain.actors import Actor, Role
from domain.decider import Context
from domain.policy import Policy
from domain.rectification import (
    EVENT_ADAPTER,
    INITIAL_STATE,
    ApprovePlan,
    Basis,
    BasisKind,
    CaseState,
    CompleteMeasure,
    MeasureInput,
    OpenCase,
    ProblemInput,
    RecordAcceptance,
    SubmitPlan,
    SubmitSelfCheck,
    Tick,
    decide,
    evolve,
    next_wakeup,
)
from domain.workcal import WorkCalendar
from reports import gather, ledgers
from reports.figures import case_figures
from reports.render import write_report
from store.db import make_engine
from store.eventlog import AuditLog, NewEvent
from store.migrate import upgrade
from store.projections import PROJECTORS

POLICY = Policy()
CALENDAR = WorkCalendar()
SUP = Actor(id="wang.sup", name="王督导", roles=[Role.SUPERVISOR], scope=["*"])
TOWN = Actor(id="zhao.town", name="赵书记", roles=[Role.TOWNSHIP_SECRETARY], scope=["*"])
BRANCH = Actor(id="chen.branch", name="陈书记", roles=[Role.BRANCH_SECRETARY], scope=["*"])
LEADER = Actor(id="li.county", name="李县长", roles=[Role.COUNTY_LEADER], scope=["*"])
T0 = datetime(2026, 1, 12, 2, 0, tzinfo=UTC)
JUNE_END = datetime(2026, 6, 30, 16, 0, tzinfo=UTC)  # end of 30 June, Beijing


@dataclass
class Recorder:
    log: AuditLog
    states: dict[str, CaseState] = field(default_factory=dict)

    def do(self, case_id: str | None, command, at: datetime, *, timers: bool = True) -> CaseState:
        """Decide ``command`` and append its events, exactly as the workflow's activity does."""
        if timers:
            self.advance(at)
        state = self.states.get(case_id, INITIAL_STATE) if case_id else INITIAL_STATE
        produced = decide(state, command, Context(now=at, policy=POLICY, calendar=CALENDAR))
        new_state = state
        for event in produced:
            new_state = evolve(new_state, event)
        batch = [
            NewEvent(
                event_id=f"{new_state.case_id}:{state.version + i}",
                event_type=e.type,
                actor=e.actor,
                payload=EVENT_ADAPTER.dump_json(e).decode(),
                policy_version=e.policy_version,
            )
            for i, e in enumerate(produced, start=1)
        ]
        self.log.append(new_state.case_id, state.version, batch, now=at)
        self.states[new_state.case_id] = new_state
        return new_state

    def advance(self, until: datetime) -> None:
        """Fire every timer (reminders, overdue notices, escalations) due by ``until``, as the workflow would."""
        for case_id in list(self.states):
            while True:
                wake = next_wakeup(self.states[case_id], Context(now=until, policy=POLICY, calendar=CALENDAR), catch_up=False)
                if wake is None or wake > until:
                    break
                state = self.states[case_id]
                if not decide(state, Tick(), Context(now=wake, policy=POLICY, calendar=CALENDAR)):
                    break
                self.do(case_id, Tick(), wake, timers=False)


def open_case(org: str, name: str, region: str, year: int = 2026) -> OpenCase:
    return OpenCase(
        actor=SUP,
        org_code=org,
        org_name=name,
        region=region,
        year=year,
        basis=Basis(kind=BasisKind.RANKING, detail=f"{year - 1}年度综合考评倒排", rank=2),
        problems=[
            ProblemInput(category="weak_leadership", description="班子软弱涣散"),
            ProblemInput(category="collective_economy", description="集体经济薄弱"),
        ],
        leaders=[LEADER.id],
    )


def plan(*deadlines: date) -> SubmitPlan:
    return SubmitPlan(
        actor=BRANCH,
        measures=[
            MeasureInput(id=f"M{i}", description=f"整改措施{i}", problems=["P1", "P2"][: 1 + (i % 2)], responsible=BRANCH.id, deadline=d)
            for i, d in enumerate(deadlines, start=1)
        ],
        summary="一村一策",
    )


def done(measure_id: str) -> CompleteMeasure:
    return CompleteMeasure(actor=BRANCH, measure_id=measure_id, note="已完成", evidence=["会议记录"])


def build_year(log: AuditLog) -> Recorder:
    """Five cases in two townships plus one of another year.

    东村 (城关镇): M1 due 31 Mar done 20 Mar (on time), M2 due 29 May done 10 Jun (late); passed → consolidating.
    西村 (城关镇): M1 due 30 Apr never done → overdue, escalated (提醒谈话, 发函督办).
    南村 (青山镇): M1 due 31 Mar done on time; M2 due 30 Sep (not yet due at 30 June).
    北村 (青山镇): plan submitted, under review.
    中村 (青山镇): opened, designated only.
    旧村 (城关镇, 2025): another year, never counted.
    """
    r = Recorder(log)
    r.do(None, open_case("V101", "东村党支部", "城关镇"), T0)
    r.do(None, open_case("V102", "西村党支部", "城关镇"), T0 + timedelta(minutes=1))
    r.do(None, open_case("V201", "南村党支部", "青山镇"), T0 + timedelta(minutes=2))
    r.do(None, open_case("V202", "北村党支部", "青山镇"), T0 + timedelta(minutes=3))
    r.do(None, open_case("V203", "中村党支部", "青山镇"), T0 + timedelta(minutes=4))
    r.do(None, open_case("V900", "旧村党支部", "城关镇", year=2025), T0 + timedelta(minutes=5))
    day = T0 + timedelta(days=7)
    r.do("rect-V101-2026", plan(date(2026, 3, 31), date(2026, 5, 29)), day)
    r.do("rect-V102-2026", plan(date(2026, 4, 30)), day)
    r.do("rect-V201-2026", plan(date(2026, 3, 31), date(2026, 9, 30)), day)
    r.do("rect-V202-2026", plan(date(2026, 6, 30)), day)
    day += timedelta(days=3)
    for case_id in ("rect-V101-2026", "rect-V102-2026", "rect-V201-2026"):
        r.do(case_id, ApprovePlan(actor=TOWN, comments="同意"), day)
    r.do("rect-V101-2026", done("M1"), datetime(2026, 3, 20, 2, 0, tzinfo=UTC))
    r.do("rect-V201-2026", done("M1"), datetime(2026, 3, 25, 2, 0, tzinfo=UTC))
    r.do("rect-V101-2026", done("M2"), datetime(2026, 6, 10, 2, 0, tzinfo=UTC))
    r.do("rect-V101-2026", SubmitSelfCheck(actor=BRANCH, summary="自查完成"), datetime(2026, 6, 12, 2, 0, tzinfo=UTC))
    r.do("rect-V101-2026", RecordAcceptance(actor=LEADER, score=85, unsatisfied_share=0.1), datetime(2026, 6, 20, 2, 0, tzinfo=UTC))
    r.advance(JUNE_END)
    return r


@pytest.fixture(scope="module")
def engine(tmp_path_factory: pytest.TempPathFactory) -> Engine:
    path = tmp_path_factory.mktemp("reportdb") / "audit.db"
    engine = make_engine(f"sqlite:///{path}")
    upgrade(engine)
    build_year(AuditLog(engine, PROJECTORS))
    return engine


@pytest.fixture(scope="module")
def data(engine: Engine) -> gather.ReportData:
    return gather.gather(engine, 2026, JUNE_END)


# ----------------------------------------------------------------------------- gathering and figures


def test_gathering_folds_each_case_as_of_the_date(data: gather.ReportData, engine: Engine) -> None:
    assert [c.case_id for c in data.cases] == ["rect-V101-2026", "rect-V102-2026", "rect-V201-2026", "rect-V202-2026", "rect-V203-2026"]
    by_id = {(m.case_id, m.measure_id): m for m in data.measures}
    assert by_id[("rect-V101-2026", "M1")].completed_at == datetime(2026, 3, 20, 2, 0, tzinfo=UTC)
    assert by_id[("rect-V102-2026", "M1")].completed_at is None
    # as of 1 April only the first completions had happened; 西村 was not overdue yet
    early = gather.gather(engine, 2026, datetime(2026, 4, 1, tzinfo=UTC))
    early_by_id = {(m.case_id, m.measure_id): m for m in early.measures}
    assert early_by_id[("rect-V101-2026", "M2")].done is False
    assert {c.case_id: c.stage for c in early.cases}["rect-V101-2026"] == "implementing"
    # before any case existed: nothing
    assert gather.gather(engine, 2026, T0 - timedelta(days=1)).cases == []
    # region filter
    assert [c.case_id for c in gather.gather(engine, 2026, JUNE_END, "青山镇").cases] == [
        "rect-V201-2026",
        "rect-V202-2026",
        "rect-V203-2026",
    ]


def test_figures_from_the_database(data: gather.ReportData) -> None:
    f = case_figures(data.cases, data.as_of, data.measures)
    assert f.total == 5
    assert f.by_stage == {"designated": 1, "planning": 1, "implementing": 2, "consolidating": 1}
    assert f.by_region["城关镇"] == {"implementing": 1, "consolidating": 1}
    # due by 30 June: 东村 M1 (on time), M2 (late), 西村 M1 (open), 南村 M1 (on time); 北村's plan is still
    # under review, so its measure (deadline 30 June 18:00) commits nobody yet and is not counted
    assert f.measures_total == 5 and f.measures_done == 3
    assert f.measures_due == 4 and f.measures_on_time == 2 and f.on_time_rate == pytest.approx(0.5)
    assert f.overdue_measures == 1 and f.overdue_cases == 1
    [west] = f.overdue_orgs
    assert (west.org_name, west.region, west.earliest_deadline) == ("西村党支部", "城关镇", datetime(2026, 4, 30, 10, 0, tzinfo=UTC))
    assert west.escalations[:3] == ["reminder", "reminder_talk", "supervision_notice"]
    assert f.escalations >= 2 and f.escalations_by_rung["reminder_talk"] >= 1


# ----------------------------------------------------------------------------- report files


class _Page(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.images: list[str] = []
        self.tags: list[str] = []
        self.text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(tag)
        if tag == "img":
            self.images.append(dict(attrs)["src"] or "")

    def handle_data(self, data: str) -> None:
        self.text.append(data)


def _check_files(files, out: Path) -> str:
    import matplotlib.image

    markdown = files.markdown.read_text(encoding="utf-8")
    page = _Page()
    page.feed(files.html.read_text(encoding="utf-8"))
    page.close()
    assert "table" in page.tags and page.images
    for src in page.images:
        assert not src.startswith(("/", "http")), src
        png = out / src
        assert png.is_file() and png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
        pixels = matplotlib.image.imread(png)
        assert pixels.shape[0] > 100 and pixels.shape[1] > 100
        assert f"]({src})" in markdown
    assert sorted(p.name for p in files.charts) == sorted(page.images)
    return markdown


def test_bulletin_markdown_html_and_charts(data: gather.ReportData, tmp_path: Path) -> None:
    files = write_report("bulletin", data, tmp_path, "zh", warn=False)
    markdown = _check_files(files, tmp_path)
    assert markdown.startswith("# 2026年度整顿软弱涣散党组织工作半年通报")
    assert "统计截至：2026-06-30 24:00" in markdown
    assert "| 整顿对象（案件）总数 | 5 |" in markdown
    assert "| 按期完成率 | 50.0%（2/4） |" in markdown
    assert "| 逾期未完成措施 | 1 |" in markdown
    assert "| 城关镇 | 3 | 1 | 33.3% |" in markdown and "| 青山镇 | 1 | 1 | 100.0% |" in markdown
    assert "## 一、总体情况" in markdown and "## 五、检查验收与重新整改" in markdown and "## 九、晋位升级" in markdown
    assert "| 验收轮次 | 1 |" in markdown and "| 限期重新整改 | 0 |" in markdown  # 东村 passed at its first round
    assert "西村党支部" in markdown and "提醒谈话" in markdown  # named in the 通报, with its rungs
    assert "| 城关镇 |" in markdown and "| 青山镇 |" in markdown
    assert "结转下年度" not in markdown  # the bulletin has no carried-over section


def test_summary_in_english_with_carried_over_cases(engine: Engine, tmp_path: Path) -> None:
    year_end = datetime(2026, 12, 31, 16, 0, tzinfo=UTC)
    data = gather.gather(engine, 2026, year_end)
    files = write_report("summary", data, tmp_path, "en", warn=False)
    markdown = _check_files(files, tmp_path)
    assert markdown.startswith("# Year-end summary 2026")
    assert "| carried over | 5 |" in markdown  # nothing was closed in 2026
    assert "## 9. Cases carried over to next year" in markdown and "## 10. Upgrades" in markdown and "rect-V203-2026" in markdown
    assert files.figures.carried_over == 5


def test_no_cases_still_makes_a_report(engine: Engine, tmp_path: Path) -> None:
    data = gather.gather(engine, 2031, datetime(2031, 6, 30, 16, 0, tzinfo=UTC))
    files = write_report("bulletin", data, tmp_path, "zh", warn=False)
    markdown = _check_files(files, tmp_path)
    assert "| 整顿对象（案件）总数 | 0 |" in markdown and "—（尚无到期措施）" in markdown


# ----------------------------------------------------------------------------- ledgers


@pytest.mark.parametrize("name", ["problems", "measures"])
def test_csv_ledger_equals_the_rows(engine: Engine, tmp_path: Path, name: str) -> None:
    rows = getattr(gather, f"{name[:-1]}_ledger")(engine, 2026)
    path = ledgers.export(tmp_path / f"{name}.csv", name, rows, "csv")
    raw = path.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")  # the BOM Excel needs to read UTF-8
    with path.open(encoding="utf-8-sig", newline="") as handle:
        table = list(csv.reader(handle))
    columns = ledgers.columns_for(name, rows)
    assert table[0] == ledgers.headers(columns, "zh", name) and table[0][0] == "案件编号"
    assert table[1:] == [[ledgers.cell_text(row[c], "zh") for c in columns] for row in rows]
    assert len(rows) == (10 if name == "problems" else 6)


@pytest.mark.parametrize("name", ["problems", "measures"])
def test_xlsx_ledger_equals_the_rows(engine: Engine, tmp_path: Path, name: str) -> None:
    from openpyxl import load_workbook

    rows = getattr(gather, f"{name[:-1]}_ledger")(engine, 2026, "城关镇")
    path = ledgers.export(tmp_path / f"{name}.xlsx", name, rows, "xlsx", "en")
    sheet = load_workbook(path).active
    assert sheet.freeze_panes == "A2"
    values = [list(r) for r in sheet.iter_rows(values_only=True)]
    columns = ledgers.columns_for(name, rows)
    assert values[0] == ledgers.headers(columns, "en", name)
    assert values[1:] == [[ledgers.cell_xlsx(row[c], "en") for c in columns] for row in rows]
    assert all(sheet.column_dimensions[chr(ord("A") + i)].width >= 6 for i in range(min(len(columns), 26)))


# ----------------------------------------------------------------------------- the CLI


def _pdca(*args: str, db: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PDCA_DATABASE_URL": db, "PDCA_LANG": "zh"}
    return subprocess.run([sys.executable, "-m", "cli.main", *args], capture_output=True, text=True, env=env, timeout=120, check=False)


def test_cli_bulletin_and_ledgers(engine: Engine, tmp_path: Path) -> None:
    db = str(engine.url)
    result = _pdca("report", "bulletin", "--year", "2026", "--as-of", "2026-06-30", "--out", str(tmp_path / "out"), db=db)
    assert result.returncode == 0, result.stderr
    assert "✓ 半年通报：5 件案件" in result.stdout and "按期完成率 50.0%" in result.stdout
    assert (tmp_path / "out" / "bulletin-2026.html").is_file() and (tmp_path / "out" / "bulletin-2026-stages.png").is_file()

    result = _pdca(
        "report",
        "summary",
        "--year",
        "2026",
        "--region",
        "青山镇",
        "--as-of",
        "2026-11-30",
        "--out",
        str(tmp_path / "out"),
        "--json",
        db=db,
    )
    assert result.returncode == 0, result.stderr
    payload = json.loads(result.stdout)
    assert payload["figures"]["total"] == 3 and any(f.endswith("summary-2026-青山镇.md") for f in payload["files"])

    result = _pdca("report", "ledger", "measures", "--out", str(tmp_path / "m.xlsx"), "--year", "2026", db=db)
    assert result.returncode == 0, result.stderr and "6" in result.stdout
    assert (tmp_path / "m.xlsx").is_file()


def test_cli_refuses_bad_input(engine: Engine, tmp_path: Path) -> None:
    db = str(engine.url)
    bad_date = _pdca("report", "bulletin", "--year", "2026", "--as-of", "30/06/2026", "--out", str(tmp_path), db=db)
    assert bad_date.returncode == 1 and "--as-of" in bad_date.stderr and len(bad_date.stderr.strip().splitlines()) == 1
    bad_format = _pdca("report", "ledger", "problems", "--out", str(tmp_path / "p.txt"), db=db)
    assert bad_format.returncode == 1 and "--format" in bad_format.stderr
    no_db = _pdca("report", "ledger", "problems", "--out", str(tmp_path / "p.csv"), db=f"sqlite:///{tmp_path / 'empty.db'}")
    assert no_db.returncode == 1 and "pdca migrate" in no_db.stderr


# ----------------------------------------------------------------------------- projects and directory


def test_summary_with_secretary_projects_and_directory_upgrades(tmp_path: Path) -> None:
    """The other areas' tables, as their projections and importer leave them, feed the summary."""
    from sqlmodel import Session

    from store.directory_models import AssessmentRow, OrganizationRow
    from store.project_models import ProjectSummary

    engine = make_engine(f"sqlite:///{tmp_path / 'audit.db'}")
    upgrade(engine)
    build_year(AuditLog(engine, PROJECTORS))
    now = datetime(2026, 12, 20, tzinfo=UTC)
    with Session(engine) as session:
        for code, name in (("V101", "东村党支部"), ("V201", "南村党支部")):
            session.add(OrganizationRow(code=code, name=name, level="branch", domain="village", region="城关镇", updated_at=now))
        session.flush()
        session.add(AssessmentRow(org_code="V101", year=2025, star=2, org_class="三类", updated_at=now))
        session.add(AssessmentRow(org_code="V101", year=2026, star=3, org_class="二类", updated_at=now))
        session.add(AssessmentRow(org_code="V201", year=2025, star=3, org_class="二类", updated_at=now))
        session.add(AssessmentRow(org_code="V201", year=2026, star=3, org_class="二类", updated_at=now))
        base = {
            "org_name": "东村党支部",
            "region": "城关镇",
            "year": 2026,
            "owner": "chen.branch",
            "application_status": "approved",
            "revision_rounds": 2,
            "milestones_total": 4,
            "milestones_done": 4,
            "overdue_milestones": 0,
            "quarterly_reports": 4,
            "reports_due": 4,
            "reports_missing": 0,
            "urges_sent": 1,
            "overdue": False,
            "sanction_proposals": 0,
            "sanctions_pending": 0,
            "sanctions_approved": 0,
            "last_event_at": now,
            "version": 20,
            "position": 1,
        }
        session.add(
            ProjectSummary(
                project_id="proj-V101-2026-secretary",
                level="secretary",
                org_code="V101",
                stage="promoted",
                rating="good",
                outcome="promoted",
                **base,
            )
        )
        session.add(
            ProjectSummary(
                project_id="proj-V201-2026-branch",
                level="branch",
                org_code="V201",
                stage="evaluated",
                rating="poor",
                **{**base, "org_name": "南村党支部", "overdue_milestones": 2, "urges_sent": 3},
            )
        )
        session.commit()
    data = gather.gather(engine, 2026, datetime(2026, 12, 31, 16, 0, tzinfo=UTC))
    assert data.projects_available and len(data.projects) == 2
    files = write_report("summary", data, tmp_path / "out", "zh", warn=False)
    markdown = _check_files(files, tmp_path / "out")
    assert files.projects.models_promoted == 1 and files.projects.ratings == {"good": 1, "medium": 0, "poor": 1}
    assert "| 书记项目总数 | 2 |" in markdown and "| 年终评价（好/中/差） | 1/0/1 |" in markdown
    assert "| 逾期节点 | 2 |" in markdown and "| 催办次数 | 4 |" in markdown
    assert "书记项目 1" in markdown and "支部项目 1" in markdown and "典型推广：东村党支部（proj-V101-2026-secretary）" in markdown
    assert "| 星级/类别提升的党组织 | 1 |" in markdown and "| V101 | 2026 | 2 → 3 | 3 → 2 |" in markdown
    rows = gather.project_ledger(engine, 2026)
    path = ledgers.export(tmp_path / "projects.csv", "projects", rows, "csv")
    with path.open(encoding="utf-8-sig", newline="") as handle:
        table = list(csv.reader(handle))
    assert table[0][:3] == ["项目编号", "项目层级", "组织代码"] and [r[0] for r in table[1:]] == [
        "proj-V101-2026-secretary",
        "proj-V201-2026-branch",
    ]
