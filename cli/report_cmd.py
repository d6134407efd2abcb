"""`pdca report`: 报告 half-year bulletin, year-end summary, ledgers (Markdown, HTML, charts, CSV, XLSX).

Reads the audit database only (no Temporal needed). matplotlib and openpyxl are imported inside the
commands, never when the CLI starts.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

import typer

from cli.common import DbOpt, JsonOpt, Lang, LangOpt, reading, run
from cli.errors import CliError

app = typer.Typer(
    help="报告 half-year bulletin (半年通报), year-end summary (年终总结), ledgers (台账) as Markdown, HTML, PNG charts, CSV, XLSX.",
    no_args_is_help=True,
)

YearOpt = Annotated[int, typer.Option("--year", min=2000, max=2100, help="The campaign year, e.g. 2026.")]
RegionOpt = Annotated[str | None, typer.Option("--region", help="Only this township / region (default: all).")]
AsOfOpt = Annotated[
    str | None,
    typer.Option(
        "--as-of",
        help="Count as of this date (end of that day, Beijing time) or timestamp with offset. "
        "Default: end of 30 June (bulletin) / 31 December (summary), or now if earlier.",
    ),
]
OutDirOpt = Annotated[Path, typer.Option("--out", help="Directory for the .md, .html and .png files (created).")]


class LedgerName(StrEnum):
    problems = "problems"
    measures = "measures"
    projects = "projects"


class LedgerFormat(StrEnum):
    csv = "csv"
    xlsx = "xlsx"


def parse_as_of(value: str | None) -> datetime | None:
    if value is None:
        return None
    from reports.render import end_of_day

    text = value.strip()
    try:
        if len(text) == 10:
            return end_of_day(date.fromisoformat(text))
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise CliError(f"--as-of {value!r}: expected a date YYYY-MM-DD or a timestamp like 2026-06-30T18:00+08:00") from None
    if moment.tzinfo is None:
        raise CliError(f"--as-of {value!r}: a timestamp needs its UTC offset, e.g. +08:00")
    return moment.astimezone(UTC)


def _report(kind: str, year: int, region: str | None, as_of: str | None, out: Path, db: str | None, as_json: bool, lang: Lang) -> None:
    def action() -> None:
        from reports.gather import gather
        from reports.render import default_as_of, write_report

        moment = parse_as_of(as_of) or default_as_of(kind, year, datetime.now(UTC))  # type: ignore[arg-type]
        data = reading(db, lambda log: gather(log.engine, year, moment, region))
        try:
            files = write_report(kind, data, out, lang.value)  # type: ignore[arg-type]
        except OSError as error:
            raise CliError(f"cannot write to {out}: {error.strerror or error}") from None
        paths = [files.markdown, files.html, *files.charts]
        if as_json:
            from cli.render import print_json

            print_json({"files": [str(p) for p in paths], "figures": files.figures.model_dump(mode="json"), "projects": files.projects.model_dump(mode="json"), "notes": files.notes})
            return
        f = files.figures
        rate = "-" if f.on_time_rate is None else f"{100 * f.on_time_rate:.1f}%"
        if lang == Lang.zh:
            print(f"✓ {'半年通报' if kind == 'bulletin' else '年终总结'}：{f.total} 件案件，已销号 {f.closed}，逾期 {f.overdue_cases}，按期完成率 {rate}")
            print("已写入：")
        else:
            print(f"✓ {'half-year bulletin' if kind == 'bulletin' else 'year-end summary'}: {f.total} case(s), {f.closed} closed, {f.overdue_cases} overdue, on-time rate {rate}")
            print("written:")
        for p in paths:
            print(f"  {p}")

    run(action, lang)


@app.command("bulletin")
def bulletin(
    year: YearOpt,
    region: RegionOpt = None,
    as_of: AsOfOpt = None,
    out: OutDirOpt = Path("pdca-reports"),
    db: DbOpt = None,
    as_json: JsonOpt = False,
    lang: LangOpt = Lang.zh,
) -> None:
    """半年通报 Half-year bulletin: headline figures, progress by stage and township, on-time rate,
    overdue organizations named, escalations, secretary projects; Markdown + HTML + PNG charts."""
    _report("bulletin", year, region, as_of, out, db, as_json, lang)


@app.command("summary")
def summary(
    year: YearOpt,
    region: RegionOpt = None,
    as_of: AsOfOpt = None,
    out: OutDirOpt = Path("pdca-reports"),
    db: DbOpt = None,
    as_json: JsonOpt = False,
    lang: LangOpt = Lang.zh,
) -> None:
    """年终总结 Year-end summary: the bulletin's contents plus carried-over cases and upgrades
    (晋位升级); Markdown + HTML + PNG charts."""
    _report("summary", year, region, as_of, out, db, as_json, lang)


@app.command("ledger")
def ledger(
    name: Annotated[LedgerName, typer.Argument(help="problems (问题台账), measures (整改措施台账) or projects (书记项目台账).")],
    out: Annotated[Path, typer.Option("--out", help="File to write, e.g. measures.xlsx.")],
    fmt: Annotated[
        LedgerFormat | None, typer.Option("--format", help="csv (UTF-8 with BOM, opens in Excel) or xlsx [default: from --out's suffix].")
    ] = None,
    year: Annotated[int | None, typer.Option("--year", min=2000, max=2100, help="Only this year.")] = None,
    region: RegionOpt = None,
    db: DbOpt = None,
    lang: LangOpt = Lang.zh,
) -> None:
    """台账导出 Export a ledger to CSV or XLSX with Chinese column headers (English with --lang en)."""

    def action() -> None:
        from reports import gather, ledgers

        chosen = fmt.value if fmt else out.suffix.lower().lstrip(".")
        if chosen not in ("csv", "xlsx"):
            raise CliError(f"--out {out}: say --format csv or --format xlsx (or name the file .csv / .xlsx)")
        readers: dict[str, Any] = {
            "problems": gather.problem_ledger,
            "measures": gather.measure_ledger,
            "projects": gather.project_ledger,
        }
        rows = reading(db, lambda log: readers[name.value](log.engine, year, region))
        try:
            path = ledgers.export(out, name.value, rows, chosen, lang.value)  # type: ignore[arg-type]
        except OSError as error:
            raise CliError(f"cannot write {out}: {error.strerror or error}") from None
        if lang == Lang.zh:
            print(f"✓ 已导出 {len(rows)} 行 → {path}")
        else:
            print(f"✓ exported {len(rows)} row(s) → {path}")

    run(action, lang)
