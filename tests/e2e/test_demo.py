"""`pdca demo`, as a newcomer runs it: the real CLI, its own time-skipping server, a whole year."""

from __future__ import annotations

import html.parser
import os
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

pytestmark = pytest.mark.e2e

PDCA = Path(sys.executable).with_name("pdca")


class ImageSources(html.parser.HTMLParser):
    """The ``src`` of every ``<img>`` in a page."""

    def __init__(self) -> None:
        super().__init__()
        self.sources: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "img":
            self.sources.append(dict(attrs)["src"] or "")


def test_demo_runs_a_campaign_year_and_writes_the_reports(tmp_path: Path) -> None:
    out = tmp_path / "demo"
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PDCA_", "TEMPORAL_"))}
    env["PDCA_HOME"] = str(tmp_path / "home")
    started = time.monotonic()
    done = subprocess.run([str(PDCA), "demo", "--out", str(out)], capture_output=True, text=True, timeout=300, env=env)
    took = time.monotonic() - started
    assert done.returncode == 0, done.stderr[-3000:]
    text = done.stdout
    for step in (
        "【认定】",
        "【实施 Do】",
        "【方案】",
        "【书记项目】",
        "【恢复】",
        "【问责】",
        "【验收】",
        "【报告】半年通报",
        "【总结 Act】",
        "演示完成",
    ):
        assert step in text, step
    for event in ("到期提醒", "逾期通知", "逾期升级", "问责提议", "问责决定", "催办", "暂停计时", "恢复计时", "验收评定", "年度总结"):
        assert event in text, event
    print(f"pdca demo took {took:.1f} s")  # the closing note reports it; not asserted (shared machines)

    # The audit log holds the year: one stream per case, every case started exactly once.
    with sqlite3.connect(out / "audit.db") as db:
        opened = db.execute("SELECT stream_id, COUNT(*) FROM audit_event WHERE event_type = 'CaseOpened' GROUP BY stream_id").fetchall()
        assert opened and all(count == 1 for _, count in opened)
        designated = db.execute("SELECT designated, started FROM campaign_summary").fetchone()
        assert designated[0] == designated[1] == len(opened)
        assert f"启动整顿案件（子工作流）{len(opened)} 个" in text
        decisions = {row[0] for row in db.execute("SELECT payload FROM audit_event WHERE event_type = 'SanctionDecided'")}
        assert any('"approved"' in p for p in decisions) and any('"dismissed"' in p for p in decisions)

    for name in ("bulletin", "summary"):
        folder = out / "reports" / name
        markdown = next(folder.glob("*.md")).read_text(encoding="utf-8")
        assert "| 整顿对象（案件）总数 | " + str(len(opened)) + " |" in markdown
        page = next(folder.glob("*.html")).read_text(encoding="utf-8")
        parser = ImageSources()
        parser.feed(page)
        images = parser.sources
        assert images and all((folder / src).exists() for src in images)


def test_demo_with_json_output_prints_only_its_result(tmp_path: Path) -> None:
    import json

    out = tmp_path / "demo"
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PDCA_", "TEMPORAL_"))}
    env["PDCA_HOME"] = str(tmp_path / "home")
    done = subprocess.run([str(PDCA), "demo", "--out", str(out), "-o", "json"], capture_output=True, text=True, timeout=300, env=env)
    assert done.returncode == 0, done.stderr[-3000:]
    result = json.loads(done.stdout)  # the whole of stdout: no timeline
    assert result["out_dir"] == str(out) and result["designated"] == result["children_started"] > 0
    assert result["projects"] == 3 and result["audit_events"] > 0 and result["notices"] > 0
    assert any(path.endswith(".md") for path in result["reports"]) and all(Path(path).exists() for path in result["reports"])
