"""Ledgers (问题台账, 整改措施台账, 书记项目台账) exported to CSV and XLSX.

CSV is UTF-8 **with a byte-order mark** (``utf-8-sig``): Excel on Windows reads a BOM-less UTF-8 CSV
as the local code page and garbles Chinese; with the BOM it opens correctly. XLSX (openpyxl, imported
only here) has a bold header row with the labels, the header frozen, an auto-filter and column widths
fitted to the content (a CJK character counts double).

Cells: times in Beijing time (``YYYY-MM-DD HH:MM`` in CSV; real date-times in XLSX, shown the same
way), yes/no as 是/否 (yes/no with ``--lang en``), empty for none, numbers as numbers.
"""

from __future__ import annotations

import csv
import unicodedata
from collections.abc import Sequence
from datetime import datetime
from pathlib import Path
from typing import Any, Literal

from domain.timeutil import SHANGHAI
from i18n import label

LedgerName = Literal["problems", "measures", "projects"]
Format = Literal["csv", "xlsx"]

COLUMNS: dict[str, tuple[str, ...]] = {
    "problems": ("case_id", "org_code", "org_name", "region", "year", "problem_id", "cycle", "category", "category_name", "description"),
    "measures": (
        "case_id", "org_code", "org_name", "region", "year", "measure_id", "cycle", "description", "problems",
        "responsible", "deadline", "done", "overdue", "progress_reports", "reminders", "escalations", "completed_by",
    ),
    "projects": (
        "project_id", "level", "org_code", "org_name", "region", "year", "owner", "stage", "revision_rounds",
        "milestones_total", "milestones_done", "overdue_milestones", "quarterly_reports", "urges_sent", "rating",
        "satisfaction", "outcome", "last_event_at",
    ),
}
SHEET_TITLES = {"problems": ("问题台账", "Problems"), "measures": ("整改措施台账", "Measures"), "projects": ("书记项目台账", "Projects")}


def columns_for(ledger: str, rows: Sequence[dict[str, Any]]) -> list[str]:
    """The ledger's columns in order, plus any extra columns the rows carry (newer tables)."""
    base = list(COLUMNS[ledger])
    extra = [k for k in (rows[0] if rows else {}) if k not in base]
    return [c for c in base if not rows or c in rows[0]] + extra


def headers(columns: Sequence[str], lang: str) -> list[str]:
    return [label(f"ledger.{c}", lang) if f"ledger.{c}" in _known() else c for c in columns]


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
    return inert(str(getattr(value, "value", value)))


def cell_xlsx(value: Any, lang: str) -> Any:
    """A value as the XLSX holds it: numbers stay numbers, times become Beijing date-times, empty is blank."""
    if value is None or value == "":
        return None
    if isinstance(value, bool):
        return label("word.yes" if value else "word.no", lang)
    if isinstance(value, datetime):
        local = value.astimezone(SHANGHAI) if value.tzinfo else value
        return local.replace(tzinfo=None, second=0, microsecond=0)
    if isinstance(value, (int, float)):
        return value
    return inert(str(getattr(value, "value", value)))


def write_csv(path: Path, ledger: str, rows: Sequence[dict[str, Any]], lang: str = "zh") -> Path:
    columns = columns_for(ledger, rows)
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8-sig", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(headers(columns, lang))
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
    book = Workbook()
    sheet = book.active
    assert sheet is not None  # a new workbook has one sheet, and it is the active one
    sheet.title = SHEET_TITLES[ledger][0 if lang == "zh" else 1]
    head = headers(columns, lang)
    sheet.append(head)
    for cell in sheet[1]:
        cell.font = Font(bold=True)
        cell.fill = PatternFill("solid", fgColor="EEEEEE")
        cell.alignment = Alignment(vertical="center")
    widths = [_width(h) for h in head]
    for row in rows:
        values = [cell_xlsx(row.get(c), lang) for c in columns]
        sheet.append(values)
        for i, value in enumerate(values):
            widths[i] = max(widths[i], 16 if isinstance(value, datetime) else _width(cell_text(value, lang)))
    for i, column in enumerate(columns, start=1):
        letter = get_column_letter(i)
        sheet.column_dimensions[letter].width = min(max(widths[i - 1] + 2, 6), 60)
        if rows and isinstance(cell_xlsx(rows[0].get(column), lang), datetime):
            for (cell,) in sheet.iter_rows(min_row=2, min_col=i, max_col=i):
                cell.number_format = "yyyy-mm-dd hh:mm"
    sheet.freeze_panes = "A2"
    sheet.auto_filter.ref = sheet.dimensions
    path.parent.mkdir(parents=True, exist_ok=True)
    book.save(path)
    return path


def export(path: Path, ledger: str, rows: Sequence[dict[str, Any]], fmt: Format, lang: str = "zh") -> Path:
    if ledger not in COLUMNS:
        raise ValueError(f"unknown ledger {ledger!r}; known: {', '.join(COLUMNS)}")
    return write_csv(path, ledger, rows, lang) if fmt == "csv" else write_xlsx(path, ledger, rows, lang)
