"""评星定级 as a county types it: the real `pdca` against a real `pdca up` (tests/stack_driver.py). A
township's ratings opened at once (again: nothing opened twice), a self-assessment refused for a score
above the item and taken, returned and assessed again, reviewed, a level above the gates refused, approved,
an objection during 公示 dismissed, the level decided when the window ends and written to the directory,
a case opened afterwards recorded as a veto by `rating sync` (降星), the report and the next designation
reading it."""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest

from tests.stack_driver import EXAMPLES, Stack, start_stack

pytestmark = pytest.mark.e2e

YEAR = date.today().year  # the stack runs on the machine's clock
POLICY = """version: e2e-rating
rating:
  objection_window: 3s
designation:
  assessment_year_offset: 1
"""
ORGS = """编码,名称,层级,领域,上级,乡镇,书记,书记缺职起始,包联领导,部门标记,年度,考核得分,排名,星级,类别
V001,城关镇东村党支部,党支部,农村,T1,城关镇,陈书记,,li.county,,{last},82.0,40,3,二类
V001,城关镇东村党支部,党支部,农村,T1,城关镇,陈书记,,li.county,,{year},84.0,35,,
"""


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    home = tmp_path_factory.mktemp("ratings") / "home"
    running = start_stack(home)
    try:
        running.sign_in_admin()
        running.import_people()
        running.cli("org", "import", str(EXAMPLES / "orgs.csv"), as_="wang.sup")
        extra = home.parent / "v001.csv"
        extra.write_text(ORGS.format(last=YEAR - 1, year=YEAR), encoding="utf-8")
        running.cli("org", "import", str(extra), as_="wang.sup")
        yield running
    finally:
        running.stop()


def wait_for_stage(stack: Stack, rating: str, stage: str, timeout: float = 90) -> dict:  # type: ignore[type-arg]
    deadline = time.monotonic() + timeout
    while True:
        shown = stack.cli_json("rating", "show", rating)
        if shown["stage"] == stage or time.monotonic() > deadline:
            assert shown["stage"] == stage, shown["stage"]
            return shown  # type: ignore[no-any-return]
        time.sleep(0.5)


def test_a_rating_year_from_opening_to_the_next_designation(stack: Stack, tmp_path: Path) -> None:
    policy = tmp_path / "policy.yaml"
    policy.write_text(POLICY, encoding="utf-8")
    rating = f"star-V001-{YEAR}"

    # doors: a branch secretary opens nothing, an unknown township and a far year are refused
    refused = stack.cli("rating", "open", "--year", str(YEAR), "--org", "V001", as_="chen.branch", ok=False)
    assert refused.returncode == 1 and "none of the roles allowed to OpenRating" in refused.stdout + refused.stderr
    unknown = stack.cli("rating", "open", "--year", str(YEAR), "--region", "不存在乡", as_="wang.sup", ok=False)
    assert "--region: unknown township '不存在乡'" in unknown.stderr
    far = stack.cli("rating", "open", "--year", "2099", "--org", "V001", as_="wang.sup", ok=False)
    assert "--year: 2099 is after next year" in far.stderr

    opened = stack.cli_json("rating", "open", "--year", str(YEAR), "--region", "城关镇", "--policy", str(policy), as_="wang.sup")
    assert "V001" in opened["opened"] and not opened["failed"] and len(opened["opened"]) > 10
    again = stack.cli_json("rating", "open", "--year", str(YEAR), "--region", "城关镇", "--policy", str(policy), as_="wang.sup")
    assert again["opened"] == [] and set(again["existing"]) == set(opened["opened"])
    shown = stack.cli_json("rating", "show", rating)
    facts = (shown["org_name"], shown["region"], shown["previous_level"], shown["stage"])
    assert facts == ("城关镇东村党支部", "城关镇", 3, "self_assessment")

    # self-assessment: a score above the item refused with its words; the example file taken
    bad = tmp_path / "bad.yaml"
    bad.write_text("scores: {political: 20, team: 25, members: 20, rules: 20, service: 20}\n", encoding="utf-8")
    above = stack.cli("rating", "assess", rating, "--file", str(bad), as_="chen.branch", ok=False)
    assert above.returncode == 1 and "scores[1].points: 25 is more than 班子队伍强 allows (20)" in above.stderr
    stack.cli("rating", "assess", rating, "--file", str(EXAMPLES / "rating-self-assessment.yaml"), as_="chen.branch")
    stack.cli("rating", "return", rating, "--comment", "为民办事佐证不全", as_="zhao.town")
    stack.cli("rating", "assess", rating, "--file", str(EXAMPLES / "rating-self-assessment.yaml"), as_="chen.branch")
    stack.cli("rating", "review", rating, "--comment", "同意上报", as_="zhao.town")
    gates = stack.cli("rating", "approve", rating, "--level", "5", as_="wang.sup", ok=False)
    assert "5 星未达进关条件（最高可评 4 星）" in gates.stderr  # 92 points but 班子队伍强 not in full
    stack.cli("rating", "approve", rating, "--comment", "同意", as_="wang.sup")
    stack.cli("rating", "object", rating, "--text", "为民办事清单不实", "--source", "群众来电", as_="zhao.town")
    stack.cli("rating", "resolve", rating, "O1", "--dismissed", "--note", "经核实不影响定级", as_="li.county")
    decided = wait_for_stage(stack, rating, "rated")
    assert decided["level"] == 4
    years = {y["assessment"]["year"]: y["assessment"] for y in stack.cli_json("org", "show", "V001")["years"] if y["assessment"]}
    assert years[YEAR]["star"] == 4  # the decided level is the directory's star of the year

    # a case opened after the level was decided: `rating sync` records it as a veto (降星); run again, nothing new
    case = (EXAMPLES / "case-V001.yaml").read_text(encoding="utf-8").replace("year: 2026", f"year: {YEAR}")
    (tmp_path / "case.yaml").write_text(case, encoding="utf-8")
    stack.cli("case", "open", str(tmp_path / "case.yaml"), as_="wang.sup")
    synced = stack.cli_json("rating", "sync", "--year", str(YEAR), "--policy", str(policy), as_="wang.sup")
    assert synced["recorded"] == {rating: [f"rect-V001-{YEAR}"]} and not synced["failed"]
    assert stack.cli_json("rating", "sync", "--year", str(YEAR), as_="wang.sup")["recorded"] == {}
    assert stack.cli_json("rating", "show", rating)["level"] == 1

    report = stack.cli_json("rating", "report", "--year", str(YEAR))
    assert report["county"]["downgraded"] == 1 and report["county"]["by_level"]["1"] == 1
    text = stack.cli("rating", "report", "--year", str(YEAR)).stdout
    assert "年中降星" in text and "城关镇" in text
    history = stack.cli("rating", "history", rating).stdout
    assert "公示期满定级" in history and "记录否决事项" in history

    preview = stack.cli_json("campaign", "preview", "--year", str(YEAR + 1), "--policy", str(policy))
    v001 = next(d for d in preview["designees"] if d["org_code"] == "V001")
    assert "star_downgraded" in {r["code"] for r in v001["reasons"]}
