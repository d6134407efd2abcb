"""Acceptance rounds, failures by reason, reworks and the measures' whole history in reports and ledgers.

A real SQLite audit database, filled through ``AuditLog`` with the real projectors by the domain's own
decider (the Recorder of test_report_files): one case fails acceptance on its score, is reworked, fails
on public dissatisfaction, is reworked again and passes; another passes at once. The bulletin, the
summary and the ledgers must count the three rounds, both failures by reason and both reworks (per
township and in total), keep each measure's original deadline next to its current one, and list every
progress report ever made — none lost when a rework starts the measures again.
"""

from __future__ import annotations

import csv
import json
import os
import subprocess
import sys
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy.engine import Engine

from domain.directory import AcceptanceResult, HistoryRecord, Pairing
from domain.rectification import (
    ApprovePlan,
    DecideSanction,
    ExtendDeadline,
    FindingInput,
    MeasureInput,
    RecordAcceptance,
    RecordExecution,
    RecordFindings,
    ReportProgress,
    SanctionDecision,
    SubmitPlan,
    SubmitSelfCheck,
)
from reports import gather, ledgers
from reports.render import write_report
from store.db import make_engine
from store.eventlog import AuditLog
from store.migrate import upgrade
from store.projections import PROJECTORS
from tests.integration.test_report_files import BRANCH, LEADER, SUP, T0, TOWN, Recorder, done, open_case, plan

CASE = "rect-V301-2026"
ADJUSTED = "rect-V303-2026"
HOSTILE = '=HYPERLINK("http://evil.example","点击")'


def _at(month: int, day: int) -> datetime:
    return datetime(2026, month, day, 2, 0, tzinfo=UTC)  # 10:00 Beijing


def _accept(score: float, unsatisfied: float) -> RecordAcceptance:
    return RecordAcceptance(actor=LEADER, score=score, unsatisfied_share=unsatisfied, comments="验收")


def build(log: AuditLog) -> Recorder:
    """回村 (河口镇): fails on score 1 Apr, fails on satisfaction 20 Apr, passes 10 May; 前村 (城关镇) passes at once;
    后村 (河口镇): failed acceptance in 2024 and 2025 under the same secretary, so a 组织调整 proposal at opening,
    approved and carried out (the secretary replaced); its measure is shared with a pairing unit's person;
    an inspection's two findings are recorded into it (RecordFindings) and become its problems."""
    r = Recorder(log)
    r.do(None, open_case("V301", "回村党支部", "河口镇"), T0)
    r.do(None, open_case("V302", "前村党支部", "城关镇"), T0 + timedelta(minutes=1))
    history = [
        HistoryRecord(org_code="V303", year=year, person="老书记", designated=True, acceptance=AcceptanceResult.FAILED)
        for year in (2024, 2025)
    ]
    paired = Pairing(unit_code="U9", unit_name="县农业农村局", kind="结对单位", people=["liu.pair"], org_codes=["V303"])
    opening = open_case("V303", "后村党支部", "河口镇").model_copy(
        update={"history": history, "secretary": "老书记", "pairings": [paired]}
    )
    r.do(None, opening, T0 + timedelta(minutes=2))
    [proposal] = [p.proposal_id for p in r.states[ADJUSTED].proposals if p.rung == "personnel_adjustment"]
    r.do(ADJUSTED, DecideSanction(actor=LEADER, proposal_id=proposal, decision=SanctionDecision.APPROVED), T0 + timedelta(days=1))
    r.do(
        ADJUSTED,
        RecordExecution(actor=LEADER, proposal_id=proposal, action="免去老书记职务", executed_on=date(2026, 1, 20), new_secretary="新书记"),
        T0 + timedelta(days=9),
    )
    shared = MeasureInput(
        id="M1", description="配强班子", problems=["P1", "P2"], responsible=BRANCH.id, partners=["liu.pair"], deadline=date(2026, 9, 30)
    )
    r.do(ADJUSTED, SubmitPlan(actor=BRANCH, measures=[shared], summary="结对共建"), T0 + timedelta(days=10))
    day = T0 + timedelta(days=7)
    r.do(CASE, plan(date(2026, 3, 31), date(2026, 4, 30)), day)
    r.do("rect-V302-2026", plan(date(2026, 3, 31)), day)
    r.do(CASE, ApprovePlan(actor=TOWN, comments="同意"), day + timedelta(days=3))
    r.do("rect-V302-2026", ApprovePlan(actor=TOWN, comments="同意"), day + timedelta(days=3))
    r.do(CASE, ReportProgress(actor=BRANCH, measure_id="M1", note=HOSTILE, evidence=["会议记录"]), _at(2, 15))
    r.do(CASE, ExtendDeadline(actor=SUP, measure_id="M2", to=date(2026, 5, 29), reason="农忙"), _at(3, 1))
    r.do(CASE, done("M1"), _at(3, 20))
    r.do("rect-V302-2026", done("M1"), _at(3, 20) + timedelta(hours=1))
    r.do("rect-V302-2026", SubmitSelfCheck(actor=BRANCH, summary="自查"), _at(3, 21))
    r.do(CASE, done("M2"), _at(3, 25))
    r.do(CASE, SubmitSelfCheck(actor=BRANCH, summary="自查"), _at(3, 26))
    r.do("rect-V302-2026", _accept(90, 0.05), _at(3, 30))
    r.do(CASE, _accept(60, 0.1), _at(4, 1))  # 得分不达标 -> rework
    r.do(CASE, ReportProgress(actor=BRANCH, measure_id="M1", note="重新整改：补开组织生活会", evidence=[]), _at(4, 10))
    r.do(CASE, done("M1"), _at(4, 15))
    r.do(CASE, done("M2"), _at(4, 15) + timedelta(hours=1))
    r.do(CASE, SubmitSelfCheck(actor=BRANCH, summary="再次自查"), _at(4, 16))
    r.do(CASE, _accept(80, 0.6), _at(4, 20))  # 群众满意度否决 -> rework
    r.do(CASE, done("M1"), _at(5, 1))
    r.do(CASE, done("M2"), _at(5, 1) + timedelta(hours=1))
    r.do(CASE, SubmitSelfCheck(actor=BRANCH, summary="第三次自查"), _at(5, 2))
    r.do(CASE, _accept(85, 0.1), _at(5, 10))  # passed
    findings = [
        FindingInput(finding_id="F1", category="weak_leadership", description="明察暗访发现村委会无人值班"),
        FindingInput(finding_id="F2", category="collective_economy", description="集体经济台账不全"),
    ]
    r.do(ADJUSTED, RecordFindings(actor=SUP, source="insp-2026-001", findings=findings), _at(6, 1))
    return r


