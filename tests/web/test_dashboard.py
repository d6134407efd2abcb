"""The dashboard (看板): the bulletin's figures from aggregate queries, by the viewer's scope; the ledger
downloads (the CLI's writers, only the cases in scope)."""

from __future__ import annotations

import csv
import dataclasses
import io
import re
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from openpyxl import load_workbook

from domain.policy import Policy
from reports.figures import case_figures
from reports.gather import gather
from service import dashboard as service
from service import signin
from service.bootstrap import Deps
from service.identity import caller_of
from tests.unit import builders as b
from tests.web.conftest import CASE, Console, _append
from web import dashboard as web_dashboard

NOW = datetime(2026, 7, 15, 4, 0, tzinfo=UTC)
T0 = b.T0


@pytest.fixture(autouse=True)
def mounted(console: Console) -> None:
    """The dashboard's router on the console's app (web.pages.install includes it once the lead wires it)."""
    if not any(getattr(route, "path", "") == "/dashboard" for route in console.app.routes):
        console.app.include_router(web_dashboard.router)


def more_cases(console: Console) -> None:
    """Two cases of 白云镇: V002 overdue with sanction proposals (a measure's text looks like a formula),
    V003 failed its first acceptance, reworked, then passed."""
    day = lambda n: T0 + timedelta(days=n)  # noqa: E731
    town = b.township_secretary("ts-2", scope=["白云镇"])
    v2 = b.Case(policy=Policy())
    bs2 = b.branch_secretary("bs-2", scope=["V002"])
    v2.run(b.open_case(org_code="V002", region="白云镇"), T0)
    formula = '=HYPERLINK("http://evil.example","点我")'
    measures = [b.measure("M1", ["P1"], date(2026, 3, 31), "bs-2", formula), b.measure("M2", ["P2", "P3"], date(2026, 4, 30), "bs-2")]
    v2.run(b.plan(bs2, measures=measures), day(1))
    v2.run(b.approve(town), day(2))
    for n in range(60, 125, 3):
        v2.tick(day(n))
    _append(console.engine, "rect-V002-2026", v2.events)
    v3 = b.Case(policy=Policy())
    bs3 = b.branch_secretary("bs-3", scope=["V003"])
    v3.run(b.open_case(org_code="V003", region="白云镇"), T0)
    due = date(2026, 5, 29)
    v3.run(b.plan(bs3, measures=[b.measure("M1", ["P1"], due, "bs-3"), b.measure("M2", ["P2", "P3"], due, "bs-3")]), day(1))
    v3.run(b.approve(town), day(2))
    for start, score in ((20, 50), (40, 90)):
        v3.run(b.complete("M1", bs3), day(start))
        v3.run(b.complete("M2", bs3), day(start + 1))
        v3.run(b.self_check(bs3), day(start + 2))
        v3.run(b.acceptance(score), day(start + 5))
    _append(console.engine, "rect-V003-2026", v3.events)


def deps_of(console: Console, person_id: str) -> Deps:
    base = console.app.state.resources.base
    person = signin.read_directory(base).people[person_id]
    return dataclasses.replace(base, _caller=caller_of(signin.issue(console.settings, person)))


def figure(html: str, key: str) -> str:
    found = re.search(rf'data-figure="{key}"><div class="value">([^<]*)</div>', html)
    assert found, f"no figure {key}"
    return found.group(1)


def section(html: str, element_id: str) -> str:
    start = html.index(f'id="{element_id}"')
    return html[start : html.index("</section>", start)]


# ----------------------------------------------------------------------------- figures


async def test_the_seeded_case_figures_on_the_page(console: Console) -> None:
    http = await console.signed_in("sup-1")
    async with http:
        page = await http.get("/dashboard")
    assert page.status_code == 200, page.text
    html = page.text
    assert '<link rel="stylesheet" href="/static/dashboard.css">' in html.split("</head>")[0]
    # one case implementing, its two measures past their deadline (30 June) and not done
    assert figure(html, "total") == "1" and figure(html, "closed") == "0"
    assert figure(html, "measures") == "0/2"
    assert figure(html, "overdue_measures") == "2" and figure(html, "overdue_cases") == "1"
    assert figure(html, "on_time_rate") == "0.0%"
    stages = section(html, "by-stage")
    assert 'data-label="整改实施" data-value="1"' in stages and 'data-label="已销号" data-value="0"' in stages
    assert "<svg" in stages and "<script" not in html.split("</head>")[1] and " style=" not in html  # the CSP allows no inline style
    townships = section(html, "by-township")
    assert 'data-region="青山镇"' in townships and 'data-label="青山镇" data-value="2"' in townships
    overdue = section(html, "overdue-list")
    assert f'data-case="{CASE}" data-measure="M1"' in overdue and f'data-case="{CASE}" data-measure="M2"' in overdue
    assert "bs-1" in overdue and "fs-1" in overdue and "2026-06-30" in overdue
    downloads = section(html, "downloads")
    for name in ("problems", "measures", "projects"):
        assert f'href="/dashboard/ledgers/{name}.csv"' in downloads and f'href="/dashboard/ledgers/{name}.xlsx"' in downloads
    assert '<option value="2026" >2026</option>' in html and '<option value="青山镇" >青山镇</option>' in html


