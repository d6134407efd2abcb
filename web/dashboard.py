"""The console's dashboard (看板) and its ledger downloads.

    GET /dashboard?year=&region=                      the bulletin's figures, live, for my scope; bar charts as inline SVG
    GET /dashboard/ledgers/{name}.{fmt}?year=&region=  问题台账 / 整改措施台账 / 书记项目台账 (problems|measures|projects)
                                                      as csv|xlsx: the rows `pdca report ledger` writes, only my scope's

The figures are service.dashboard's (aggregate queries); the files are reports.ledgers' (the CLI's writer).
The charts are drawn here, server side: no script, no external asset (the CSP allows neither inline style
nor foreign images, so the SVG uses presentation attributes and classes only).
"""

from __future__ import annotations

import tempfile
import unicodedata
from pathlib import Path
from typing import NamedTuple
from urllib.parse import quote

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from i18n import label
from reports import ledgers
from reports.render import percent
from service import dashboard as service
from service.errors import NotFound
from web.pages import Shared, Who, render

router = APIRouter(include_in_schema=False)

FORMATS = {"csv": "text/csv; charset=utf-8", "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"}

# chart geometry (SVG user units; the SVG scales to the width of its card)
WIDTH, LABEL_WIDTH, ROW, BAR_MAX = 300, 102, 28, 160
LABEL_UNITS = 13  # what fits left of the bars: a CJK character counts 2, a Latin one 1


class Bar(NamedTuple):
    label: str
    short: str  # the label as drawn (long names cut, the whole one in the bar's <title>)
    value: int
    y: int
    width: int
    kind: str  # a CSS class: the bar's colour


class Chart(NamedTuple):
    bars: list[Bar]
    width: int
    height: int
    label_x: int  # labels end here
    bar_x: int


def _short(text: str, units: int = LABEL_UNITS) -> str:
    """``text`` cut to ``units`` (CJK characters count double), with "…" when cut."""
    widths = [2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text]
    if sum(widths) <= units:
        return text
    kept, used = "", 0
    for ch, width in zip(text, widths, strict=True):
        if used + width > units - 1:
            break
        kept, used = kept + ch, used + width
    return kept + "…"


def chart(items: list[tuple[str, int, str]]) -> Chart:
    """A horizontal bar chart of (label, value, kind) rows, scaled to the largest value."""
    top = max((value for _, value, _ in items), default=0)
    bars = [
        Bar(
            name,
            _short(name),
            value,
            i * ROW,
            0 if top == 0 else max(round(BAR_MAX * value / top), 2 if value else 0),
            kind,
        )
        for i, (name, value, kind) in enumerate(items)
    ]
    return Chart(bars, WIDTH, max(len(bars), 1) * ROW, LABEL_WIDTH - 6, LABEL_WIDTH)


def _year(value: str) -> int | None:
    return int(value) if value.isdigit() and len(value) == 4 else None


@router.get("/dashboard")
def dashboard_page(request: Request, who: Who, shared: Shared, year: str = "", region: str = "") -> HTMLResponse:
    now = request.app.state.clock()
    view = service.dashboard(shared.deps(who.who), year=_year(year), region=region.strip() or None, now=now)
    stage_chart = chart([(label(f"stage.{s}", who.lang), n, f"stage-{s}") for s, n in view.by_stage.items()])
    township_chart = chart([(t.region or "-", t.overdue_measures, "overdue") for t in view.townships])
    filters = {"year": str(view.year or ""), "region": view.region or ""}
    query = "&".join(f"{k}={quote(v)}" for k, v in filters.items() if v)
    return render(
        request,
        who,
        "dashboard.html",
        view=view,
        filters=filters,
        query=("?" + query) if query else "",
        stage_chart=stage_chart,
        township_chart=township_chart,
        percent=lambda value: percent(value, who.lang),
        ledgers=[(name, ledgers.SHEET_TITLES[name]) for name in service.LEDGERS],
    )


def _filename(name: str, fmt: str, lang: str, year: int | None, region: str | None) -> tuple[str, str]:
    """The download's file name (Chinese with lang zh) and its ASCII fallback, e.g. 整改措施台账-2026-青山镇.csv."""
    title = ledgers.SHEET_TITLES[name][0 if lang == "zh" else 1]
    parts = [title] + ([str(year)] if year else []) + ([region] if region else [])
    unsafe = str.maketrans({c: "_" for c in '\\/:*?"<>|\r\n\t'})
    readable = "-".join(parts).translate(unsafe) + f".{fmt}"
    fallback = "-".join([name] + ([str(year)] if year else [])) + f".{fmt}"
    return readable, fallback


@router.get("/dashboard/ledgers/{name}.{fmt}")
def ledger_download(who: Who, shared: Shared, name: str, fmt: str, year: str = "", region: str = "") -> Response:
    if name not in service.LEDGERS or fmt not in FORMATS:
        raise NotFound(f"no ledger {name}.{fmt}: {', '.join(service.LEDGERS)} as csv or xlsx", name)
    year_value, region_value = _year(year), region.strip() or None
    rows = service.ledger_rows(shared.deps(who.who), name, year=year_value, region=region_value)
    with tempfile.TemporaryDirectory(prefix="pdca-ledger-") as tmp:
        path = ledgers.export(Path(tmp) / f"{name}.{fmt}", name, rows, fmt, who.lang)  # type: ignore[arg-type]
        data = path.read_bytes()
    readable, fallback = _filename(name, fmt, who.lang, year_value, region_value)
    return Response(
        data,
        media_type=FORMATS[fmt],
        headers={
            "Content-Disposition": f"attachment; filename=\"{fallback}\"; filename*=UTF-8''{quote(readable, safe='')}",
            "Cache-Control": "no-store",
            "X-Content-Type-Options": "nosniff",
        },
    )
