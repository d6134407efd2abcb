"""Pairing units and inspections as a county types them: the real `pdca` against a real `pdca up`
(tests/stack_driver.py). Pairing import with every bad row named and nothing taken, then shown by
`pdca org show`; a 明察暗访 recorded, a finding sent into the organization's case (a problem of its
current cycle, source the inspection; a retry with the same request id applied once), one referred to
the next designation (signed), one closed with a note, the inspection closed."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest

from tests.stack_driver import EXAMPLES, Stack, start_stack

pytestmark = pytest.mark.e2e

CASE = """org_code: V3007
org_name: 柳林乡云桥村党支部
region: 柳林乡
year: {year}
basis: {{kind: direct, detail: 星级评定1星}}
problems:
  - {{category: weak_leadership, description: 班子不团结}}
leaders: [li.county]
"""


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    running = start_stack(tmp_path_factory.mktemp("inspections") / "home")
    try:
        running.sign_in_admin()
        running.import_people()
        running.cli("org", "import", str(EXAMPLES / "orgs.csv"), as_="wang.sup")
        yield running
    finally:
        running.stop()


def test_pairings_import_refuses_bad_rows_then_shows_on_the_organization(stack: Stack, tmp_path: Path) -> None:
    bad = tmp_path / "bad.csv"
    lines = ["单位编码,单位名称,类型,人员,结对组织", "NY01,县农业农村局,结对单位,wang.sup,V1001", "NY01,x,帮扶,nobody,V9999"]
    bad.write_text("\n".join(lines) + "\n", encoding="utf-8")
    refused = stack.cli("org", "pairings", "import", str(bad), as_="wang.sup", ok=False)
    assert refused.returncode == 1 and "4 处错误，未导入任何数据" in refused.stderr
    assert f"{bad}:3: kind（类型）: '帮扶' is not one of" in refused.stderr and "unknown person(s) nobody" in refused.stderr
    assert stack.cli_json("org", "pairings", "list") == []
    done = stack.cli("org", "pairings", "import", str(EXAMPLES / "pairings.csv"), as_="wang.sup")
    assert "结对单位 4 个（新增 4，更新 0），结对关系 8 条" in done.stdout
    shown = stack.cli("org", "show", "V3007").stdout
    assert "结对帮扶：联村领导 李县长（联村领导）（LC-LI：li.county）" in shown and "驻村工作队" in shown
    pairings = stack.cli_json("org", "show", "V3007")["pairings"]
    assert {p["unit_code"] for p in pairings} == {"LC-LI", "JT01", "ZC-V3007"}


def test_an_inspection_feeds_a_case_and_the_next_designation(stack: Stack, tmp_path: Path) -> None:
    day = date.today()  # the stack runs on the machine's clock
    visit = (EXAMPLES / "inspection-2027-001.yaml").read_text(encoding="utf-8")
    (tmp_path / "visit.yaml").write_text(visit.replace("2027-04-16", day.isoformat()), encoding="utf-8")
    (tmp_path / "case.yaml").write_text(CASE.format(year=day.year), encoding="utf-8")
    more = "findings:\n  - {org_code: V3007, category: other, description: 阵地挂牌不规范}\n"
    (tmp_path / "more.yaml").write_text(more, encoding="utf-8")
    stack.cli("case", "open", str(tmp_path / "case.yaml"), as_="wang.sup")
    if day < date(2027, 4, 16):
        future = stack.cli("inspection", "record", str(EXAMPLES / "inspection-2027-001.yaml"), as_="wang.sup", ok=False)
        assert "visited_on: 2027-04-16 is in the future" in future.stderr
    outsider = stack.cli("inspection", "record", str(tmp_path / "visit.yaml"), as_="chen.branch", ok=False)
    assert outsider.returncode == 1 and "chen.branch has none of the roles allowed to RecordInspection" in outsider.stderr
    recorded = stack.cli_json("inspection", "record", str(tmp_path / "visit.yaml"), as_="wang.sup")
    inspection = recorded["stream_id"]
    assert inspection.startswith(f"insp-{day.year}-") and recorded["events"] == ["InspectionRecorded", "InspectionFindingsRecorded"]

    # F1 into the case: a problem of its current cycle, the inspection its source; a retry applied once
    sent = stack.cli_json("inspection", "to-case", inspection, "F1", "--request-id", "e2e-to-case", as_="wang.sup")
    assert sent["events"] == ["FindingsReferredToCase"]
    again = stack.cli_json("inspection", "to-case", inspection, "F1", "--request-id", "e2e-to-case", as_="wang.sup")
    assert again["version"] == sent["version"]
    case = stack.cli_json("case", "show", f"rect-V3007-{day.year}")
    problems = [p for p in case["problems"] if p.get("source") == inspection]
    assert [p["description"] for p in problems] == ["村“两委”会议记录缺失，“四议两公开”未按程序落实"]

    # F2 into next year's designation (signed), F3 added and closed with a note, then the inspection closed
    stack.cli("inspection", "to-designation", inspection, "F2", "--year", str(day.year + 1), "--note", "组织生活长期不正常", as_="wang.sup")
    out_of_scope = stack.cli("inspection", "finding", inspection, "--file", str(tmp_path / "more.yaml"), as_="zhao.town", ok=False)
    assert out_of_scope.returncode == 1 and "may not act on organization" in out_of_scope.stderr  # 城关镇's secretary
    stack.cli("inspection", "finding", inspection, "--file", str(tmp_path / "more.yaml"), as_="wang.sup")
    still_open = stack.cli("inspection", "close", inspection, as_="wang.sup", ok=False)
    assert "findings still open: F3" in still_open.stderr
    stack.cli("inspection", "close-finding", inspection, "F3", "--note", "当场整改到位", as_="wang.sup")
    closed = stack.cli_json("inspection", "close", inspection, "--note", "全部处置", as_="wang.sup")
    assert closed["stage"] == "closed"
    shown = stack.cli_json("inspection", "show", inspection)
    assert [f["status"] for f in shown["findings"]] == ["case", "designation", "closed"]
    findings = stack.cli_json("inspection", "findings", "--status", "designation")
    assert [(f["inspection_id"], f["finding_id"], f["designation_year"]) for f in findings] == [(inspection, "F2", day.year + 1)]
    trail = stack.cli_json("inspection", "history", inspection)
    assert [row["event_type"] for row in trail][-1] == "InspectionClosed"


VISIT = """kind: 观摩
visited_on: {day}
title: 逐支部观摩
orgs: [C1001, V3007]
companions: [{companion}]
findings:
  - {{org_code: C1001, category: other, description: 党员活动室挂牌不规范}}
  - {{org_code: V3007, category: other, description: 三会一课记录不全}}