async def test_english_on_request(console: Console) -> None:
    http = await console.signed_in("sup-1")
    async with http:
        page = await http.get("/dashboard?lang=en")
    assert page.status_code == 200
    assert "Rectification dashboard" in page.text and 'data-label="implementing" data-value="1"' in page.text


async def test_the_figures_are_the_bulletins(console: Console) -> None:
    """The aggregate queries give what reports/figures.py computes from the folded cases (the bulletin)."""
    more_cases(console)
    view = service.dashboard(deps_of(console, "sup-1"), year=2026, now=NOW)
    data = gather(console.engine, 2026, NOW)
    bulletin = case_figures(data.cases, NOW, data.measures)
    assert view.total == bulletin.total == 3
    assert {s: n for s, n in view.by_stage.items() if n} == bulletin.by_stage == {"implementing": 2, "consolidating": 1}
    for name in (
        "closed",
        "measures_total",
        "measures_done",
        "measures_due",
        "measures_on_time",
        "on_time_rate",
        "overdue_measures",
        "overdue_cases",
        "escalations",
        "sanction_proposals",
        "sanctions_pending",
    ):
        assert getattr(view, name) == getattr(bulletin, name), name
    assert view.escalations > 0 and view.sanction_proposals > 0
    assert {t.region: (t.measures_due, t.measures_on_time) for t in view.townships} == {
        r: (x.due, x.on_time) for r, x in bulletin.on_time_by_region.items()
    }
    assert (view.acceptance_rounds, view.acceptance_passed, view.acceptance_failed, view.rework_rounds) == (2, 1, 1, 1)
    assert [t.region for t in view.townships] == ["白云镇", "青山镇"] and view.regions == ["白云镇", "青山镇"] and view.years == [2026]
    # the longest overdue first: V002's M1 (31 March), then M2 (30 April), then V001's (30 June)
    assert [(m.case_id, m.measure_id) for m in view.overdue_list] == [
        ("rect-V002-2026", "M1"),
        ("rect-V002-2026", "M2"),
        (CASE, "M1"),
        (CASE, "M2"),
    ]
    assert view.overdue_list[0].working_days_over > view.overdue_list[2].working_days_over > 0
    # a township filter
    town = service.dashboard(deps_of(console, "sup-1"), year=2026, region="白云镇", now=NOW)
    assert town.total == 2 and town.overdue_measures == 2 and [t.region for t in town.townships] == ["白云镇"]
    assert service.dashboard(deps_of(console, "sup-1"), year=2025, now=NOW).total == 0


async def test_a_township_sees_its_own_cases_only(console: Console) -> None:
    more_cases(console)
    view = service.dashboard(deps_of(console, "ts-1"), now=NOW)  # scope 青山镇
    assert view.total == 1 and view.regions == ["青山镇"] and view.sanction_proposals == 0 and view.acceptance_rounds == 0
    assert {m.case_id for m in view.overdue_list} == {CASE}
    asked = service.dashboard(deps_of(console, "ts-1"), region="白云镇", now=NOW)  # another township's filter: nothing
    assert asked.total == 0 and asked.overdue_list == []


async def test_a_village_elsewhere_sees_zeros(console: Console) -> None:
    http = await console.signed_in("bs-9")  # scope V009
    async with http:
        page = await http.get("/dashboard")
        measures = await http.get("/dashboard/ledgers/measures.csv")
    assert page.status_code == 200
    html = page.text
    assert figure(html, "total") == "0" and figure(html, "overdue_measures") == "0" and figure(html, "on_time_rate").startswith("—")
    assert "V001" not in html and CASE not in html and "青山镇" not in html
    assert 'class="empty"' in section(html, "overdue-list")
    rows = list(csv.reader(io.StringIO(measures.content.decode("utf-8-sig"))))
    assert rows[0][0] == "案件编号" and rows[1:] == []


