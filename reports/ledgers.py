"""Ledgers (问题台账, 整改措施台账, 整改进展记录, 验收记录, 组织调整执行台账, 书记项目台账) exported to CSV and XLSX.

CSV is UTF-8 **with a byte-order mark** (``utf-8-sig``): Excel on Windows reads a BOM-less UTF-8 CSV
as the local code page and garbles Chinese; with the BOM it opens correctly. XLSX (openpyxl, imported
only here) has a bold header row with the labels, the header frozen, an auto-filter and column widths
fitted to the content (a CJK character counts double).

Cells: times in Beijing time (``YYYY-MM-DD HH:MM`` in CSV; real date-times in XLSX, shown the same
way), yes/no as 是/否 (yes/no with ``--lang en``), empty for none, numbers as numbers; codes of the
columns in ``LABELLED`` (verdict, report kind, rung) as their labels; a list of history entries (a
measure's progress reports, its deadline moves) one line per entry, each entry's ``describe(lang)``.
Every text cell is neutralised against formula injection (``inert``), the history lines included.
"""

from __future__ import annotations

import csv
import unicodedata
from collections.abc import Sequence
from datetime import date, datetime
from pathlib import Path
from typing import Any, Literal

from domain.timeutil import SHANGHAI
from i18n import label

LedgerName = Literal["problems", "measures", "progress", "acceptances", "adjustments", "projects"]
Format = Literal["csv", "xlsx"]

COLUMNS: dict[str, tuple[str, ...]] = {
    "problems": (
        "case_id", "org_code", "org_name", "region", "year", "problem_id", "cycle", "category", "category_name", "description",
        "source", "finding_id",
    ),
    "measures": (
        "case_id", "org_code", "org_name", "region", "year", "measure_id", "cycle", "description", "problems",
        "responsible", "partners", "original_deadline", "deadline", "deadline_changes", "deadline_history", "reworks",
        "done", "completed_at", "completed_by", "overdue", "progress_reports", "last_report_at", "progress_history",
        "reminders", "escalations",
    ),
    "progress": (
        "case_id", "org_code", "org_name", "region", "year", "measure_id", "cycle", "rework_round", "kind", "at", "by",
        "note", "evidence", "files",
    ),
    "acceptances": (
        "case_id", "org_code", "org_name", "region", "year", "cycle", "round", "at", "by", "score", "unsatisfied_share",
        "verdict", "pass_score", "max_unsatisfied_share", "rework_deadline", "comments",
    ),
    "adjustments": (
        "case_id", "org_code", "org_name", "region", "year", "proposal_id", "rung", "action", "executed_on", "at", "by",
        "previous_secretary", "new_secretary",
    ),
    "projects": (
        "project_id", "level", "org_code", "org_name", "region", "year", "owner", "stage", "revision_rounds",
        "milestones_total", "milestones_done", "overdue_milestones", "quarterly_reports", "urges_sent", "rating",
        "satisfaction", "outcome", "last_event_at",
    ),
}
SHEET_TITLES = {
    "problems": ("问题台账", "Problems"),
    "measures": ("整改措施台账", "Measures"),
    "progress": ("整改进展记录", "Progress reports"),
    "acceptances": ("验收记录", "Acceptance rounds"),
    "adjustments": ("组织调整执行台账", "Adjustments carried out"),
    "projects": ("书记项目台账", "Projects"),
}
# Columns holding a code people read as a label: column -> label prefix (i18n ``{prefix}.{code}``).
LABELLED = {"verdict": "verdict", "kind": "ledger.report", "rung": "rung"}


def columns_for(ledger: str, rows: Sequence[dict[str, Any]]) -> list[str]:
    """The ledger's columns in order, plus any extra columns the rows carry (newer tables)."""
    base = list(COLUMNS[ledger])
    extra = [k for k in (rows[0] if rows else {}) if k not in base]
    return [c for c in base if not rows or c in rows[0]] + extra


def headers(columns: Sequence[str], lang: str, ledger: str | None = None) -> list[str]:
    """Each column's label: ``ledger.{ledger}.{column}`` when the ledger names it its own way (the
    measures ledger's ``deadline`` is the *current* deadline), else ``ledger.{column}``, else the code."""
    known = _known()
    own = [f"ledger.{ledger}.{c}" if ledger and f"ledger.{ledger}.{c}" in known else f"ledger.{c}" for c in columns]
    return [label(key, lang) if key in known else c for key, c in zip(own, columns, strict=True)]


def localized(rows: Sequence[dict[str, Any]], lang: str) -> list[dict[str, Any]]:
    """The rows with the codes of ``LABELLED`` columns as labels (``failed_score`` → 得分不达标)."""
    known = _known()
    out = []
    for row in rows:
        row = dict(row)
        for column, prefix in LABELLED.items():
            value = row.get(column)
            if isinstance(value, str) and f"{prefix}.{value}" in known:
                row[column] = label(f"{prefix}.{value}", lang)
        out.append(row)
    return out


