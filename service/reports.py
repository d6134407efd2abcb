"""Reports for any door: the half-year bulletin, the year-end summary, the ledgers as files.

    parse_as_of("2026-06-30")                              -> end of that day, Beijing time (UTC)
    write_report(deps, "bulletin", 2026, out_dir, region=, as_of=, lang=) -> ReportFiles
    export_ledger(deps, "measures", out, fmt=, year=, region=, lang=)     -> LedgerExport

Everything is read from the audit database (no Temporal; its errors are the ``Deps``'); figures and
layout are reports/ (gather, figures, render, ledgers). matplotlib and openpyxl are imported when a
file is written, never before.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any, Literal

from service.bootstrap import Deps
from service.errors import Refused

__all__ = ["LEDGERS", "LedgerExport", "export_ledger", "parse_as_of", "report_data", "write_report"]

Kind = Literal["bulletin", "summary"]
LEDGERS = ("problems", "measures", "projects")


def parse_as_of(value: str | None) -> datetime | None:
    """A date (the end of that day, Beijing time) or a timestamp with its offset, as UTC; None stays None."""
    if value is None:
        return None
    from reports.render import end_of_day

    text = value.strip()
    try:
        if len(text) == 10:
            return end_of_day(date.fromisoformat(text))
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise Refused(f"--as-of {value!r}: expected a date YYYY-MM-DD or a timestamp like 2026-06-30T18:00+08:00") from None
    if moment.tzinfo is None:
        raise Refused(f"--as-of {value!r}: a timestamp needs its UTC offset, e.g. +08:00")
    return moment.astimezone(UTC)


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
    """Gather ``year`` (and ``region``) as of ``as_of`` — default the end of 30 June (bulletin) or
    31 December (summary), or ``now`` if earlier — and write ``{stem}.md``, ``{stem}.html`` and the PNG
    charts into ``out_dir``. Returns ``reports.render.ReportFiles`` (paths, figures, notes)."""
    from reports.gather import gather
    from reports.render import default_as_of
    from reports.render import write_report as render

    moment = as_of or default_as_of(kind, year, now or datetime.now(UTC))
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
    """Write ``ledger`` (problems 问题台账, measures 整改措施台账, projects 书记项目台账) to ``out`` as CSV
    (UTF-8 with BOM) or XLSX — ``fmt``, else ``out``'s suffix — with Chinese headers (English with lang en)."""
    from reports import gather, ledgers

    if ledger not in LEDGERS:
        raise Refused(f"unknown ledger {ledger!r}: {', '.join(LEDGERS)}")
    chosen = fmt or out.suffix.lower().lstrip(".")
    if chosen not in ("csv", "xlsx"):
        raise Refused(f"--out {out}: say --format csv or --format xlsx (or name the file .csv / .xlsx)")
    readers = {"problems": gather.problem_ledger, "measures": gather.measure_ledger, "projects": gather.project_ledger}
    rows = deps.reading(lambda engine: readers[ledger](engine, year, region))
    try:
        path = ledgers.export(out, ledger, rows, chosen, lang)  # type: ignore[arg-type]
    except OSError as error:
        raise Refused(f"cannot write {out}: {error.strerror or error}") from None
    return LedgerExport(ledger, path, chosen, len(rows))