# ----------------------------------------------------------------------------- downloads


async def test_ledgers_as_csv_and_xlsx_with_a_chinese_file_name(console: Console) -> None:
    more_cases(console)
    http = await console.signed_in("ts-1")  # 青山镇: V001 only
    async with http:
        answer = await http.get("/dashboard/ledgers/measures.csv?year=2026")
        book = await http.get("/dashboard/ledgers/problems.xlsx")
        projects = await http.get("/dashboard/ledgers/projects.csv")
        unknown = await http.get("/dashboard/ledgers/people.csv")
        wrong = await http.get("/dashboard/ledgers/measures.pdf")
    assert answer.status_code == 200 and answer.headers["content-type"].startswith("text/csv")
    disposition = answer.headers["content-disposition"]
    assert disposition.startswith("attachment;") and 'filename="measures-2026.csv"' in disposition
    assert "filename*=UTF-8''%E6%95%B4%E6%94%B9%E6%8E%AA%E6%96%BD%E5%8F%B0%E8%B4%A6-2026.csv" in disposition  # 整改措施台账-2026.csv
    assert answer.content.startswith("\ufeff".encode())  # Excel reads the BOM as UTF-8
    rows = list(csv.DictReader(io.StringIO(answer.content.decode("utf-8-sig"))))
    assert [(r["案件编号"], r["措施编号"], r["责任人"]) for r in rows] == [(CASE, "M1", "bs-1"), (CASE, "M2", "fs-1")]
    assert book.status_code == 200 and "spreadsheetml" in book.headers["content-type"]
    assert "%E9%97%AE%E9%A2%98%E5%8F%B0%E8%B4%A6.xlsx" in book.headers["content-disposition"]  # 问题台账.xlsx
    sheet = load_workbook(io.BytesIO(book.content)).active
    assert sheet is not None and sheet.title == "问题台账"
    values = list(sheet.iter_rows(values_only=True))
    assert values[0][0] == "案件编号" and {v[0] for v in values[1:]} == {CASE} and len(values) == 4  # P1..P3
    assert projects.status_code == 200 and len(list(csv.reader(io.StringIO(projects.content.decode("utf-8-sig"))))) == 1
    assert unknown.status_code == 404 and wrong.status_code == 404


async def test_the_county_downloads_every_case(console: Console) -> None:
    more_cases(console)
    http = await console.signed_in("sup-1")
    async with http:
        answer = await http.get("/dashboard/ledgers/measures.csv?region=%E7%99%BD%E4%BA%91%E9%95%87&lang=en")
    rows = list(csv.DictReader(io.StringIO(answer.content.decode("utf-8-sig"))))
    assert {r["case id"] for r in rows} == {"rect-V002-2026", "rect-V003-2026"}
    assert "filename*=UTF-8''Measures-%E7%99%BD%E4%BA%91%E9%95%87.csv" in answer.headers["content-disposition"]


async def test_a_formula_looking_cell_is_neutralised(console: Console) -> None:
    more_cases(console)
    http = await console.signed_in("sup-1")
    async with http:
        answer = await http.get("/dashboard/ledgers/measures.csv")
        book = await http.get("/dashboard/ledgers/measures.xlsx")
    texts: list[Any] = [r[7] for r in csv.reader(io.StringIO(answer.content.decode("utf-8-sig")))]
    sheet = load_workbook(io.BytesIO(book.content)).active
    assert sheet is not None
    cells = [row[7] for row in sheet.iter_rows(min_row=2, values_only=True)]
    assert not any(str(v).startswith("=") for v in texts + cells)


def test_chart_bars_scale_to_the_largest_and_long_names_are_cut() -> None:
    drawn = web_dashboard.chart([("整改实施", 50, "stage-implementing"), ("某某街道办事处", 5, "overdue"), ("consolidating", 0, "x")])
    assert [b.width for b in drawn.bars] == [web_dashboard.BAR_MAX, round(web_dashboard.BAR_MAX / 10), 0]
    assert [b.short for b in drawn.bars] == ["整改实施", "某某街道办事…", "consolidating"]
    assert drawn.bars[1].label == "某某街道办事处" and drawn.height == 3 * web_dashboard.ROW
    assert web_dashboard.chart([]).bars == [] and web_dashboard.chart([("a", 0, "x")]).bars[0].width == 0