@pytest.fixture(scope="module")
def engine(tmp_path_factory: pytest.TempPathFactory) -> Engine:
    path = tmp_path_factory.mktemp("rounds") / "audit.db"
    engine = make_engine(f"sqlite:///{path}")
    upgrade(engine)
    build(AuditLog(engine, PROJECTORS))
    return engine


def test_figures_count_rounds_failures_by_reason_and_reworks(engine: Engine) -> None:
    from reports.figures import case_figures

    data = gather.gather(engine, 2026, _at(6, 30))
    f = case_figures(data.cases, data.as_of, data.measures)
    assert (f.acceptance_rounds, f.acceptances_passed, f.reworks, f.cases_reworked) == (4, 2, 2, 1)
    assert f.failures_by_reason == {"failed_score": 1, "failed_satisfaction": 1}
    river, town = f.acceptance_by_region["河口镇"], f.acceptance_by_region["城关镇"]
    assert (river.rounds, river.passed, river.failed_score, river.failed_satisfaction, river.reworks) == (3, 1, 1, 1, 2)
    assert (town.rounds, town.passed, town.failed, town.reworks) == (1, 1, 0, 0)
    # as of 10 April only the first (failed) round and its rework had happened
    early = gather.gather(engine, 2026, _at(4, 10))
    g = case_figures(early.cases, early.as_of, early.measures)
    assert (g.acceptance_rounds, g.reworks) == (2, 1)
    assert g.failures_by_reason == {"failed_score": 1, "failed_satisfaction": 0}


def test_bulletin_and_summary_show_the_rounds_per_township(engine: Engine, tmp_path: Path) -> None:
    data = gather.gather(engine, 2026, _at(6, 30))
    zh = write_report("bulletin", data, tmp_path / "zh", "zh", warn=False).markdown.read_text(encoding="utf-8")
    assert "## 五、检查验收与重新整改" in zh
    assert "| 验收轮次 | 4 |" in zh and "| 未通过：得分不达标 | 1 |" in zh and "| 未通过：群众满意度否决 | 1 |" in zh
    assert "| 限期重新整改 | 2 |" in zh
    assert "| 河口镇 | 3 | 1 | 1 | 1 | 2 | 1 |" in zh and "| 城关镇 | 1 | 1 | 0 | 0 | 0 | 0 |" in zh
    assert "| 合计 | 4 | 2 | 1 | 1 | 2 | 1 |" in zh
    en = write_report("summary", gather.gather(engine, 2026, _at(12, 31)), tmp_path / "en", "en", warn=False)
    text = en.markdown.read_text(encoding="utf-8")
    assert "## 5. Acceptance rounds and reworks" in text
    assert "| failed: score | 1 |" in text and "| failed: public dissatisfaction | 1 |" in text and "| rework orders | 2 |" in text
    assert "| total | 4 | 2 | 1 | 1 | 2 | 1 |" in text