"""


def test_a_county_leader_disposes_of_the_findings_in_their_scope(stack: Stack, tmp_path: Path) -> None:
    """城关镇's county leader (li.county) records and closes the 城关镇 finding of a visit that also went to
    柳林乡, never the 柳林乡 one, nor the whole inspection; a bad date or an unknown companion is refused by name."""
    day = date.today()
    for name, text, words in [
        ("old.yaml", VISIT.format(day="1900-01-01", companion="zhao.town"), "visited_on: Value error, 检查日期 1900-01-01 不在 2000–2100"),
        ("ghost.yaml", VISIT.format(day=day.isoformat(), companion="ghost"), "companions: 同行人员 ghost 不在人员目录中"),
    ]:
        (tmp_path / name).write_text(text, encoding="utf-8")
        refused = stack.cli("inspection", "record", str(tmp_path / name), as_="wang.sup", ok=False)
        assert refused.returncode == 1 and words in refused.stderr, refused.stderr
    (tmp_path / "visit.yaml").write_text(VISIT.format(day=day.isoformat(), companion="zhao.town"), encoding="utf-8")
    inspection = stack.cli_json("inspection", "record", str(tmp_path / "visit.yaml"), as_="wang.sup")["stream_id"]
    more = "findings:\n  - {org_code: C1001, category: other, description: 公开栏内容过期}\n"
    (tmp_path / "more.yaml").write_text(more, encoding="utf-8")
    stack.cli("inspection", "finding", inspection, "--file", str(tmp_path / "more.yaml"), as_="li.county")  # F3
    stack.cli("inspection", "close-finding", inspection, "F1", "F3", "--note", "当场整改到位", as_="li.county")
    other = stack.cli("inspection", "close-finding", inspection, "F2", "--note", "x", as_="li.county", ok=False)
    assert "finding_ids: F2: li.county 无权处理 V3007" in other.stderr, other.stderr
    whole = stack.cli("inspection", "close", inspection, as_="li.county", ok=False)
    assert "orgs: li.county 无权处理 V3007" in whole.stderr, whole.stderr
    shown = stack.cli_json("inspection", "show", inspection)
    assert [(f["finding_id"], f["status"], f["disposed_by"]) for f in shown["findings"]] == [
        ("F1", "closed", "li.county"), ("F2", "open", None), ("F3", "closed", "li.county"),
    ]  # fmt: skip
