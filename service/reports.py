"""Reports for any door: the half-year bulletin, the year-end summary, the ledgers as files.

    parse_as_of("2026-06-30")                              -> end of that day, Beijing time (UTC); today: now
    write_report(deps, "bulletin", 2026, out_dir, region=, as_of=, lang=) -> ReportFiles
    export_ledger(deps, "measures", out, fmt=, year=, region=, lang=)     -> LedgerExport

A report counts what has happened: an ``as_of`` after now is refused (``Refused`` naming the date and
today), a date that is today means up to now.

Everything is read from the audit database (no Temporal; its errors are the ``Deps``'); figures and
layout are reports/ (gather, figures, render, ledgers). matplotlib and openpyxl are imported when a
file is written, never before.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any, Literal

from domain.timeutil import SHANGHAI
from service.bootstrap import Deps
from service.errors import Refused

__all__ = ["LEDGERS", "LedgerExport", "check_as_of", "check_region", "export_ledger", "parse_as_of", "report_data", "write_report"]

Kind = Literal["bulletin", "summary"]
LEDGERS = ("problems", "measures", "progress", "acceptances", "adjustments", "projects")


def parse_as_of(value: str | None, now: datetime | None = None) -> datetime | None:
    """A date (the end of that day, Beijing time; today: ``now``) or a timestamp with its offset, as UTC;
    None stays None. A moment after ``now`` (default: the clock) is refused (``check_as_of``)."""
    if value is None:
        return None
    from reports.render import end_of_day

    now = (now or datetime.now(UTC)).astimezone(UTC)
    text = value.strip()
    try:
        if len(text) == 10:
            day = date.fromisoformat(text)
            return now if day == now.astimezone(SHANGHAI).date() else check_as_of(end_of_day(day), now, value)
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise Refused(f"--as-of {value!r}: expected a date YYYY-MM-DD or a timestamp like 2026-06-30T18:00+08:00") from None
    if moment.tzinfo is None:
        raise Refused(f"--as-of {value!r}: a timestamp needs its UTC offset, e.g. +08:00")
    return check_as_of(moment.astimezone(UTC), now, value)


def check_as_of(moment: datetime, now: datetime, given: str | None = None) -> datetime:
    """``moment`` unless it is after ``now``: a report counts only what has happened (no future as-of)."""
    if moment <= now:
        return moment
    from reports.render import show_time

    shown = given if given is not None else show_time(moment)
    today = now.astimezone(SHANGHAI).strftime("%Y-%m-%d")
    raise Refused(
        f"--as-of {shown}: in the future (today is {today}, {now.astimezone(SHANGHAI):%H:%M} Beijing time); "
        "a report counts only what has happened: give a date up to today, or leave --as-of out for up to now"
    )


def check_region(engine: Any, region: str) -> None:
    """``region`` is a township the directory or a case knows; a typo (火星镇) is refused, naming them,
    instead of giving an empty report."""
    from sqlmodel import Session, select

    from store.directory import Directory
    from store.models import CaseSummary

    with Session(engine) as session:
        known = set(Directory(engine).regions()) | set(session.exec(select(CaseSummary.region).distinct()).all())
    if region not in known:
        raise Refused(f"--region {region!r}: unknown township; known: {', '.join(sorted(known)) or 'none yet'}")


def write_report(
    deps: Deps,
    kind: Kind,
    year: int,
    out_dir: Path,
    *,
    region: str | None = None,
    as_of: datetime | None = None,
    lang: str = "zh",
    now: datetime | None = None,
    warn: bool = True,
) -> Any:
    """Gather ``year`` (and ``region``) as of ``as_of`` and write ``{stem}.md``, ``{stem}.html`` and the
    PNG charts into ``out_dir``. Returns ``reports.render.ReportFiles`` (paths, figures, notes).

    ``as_of`` after ``now`` is refused. Without it (``reports.render.default_as_of``): the summary counts
    up to 31 December, or up to now while the year runs; the bulletin counts up to now while the year
    runs (the half-year in progress), and up to 30 June for a year that has ended."""
    from reports.gather import gather
    from reports.render import default_as_of
    from reports.render import write_report as render

    now = (now or datetime.now(UTC)).astimezone(UTC)
    moment = check_as_of(as_of, now) if as_of is not None else default_as_of(kind, year, now)
    if moment.astimezone(SHANGHAI).year < year:
        raise Refused(f"--as-of {as_of or moment}: before {year} began; a report of {year} counts from 1 January {year}")
    if region is not None:
        deps.reading(lambda engine: check_region(engine, region))
    data = deps.reading(lambda engine: gather(engine, year, moment, region))
    try:
        return render(kind, data, out_dir, lang, warn=warn)
    except OSError as error:
        raise Refused(f"cannot write to {out_dir}: {error.strerror or error}") from None


def report_data(files: Any) -> dict[str, Any]:
    """A written report as JSON-ready data: its files, figures, project figures and notes."""
    paths = [files.markdown, files.html, *files.charts]
    return {
        "files": [str(p) for p in paths],
        "figures": files.figures.model_dump(mode="json"),
        "projects": files.projects.model_dump(mode="json"),
        "notes": files.notes,
    }


@dataclass(frozen=True)
class LedgerExport:
    ledger: str
    path: Path
    format: str
    rows: int

    def as_data(self) -> dict[str, Any]:
        return {"ledger": self.ledger, "file": str(self.path), "format": self.format, "rows": self.rows}


def export_ledger(
    deps: Deps,
    ledger: str,
    out: Path,
    *,
    fmt: str | None = None,
    year: int | None = None,
    region: str | None = None,
    lang: str = "zh",
) -> LedgerExport:
    """Write ``ledger`` (problems 问题台账, measures 整改措施台账, progress 整改进展记录, acceptances 验收记录,
    adjustments 组织调整执行台账, projects 书记项目台账) to ``out`` as CSV (UTF-8 with BOM) or XLSX —
    ``fmt``, else ``out``'s suffix — with Chinese headers (English with lang en)."""
    from reports import gather, ledgers

    if ledger not in LEDGERS:
        raise Refused(f"unknown ledger {ledger!r}: {', '.join(LEDGERS)}")
    chosen = fmt or out.suffix.lower().lstrip(".")
    if chosen not in ("csv", "xlsx"):
        raise Refused(f"--out {out}: say --format csv or --format xlsx (or name the file .csv / .xlsx)")
    rows = deps.reading(lambda engine: gather.LEDGER_READERS[ledger](engine, year, region))
    try:
        path = ledgers.export(out, ledger, rows, chosen, lang)  # type: ignore[arg-type]
    except OSError as error:
        raise Refused(f"cannot write {out}: {error.strerror or error}") from None
    return LedgerExport(ledger, path, chosen, len(rows))