def _known() -> set[str]:
    from i18n import all_keys

    return set(all_keys())


FORMULA_LEADS = ("=", "+", "-", "@", "\t", "\r")


def inert(text: str) -> str:
    """Text a spreadsheet will not run: a cell starting like a formula (``=HYPERLINK(…)``, ``+1+1``,
    ``@SUM``, ``-2+3``, a tab or carriage return) gets a leading apostrophe (OWASP's CSV injection advice)."""
    return f"'{text}" if text.startswith(FORMULA_LEADS) else text


def cell_text(value: Any, lang: str) -> str:
    """A value as the CSV shows it (text neutralised against formula injection)."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return label("word.yes" if value else "word.no", lang)
    if isinstance(value, datetime):
        return value.astimezone(SHANGHAI).strftime("%Y-%m-%d %H:%M") if value.tzinfo else value.strftime("%Y-%m-%d %H:%M")
    if isinstance(value, float):
        return f"{value:g}"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, (list, tuple)):
        return "\n".join(entry_text(v, lang) for v in value)
    return inert(str(getattr(value, "value", value)))


def entry_text(value: Any, lang: str) -> str:
    """One entry of a history cell, on its own line: ``describe(lang)`` when it has one; neutralised."""
    describe = getattr(value, "describe", None)
    return inert(describe(lang) if callable(describe) else cell_text(value, lang))


def cell_xlsx(value: Any, lang: str) -> Any:
    """A value as the XLSX holds it: numbers stay numbers, times become Beijing date-times, empty is blank."""
    if value is None or value == "":
        return None
    if isinstance(value, bool):
        return label("word.yes" if value else "word.no", lang)
    if isinstance(value, datetime):
        local = value.astimezone(SHANGHAI) if value.tzinfo else value
        return local.replace(tzinfo=None, second=0, microsecond=0)
    if isinstance(value, date):  # a day (e.g. the date an adjustment was carried out)
        return value
    if isinstance(value, (int, float)):
        return value
    if isinstance(value, (list, tuple)):
        return cell_text(value, lang) or None
    return inert(str(getattr(value, "value", value)))


def write_csv(path: Path, ledger: str, rows: Sequence[dict[str, Any]], lang: str = "zh") -> Path:
    columns = columns_for(ledger, rows)
    rows = localized(rows, lang)
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8-sig", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(headers(columns, lang, ledger))
        for row in rows:
            writer.writerow([cell_text(row.get(c), lang) for c in columns])
    return path


def _width(text: str) -> int:
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def write_xlsx(path: Path, ledger: str, rows: Sequence[dict[str, Any]], lang: str = "zh") -> Path:
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font, PatternFill
    from openpyxl.utils import get_column_letter

    columns = columns_for(ledger, rows)
    rows = localized(rows, lang)
    book = Workbook()
    sheet = book.active
    assert sheet is not None  # a new workbook has one sheet, and it is the active one
    sheet.title = SHEET_TITLES[ledger][0 if lang == "zh" else 1]
    head = headers(columns, lang, ledger)
    sheet.append(head)
    for cell in sheet[1]:
        cell.font = Font(bold=True)
        cell.fill = PatternFill("solid", fgColor="EEEEEE")
        cell.alignment = Alignment(vertical="center")
    widths = [_width(h) for h in head]
    wrap = Alignment(wrap_text=True, vertical="top")
    for row in rows:
        values = [cell_xlsx(row.get(c), lang) for c in columns]
        sheet.append(values)
        for i, value in enumerate(values):
            if isinstance(value, datetime):
                widths[i] = max(widths[i], 16)
                sheet.cell(row=sheet.max_row, column=i + 1).number_format = "yyyy-mm-dd hh:mm"
                continue
            if isinstance(value, date):
                widths[i] = max(widths[i], 10)
                sheet.cell(row=sheet.max_row, column=i + 1).number_format = "yyyy-mm-dd"
                continue
            text = cell_text(value, lang)
            widths[i] = max([widths[i], *(_width(line) for line in text.split("\n"))])
            if "\n" in text:  # a history: one line per entry
                sheet.cell(row=sheet.max_row, column=i + 1).alignment = wrap
    for i in range(1, len(columns) + 1):
        sheet.column_dimensions[get_column_letter(i)].width = min(max(widths[i - 1] + 2, 6), 60)
    sheet.freeze_panes = "A2"
    sheet.auto_filter.ref = sheet.dimensions
    path.parent.mkdir(parents=True, exist_ok=True)
    book.save(path)
    return path


def export(path: Path, ledger: str, rows: Sequence[dict[str, Any]], fmt: Format, lang: str = "zh") -> Path:
    if ledger not in COLUMNS:
        raise ValueError(f"unknown ledger {ledger!r}; known: {', '.join(COLUMNS)}")
    return write_csv(path, ledger, rows, lang) if fmt == "csv" else write_xlsx(path, ledger, rows, lang)
