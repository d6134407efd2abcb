"""`pdca report bulletin|summary|ledger`: 报告 half-year bulletin, year-end summary, ledgers.

Reads the audit database only (no Temporal needed); the work is service/reports.py. matplotlib and
openpyxl are imported when a file is written, never when the CLI starts.
"""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import Annotated, Literal

import typer

from cli.common import Lang, deps, emit, noun, opts, run
from service import reports

app = noun("报告 half-year bulletin (半年通报), year-end summary (年终总结), ledgers (台账) as Markdown, HTML, PNG charts, CSV, XLSX.")

YearOpt = Annotated[int, typer.Option("--year", min=2000, max=2100, help="The campaign year, e.g. 2026.")]
RegionOpt = Annotated[str | None, typer.Option("--region", help="Only this township / region (default: all).")]
AsOfOpt = Annotated[
    str | None,
    typer.Option(
        "--as-of",
        help="Count as of this date (end of that day, Beijing time; today: up to now) or timestamp with offset; "
        "never in the future. Default: up to now while the year runs; for a past year the end of 30 June "
        "(bulletin) / 31 December (summary).",
    ),
]
OutDirOpt = Annotated[Path, typer.Option("--out", help="Directory for the .md, .html and .png files (created).")]


class LedgerName(StrEnum):
    problems = "problems"
    measures = "measures"
    progress = "progress"
    acceptances = "acceptances"
    adjustments = "adjustments"
    projects = "projects"


class LedgerFormat(StrEnum):
    csv = "csv"
    xlsx = "xlsx"


def _report(kind: Literal["bulletin", "summary"], year: int, region: str | None, as_of: str | None, out: Path) -> None:
    def action() -> None:
        lang = opts().lang
        files = reports.write_report(deps(), kind, year, out, region=region, as_of=reports.parse_as_of(as_of), lang=lang.value)

        def show() -> None:
            from reports.render import show_time

            f = files.figures
            rate = "-" if f.on_time_rate is None else f"{100 * f.on_time_rate:.1f}%"
            score, satisfaction = f.failures_by_reason.get("failed_score", 0), f.failures_by_reason.get("failed_satisfaction", 0)
            if lang == Lang.zh:
                what = "半年通报" if kind == "bulletin" else "年终总结"
                print(f"✓ {what}：{f.total} 件案件，已销号 {f.closed}，逾期 {f.overdue_cases}，按期完成率 {rate}")
                print(f"  验收 {f.acceptance_rounds} 轮（得分不达标 {score}，群众满意度否决 {satisfaction}），限期重新整改 {f.reworks} 次")
                print(f"  统计截至 {show_time(f.as_of)}（北京时间）")
                print("已写入：")
            else:
                what = "half-year bulletin" if kind == "bulletin" else "year-end summary"
                print(f"✓ {what}: {f.total} case(s), {f.closed} closed, {f.overdue_cases} overdue, on-time rate {rate}")
                print(
                    f"  {f.acceptance_rounds} acceptance round(s) (failed: score {score}, public dissatisfaction {satisfaction}), "
                    f"{f.reworks} rework order(s)"
                )
                print(f"  as of {show_time(f.as_of)} (Beijing time)")
                print("written:")
            for p in [files.markdown, files.html, *files.charts]:
                print(f"  {p}")

        emit(reports.report_data(files), show)

    run(action)


@app.command("bulletin")
def bulletin(year: YearOpt, region: RegionOpt = None, as_of: AsOfOpt = None, out: OutDirOpt = Path("pdca-reports")) -> None:
    """半年通报 Half-year bulletin: headline figures, progress by stage and township, on-time rate,
    overdue organizations named, escalations, secretary projects; Markdown + HTML + PNG charts."""
    _report("bulletin", year, region, as_of, out)


@app.command("summary")
def summary(year: YearOpt, region: RegionOpt = None, as_of: AsOfOpt = None, out: OutDirOpt = Path("pdca-reports")) -> None:
    """年终总结 Year-end summary: the bulletin's contents plus carried-over cases and upgrades
    (晋位升级); Markdown + HTML + PNG charts."""
    _report("summary", year, region, as_of, out)


@app.command("ledger")
def ledger(
    name: Annotated[
        LedgerName,
        typer.Argument(
            help="problems (问题台账), measures (整改措施台账: original and current deadline, every progress report), "
            "progress (整改进展记录: one row per report), acceptances (验收记录: one row per round), "
            "adjustments (组织调整执行台账) or projects (书记项目台账)."
        ),
    ],
    out: Annotated[Path, typer.Option("--out", help="File to write, e.g. measures.xlsx.")],
    fmt: Annotated[
        LedgerFormat | None, typer.Option("--format", help="csv (UTF-8 with BOM, opens in Excel) or xlsx [default: from --out's suffix].")
    ] = None,
    year: Annotated[int | None, typer.Option("--year", min=2000, max=2100, help="Only this year.")] = None,
    region: RegionOpt = None,
) -> None:
    """台账导出 Export a ledger to CSV or XLSX with Chinese column headers (English with --lang en)."""

    def action() -> None:
        lang = opts().lang
        done = reports.export_ledger(deps(), name.value, out, fmt=fmt.value if fmt else None, year=year, region=region, lang=lang.value)
        emit(
            done.as_data(),
            lambda: print(f"✓ 已导出 {done.rows} 行 → {done.path}" if lang == Lang.zh else f"✓ exported {done.rows} row(s) → {done.path}"),
        )

    run(action)