def test_measures_ledger_keeps_the_original_deadline_and_every_report(engine: Engine) -> None:
    rows = {r["measure_id"]: r for r in gather.measure_ledger(engine, 2026, "河口镇") if r["case_id"] == CASE}
    m1, m2 = rows["M1"], rows["M2"]
    # the plan's deadline (31 Mar 18:00 Beijing), not the rework's
    assert m1["original_deadline"] == datetime(2026, 3, 31, 10, 0, tzinfo=UTC)
    assert m1["deadline"] == _at(4, 20) + timedelta(days=90)  # the second rework's deadline
    assert (m1["reworks"], m1["deadline_changes"]) == (2, 2)
    assert m2["original_deadline"] == datetime(2026, 4, 30, 10, 0, tzinfo=UTC)
    assert m2["deadline_changes"] == 3 and [mv.kind for mv in m2["deadline_history"]] == ["extension", "rework", "rework"]
    # both progress reports survive the reworks; every completion is in the history
    assert m1["progress_reports"] == 2
    assert [(p.kind, p.at) for p in m1["progress_history"]] == [
        ("progress", _at(2, 15)), ("completed", _at(3, 20)), ("progress", _at(4, 10)), ("completed", _at(4, 15)), ("completed", _at(5, 1)),
    ]
    assert [p.rework_round for p in m1["progress_history"]] == [0, 0, 1, 1, 2]
    assert m1["last_report_at"] == _at(5, 1) and m1["completed_at"] == _at(5, 1) and m1["done"] is True
    text = ledgers.cell_text(m1["progress_history"], "zh")
    assert text.splitlines()[0] == f"2026-02-15 10:00 进展 chen.branch：{HOSTILE}［佐证材料：会议记录］"
    assert ledgers.cell_text(m2["deadline_history"], "en").splitlines()[0] == "2026-03-01 extension 2026-04-30 18:00 → 2026-05-29 18:00"


def test_progress_and_acceptance_ledgers_as_files(engine: Engine, tmp_path: Path) -> None:
    from openpyxl import load_workbook

    progress = gather.progress_ledger(engine, 2026)
    assert [(r["case_id"], r["measure_id"], r["kind"]) for r in progress if r["case_id"] == CASE][:2] == [
        (CASE, "M1", "progress"), (CASE, "M1", "completed"),
    ]
    assert len([r for r in progress if r["case_id"] == CASE]) == 8  # 2 progress + 6 completions
    path = ledgers.export(tmp_path / "progress.csv", "progress", progress, "csv")
    with path.open(encoding="utf-8-sig", newline="") as handle:
        table = list(csv.reader(handle))
    assert table[0][:6] == ["案件编号", "组织代码", "党组织名称", "乡镇", "年度", "措施编号"]
    hostile = next(row for row in table if HOSTILE in "".join(row))
    assert f"'{HOSTILE}" in hostile and "进展" in hostile  # neutralised; the kind as its label

    acceptances = gather.acceptance_ledger(engine, 2026)
    assert [(r["case_id"], r["round"], r["verdict"]) for r in acceptances] == [
        (CASE, 1, "failed_score"), (CASE, 2, "failed_satisfaction"), (CASE, 3, "passed"), ("rect-V302-2026", 1, "passed"),
    ]
    assert acceptances[0]["rework_deadline"] == _at(4, 1) + timedelta(days=90) and acceptances[2]["rework_deadline"] is None
    book = ledgers.export(tmp_path / "acceptances.xlsx", "acceptances", acceptances, "xlsx")
    sheet = load_workbook(book).active
    values = [list(r) for r in sheet.iter_rows(values_only=True)]
    assert sheet.title == "验收记录" and "验收结论" in values[0]
    verdicts = [row[values[0].index("验收结论")] for row in values[1:]]
    assert verdicts == ["得分不达标", "群众满意度否决", "验收通过", "验收通过"]

    measures = gather.measure_ledger(engine, 2026)
    book = ledgers.export(tmp_path / "measures.xlsx", "measures", measures, "xlsx")
    sheet = load_workbook(book).active
    head = [c.value for c in sheet[1]]
    assert "原定完成时限" in head and "现完成时限" in head and "进展记录（全部）" in head
    history = sheet.cell(row=2, column=head.index("进展记录（全部）") + 1)
    assert history.value.count("\n") == 4 and history.alignment.wrap_text


def _pdca(*args: str, db: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PDCA_DATABASE_URL": db, "PDCA_LANG": "zh"}
    return subprocess.run([sys.executable, "-m", "cli.main", *args], capture_output=True, text=True, env=env, timeout=120, check=False)


def test_cli_ledgers_and_figures(engine: Engine, tmp_path: Path) -> None:
    db = str(engine.url)
    for name in ("progress", "acceptances"):
        result = _pdca("report", "ledger", name, "--out", str(tmp_path / f"{name}.csv"), "--year", "2026", db=db)
        assert result.returncode == 0, result.stderr
    result = _pdca("report", "bulletin", "--year", "2026", "--as-of", "2026-06-30", "--out", str(tmp_path / "out"), "--json", db=db)
    assert result.returncode == 0, result.stderr
    figures = json.loads(result.stdout)["figures"]
    assert figures["acceptance_rounds"] == 4 and figures["reworks"] == 2
    assert figures["failures_by_reason"] == {"failed_score": 1, "failed_satisfaction": 1}
    result = _pdca("report", "bulletin", "--year", "2026", "--as-of", "2026-06-30", "--out", str(tmp_path / "out"), db=db)
    assert "验收 4 轮（得分不达标 1，群众满意度否决 1），限期重新整改 2 次" in result.stdout


def test_cli_refuses_a_future_as_of(engine: Engine, tmp_path: Path) -> None:
    from domain.timeutil import SHANGHAI

    tomorrow = (datetime.now(UTC).astimezone(SHANGHAI) + timedelta(days=1)).date().isoformat()
    for kind in ("bulletin", "summary"):
        result = _pdca("report", kind, "--year", "2026", "--as-of", tomorrow, "--out", str(tmp_path), db=str(engine.url))
        assert result.returncode == 1 and len(result.stderr.strip().splitlines()) == 1
        assert f"--as-of {tomorrow}: in the future (today is " in result.stderr
    assert not list(tmp_path.iterdir())  # nothing written


def test_cli_refuses_a_township_nobody_knows_and_an_as_of_before_the_year(engine: Engine, tmp_path: Path) -> None:
    """A typo'd township or an as-of before the year would give an empty report that looks true: refused."""
    unknown = _pdca("report", "bulletin", "--year", "2026", "--region", "火星镇", "--out", str(tmp_path), db=str(engine.url))
    assert unknown.returncode == 1 and "--region '火星镇': unknown township; known: " in unknown.stderr
    assert "河口镇" in unknown.stderr
    early = _pdca("report", "summary", "--year", "2026", "--as-of", "1999-01-01", "--out", str(tmp_path), db=str(engine.url))
    assert early.returncode == 1 and "before 2026 began" in early.stderr
    assert not list(tmp_path.iterdir())  # nothing written


def test_adjustments_findings_and_partners(engine: Engine, tmp_path: Path) -> None:
    data = gather.gather(engine, 2026, _at(6, 30))
    [execution] = data.executions
    assert (execution.case_id, execution.rung, execution.executed_on) == (ADJUSTED, "personnel_adjustment", date(2026, 1, 20))
    assert execution.by == LEADER.id
    assert (execution.previous_secretary, execution.new_secretary) == ("老书记", "新书记")
    assert [(f.source, f.finding_id) for f in data.findings] == [("insp-2026-001", "F1"), ("insp-2026-001", "F2")]
    markdown = write_report("bulletin", data, tmp_path, "zh", warn=False).markdown.read_text(encoding="utf-8")
    assert "| 组织调整/诫勉谈话已执行 | 1 |" in markdown and "| 督查发现问题转入案件 | 2 |" in markdown
    assert "## 八、组织调整与诫勉谈话执行情况" in markdown and "## 九、督查发现问题转入整改" in markdown
    assert "| 后村党支部 | 河口镇 | rect-V303-2026 | 组织调整 | 免去老书记职务 | 2026-01-20 | 老书记 → 新书记 |" in markdown
    assert "| insp-2026-001 | 后村党支部 | 河口镇 | rect-V303-2026 | 2 |" in markdown
    # before the execution: none
    assert gather.gather(engine, 2026, T0 + timedelta(days=2)).executions == []
    [row] = gather.adjustment_ledger(engine, 2026)
    assert (row["org_name"], row["rung"], row["new_secretary"]) == ("后村党支部", "personnel_adjustment", "新书记")
    path = ledgers.export(tmp_path / "adjustments.csv", "adjustments", [row], "csv")
    assert "组织调整" in path.read_text(encoding="utf-8-sig") and "执行日期" in path.read_text(encoding="utf-8-sig")


def test_measure_partners_in_the_ledger(engine: Engine) -> None:
    from store import queries

    [plan_row] = [row for row in queries.read_stream(engine, ADJUSTED) if row.event_type == "PlanSubmitted"]
    assert "liu.pair" in plan_row.payload
    [measure] = [m for m in gather.measure_ledger(engine, 2026) if m["case_id"] == ADJUSTED]
    assert measure["partners"] == "liu.pair"
